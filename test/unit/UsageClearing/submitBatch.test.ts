import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { batchHeaderTypedData, hashAgreementTerms, signBatchHeader, parseTariff, type Tariff } from "../../../sdk/src";
import { BATCH_HEADER_TYPES } from "../../../sdk/src/typedData/clearing";
import { accessTariff, DAY, discountTariff, PERIOD, signedOffer } from "../../helpers/agreements";
import {
  batchArgs,
  onChain,
  submitArgs,
  agreementWithTariff,
  deployClearingFixture,
  eightServiceTariff,
  Reject,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Kind, Svc } from "../../helpers/rating";
import {
  amendFromSecondPeriod,
  BatchStatus,
  cached,
  chargeOf,
  enabled,
  firstDay,
  nextTimestamp,
  packed,
  periodResult,
  Status,
  submit,
  submitOnChain,
  taxesOf,
  totalsHash,
  UINT64_MAX,
  UINT88_MAX,
  UINT96_MAX,
  URI,
  usageBatch,
  volumesByPosition,
  withPendingBatch,
  withTotals,
  type Totals,
} from "./shared";

/** Totals with empty arrays. */
const NO_TOTALS: Totals = { services: [], volumes: [], recordCounts: [], taxes: [] };

/** One SMS: the smallest non-zero charge of the IOT tariff (0.01 token). */
const ONE_SMS = { [Svc.SmsMO]: [1n] };

/** A base tariff whose SMS costs 1e9 tokens, so that a batch can charge more than uint88 holds. */
function dearTariff(): Tariff {
  return parseTariff({
    plans: [
      {
        service: Svc.SmsMO,
        kind: Kind.Threshold,
        increment: 1,
        tiers: [{ start: 0, fixedPrice: 0, linearPrice: 10n ** 27n }],
        unbalancedTiers: [],
      },
    ],
  });
}

/** The fixture with alice's signer key revoked by alice. */
async function withRevokedVpmnKey(): Promise<ClearingFixture> {
  const f = await loadFixture(enabled);
  await f.registry.connect(f.accounts.alice).revokeSigner(f.alpha, f.accounts.aliceSigner);
  return f;
}

/** The fixture with the VPMN of direction 0 (alpha) suspended by the pauser. */
async function withSuspendedVpmn(): Promise<ClearingFixture> {
  const f = await loadFixture(enabled);
  await f.registry.connect(f.accounts.pauser).suspendOperator(f.alpha, ethers.id("decision 1"));
  return f;
}

/** The fixture with the agreement terminated by alice on day 100 (inside its fourth period, [90, 120) days). */
async function withEarlyEnd(): Promise<ClearingFixture & { endAt: bigint }> {
  const f = await loadFixture(enabled);
  const endAt = BigInt(f.terms.validFrom) + 100n * BigInt(DAY);
  await f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, endAt);
  return { ...f, endAt };
}

describe("UsageClearing.submitBatch", () => {
  describe("when the contract is paused", () => {
    it("should revert", async () => {
      const f = await loadFixture(enabled);
      await f.clearing.connect(f.accounts.pauser).pause();
      const { header } = usageBatch(f, { sequence: 1 });
      await expect(submit(f, header)).to.be.revertedWithCustomError(f.clearing, "EnforcedPause");
      // Checked first: before the direction, the caller and the totals.
      const [h] = batchArgs(header);
      await expect(
        submitOnChain(f, { ...h, direction: 2n }, NO_TOTALS, { by: f.accounts.eve }),
      ).to.be.revertedWithCustomError(f.clearing, "EnforcedPause");
    });
  });

  describe("when the contract is not paused", () => {
    describe("when several requirements fail at once", () => {
      it("should report the first failing one in the documented order", async () => {
        const f = await loadFixture(enabled);
        const a = f.accounts;
        const good = usageBatch(f, { sequence: 1 });
        const [goodHeader, goodTotals] = batchArgs(good.header);
        const start = goodHeader.periodStart;
        let h = {
          ...goodHeader,
          direction: 2n,
          baseTariff: f.discountTariffId,
          periodEnd: start,
          sequence: 5n,
          root: ethers.ZeroHash,
          taxes: goodHeader.taxes + 1n,
        };
        let totals: Totals = NO_TOTALS;
        const send = (options: Parameters<typeof submitOnChain>[3] = {}) => submitOnChain(f, h, totals, options);
        await expect(send({ by: a.eve }))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidDirection")
          .withArgs(2);
        h = { ...h, direction: 0n };
        await expect(send({ by: a.eve }))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsNotCached")
          .withArgs(f.agreementId, 0, f.discountTariffId);
        h = { ...h, baseTariff: f.iotTariffId };
        await expect(send({ by: a.eve }))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
          .withArgs(f.alpha, a.eve.address);
        await expect(send())
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
          .withArgs(start, start);
        h = { ...h, periodEnd: goodHeader.periodEnd };
        await expect(send()).to.be.revertedWithCustomError(f.clearing, "UsageClearing_SequenceMismatch").withArgs(1, 5);
        h = { ...h, sequence: 1n };
        await expect(send())
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RootUsed")
          .withArgs(h.agreementId, h.direction, ethers.ZeroHash);
        h = { ...h, root: goodHeader.root };
        await expect(send())
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TotalsMismatch")
          .withArgs(goodHeader.totals, totalsHash(NO_TOTALS));
        h = { ...h, totals: totalsHash(NO_TOTALS) };
        await expect(send()).to.be.revertedWithCustomError(f.clearing, "UsageClearing_MalformedTotals");
        [h, totals] = [{ ...h, totals: goodHeader.totals }, goodTotals];
        await expect(send())
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TaxesMismatch")
          .withArgs(goodHeader.taxes + 1n, goodHeader.taxes);
        h = { ...h, taxes: goodHeader.taxes };
        expect(h).to.deep.equal(goodHeader);
        await expect(send()).to.emit(f.clearing, "BatchSubmitted");
        expect((await f.clearing.getBatch(good.batchId)).status).to.equal(BatchStatus.Pending);
      });

      it("should check the VPMN's status before the period, and the grace before the sequence", async () => {
        const f = await loadFixture(withSuspendedVpmn);
        const { header } = usageBatch(f, { sequence: 9 });
        await expect(submit(f, { ...header, periodEnd: header.periodStart }))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_OperatorNotActive")
          .withArgs(f.alpha, Status.Suspended);
        const g = await loadFixture(enabled);
        const deadline = BigInt(g.terms.validFrom) + BigInt(PERIOD) + BigInt(g.terms.submissionGrace);
        await time.increaseTo(deadline + 1n);
        await expect(submit(g, { ...header, root: ethers.ZeroHash }))
          .to.be.revertedWithCustomError(g.clearing, "UsageClearing_SubmissionClosed")
          .withArgs(g.agreementId, 0, deadline);
      });
    });

    describe("when the direction is above 1", () => {
      it("should revert", async () => {
        const f = await loadFixture(enabled);
        const [header, totals] = batchArgs(usageBatch(f, { sequence: 1 }).header);
        for (const direction of [2n, 255n]) {
          await expect(submitOnChain(f, { ...header, direction }, totals))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidDirection")
            .withArgs(direction);
        }
      });
    });

    describe("when the direction is 0 or 1", () => {
      describe("when the terms in force at the batch's start are not cached with the header's base tariff", () => {
        it("should revert for an agreement whose terms were never cached (not in clearing)", async () => {
          const f = await loadFixture(deployClearingFixture);
          const { header } = usageBatch(f, { sequence: 1 });
          await expect(f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(header), URI, "0x"))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsNotCached")
            .withArgs(f.agreementId, 0, f.iotTariffId);
        });

        it("should judge by periodStart: version 0 before an amendment's start, version 1 from it once cached", async () => {
          const f = await loadFixture(enabled);
          const amended = await amendFromSecondPeriod(f);
          const secondStart = BigInt(f.terms.validFrom) + BigInt(PERIOD);
          await time.increaseTo(secondStart + BigInt(DAY));
          const second = usageBatch(f, { sequence: 1, periodStart: secondStart, periodEnd: secondStart + BigInt(DAY) });
          // Version 0 is cached, version 1 (in force from the second period) is not yet.
          await expect(submit(f, second.header))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsNotCached")
            .withArgs(f.agreementId, 1, f.iotTariffId);
          await expect(cached(f, 1, amended))
            .to.emit(f.clearing, "TermsCached")
            .withArgs(f.agreementId, 1, hashAgreementTerms(amended));
          // Version 1 applies from its start: its 5-day window is the batch's.
          const at = await nextTimestamp();
          await expect(submit(f, second.header))
            .to.emit(f.clearing, "BatchSubmitted")
            .withArgs(
              second.batchId,
              f.agreementId,
              0,
              1,
              1,
              second.header.root,
              chargeOf(f.tariff, second.header),
              taxesOf(second.header),
              at + 5n * BigInt(DAY),
              URI,
            );
          // The first period is still open (grace) and still takes version 0, its window of 7 days.
          const first = usageBatch(f, { sequence: 2 });
          const later = await nextTimestamp();
          await expect(submit(f, first.header))
            .to.emit(f.clearing, "BatchSubmitted")
            .withArgs(
              first.batchId,
              f.agreementId,
              0,
              2,
              0,
              first.header.root,
              chargeOf(f.tariff, first.header),
              taxesOf(first.header),
              later + BigInt(f.terms.disputeWindow),
              URI,
            );
        });

        it("should revert for a header naming another tariff than the terms' base tariff of the direction", async () => {
          const f = await loadFixture(enabled);
          // Another tariff of the same terms (direction 0's discount tariff), and one the terms do not name.
          for (const [tariff, named] of [
            [discountTariff(), f.discountTariffId],
            [accessTariff(), f.accessTariffId],
          ] as const) {
            for (const direction of [0, 1]) {
              const { header } = usageBatch(f, { sequence: 1, direction, tariff });
              expect(header.baseTariff).to.equal(named);
              const by = direction === 0 ? f.accounts.alice : f.accounts.bob;
              await expect(submit(f, header, { by }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsNotCached")
                .withArgs(f.agreementId, 0, named);
            }
          }
        });

        it("should revert for a header naming another agreement's base tariff", async () => {
          const f = await loadFixture(enabled);
          const tariff = eightServiceTariff();
          const other = await agreementWithTariff(f, tariff);
          // The fixture's IOT tariff is a base tariff of the fixture's agreement, not of this one.
          const { header } = usageBatch(f, { sequence: 1, agreementId: other.agreementId, usage: ONE_SMS });
          await expect(submit(f, header, { terms: other.terms, tariff }))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TermsNotCached")
            .withArgs(other.agreementId, 0, f.iotTariffId);
          const named = usageBatch(f, { sequence: 1, agreementId: other.agreementId, usage: ONE_SMS, tariff });
          await expect(submit(f, named.header)).to.emit(f.clearing, "BatchSubmitted");
        });
      });

      describe("when the terms in force are cached with the header's base tariff", () => {
        describe("when the caller sends no signature", () => {
          describe("when the caller is neither the VPMN's admin nor one of its active signer keys", () => {
            it("should revert for an attacker, the HPMN's admin and key, and a third operator's admin", async () => {
              const f = await loadFixture(enabled);
              const a = f.accounts;
              const { header } = usageBatch(f, { sequence: 1 });
              for (const who of [a.eve, a.bob, a.bobSigner, a.carol]) {
                await expect(submit(f, header, { by: who }))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
                  .withArgs(f.alpha, who.address);
              }
            });

            it("should revert for party A's accounts on direction 1 (party B is its VPMN)", async () => {
              const f = await loadFixture(enabled);
              const a = f.accounts;
              const { header } = usageBatch(f, { sequence: 1, direction: 1 });
              for (const who of [a.alice, a.aliceSigner]) {
                await expect(submit(f, header, { by: who }))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
                  .withArgs(f.beta, who.address);
              }
            });

            it("should revert for a signer key the VPMN revoked", async () => {
              const f = await loadFixture(withRevokedVpmnKey);
              const { header } = usageBatch(f, { sequence: 1 });
              await expect(submit(f, header, { by: f.accounts.aliceSigner }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
                .withArgs(f.alpha, f.accounts.aliceSigner.address);
            });
          });
        });

        describe("when a relayer sends a signature", () => {
          describe("when the signer is not an active signer key of the VPMN", () => {
            it("should revert for an attacker's, the HPMN key's and the VPMN admin's signatures", async () => {
              const f = await loadFixture(enabled);
              const a = f.accounts;
              const { header } = usageBatch(f, { sequence: 1 });
              // The admin may send a batch itself, but its signature is not a signer key's.
              for (const signer of [a.eve, a.bobSigner, a.alice]) {
                const signature = await signBatchHeader(signer, f.clearingDomain, header);
                await expect(submit(f, header, { by: a.dave, signature }))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
                  .withArgs(f.alpha, signer.address);
              }
            });

            it("should revert for a key the VPMN revoked, even if it signed before the revocation", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1 });
              const signature = await signBatchHeader(f.accounts.aliceSigner, f.clearingDomain, header);
              await f.registry.connect(f.accounts.alice).revokeSigner(f.alpha, f.accounts.aliceSigner);
              await expect(submit(f, header, { by: f.accounts.dave, signature }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
                .withArgs(f.alpha, f.accounts.aliceSigner.address);
            });

            it("should revert for a signature of another header (it recovers another address)", async () => {
              const f = await loadFixture(enabled);
              const signed = usageBatch(f, { sequence: 1 }).header;
              const sent = { ...signed, volumes: signed.volumes.map((v) => BigInt(v) + 60n) };
              const signature = await signBatchHeader(f.accounts.aliceSigner, f.clearingDomain, signed);
              const recovered = ethers.verifyTypedData(
                f.clearingDomain,
                BATCH_HEADER_TYPES,
                batchHeaderTypedData(f.clearingDomain, sent).message,
                signature,
              );
              expect(recovered).to.not.equal(f.accounts.aliceSigner.address);
              await expect(submit(f, sent, { by: f.accounts.dave, signature }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
                .withArgs(f.alpha, recovered);
            });
          });
        });

        describe("when the VPMN is suspended", () => {
          it("should revert for its admin, its key and a relayed signature of its key", async () => {
            const f = await loadFixture(withSuspendedVpmn);
            const a = f.accounts;
            const { header } = usageBatch(f, { sequence: 1 });
            const signature = await signBatchHeader(a.aliceSigner, f.clearingDomain, header);
            for (const options of [{ by: a.alice }, { by: a.aliceSigner }, { by: a.dave, signature }]) {
              await expect(submit(f, header, options))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_OperatorNotActive")
                .withArgs(f.alpha, Status.Suspended);
            }
          });
        });

        describe("when the submitter may act for the VPMN and the VPMN is active", () => {
          describe("when the batch period is empty, not over, or not inside one period and the validity", () => {
            it("should revert for an empty and for a reversed period", async () => {
              const f = await loadFixture(enabled);
              const [start] = firstDay(f);
              for (const [periodStart, periodEnd] of [
                [start + 100n, start + 100n],
                [start + 100n, start + 99n],
              ]) {
                const header = { ...usageBatch(f, { sequence: 1 }).header, periodStart, periodEnd };
                await expect(submit(f, header))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                  .withArgs(periodStart, periodEnd);
              }
            });

            it("should revert for a period starting before validFrom", async () => {
              const f = await loadFixture(enabled);
              const [start, end] = firstDay(f);
              const { header } = usageBatch(f, { sequence: 1, periodStart: start - 1n, periodEnd: end });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                .withArgs(start - 1n, end);
            });

            it("should revert for a period that is not over (periodEnd after now)", async () => {
              const f = await loadFixture(enabled);
              const at = await nextTimestamp();
              const [start] = firstDay(f);
              const { header } = usageBatch(f, { sequence: 1, periodStart: start, periodEnd: at + 1n });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                .withArgs(start, at + 1n);
            });

            it("should revert for a period crossing an agreement period boundary", async () => {
              const f = await loadFixture(enabled);
              const boundary = BigInt(f.terms.validFrom) + BigInt(PERIOD);
              await time.increaseTo(boundary + BigInt(DAY));
              const { header } = usageBatch(f, { sequence: 1, periodStart: boundary - 10n, periodEnd: boundary + 1n });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                .withArgs(boundary - 10n, boundary + 1n);
            });

            it("should revert for a period after the validity window", async () => {
              const f = await loadFixture(enabled);
              const validUntil = BigInt(f.terms.validUntil);
              await time.increaseTo(validUntil + BigInt(DAY));
              const { header } = usageBatch(f, { sequence: 1, periodStart: validUntil, periodEnd: validUntil + 10n });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                .withArgs(validUntil, validUntil + 10n);
            });

            it("should revert past the end of an agreement terminated mid-period (its validity ends there)", async () => {
              const f = await loadFixture(withEarlyEnd);
              await time.increaseTo(f.endAt + BigInt(DAY));
              const { header } = usageBatch(f, { sequence: 1, periodStart: f.endAt - 10n, periodEnd: f.endAt + 1n });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidBatchPeriod")
                .withArgs(f.endAt - 10n, f.endAt + 1n);
              const last = usageBatch(f, { sequence: 1, periodStart: f.endAt - 10n, periodEnd: f.endAt });
              await expect(submit(f, last.header)).to.emit(f.clearing, "BatchSubmitted");
            });
          });

          describe("when the period's submission grace is over", () => {
            it("should revert with the period and its deadline (its end plus the grace)", async () => {
              const f = await loadFixture(enabled);
              const deadline = BigInt(f.terms.validFrom) + BigInt(PERIOD) + BigInt(f.terms.submissionGrace);
              await time.setNextBlockTimestamp(deadline + 1n);
              await expect(submit(f, usageBatch(f, { sequence: 1 }).header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SubmissionClosed")
                .withArgs(f.agreementId, 0, deadline);
            });

            it("should count the grace from the end of validity when the agreement ends mid-period", async () => {
              const f = await loadFixture(withEarlyEnd);
              const deadline = f.endAt + BigInt(f.terms.submissionGrace);
              await time.setNextBlockTimestamp(deadline + 1n);
              const { header } = usageBatch(f, { sequence: 1, periodStart: f.endAt - 10n, periodEnd: f.endAt });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SubmissionClosed")
                .withArgs(f.agreementId, 3, deadline);
            });

            it("should still accept a batch at the deadline itself", async () => {
              const f = await loadFixture(enabled);
              const deadline = BigInt(f.terms.validFrom) + BigInt(PERIOD) + BigInt(f.terms.submissionGrace);
              await time.setNextBlockTimestamp(deadline);
              await expect(submit(f, usageBatch(f, { sequence: 1 }).header)).to.emit(f.clearing, "BatchSubmitted");
            });
          });

          describe("when the sequence is not the previous one plus one", () => {
            it("should revert for a first batch numbered 0 or 2", async () => {
              const f = await loadFixture(enabled);
              for (const sequence of [0, 2]) {
                await expect(submit(f, usageBatch(f, { sequence }).header))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SequenceMismatch")
                  .withArgs(1, sequence);
              }
            });

            it("should revert for a repeated and for a skipped number", async () => {
              const f = await loadFixture(withPendingBatch);
              for (const sequence of [1, 3]) {
                await expect(submit(f, usageBatch(f, { sequence, tag: "again" }).header))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SequenceMismatch")
                  .withArgs(2, sequence);
              }
            });

            it("should count a rejected batch's number (as TAP files)", async () => {
              const f = await loadFixture(withPendingBatch);
              await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.FileUnreadable);
              await expect(submit(f, usageBatch(f, { sequence: 1, tag: "resent" }).header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SequenceMismatch")
                .withArgs(2, 1);
              await expect(submit(f, usageBatch(f, { sequence: 2 }).header)).to.emit(f.clearing, "BatchSubmitted");
            });
          });

          describe("when the root is zero or was used before", () => {
            it("should revert for a zero root", async () => {
              const f = await loadFixture(enabled);
              const header = { ...usageBatch(f, { sequence: 1 }).header, root: ethers.ZeroHash };
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RootUsed")
                .withArgs(f.agreementId, 0, ethers.ZeroHash);
            });

            it("should revert for the root of an earlier batch of the same lane, naming the lane", async () => {
              const f = await loadFixture(withPendingBatch);
              // Another header (another file hash) over the same records.
              const header = { ...usageBatch(f, { sequence: 2 }).header, root: f.batch.header.root };
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RootUsed")
                .withArgs(f.agreementId, 0, f.batch.header.root);
            });

            it("should revert for the root of an earlier, rejected batch of the same lane", async () => {
              const f = await loadFixture(withPendingBatch);
              await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
              const header = { ...usageBatch(f, { sequence: 2 }).header, root: f.batch.header.root };
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RootUsed")
                .withArgs(f.agreementId, 0, f.batch.header.root);
            });
          });

          describe("when another lane used the root (the review's blocking attack)", () => {
            it("should accept it: another agreement's batch with the same root blocks nothing", async () => {
              const f = await loadFixture(withPendingBatch);
              const tariff = eightServiceTariff();
              const other = await agreementWithTariff(f, tariff);
              const header = {
                ...usageBatch(f, { sequence: 1, agreementId: other.agreementId, usage: ONE_SMS, tariff }).header,
                root: f.batch.header.root,
              };
              await expect(submit(f, header, { terms: other.terms, tariff })).to.emit(f.clearing, "BatchSubmitted");
            });

            it("should accept the victim's pending root after the other party copied it into a tiny batch of its own lane", async () => {
              const f = await loadFixture(enabled);
              const victim = usageBatch(f, { sequence: 1 });
              // Bob (the VPMN of direction 1) sees alice's pending submission and front-runs it with the same root.
              const copy = {
                ...usageBatch(f, { sequence: 1, direction: 1, usage: ONE_SMS }).header,
                root: victim.header.root,
              };
              await expect(submit(f, copy, { by: f.accounts.bob })).to.emit(f.clearing, "BatchSubmitted");
              await expect(submit(f, victim.header)).to.emit(f.clearing, "BatchSubmitted");
              expect(await f.clearing.isRootUsed(f.agreementId, 0, victim.header.root)).to.equal(true);
              expect(await f.clearing.isRootUsed(f.agreementId, 1, victim.header.root)).to.equal(true);
            });
          });

          describe("when the totals do not hash to the header's totals", () => {
            it("should revert with the header's and the given totals' hashes, leaving the lane as it was", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1 });
              const [h, t] = batchArgs(header);
              const bump = (values: bigint[]) => [values[0] + 1n, ...values.slice(1)];
              const [, otherBatch] = batchArgs(usageBatch(f, { sequence: 1, usage: ONE_SMS }).header);
              for (const given of [
                { ...t, volumes: bump(t.volumes) },
                { ...t, recordCounts: bump(t.recordCounts) },
                { ...t, taxes: bump(t.taxes) },
                otherBatch,
                NO_TOTALS,
              ]) {
                await expect(submitOnChain(f, h, given))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TotalsMismatch")
                  .withArgs(h.totals, totalsHash(given));
              }
              expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(0n);
              expect(await f.clearing.isRootUsed(f.agreementId, 0, h.root)).to.equal(false);
            });

            it("should revert for a relayed signature of the header sent with other totals", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1 });
              const signature = await signBatchHeader(f.accounts.aliceSigner, f.clearingDomain, header);
              const [h, t] = batchArgs(header);
              const given = { ...t, volumes: t.volumes.map((v) => v * 2n) };
              await expect(submitOnChain(f, h, given, { by: f.accounts.dave, signature }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TotalsMismatch")
                .withArgs(h.totals, totalsHash(given));
            });
          });

          describe("when the totals are empty", () => {
            it("should revert", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1 });
              await expect(submitOnChain(f, ...withTotals(header, NO_TOTALS))).to.be.revertedWithCustomError(
                f.clearing,
                "UsageClearing_MalformedTotals",
              );
            });
          });

          describe("when a packed totals word has bits above its fields, or a service is not one", () => {
            it("should revert without data, as the ABI decoder does for a value out of range", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1, usage: ONE_SMS });
              const [h, t] = batchArgs(header);
              const [word] = packed(t);
              const send = (words: bigint[], totals: Totals = t) =>
                f.clearing
                  .connect(f.accounts.alice)
                  .submitBatch({ ...h, totals: totalsHash(totals) }, words, URI, "0x");
              await expect(send([word | (1n << 232n)])).to.be.revertedWithoutReason();
              await expect(send([word | (1n << 255n)])).to.be.revertedWithoutReason();
              // A service id above the last service (8), hashed as such.
              const alien = { ...t, services: [9] };
              await expect(send(packed(alien), alien)).to.be.revertedWithoutReason();
              await expect(send([word])).to.emit(f.clearing, "BatchSubmitted");
            });
          });

          describe("when the services are not strictly ascending or one is not in the base tariff", () => {
            it("should revert at the first service out of order, with its index", async () => {
              const f = await loadFixture(enabled);
              const base = { recordCounts: [1n, 1n], taxes: [0n, 0n], volumes: [60n, 1n] };
              const header = usageBatch(f, { sequence: 1 }).header;
              const cases: [number[], number, number][] = [
                [[Svc.SmsMO, Svc.VoiceMO], 1, Svc.VoiceMO], // descending
                [[Svc.SmsMO, Svc.SmsMO], 1, Svc.SmsMO], // repeated
              ];
              for (const [services, index, service] of cases) {
                await expect(submitOnChain(f, ...withTotals(header, { ...base, services })))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ServiceNotRated")
                  .withArgs(index, service);
              }
            });

            it("should revert at the first service the base tariff has no plan for", async () => {
              const f = await loadFixture(enabled);
              const header = usageBatch(f, { sequence: 1 }).header;
              // The IOT tariff rates voice MO, SMS MO, data and VoLTE: not voice MT, nor IoT access.
              const cases: [number[], number, number][] = [
                [[Svc.VoiceMT, Svc.Data], 0, Svc.VoiceMT],
                [[Svc.VoiceMO, Svc.IoTAccess], 1, Svc.IoTAccess],
              ];
              for (const [services, index, service] of cases) {
                const bad = { services, volumes: [60n, 1n], recordCounts: [1n, 1n], taxes: [0n, 0n] };
                await expect(submitOnChain(f, ...withTotals(header, bad)))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ServiceNotRated")
                  .withArgs(index, service);
              }
            });

            it("should judge the arrays before the header's taxes", async () => {
              const f = await loadFixture(enabled);
              const header = usageBatch(f, { sequence: 1 }).header;
              const bad = { services: [Svc.VoiceMT], volumes: [60n], recordCounts: [1n], taxes: [5n] };
              await expect(submitOnChain(f, ...withTotals(header, bad, 4n)))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ServiceNotRated")
                .withArgs(0, Svc.VoiceMT);
              await expect(submitOnChain(f, ...withTotals(header, NO_TOTALS, 4n))).to.be.revertedWithCustomError(
                f.clearing,
                "UsageClearing_MalformedTotals",
              );
            });
          });

          describe("when a running volume would exceed uint64", () => {
            it("should revert with the service and the volume it would reach", async () => {
              const f = await loadFixture(enabled);
              await submit(f, usageBatch(f, { sequence: 1, usage: { [Svc.SmsMO]: [UINT64_MAX - 1n] } }).header);
              await expect(submit(f, usageBatch(f, { sequence: 2, usage: { [Svc.SmsMO]: [2n] } }).header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_VolumeOverflow")
                .withArgs(Svc.SmsMO, UINT64_MAX + 1n);
            });

            it("should refuse a batch's own volume of 2^64 - 1, even in an empty period (a batch's volume is kept plus one)", async () => {
              const f = await loadFixture(enabled);
              await expect(submit(f, usageBatch(f, { sequence: 1, usage: { [Svc.SmsMO]: [UINT64_MAX] } }).header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_VolumeOverflow")
                .withArgs(Svc.SmsMO, UINT64_MAX + 1n);
              await expect(
                submit(f, usageBatch(f, { sequence: 1, usage: { [Svc.SmsMO]: [UINT64_MAX - 1n] } }).header),
              ).to.emit(f.clearing, "BatchSubmitted");
            });
          });

          describe("when the header's taxes are not the sum of the totals' taxes", () => {
            it("should revert with the declared taxes and the sum, leaving the lane and the period as they were", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1 });
              const [h, t] = batchArgs(header);
              const sum = taxesOf(header);
              expect(sum).to.equal(1_750_000n);
              for (const declared of [0n, sum - 1n, sum + 1n, t.taxes[t.taxes.length - 1]]) {
                await expect(submitOnChain(f, { ...h, taxes: declared }, t))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TaxesMismatch")
                  .withArgs(declared, sum);
              }
              expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(0n);
              expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
            });

            it("should revert for taxes declared on a batch whose totals carry none", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1, usage: ONE_SMS });
              const [h, t] = batchArgs(header);
              expect(t.taxes).to.deep.equal([0n]);
              await expect(submitOnChain(f, { ...h, taxes: 1n }, t))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TaxesMismatch")
                .withArgs(1n, 0n);
            });

            it("should judge the taxes before the amount's bounds", async () => {
              const f = await loadFixture(enabled);
              const taxes = UINT96_MAX + 1n;
              const { header } = usageBatch(f, { sequence: 1, usage: ONE_SMS, taxes: { [Svc.SmsMO]: taxes } });
              const [h, t] = batchArgs(header);
              await expect(submitOnChain(f, { ...h, taxes: taxes - 1n }, t))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TaxesMismatch")
                .withArgs(taxes - 1n, taxes);
            });
          });

          describe("when the charge exceeds uint88 or the taxes exceed uint96", () => {
            it("should revert for a charge above uint88", async () => {
              const f = await loadFixture(enabled);
              const tariff = dearTariff();
              const other = await agreementWithTariff(f, tariff);
              const { header } = usageBatch(f, {
                sequence: 1,
                agreementId: other.agreementId,
                usage: { [Svc.SmsMO]: [10n ** 12n] },
                tariff,
              });
              const charge = chargeOf(tariff, header);
              expect(charge).to.be.greaterThan(UINT88_MAX);
              await expect(submit(f, header, { terms: other.terms, tariff }))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_AmountTooLarge")
                .withArgs(charge);
            });

            it("should revert for taxes above uint96", async () => {
              const f = await loadFixture(enabled);
              const taxes = UINT96_MAX + 1n;
              const { header } = usageBatch(f, { sequence: 1, usage: ONE_SMS, taxes: { [Svc.SmsMO]: taxes } });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_AmountTooLarge")
                .withArgs(periodResult(f.tariff, Svc.SmsMO, 1n) + taxes);
            });

            // The vault takes at most uint96 per obligation, and a batch is recorded as one: its charge plus taxes.
            it("should revert when taxes that fit uint96 alone overflow it with the charge", async () => {
              const f = await loadFixture(enabled);
              const { header } = usageBatch(f, { sequence: 1, usage: ONE_SMS, taxes: { [Svc.SmsMO]: UINT96_MAX } });
              await expect(submit(f, header))
                .to.be.revertedWithCustomError(f.clearing, "UsageClearing_AmountTooLarge")
                .withArgs(periodResult(f.tariff, Svc.SmsMO, 1n) + UINT96_MAX);
            });
          });

          describe("when every requirement holds", () => {
            describe("given the agreement's first batch", () => {
              it("should emit BatchSubmitted and return the batch id", async () => {
                const f = await loadFixture(enabled);
                const batch = usageBatch(f, { sequence: 1 });
                const returned = await f.clearing
                  .connect(f.accounts.alice)
                  .submitBatch.staticCall(...submitArgs(batch.header), URI, "0x");
                expect(returned).to.equal(batch.batchId);
                const at = await nextTimestamp();
                const tx = submit(f, batch.header);
                await expect(tx).to.not.emit(f.clearing, "ClearingEnabled");
                await expect(tx)
                  .to.emit(f.clearing, "BatchSubmitted")
                  .withArgs(
                    batch.batchId,
                    f.agreementId,
                    0,
                    1,
                    0,
                    batch.header.root,
                    chargeOf(f.tariff, batch.header),
                    taxesOf(batch.header),
                    at + BigInt(f.terms.disputeWindow),
                    URI,
                  );
              });

              it("should revert for an agreement not in clearing whose identical terms another agreement cached", async () => {
                const f = await loadFixture(enabled);
                // A second offer of the same terms, accepted: another agreement, the same terms hash.
                const { offer, signature, offerHash } = await signedOffer(f, { terms: f.terms, nonce: 78n });
                await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
                const twin = await f.agreements.agreementIdOf(offerHash, f.beta);
                const { header } = usageBatch(f, { sequence: 1, agreementId: twin });
                await expect(f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(header), URI, "0x"))
                  .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingNotEnabled")
                  .withArgs(twin);
                await f.clearing.enableClearing(twin, f.terms, [f.tariff, f.tariff]);
                await expect(submit(f, header)).to.emit(f.clearing, "BatchSubmitted");
              });

              it("should store the batch, advance the lane, record the root and the period's volumes", async () => {
                const f = await loadFixture(enabled);
                const batch = usageBatch(f, { sequence: 1 });
                const at = await nextTimestamp();
                await submit(f, batch.header);
                const charge = chargeOf(f.tariff, batch.header);
                const stored = await f.clearing.getBatch(batch.batchId);
                expect([
                  stored.finalAt,
                  stored.status,
                  stored.charge,
                  stored.held,
                  stored.round,
                  stored.disputed,
                ]).to.deep.equal([at + BigInt(f.terms.disputeWindow), BatchStatus.Pending, charge, 0n, 0n, 0n]);
                // 2 calls (420 s), 3 SMS and 0.8192 MB: 0.35 + 0.03 + 0.0016384 tokens, rounded once per service.
                expect(charge).to.equal(350_000n + 30_000n + 1_638n);
                const lane = await f.clearing.lane(f.agreementId, 0);
                expect([lane.sequence, lane.voucherRedeemed, lane.decimals, lane.open]).to.deep.equal([
                  1n,
                  0n,
                  6n,
                  true,
                ]);
                const other = await f.clearing.lane(f.agreementId, 1);
                expect([other.sequence, other.open]).to.deep.equal([0n, true]);
                expect(await f.clearing.isRootUsed(f.agreementId, 0, batch.header.root)).to.equal(true);
                expect(await f.clearing.isRootUsed(f.agreementId, 1, batch.header.root)).to.equal(false);
                expect(await f.clearing.batchVolumes(onChain(batch.header), 4)).to.deep.equal(
                  volumesByPosition(f.tariff, { [Svc.VoiceMO]: 420n, [Svc.SmsMO]: 3n, [Svc.Data]: 819_200n }),
                );
                expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal(
                  volumesByPosition(f.tariff, { [Svc.VoiceMO]: 420n, [Svc.SmsMO]: 3n, [Svc.Data]: 819_200n }),
                );
                expect(await f.clearing.isFinal(batch.batchId)).to.equal(false);
              });
            });

            describe("given a later batch of the same period", () => {
              it("should charge the increase of the period result, not the batch rated alone", async () => {
                const f = await loadFixture(enabled);
                // 50,000 s then 20,000 s of voice: the second batch crosses the 60,000 s tier (a 10-token fee).
                const first = usageBatch(f, { sequence: 1, usage: { [Svc.VoiceMO]: [50_000n] } });
                const second = usageBatch(f, {
                  sequence: 2,
                  usage: { [Svc.VoiceMO]: [20_000n], [Svc.SmsMO]: [1n, 1n] },
                  taxes: { [Svc.SmsMO]: 7n },
                });
                const running = {};
                const firstCharge = chargeOf(f.tariff, first.header, running);
                const secondCharge = chargeOf(f.tariff, second.header, running);
                expect(secondCharge).to.not.equal(chargeOf(f.tariff, second.header));
                await submit(f, first.header);
                const at = await nextTimestamp();
                const tx = submit(f, second.header);
                await expect(tx)
                  .to.emit(f.clearing, "BatchSubmitted")
                  .withArgs(
                    second.batchId,
                    f.agreementId,
                    0,
                    2,
                    0,
                    second.header.root,
                    secondCharge,
                    7n,
                    at + BigInt(f.terms.disputeWindow),
                    URI,
                  );
                await expect(tx).to.not.emit(f.clearing, "ClearingEnabled");
                expect((await f.clearing.getBatch(second.batchId)).charge).to.equal(secondCharge);
                // The period's batches add up to the period result of its running volumes.
                expect(firstCharge + secondCharge).to.equal(
                  periodResult(f.tariff, Svc.VoiceMO, 70_000n) + periodResult(f.tariff, Svc.SmsMO, 2n),
                );
                expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal(
                  volumesByPosition(f.tariff, { [Svc.VoiceMO]: 70_000n, [Svc.SmsMO]: 2n }),
                );
                expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(2n);
              });

              it("should keep separate running volumes per period", async () => {
                const f = await loadFixture(enabled);
                const boundary = BigInt(f.terms.validFrom) + BigInt(PERIOD);
                await time.increaseTo(boundary + BigInt(DAY));
                const usage = { [Svc.VoiceMO]: [50_000n] };
                const first = usageBatch(f, {
                  sequence: 1,
                  usage,
                  periodStart: boundary - BigInt(DAY),
                  periodEnd: boundary,
                });
                const second = usageBatch(f, { sequence: 2, usage, periodStart: boundary, periodEnd: boundary + 10n });
                const at = await nextTimestamp();
                await expect(submit(f, first.header))
                  .to.emit(f.clearing, "BatchSubmitted")
                  .withArgs(
                    first.batchId,
                    f.agreementId,
                    0,
                    1,
                    0,
                    first.header.root,
                    chargeOf(f.tariff, first.header),
                    0n,
                    at + BigInt(f.terms.disputeWindow),
                    URI,
                  );
                // A fresh period: the second batch is rated from zero.
                expect((await f.clearing.getBatch(second.batchId)).status).to.equal(BatchStatus.None);
                await submit(f, second.header);
                expect((await f.clearing.getBatch(second.batchId)).charge).to.equal(chargeOf(f.tariff, second.header));
                expect(await f.clearing.periodVolumes(f.agreementId, 0, 1, 1)).to.deep.equal([50_000n]);
                expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 1)).to.deep.equal([50_000n]);
              });
            });

            describe("given a relayer carrying an active VPMN key's signature", () => {
              it("should accept the batch from any account", async () => {
                const f = await loadFixture(enabled);
                const batch = usageBatch(f, { sequence: 1 });
                const signature = await signBatchHeader(f.accounts.aliceSigner, f.clearingDomain, batch.header);
                const at = await nextTimestamp();
                await expect(submit(f, batch.header, { by: f.accounts.dave, signature }))
                  .to.emit(f.clearing, "BatchSubmitted")
                  .withArgs(
                    batch.batchId,
                    f.agreementId,
                    0,
                    1,
                    0,
                    batch.header.root,
                    chargeOf(f.tariff, batch.header),
                    taxesOf(batch.header),
                    at + BigInt(f.terms.disputeWindow),
                    URI,
                  );
                expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(1n);
              });
            });

            describe("given the VPMN's signer key as the caller", () => {
              it("should accept the batch", async () => {
                const f = await loadFixture(enabled);
                const batch = usageBatch(f, { sequence: 1 });
                await expect(submit(f, batch.header, { by: f.accounts.aliceSigner })).to.emit(
                  f.clearing,
                  "BatchSubmitted",
                );
                expect((await f.clearing.getBatch(batch.batchId)).status).to.equal(BatchStatus.Pending);
              });
            });

            describe("given direction 1 (party B visited)", () => {
              it("should take party B's batch on its own lane, rated with the direction's tariff", async () => {
                const f = await loadFixture(withPendingBatch);
                const batch = usageBatch(f, { sequence: 1, direction: 1 });
                const at = await nextTimestamp();
                await expect(submit(f, batch.header, { by: f.accounts.bob }))
                  .to.emit(f.clearing, "BatchSubmitted")
                  .withArgs(
                    batch.batchId,
                    f.agreementId,
                    1,
                    1,
                    0,
                    batch.header.root,
                    chargeOf(f.tariff, batch.header),
                    taxesOf(batch.header),
                    at + BigInt(f.terms.disputeWindow),
                    URI,
                  );
                expect((await f.clearing.lane(f.agreementId, 1)).sequence).to.equal(1n);
                expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(1n);
                expect(await f.clearing.periodVolumes(f.agreementId, 1, 0, 4)).to.deep.equal(
                  volumesByPosition(f.tariff, { [Svc.VoiceMO]: 420n, [Svc.SmsMO]: 3n, [Svc.Data]: 819_200n }),
                );
              });
            });

            describe("given the boundaries of the period checks", () => {
              it("should accept periodEnd equal to now and to the agreement period's end", async () => {
                const f = await loadFixture(enabled);
                const [start] = firstDay(f);
                const at = await nextTimestamp();
                await expect(
                  submit(f, usageBatch(f, { sequence: 1, periodStart: start, periodEnd: at }).header),
                ).to.emit(f.clearing, "BatchSubmitted");
                const boundary = BigInt(f.terms.validFrom) + BigInt(PERIOD);
                await time.increaseTo(boundary);
                const last = usageBatch(f, { sequence: 2, periodStart: boundary - 10n, periodEnd: boundary });
                await expect(submit(f, last.header)).to.emit(f.clearing, "BatchSubmitted");
              });
            });
          });
        });
      });
    });
  });
});
