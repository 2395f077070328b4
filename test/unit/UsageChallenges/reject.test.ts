import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";

import { hashBatchTotals } from "../../../sdk/src";
import {
  batchArgs,
  onChain,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  proofOf,
  Reject,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  agreementWithCondition,
  batchOf,
  batchVolumesOf,
  driftOf,
  makeBatch,
  marginal,
  rated,
  SMS,
  submit,
  twoBatches,
  VOICE,
  volumesOf,
  DATA,
  VOLTE,
  type TwoBatches,
} from "./shared";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

/** Batch A's record 0 disputed (UnknownSubscriber), then its record 6 proven OutsidePeriod by eve. */
async function challengedTwice(): Promise<TwoBatches> {
  const f = await loadFixture(twoBatches);
  await f.clearing
    .connect(f.accounts.bob)
    .dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.UnknownSubscriber]);
  await f.clearing.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, onChain(f.a.header), proofOf(f.a, 6));
  return f;
}

/** The expected voice volume of each batch of the shared scenario. */
const VOICE_A = 4n * VOICE;
const VOICE_B = 3n * VOICE;

describe("UsageClearing.reject", () => {
  describe("when the batch is unknown", () => {
    it("should revert", async () => {
      const f = await loadFixture(twoBatches);
      const header = { ...f.a.header, fileHash: ethers.id("never submitted") };
      const id = await f.clearing.hashBatchHeader(onChain(header));
      await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(header), Reject.Other))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(id);
    });
  });

  describe("when the batch's window is closed", () => {
    describe("given the window ended (now >= finalAt)", () => {
      it("should revert at finalAt exactly", async () => {
        const f = await loadFixture(twoBatches);
        const { finalAt } = await batchOf(f, f.a.batchId);
        await time.setNextBlockTimestamp(finalAt);
        await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
          .withArgs(f.a.batchId, BatchStatus.Pending, finalAt);
      });
    });

    describe("given the batch was accepted", () => {
      it("should revert", async () => {
        const f = await loadFixture(twoBatches);
        await f.clearing.connect(f.accounts.bob).accept(onChain(f.a.header));
        const { finalAt } = await batchOf(f, f.a.batchId);
        await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
          .withArgs(f.a.batchId, BatchStatus.Accepted, finalAt);
      });
    });

    describe("given the batch was rejected", () => {
      it("should revert", async () => {
        const f = await loadFixture(twoBatches);
        await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
        const { finalAt } = await batchOf(f, f.a.batchId);
        await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.FileUnreadable))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
          .withArgs(f.a.batchId, BatchStatus.Rejected, finalAt);
      });
    });
  });

  describe("when the batch is pending inside its window", () => {
    describe("when the caller is not an account of the home network", () => {
      it("should revert for an attacker, another member's admin and the visited network's own accounts", async () => {
        const f = await loadFixture(twoBatches);
        const { eve, carol, alice, aliceSigner } = f.accounts;
        for (const who of [eve, carol, alice, aliceSigner]) {
          await expect(f.clearing.connect(who).reject(...batchArgs(f.a.header), Reject.Other))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
            .withArgs(f.hpmn, who.address);
        }
      });

      it("should revert for a revoked signer key of the home network", async () => {
        const f = await loadFixture(twoBatches);
        const { bob, bobSigner } = f.accounts;
        await f.registry.connect(bob).revokeSigner(f.hpmn, bobSigner);
        await expect(f.clearing.connect(bobSigner).reject(...batchArgs(f.a.header), Reject.Other))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
          .withArgs(f.hpmn, bobSigner.address);
      });
    });

    describe("when the caller is the home network's admin or an active signer key", () => {
      describe("when the reason code is not a fatal code", () => {
        it("should revert for 0, a dispute code, 99, 103, 108, 110 and 65535", async () => {
          const f = await loadFixture(twoBatches);
          for (const code of [0, Code.UnknownSubscriber, 99, 103, 108, 110, 65_535]) {
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), code))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidReasonCode")
              .withArgs(code);
          }
        });
      });

      describe("when the totals are not the batch's", () => {
        it("should revert with the header's and the given totals' hashes, leaving the batch and the period", async () => {
          const f = await loadFixture(twoBatches);
          const [h, t] = batchArgs(f.a.header);
          const [, otherTotals] = batchArgs(f.b.header);
          const before = await batchOf(f, f.a.batchId);
          const volumes = await volumesOf(f);
          for (const given of [
            { ...t, volumes: t.volumes.map((v) => v / 2n) },
            { ...t, taxes: t.taxes.map(() => 0n) },
            otherTotals,
            { services: [], volumes: [], recordCounts: [], taxes: [] },
          ]) {
            await expect(f.clearing.connect(f.accounts.bob).reject(h, given, Reject.TotalsMismatch))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TotalsMismatch")
              .withArgs(h.totals, hashBatchTotals(given));
          }
          expect(await batchOf(f, f.a.batchId)).to.deep.equal(before);
          expect(await volumesOf(f)).to.deep.equal(volumes);
        });

        it("should be checked after the reason code", async () => {
          const f = await loadFixture(challengedTwice);
          const [h, t] = batchArgs(f.a.header);
          const given = { ...t, volumes: t.volumes.map((v) => v + 60n) };
          await expect(f.clearing.connect(f.accounts.bob).reject(h, given, 99))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidReasonCode")
            .withArgs(99);
          await expect(f.clearing.connect(f.accounts.bob).reject(h, given, Reject.Other))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TotalsMismatch")
            .withArgs(h.totals, hashBatchTotals(given));
        });
      });

      describe("when the totals are the batch's", () => {
        describe("given no record was challenged", () => {
          it("should accept each fatal code, from the admin or an active signer key", async () => {
            for (const code of [Reject.FileUnreadable, Reject.WrongRecipient, Reject.TotalsMismatch, Reject.Other]) {
              for (const who of ["bob", "bobSigner"] as const) {
                const f = await loadFixture(twoBatches);
                await expect(f.clearing.connect(f.accounts[who]).reject(...batchArgs(f.a.header), code))
                  .to.emit(f.clearing, "BatchRejected")
                  .withArgs(f.a.batchId, code, anyValue, 0);
              }
            }
          });

          it("should mark it Rejected, drop its charge and emit BatchRejected", async () => {
            const f = await loadFixture(twoBatches);
            const before = await batchOf(f, f.a.batchId);
            const chargeA = rated(Svc.VoiceMO, VOICE_A) + rated(Svc.SmsMO, SMS) + rated(Svc.Data, 2n * DATA);
            expect(before.charge).to.equal(chargeA);
            expect(chargeA).to.equal(40_012_048n);
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.TotalsMismatch))
              .to.emit(f.clearing, "BatchRejected")
              .withArgs(f.a.batchId, Reject.TotalsMismatch, chargeA, 0);
            expect(await batchOf(f, f.a.batchId)).to.deep.equal({
              status: BatchStatus.Rejected,
              charge: 0n,
              held: 0n,
              disputed: 0n,
              finalAt: before.finalAt,
            });
            expect(await f.clearing.isFinal(f.a.batchId)).to.equal(false);
          });

          it("should take its volumes out of the period, leaving the other batch's", async () => {
            const f = await loadFixture(twoBatches);
            expect(await volumesOf(f)).to.deep.equal([VOICE_A + VOICE_B, 2n * SMS, 2n * DATA, VOLTE]);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            expect(await volumesOf(f)).to.deep.equal([VOICE_B, SMS, 0n, VOLTE]);
          });

          it("should record the drift: the marginal charge removed less the batch's charge", async () => {
            const f = await loadFixture(twoBatches);
            const { charge } = await batchOf(f, f.a.batchId);
            // Batch A's volumes leave from the top of the running volumes (A + B).
            const removed =
              marginal(Svc.VoiceMO, VOICE_A + VOICE_B, VOICE_A) +
              marginal(Svc.SmsMO, 2n * SMS, SMS) +
              marginal(Svc.Data, 2n * DATA, 2n * DATA);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            expect(await driftOf(f)).to.equal(removed - charge);
            // 46 units of voice leave (76 - 30) where A was charged 40 for it.
            expect(await driftOf(f)).to.equal(6_000_000n);
          });

          it("should record a negative drift when the batch was charged more than its removal now saves", async () => {
            const f = await loadFixture(twoBatches);
            // A's three voice records leave first (84,000 -> 48,000 s): B's 36,000 s then leave from 48,000 s,
            // R(48,000) - R(12,000) = 30 units, where B was charged R(84,000) - R(48,000) = 36.
            await f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.a.header), multiProofOf(f.a, [0, 1, 2]), [Code.Other, Code.Other, Code.Other]);
            const { charge } = await batchOf(f, f.b.batchId);
            const removed =
              marginal(Svc.VoiceMO, VOICE_A + VOICE_B - 3n * VOICE, VOICE_B) +
              marginal(Svc.SmsMO, 2n * SMS, SMS) +
              marginal(Svc.VoLTE, VOLTE, VOLTE);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.b.header), Reject.Other);
            expect(await driftOf(f)).to.equal(removed - charge);
            expect(await driftOf(f)).to.equal(-6_000_000n);
            expect(await volumesOf(f)).to.deep.equal([VOICE, SMS, 2n * DATA, 0n]);
          });

          it("should keep the period's batches adding up to the exact result plus the drift", async () => {
            const f = await loadFixture(twoBatches);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            const [voice, sms, data, volte] = await volumesOf(f);
            const exact =
              rated(Svc.VoiceMO, voice) + rated(Svc.SmsMO, sms) + rated(Svc.Data, data) + rated(Svc.VoLTE, volte);
            expect((await batchOf(f, f.b.batchId)).charge).to.equal(exact + (await driftOf(f)));
          });

          it("should count the rejection against the visited network only", async () => {
            const f = await loadFixture(twoBatches);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            const vpmn = await f.clearing.operatorStats(f.vpmn);
            expect([vpmn.batchesRejected, vpmn.fraudProven, vpmn.enrolled]).to.deep.equal([1n, 0n, true]);
            expect((await f.clearing.operatorStats(f.hpmn)).batchesRejected).to.equal(0n);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.b.header), Reject.Other);
            expect((await f.clearing.operatorStats(f.vpmn)).batchesRejected).to.equal(2n);
          });

          it("should never let its charge or taxes reach the vault", async () => {
            const f = await loadFixture(twoBatches);
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other)).not.to.emit(
              f.vault,
              "ObligationApplied",
            );
            const { finalAt } = await batchOf(f, f.a.batchId);
            await time.increaseTo(finalAt);
            expect(await f.clearing.isFinal(f.a.batchId)).to.equal(false);
            await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.a.header)))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
              .withArgs(f.a.batchId, BatchStatus.Rejected, finalAt);
            expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(0n);
            expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(0n);
          });
        });

        describe("given records were disputed and proven fraudulent", () => {
          /** The running voice volume after each step, and what each step removes (model, SDK rating). */
          function expected() {
            const total = VOICE_A + VOICE_B;
            const disputed = marginal(Svc.VoiceMO, total, VOICE); // record 0
            const proven = marginal(Svc.VoiceMO, total - VOICE, VOICE); // record 6
            const chargeA = rated(Svc.VoiceMO, VOICE_A) + rated(Svc.SmsMO, SMS) + rated(Svc.Data, 2n * DATA);
            const remaining = chargeA - disputed - proven;
            // The rest of A (two voice records, the SMS, the data) leaves from what is left of the running volumes.
            const rest =
              marginal(Svc.VoiceMO, total - 2n * VOICE, VOICE_A - 2n * VOICE) +
              marginal(Svc.SmsMO, 2n * SMS, SMS) +
              marginal(Svc.Data, 2n * DATA, 2n * DATA);
            return { disputed, proven, remaining, drift: rest - remaining };
          }

          it("should need no list of them and emit BatchRejected with the charge and held part", async () => {
            const f = await loadFixture(challengedTwice);
            const e = expected();
            expect([e.disputed, e.proven]).to.deep.equal([8_000_000n, 18_000_000n]);
            expect(await batchOf(f, f.a.batchId)).to.include({ charge: e.remaining, held: e.disputed, disputed: 1n });
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.WrongRecipient))
              .to.emit(f.clearing, "BatchRejected")
              .withArgs(f.a.batchId, Reject.WrongRecipient, e.remaining, e.disputed);
            expect(await batchOf(f, f.a.batchId)).to.include({
              status: BatchStatus.Rejected,
              charge: 0n,
              held: 0n,
              disputed: 1n,
            });
          });

          it("should leave the other batch's volumes, without removing the challenged records twice", async () => {
            const f = await loadFixture(challengedTwice);
            expect(await volumesOf(f)).to.deep.equal([VOICE_A + VOICE_B - 2n * VOICE, 2n * SMS, 2n * DATA, VOLTE]);
            expect(await batchVolumesOf(f, f.a)).to.deep.equal([VOICE_A - 2n * VOICE, SMS, 2n * DATA, 0n]);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            expect(await volumesOf(f)).to.deep.equal([VOICE_B, SMS, 0n, VOLTE]);
            expect(await batchVolumesOf(f, f.a)).to.deep.equal([0n, 0n, 0n, 0n]);
            expect(await f.clearing.isRootUsed(f.agreementId, 0, f.a.header.root)).to.equal(true);
          });

          it("should not depend on a fraud proof mined just before it (the visited network front-running)", async () => {
            const f = await loadFixture(twoBatches);
            // The HPMN signs its rejection; the VPMN proves its own out-of-period record first.
            await f.clearing
              .connect(f.accounts.alice)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.a.header), proofOf(f.a, 6));
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other))
              .to.emit(f.clearing, "BatchRejected")
              .withArgs(f.a.batchId, Reject.Other, anyValue, 0);
            expect(await volumesOf(f)).to.deep.equal([VOICE_B, SMS, 0n, VOLTE]);
          });

          it("should record the drift of what is left: the marginal charge removed less the remaining charge", async () => {
            const f = await loadFixture(challengedTwice);
            const e = expected();
            expect(await driftOf(f)).to.equal(0n);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            expect(await driftOf(f)).to.equal(e.drift);
            expect(e.drift).to.equal(6_000_000n);
          });

          it("should count the rejection besides the fraud proven", async () => {
            const f = await loadFixture(challengedTwice);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            const stats = await f.clearing.operatorStats(f.vpmn);
            expect([stats.batchesRejected, stats.fraudProven]).to.deep.equal([1n, 1n]);
          });

          it("should drop the held part: nothing is left to resolve, nothing reaches the vault", async () => {
            const f = await loadFixture(challengedTwice);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            await expect(f.clearing.resolve(onChain(f.a.header), 1, "0x", "0x"))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
              .withArgs(f.a.batchId);
            const { finalAt } = await batchOf(f, f.a.batchId);
            await time.increaseTo(finalAt);
            await expect(f.clearing.finalize(onChain(f.a.header)))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
              .withArgs(f.a.batchId, BatchStatus.Rejected, finalAt);
            expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(0n);
          });

          // IUsageClearing.isChallenged: "Whether the record at `index` of `batchId` was disputed or proven."
          it("should still report the disputed and the proven record as challenged", async () => {
            const f = await loadFixture(challengedTwice);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
            expect(await f.clearing.isChallenged(f.a.batchId, 0)).to.equal(true);
            expect(await f.clearing.isChallenged(f.a.batchId, 6)).to.equal(true);
          });
        });

        describe("given a record of a service the base tariff does not cover was proven", () => {
          it("should remove the header's volumes whole (the proven record carried none)", async () => {
            const f = await loadFixture(deployClearingFixture);
            const batch = makeBatch(f, {
              sequence: 1,
              day: 0,
              records: [
                { service: Svc.VoiceMO, volume: VOICE },
                { service: Svc.SmsMT, volume: SMS },
                { service: Svc.Data, volume: DATA },
              ],
            });
            await submit(f, batch);
            await f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.ServiceNotCovered, onChain(batch.header), proofOf(batch, 1));
            const { charge } = await batchOf(f, batch.batchId);
            await expect(f.clearing.connect(f.accounts.bob).reject(...batchArgs(batch.header), Reject.Other))
              .to.emit(f.clearing, "BatchRejected")
              .withArgs(batch.batchId, Reject.Other, charge, 0);
            expect(await volumesOf(f)).to.deep.equal([0n, 0n, 0n, 0n]);
            expect(await driftOf(f)).to.equal(0n);
          });
        });

        describe("given the direction's condition is ContractRevenue with taxes", () => {
          it("should take the batch's included taxes out of the period's corrections", async () => {
            const f = await loadFixture(deployClearingFixture);
            const { agreementId, terms } = await agreementWithCondition(f, {
              kind: 1,
              includingTaxes: true,
              includedServices: (1 << Svc.VoiceMO) | (1 << Svc.Data),
              commitment: 1n,
            });
            const records = [
              { service: Svc.VoiceMO, volume: VOICE },
              { service: Svc.SmsMO, volume: SMS },
              { service: Svc.Data, volume: DATA },
            ];
            const taxes = { [Svc.VoiceMO]: 3n, [Svc.SmsMO]: 5n, [Svc.Data]: 7n };
            const first = makeBatch(f, { agreementId, sequence: 1, day: 0, records, taxes });
            const second = makeBatch(f, { agreementId, sequence: 2, day: 1, records, taxes });
            await submit(f, first, terms);
            await submit(f, second, terms);
            expect((await f.clearing.periodCorrections(agreementId, 0, 0)).includedTaxes).to.equal(20n);
            await f.clearing.connect(f.accounts.bob).reject(...batchArgs(first.header), Reject.Other);
            expect((await f.clearing.periodCorrections(agreementId, 0, 0)).includedTaxes).to.equal(10n);
          });
        });
      });
    });
  });
});
