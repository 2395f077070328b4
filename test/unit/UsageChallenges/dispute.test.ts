import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { RecordLeaf } from "../../../sdk/src/merkle/leaf";
import {
  batchArgs,
  onChain,
  buildBatch,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  NO_RECORDS,
  proofOf,
  Reject,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  A_TAXES,
  batchOf,
  batchVolumesOf,
  dayBounds,
  setDisputed,
  DATA,
  driftOf,
  makeBatch,
  marginal,
  multiProofOfValues,
  SMS,
  submit,
  tampered,
  twoBatches,
  VOICE,
  VOLTE,
  volumesOf,
  type RecordSpec,
} from "./shared";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

const MAX = 256;

/** One batch of 257 SMS records; the last one's event starts before the batch period (OutsidePeriod). */
async function manyRecords(): Promise<ClearingFixture & { batch: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const [start] = dayBounds(f, 0);
  const records: RecordSpec[] = Array.from({ length: MAX + 1 }, (_, i) =>
    i === MAX ? { service: Svc.SmsMO, volume: SMS, eventStart: start - 60n } : { service: Svc.SmsMO, volume: SMS },
  );
  const batch = makeBatch(f, { sequence: 1, day: 0, records });
  await submit(f, batch);
  return { ...f, batch };
}

/**
 * The review's attack on the home network's dispute budget: a batch whose first 257 records are zero-volume SMS outside
 * the batch period (which the visited network proves itself), then 200 real SMS records.
 */
async function manyRecordsOutside(): Promise<ClearingFixture & { batch: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const [start] = dayBounds(f, 0);
  const records: RecordSpec[] = Array.from({ length: 457 }, (_, i) =>
    i < 257 ? { service: Svc.SmsMO, volume: 0n, eventStart: start - 60n } : { service: Svc.SmsMO, volume: SMS },
  );
  const batch = makeBatch(f, { sequence: 1, day: 0, records });
  await submit(f, batch);
  return { ...f, batch };
}

/**
 * Batch 1 (sequence 1): three voice records of 12,000 s (charge R(36,000) = 30 units); batch 2 (sequence 2): the same
 * (charge R(72,000) - R(36,000) = 38 units). Removing batch 1's records from the top of the running volume costs
 * 18 + 10 + 10 = 38 units, more than its 30: the last removal is capped.
 */
async function cappedBatches(): Promise<ClearingFixture & { first: Batch; second: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const records = [VOICE, VOICE, VOICE].map((volume) => ({ service: Svc.VoiceMO, volume }));
  const first = makeBatch(f, { sequence: 1, day: 0, records });
  const second = makeBatch(f, { sequence: 2, day: 1, records });
  await submit(f, first);
  await submit(f, second);
  return { ...f, first, second };
}

/** A malformed file: record 0 twice (the same leaf value at two tree positions), then record 1. */
async function repeatedLeaf(): Promise<ClearingFixture & { batch: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const [start, end] = dayBounds(f, 0);
  const { leaves } = makeBatch(f, {
    sequence: 1,
    day: 0,
    records: [
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.SmsMO, volume: SMS },
    ],
  });
  const batch = buildBatch({
    agreementId: f.agreementId,
    sequence: 1,
    periodStart: start,
    periodEnd: end,
    leaves: [leaves[0], leaves[1], leaves[0]],
  });
  await submit(f, batch);
  return { ...f, batch };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The RecordDisputed amounts of disputing `leaves` in order (model: running volumes, marginal charge, cap). */
function disputedAmounts(
  leaves: readonly RecordLeaf[],
  running: Record<number, bigint>,
  charge: bigint,
): { amounts: bigint[]; charge: bigint; held: bigint; drift: bigint; running: Record<number, bigint> } {
  const volumes = { ...running };
  let held = 0n;
  let drift = 0n;
  const amounts = leaves.map((leaf) => {
    const m = marginal(leaf.service, volumes[leaf.service], leaf.chargedVolume);
    volumes[leaf.service] -= leaf.chargedVolume < volumes[leaf.service] ? leaf.chargedVolume : volumes[leaf.service];
    const amount = m < charge ? m : charge;
    charge -= amount;
    held += amount;
    drift += m - amount;
    return amount;
  });
  return { amounts, charge, held, drift, running: volumes };
}

const RUNNING = { [Svc.VoiceMO]: 7n * VOICE, [Svc.SmsMO]: 2n * SMS, [Svc.Data]: 2n * DATA, [Svc.VoLTE]: VOLTE };

describe("UsageClearing.dispute", () => {
  describe("when the batch is unknown", () => {
    it("should revert", async () => {
      const f = await loadFixture(twoBatches);
      const header = { ...f.a.header, fileHash: ethers.id("never submitted") };
      await expect(f.clearing.connect(f.accounts.bob).dispute(onChain(header), multiProofOf(f.a, [0]), [Code.Other]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(await f.clearing.hashBatchHeader(onChain(header)));
    });
  });

  describe("when the batch's window is closed", () => {
    it("should revert at finalAt exactly", async () => {
      const f = await loadFixture(twoBatches);
      const { finalAt } = await batchOf(f, f.a.batchId);
      await time.setNextBlockTimestamp(finalAt);
      await expect(
        f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.a.batchId, BatchStatus.Pending, finalAt);
    });

    it("should revert once the batch was accepted", async () => {
      const f = await loadFixture(twoBatches);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.a.header));
      await expect(
        f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.a.batchId, BatchStatus.Accepted, (await batchOf(f, f.a.batchId)).finalAt);
    });

    it("should revert once the batch was rejected", async () => {
      const f = await loadFixture(twoBatches);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.a.header), Reject.Other);
      await expect(
        f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.a.batchId, BatchStatus.Rejected, (await batchOf(f, f.a.batchId)).finalAt);
    });
  });

  describe("when the batch is pending inside its window", () => {
    describe("when the caller is not an account of the home network", () => {
      it("should revert for an attacker, another member's admin and the visited network's own accounts", async () => {
        const f = await loadFixture(twoBatches);
        const { eve, carol, alice, aliceSigner } = f.accounts;
        for (const who of [eve, carol, alice, aliceSigner]) {
          await expect(f.clearing.connect(who).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
            .withArgs(f.hpmn, who.address);
        }
      });
    });

    describe("when the caller is the home network's admin or an active signer key", () => {
      describe("when the codes are not one per record", () => {
        it("should revert for no record and no code", async () => {
          const f = await loadFixture(twoBatches);
          await expect(f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), NO_RECORDS, []))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_LengthMismatch")
            .withArgs(0, 0);
        });

        it("should revert for fewer or more codes than records", async () => {
          const f = await loadFixture(twoBatches);
          const two = multiProofOf(f.a, [0, 1]);
          for (const codes of [[], [Code.Other], [Code.Other, Code.Other, Code.Other]]) {
            await expect(f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), two, codes))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_LengthMismatch")
              .withArgs(2, codes.length);
          }
        });
      });

      describe("when a code is not a dispute code", () => {
        it("should revert for 0, 9, 13, 18, 20, a fatal code and 255", async () => {
          const f = await loadFixture(twoBatches);
          for (const code of [0, 9, 13, 18, 20, Reject.FileUnreadable, 255]) {
            await expect(
              f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [code]),
            )
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidReasonCode")
              .withArgs(code);
          }
        });

        it("should revert when only a later record's code is invalid, leaving the batch as it was", async () => {
          const f = await loadFixture(twoBatches);
          const before = await batchOf(f, f.a.batchId);
          await expect(
            f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.a.header), multiProofOf(f.a, [0, 1]), [Code.Other, 42]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidReasonCode")
            .withArgs(42);
          expect(await batchOf(f, f.a.batchId)).to.deep.equal(before);
          expect(await f.clearing.isChallenged(f.a.batchId, 0)).to.equal(false);
        });
      });

      describe("when the batch would have more than MAX_DISPUTES disputed records", () => {
        it("should expose the bound: what Batch.disputed (uint16) can count", async () => {
          const f = await loadFixture(twoBatches);
          expect(await f.clearing.MAX_DISPUTES()).to.equal(65_535n);
        });

        it("should revert once the disputes would pass the bound, and allow reaching it", async () => {
          const f = await loadFixture(manyRecords);
          await setDisputed(f, f.batch.batchId, 65_534n);
          const two = multiProofOf(f.batch, [0, 1]);
          await expect(
            f.clearing.connect(f.accounts.bob).dispute(onChain(f.batch.header), two, [Code.Other, Code.Other]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TooManyDisputes")
            .withArgs(f.batch.batchId, 65_536n, 65_535n);
          await f.clearing
            .connect(f.accounts.bob)
            .dispute(onChain(f.batch.header), multiProofOf(f.batch, [0]), [Code.Other]);
          expect((await batchOf(f, f.batch.batchId)).disputed).to.equal(65_535n);
          await expect(
            f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.batch.header), multiProofOf(f.batch, [1]), [Code.Other]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_TooManyDisputes")
            .withArgs(f.batch.batchId, 65_536n, 65_535n);
        });

        it("should let a fraud proof through at the bound: proofs are not disputes", async () => {
          const f = await loadFixture(manyRecords);
          await setDisputed(f, f.batch.batchId, 65_535n);
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, MAX)),
          ).to.emit(f.clearing, "FraudProven");
          expect((await batchOf(f, f.batch.batchId)).disputed).to.equal(65_535n);
        });
      });

      describe("when anyone proved records of the batch before (the review's budget attack)", () => {
        it("should leave every dispute to the home network: 257 records proven, then 200 disputed", async () => {
          const f = await loadFixture(manyRecordsOutside);
          for (let i = 0; i < 257; i++) {
            await f.clearing
              .connect(f.accounts.alice)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, i));
          }
          expect((await batchOf(f, f.batch.batchId)).disputed).to.equal(0n);
          const list = multiProofOf(f.batch, range(257, 457));
          await f.clearing.connect(f.accounts.bob).dispute(
            onChain(f.batch.header),
            list,
            list.leaves.map(() => Code.UnknownSubscriber),
          );
          expect((await batchOf(f, f.batch.batchId)).disputed).to.equal(200n);
        });
      });

      describe("when the multi-proof is invalid", () => {
        it("should revert for a leaf that is not the batch's", async () => {
          const f = await loadFixture(twoBatches);
          const list = multiProofOf(f.a, [0]);
          const forged = { ...list, leaves: [tampered(list.leaves[0])] };
          await expect(f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), forged, [Code.Other]))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
            .withArgs(f.a.batchId);
        });

        it("should revert for another batch's leaf", async () => {
          const f = await loadFixture(twoBatches);
          await expect(
            f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.b, [0]), [Code.Other]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
            .withArgs(f.a.batchId);
        });
      });

      describe("when a record was challenged before", () => {
        it("should revert for a record disputed before", async () => {
          const f = await loadFixture(twoBatches);
          await f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]);
          await expect(
            f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.a.header), multiProofOf(f.a, [0, 1]), [Code.Other, Code.Other]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
            .withArgs(f.a.batchId, 0);
        });

        it("should revert for a record proven fraudulent before", async () => {
          const f = await loadFixture(twoBatches);
          await f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.OutsidePeriod, onChain(f.a.header), proofOf(f.a, 6));
          await expect(
            f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [6]), [Code.Other]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
            .withArgs(f.a.batchId, 6);
        });

        it("should revert for the same record listed twice in one call", async () => {
          const f = await loadFixture(repeatedLeaf);
          const list = multiProofOfValues(f.batch.tree, [0, 2]);
          await expect(
            f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.batch.header), list, [Code.DuplicateEvent, Code.DuplicateEvent]),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
            .withArgs(f.batch.batchId, 0);
        });
      });

      describe("when every record is valid, new and within the bound", () => {
        it("should accept each dispute code, from the admin or an active signer key", async () => {
          for (const code of [Code.UnknownSubscriber, Code.DuplicateEvent, Code.ImpossibleSequence, Code.Other]) {
            for (const who of ["bob", "bobSigner"] as const) {
              const f = await loadFixture(twoBatches);
              await expect(
                f.clearing.connect(f.accounts[who]).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [code]),
              )
                .to.emit(f.clearing, "RecordDisputed")
                .withArgs(f.a.batchId, f.a.leaves[0].recordId, 0, code, 8_000_000n);
            }
          }
        });

        it("should move one record's marginal charge from the charge to the held part", async () => {
          const f = await loadFixture(twoBatches);
          const before = await batchOf(f, f.a.batchId);
          // Voice runs at 84,000 s: removing 12,000 s costs R(84,000) - R(72,000) = 76 - 68 units.
          const amount = marginal(Svc.VoiceMO, RUNNING[Svc.VoiceMO], VOICE);
          expect(amount).to.equal(8_000_000n);
          await expect(
            f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.UnknownSubscriber]),
          )
            .to.emit(f.clearing, "RecordDisputed")
            .withArgs(f.a.batchId, f.a.leaves[0].recordId, 0, Code.UnknownSubscriber, amount);
          expect(await batchOf(f, f.a.batchId)).to.deep.equal({
            ...before,
            charge: before.charge - amount,
            held: amount,
            disputed: 1n,
          });
          expect(await f.clearing.isChallenged(f.a.batchId, 0)).to.equal(true);
          expect(await f.clearing.isChallenged(f.a.batchId, 1)).to.equal(false);
          expect(await f.clearing.isFinal(f.a.batchId)).to.equal(false);
        });

        it("should take the records out of the period's volumes", async () => {
          const f = await loadFixture(twoBatches);
          await f.clearing
            .connect(f.accounts.bob)
            .dispute(onChain(f.a.header), multiProofOf(f.a, [0, 3, 4]), [Code.Other, Code.Other, Code.Other]);
          expect(await volumesOf(f)).to.deep.equal([7n * VOICE - VOICE, SMS, DATA, VOLTE]);
        });

        it("should emit RecordDisputed per record with its marginal charge, in the multi-proof's order", async () => {
          const f = await loadFixture(twoBatches);
          const before = await batchOf(f, f.a.batchId);
          const list = multiProofOf(f.a, [0, 1, 2, 3, 4]);
          const codes = [Code.UnknownSubscriber, Code.DuplicateEvent, Code.ImpossibleSequence, Code.Other, Code.Other];
          const model = disputedAmounts(list.leaves, RUNNING, before.charge);
          const tx = f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), list, codes);
          for (const [i, leaf] of list.leaves.entries()) {
            await expect(tx)
              .to.emit(f.clearing, "RecordDisputed")
              .withArgs(f.a.batchId, leaf.recordId, leaf.index, codes[i], model.amounts[i]);
          }
          const receipt = await (await tx).wait();
          const events = receipt!.logs.filter((l) => l.address === f.clearingAddress);
          expect(events).to.have.length(5);
          expect(await batchOf(f, f.a.batchId)).to.deep.equal({
            ...before,
            charge: model.charge,
            held: model.held,
            disputed: 5n,
          });
          // No cap was reached: the three voice records cost 8 + 18 + 10 units, less than A's 40 of voice.
          expect(model.drift).to.equal(0n);
          expect(await driftOf(f)).to.equal(0n);
        });

        it("should add to the held part and the count of a batch disputed again", async () => {
          const f = await loadFixture(twoBatches);
          await f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]);
          await f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [1]), [Code.Other]);
          const second = marginal(Svc.VoiceMO, RUNNING[Svc.VoiceMO] - VOICE, VOICE);
          expect(await batchOf(f, f.a.batchId)).to.include({ held: 8_000_000n + second, disputed: 2n });
        });

        it("should leave the vault untouched, and finalize only the undisputed charge with the taxes", async () => {
          const f = await loadFixture(twoBatches);
          await expect(
            f.clearing.connect(f.accounts.bob).dispute(onChain(f.a.header), multiProofOf(f.a, [0]), [Code.Other]),
          ).not.to.emit(f.vault, "ObligationApplied");
          const { charge, held, finalAt } = await batchOf(f, f.a.batchId);
          await time.increaseTo(finalAt);
          await expect(f.clearing.finalize(onChain(f.a.header)))
            .to.emit(f.clearing, "BatchFinalized")
            .withArgs(f.a.batchId, charge + A_TAXES, false);
          expect(await batchOf(f, f.a.batchId)).to.include({ status: BatchStatus.Final, held });
        });

        describe("given a batch of direction 1 in the agreement's second period", () => {
          it("should take the home network and the period from the agreement's clearing records", async () => {
            const f = await loadFixture(deployClearingFixture);
            const records = [VOICE, VOICE].map((volume) => ({ service: Svc.VoiceMO, volume }));
            const first = makeBatch(f, { direction: 1, sequence: 1, day: 0, records });
            await submit(f, first);
            await time.increaseTo(dayBounds(f, 32)[1]);
            const later = makeBatch(f, { direction: 1, sequence: 2, day: 31, records });
            await submit(f, later);
            expect(await volumesOf(f, 1, 1)).to.deep.equal([2n * VOICE, 0n, 0n, 0n]);
            // Party A (alpha) is the home network of direction 1: bob may not dispute, alice may.
            await expect(
              f.clearing.connect(f.accounts.bob).dispute(onChain(later.header), multiProofOf(later, [0]), [Code.Other]),
            )
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
              .withArgs(f.alpha, f.accounts.bob.address);
            await expect(
              f.clearing
                .connect(f.accounts.alice)
                .dispute(onChain(later.header), multiProofOf(later, [0]), [Code.Other]),
            )
              .to.emit(f.clearing, "RecordDisputed")
              .withArgs(
                later.batchId,
                later.leaves[0].recordId,
                0,
                Code.Other,
                marginal(Svc.VoiceMO, 2n * VOICE, VOICE),
              );
            expect(await volumesOf(f, 1, 1)).to.deep.equal([VOICE, 0n, 0n, 0n]);
            expect(await volumesOf(f, 1, 0)).to.deep.equal([2n * VOICE, 0n, 0n, 0n]);
            expect(await volumesOf(f, 0, 1)).to.deep.equal([0n, 0n, 0n, 0n]);
          });
        });

        describe("given a record's marginal charge exceeds what is left of the batch's charge", () => {
          it("should hold only what is left and add the excess to the period's drift", async () => {
            const f = await loadFixture(cappedBatches);
            const before = await batchOf(f, f.first.batchId);
            expect(before.charge).to.equal(30_000_000n);
            const list = multiProofOf(f.first, [0, 1, 2]);
            const model = disputedAmounts(list.leaves, { [Svc.VoiceMO]: 6n * VOICE }, before.charge);
            expect(model.amounts).to.deep.equal([18_000_000n, 10_000_000n, 2_000_000n]);
            const tx = f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.first.header), list, [Code.Other, Code.Other, Code.Other]);
            for (const [i, leaf] of list.leaves.entries()) {
              await expect(tx)
                .to.emit(f.clearing, "RecordDisputed")
                .withArgs(f.first.batchId, leaf.recordId, leaf.index, Code.Other, model.amounts[i]);
            }
            expect(await batchOf(f, f.first.batchId)).to.include({ charge: 0n, held: 30_000_000n, disputed: 3n });
            expect(await driftOf(f)).to.equal(8_000_000n);
            expect(await volumesOf(f)).to.deep.equal([3n * VOICE, 0n, 0n, 0n]);
          });

          it("should cap a record of a later call at what is left of the charge", async () => {
            const f = await loadFixture(cappedBatches);
            await f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.first.header), multiProofOf(f.first, [0, 1]), [Code.Other, Code.Other]);
            // 18 + 10 held, 2 units left: the third record (10 units) holds 2, then the charge is 0.
            await expect(
              f.clearing
                .connect(f.accounts.bob)
                .dispute(onChain(f.first.header), multiProofOf(f.first, [2]), [Code.Other]),
            )
              .to.emit(f.clearing, "RecordDisputed")
              .withArgs(f.first.batchId, f.first.leaves[2].recordId, 2, Code.Other, 2_000_000n);
            expect(await driftOf(f)).to.equal(8_000_000n);
          });
        });

        describe("given a record of a service its batch's totals left out (volume the batch never added)", () => {
          it("should remove nothing of the period's volume, which other batches added", async () => {
            const f = await loadFixture(twoBatches);
            // Batch C's file holds a voice and a VoLTE record; its header declares only the voice.
            const [start, end] = dayBounds(f, 1);
            const full = makeBatch(f, {
              sequence: 3,
              day: 1,
              records: [
                { service: Svc.VoiceMO, volume: VOICE },
                { service: Svc.VoLTE, volume: VOLTE },
              ],
            });
            const declared = buildBatch({
              agreementId: f.agreementId,
              sequence: 3,
              periodStart: start,
              periodEnd: end,
              leaves: [full.leaves[0]],
            });
            const batch = { ...full, header: { ...declared.header, root: full.tree.root } };
            batch.batchId = await f.clearing.hashBatchHeader(onChain(batch.header));
            await submit(f, batch);
            const volumes = await volumesOf(f);
            expect(volumes[3]).to.equal(VOLTE); // batch B's VoLTE
            await expect(
              f.clearing.connect(f.accounts.bob).dispute(onChain(batch.header), multiProofOf(batch, [1]), [Code.Other]),
            )
              .to.emit(f.clearing, "RecordDisputed")
              .withArgs(batch.batchId, batch.leaves[1].recordId, 1, Code.Other, 0);
            expect(await volumesOf(f)).to.deep.equal(volumes);
            expect(await batchVolumesOf(f, batch)).to.deep.equal([VOICE, 0n, 0n, 0n]);
            expect(end).to.be.greaterThan(start);
          });
        });
      });
    });
  });
});
