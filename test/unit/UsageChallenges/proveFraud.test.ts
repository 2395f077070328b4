import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";

import {
  batchArgs,
  onChain,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  proofOf,
  Reject,
  UNIT,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  batchOf,
  dayBounds,
  DATA,
  driftOf,
  makeBatch,
  marginal,
  rated,
  SMS,
  submit,
  tampered,
  VOICE,
  volumesOf,
} from "./shared";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

/** A voice record whose volume is not a multiple of the 60 s increment. */
const ODD_VOICE = VOICE + 30n;
const TAXES = 3n * UNIT;

/** The records of the fraud batch, by file index. */
const R = {
  inside: 0,
  beforeStart: 1,
  atEnd: 2,
  atStart: 3,
  badIncrement: 4,
  sms: 5,
  smsMT: 6,
  iotAccess: 7,
  data: 8,
  lastSecond: 9,
} as const;

/**
 * One batch (sequence 1, day 0) of records that show, or just fail to show, each kind of fraud. Its totals count the
 * covered services only (voice 5 x 12,000 + 12,030 = 72,030 s, past the 60,000 s tier; one SMS; 500 KiB of data);
 * the SMS-MT and IoT-access records are in its tree only. 3 units of data taxes.
 */
async function fraudBatch(): Promise<ClearingFixture & { batch: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const [start, end] = dayBounds(f, 0);
  const batch = makeBatch(f, {
    sequence: 1,
    day: 0,
    records: [
      { service: Svc.VoiceMO, volume: VOICE },
      { service: Svc.VoiceMO, volume: VOICE, eventStart: start - 1n },
      { service: Svc.VoiceMO, volume: VOICE, eventStart: end },
      { service: Svc.VoiceMO, volume: VOICE, eventStart: start },
      { service: Svc.VoiceMO, volume: ODD_VOICE },
      { service: Svc.SmsMO, volume: SMS },
      { service: Svc.SmsMT, volume: 1n },
      { service: Svc.IoTAccess, volume: 1n },
      { service: Svc.Data, volume: DATA },
      { service: Svc.VoiceMO, volume: VOICE, eventStart: end - 1n },
    ],
    taxes: { [Svc.Data]: TAXES },
  });
  await submit(f, batch);
  return { ...f, batch };
}

const VOICE_TOTAL = 5n * VOICE + ODD_VOICE;

/**
 * Batch 1 (sequence 1): one 36,000 s voice record whose event starts before the batch period, and one SMS (charge
 * 30.01 units); batch 2 (sequence 2): 36,000 s of voice (charge R(72,000) - R(36,000) = 38 units). Removing batch 1's
 * voice from the top costs 38 units, more than its whole charge.
 */
async function cappedFraud(): Promise<ClearingFixture & { first: Batch; second: Batch }> {
  const f = await loadFixture(deployClearingFixture);
  const [start] = dayBounds(f, 0);
  const first = makeBatch(f, {
    sequence: 1,
    day: 0,
    records: [
      { service: Svc.VoiceMO, volume: 3n * VOICE, eventStart: start - 3600n },
      { service: Svc.SmsMO, volume: SMS },
    ],
  });
  const second = makeBatch(f, {
    sequence: 2,
    day: 1,
    records: [VOICE, VOICE, VOICE].map((volume) => ({ service: Svc.VoiceMO, volume })),
  });
  await submit(f, first);
  await submit(f, second);
  return { ...f, first, second };
}

describe("UsageClearing.proveFraud", () => {
  describe("when the kind is not one proveFraud judges", () => {
    it("should revert for None and Duplicate, before looking at the batch", async () => {
      const f = await loadFixture(fraudBatch);
      const unknown = { ...f.batch.header, fileHash: ethers.id("never submitted") };
      for (const kind of [Fraud.None, Fraud.Duplicate]) {
        for (const header of [f.batch.header, unknown]) {
          await expect(
            f.clearing.connect(f.accounts.eve).proveFraud(kind, onChain(header), proofOf(f.batch, R.beforeStart)),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidFraudKind")
            .withArgs(kind);
        }
      }
    });
  });

  describe("when the batch is unknown", () => {
    it("should revert", async () => {
      const f = await loadFixture(fraudBatch);
      const header = { ...f.batch.header, fileHash: ethers.id("never submitted") };
      await expect(
        f.clearing
          .connect(f.accounts.eve)
          .proveFraud(Fraud.OutsidePeriod, onChain(header), proofOf(f.batch, R.beforeStart)),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(await f.clearing.hashBatchHeader(onChain(header)));
    });
  });

  describe("when the batch's window is closed", () => {
    it("should revert at finalAt exactly (final by time)", async () => {
      const f = await loadFixture(fraudBatch);
      const { finalAt } = await batchOf(f, f.batch.batchId);
      await time.setNextBlockTimestamp(finalAt);
      await expect(
        f.clearing
          .connect(f.accounts.eve)
          .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart)),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Pending, finalAt);
    });

    it("should revert once the batch was accepted", async () => {
      const f = await loadFixture(fraudBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      await expect(
        f.clearing
          .connect(f.accounts.eve)
          .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart)),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Accepted, (await batchOf(f, f.batch.batchId)).finalAt);
    });

    it("should revert once the batch was rejected", async () => {
      const f = await loadFixture(fraudBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      await expect(
        f.clearing
          .connect(f.accounts.eve)
          .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart)),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Rejected, (await batchOf(f, f.batch.batchId)).finalAt);
    });
  });

  describe("when the batch is pending inside its window", () => {
    describe("when the proof is invalid", () => {
      it("should revert for a leaf that is not the batch's", async () => {
        const f = await loadFixture(fraudBatch);
        const { leaf, proof } = proofOf(f.batch, R.beforeStart);
        await expect(
          f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), { leaf: tampered(leaf), proof }),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
          .withArgs(f.batch.batchId);
      });

      it("should revert for a leaf with another leaf's proof", async () => {
        const f = await loadFixture(fraudBatch);
        const { leaf } = proofOf(f.batch, R.beforeStart);
        const { proof } = proofOf(f.batch, R.inside);
        await expect(
          f.clearing.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), { leaf, proof }),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
          .withArgs(f.batch.batchId);
      });
    });

    describe("when the leaf does not show the kind", () => {
      it("should revert OutsidePeriod for events at periodStart and at periodEnd - 1 (inside)", async () => {
        const f = await loadFixture(fraudBatch);
        for (const index of [R.atStart, R.lastSecond, R.inside]) {
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, index)),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFraud")
            .withArgs(Fraud.OutsidePeriod);
        }
      });

      it("should revert BadIncrement for volumes that are multiples of the increment, and uncovered services", async () => {
        const f = await loadFixture(fraudBatch);
        for (const index of [R.inside, R.sms, R.data, R.smsMT]) {
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.BadIncrement, onChain(f.batch.header), proofOf(f.batch, index)),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFraud")
            .withArgs(Fraud.BadIncrement);
        }
      });

      it("should revert ServiceNotCovered for services of the base tariff", async () => {
        const f = await loadFixture(fraudBatch);
        for (const index of [R.inside, R.sms, R.data]) {
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.ServiceNotCovered, onChain(f.batch.header), proofOf(f.batch, index)),
          )
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFraud")
            .withArgs(Fraud.ServiceNotCovered);
        }
      });
    });

    describe("when the record was challenged before", () => {
      it("should revert for a record proven before", async () => {
        const f = await loadFixture(fraudBatch);
        const record = proofOf(f.batch, R.beforeStart);
        await f.clearing.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), record);
        await expect(
          f.clearing.connect(f.accounts.carol).proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), record),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
          .withArgs(f.batch.batchId, R.beforeStart);
      });

      it("should revert for a record disputed before", async () => {
        const f = await loadFixture(fraudBatch);
        await f.clearing
          .connect(f.accounts.bob)
          .dispute(onChain(f.batch.header), multiProofOf(f.batch, [R.badIncrement]), [Code.Other]);
        await expect(
          f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.BadIncrement, onChain(f.batch.header), proofOf(f.batch, R.badIncrement)),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
          .withArgs(f.batch.batchId, R.badIncrement);
      });
    });

    describe("when the leaf shows the kind", () => {
      describe("given OutsidePeriod", () => {
        it("should prove an event starting before periodStart", async () => {
          const f = await loadFixture(fraudBatch);
          const amount = marginal(Svc.VoiceMO, VOICE_TOTAL, VOICE);
          // R(72,030) - R(60,030) = 68.02 - 60.02 units.
          expect(amount).to.equal(8_000_000n);
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart)),
          )
            .to.emit(f.clearing, "FraudProven")
            .withArgs(
              f.batch.batchId,
              f.batch.leaves[R.beforeStart].recordId,
              f.accounts.eve.address,
              R.beforeStart,
              Fraud.OutsidePeriod,
              amount,
            );
        });

        it("should prove an event starting at periodEnd (the end is exclusive)", async () => {
          const f = await loadFixture(fraudBatch);
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.atEnd)),
          )
            .to.emit(f.clearing, "FraudProven")
            .withArgs(
              f.batch.batchId,
              f.batch.leaves[R.atEnd].recordId,
              f.accounts.eve.address,
              R.atEnd,
              Fraud.OutsidePeriod,
              marginal(Svc.VoiceMO, VOICE_TOTAL, VOICE),
            );
        });
      });

      describe("given BadIncrement", () => {
        it("should prove a volume that is not a multiple of the increment", async () => {
          const f = await loadFixture(fraudBatch);
          const amount = marginal(Svc.VoiceMO, VOICE_TOTAL, ODD_VOICE);
          // R(72,030) - R(60,000) = 68.02 - 50 units.
          expect(amount).to.equal(18_020_000n);
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.BadIncrement, onChain(f.batch.header), proofOf(f.batch, R.badIncrement)),
          )
            .to.emit(f.clearing, "FraudProven")
            .withArgs(
              f.batch.batchId,
              f.batch.leaves[R.badIncrement].recordId,
              f.accounts.eve.address,
              R.badIncrement,
              Fraud.BadIncrement,
              amount,
            );
          expect(await volumesOf(f)).to.deep.equal([VOICE_TOTAL - ODD_VOICE, SMS, DATA, 0n]);
        });
      });

      describe("given ServiceNotCovered", () => {
        it("should prove an SMS-MT and an IoT-access record, removing nothing from the charge or the volumes", async () => {
          const f = await loadFixture(fraudBatch);
          const before = await batchOf(f, f.batch.batchId);
          const volumes = await volumesOf(f);
          for (const [n, index] of [R.smsMT, R.iotAccess].entries()) {
            await expect(
              f.clearing
                .connect(f.accounts.eve)
                .proveFraud(Fraud.ServiceNotCovered, onChain(f.batch.header), proofOf(f.batch, index)),
            )
              .to.emit(f.clearing, "FraudProven")
              .withArgs(
                f.batch.batchId,
                f.batch.leaves[index].recordId,
                f.accounts.eve.address,
                index,
                Fraud.ServiceNotCovered,
                0,
              );
            expect(await batchOf(f, f.batch.batchId)).to.deep.equal(before);
            expect((await f.clearing.operatorStats(f.vpmn)).fraudProven).to.equal(BigInt(n + 1));
          }
          expect(await volumesOf(f)).to.deep.equal(volumes);
          expect(await driftOf(f)).to.equal(0n);
        });
      });

      describe("given any prover", () => {
        it("should accept a proof from an attacker, another member, either party's admin and the VPMN's key", async () => {
          const { eve, carol, alice, bob, aliceSigner } = (await loadFixture(fraudBatch)).accounts;
          for (const who of [eve, carol, alice, bob, aliceSigner]) {
            const f = await loadFixture(fraudBatch);
            await expect(
              f.clearing
                .connect(who)
                .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart)),
            )
              .to.emit(f.clearing, "FraudProven")
              .withArgs(
                f.batch.batchId,
                f.batch.leaves[R.beforeStart].recordId,
                who.address,
                R.beforeStart,
                2,
                8_000_000n,
              );
          }
        });
      });

      describe("given proofs in sequence", () => {
        it("should reduce the charge exactly by each marginal, lower the volumes and count each against the VPMN", async () => {
          const f = await loadFixture(fraudBatch);
          const before = await batchOf(f, f.batch.batchId);
          expect(before.charge).to.equal(
            rated(Svc.VoiceMO, VOICE_TOTAL) + rated(Svc.SmsMO, SMS) + rated(Svc.Data, DATA),
          );
          let voice = VOICE_TOTAL;
          let charge = before.charge;
          const steps = [
            [Fraud.OutsidePeriod, R.beforeStart],
            [Fraud.BadIncrement, R.badIncrement],
            [Fraud.OutsidePeriod, R.atEnd],
          ] as const;
          for (const [kind, index] of steps) {
            const { leaf } = proofOf(f.batch, index);
            const amount = marginal(Svc.VoiceMO, voice, leaf.chargedVolume);
            await f.clearing.connect(f.accounts.eve).proveFraud(kind, onChain(f.batch.header), proofOf(f.batch, index));
            voice -= leaf.chargedVolume;
            charge -= amount;
            expect(await batchOf(f, f.batch.batchId)).to.deep.equal({
              ...before,
              charge,
              disputed: 0n,
            });
            expect(await volumesOf(f)).to.deep.equal([voice, SMS, DATA, 0n]);
            expect(await f.clearing.isChallenged(f.batch.batchId, index)).to.equal(true);
          }
          const stats = await f.clearing.operatorStats(f.vpmn);
          expect([stats.fraudProven, stats.batchesRejected]).to.deep.equal([3n, 0n]);
          expect((await f.clearing.operatorStats(f.hpmn)).fraudProven).to.equal(0n);
          // Nothing is held: a proof removes the charge for good.
          expect((await batchOf(f, f.batch.batchId)).held).to.equal(0n);
          expect(await driftOf(f)).to.equal(0n);
        });
      });

      describe("given the marginal exceeds what is left of the batch's charge", () => {
        it("should remove the whole charge and add the excess to the period's drift", async () => {
          const f = await loadFixture(cappedFraud);
          const { charge } = await batchOf(f, f.first.batchId);
          expect(charge).to.equal(30_010_000n);
          const m = marginal(Svc.VoiceMO, 6n * VOICE, 3n * VOICE);
          expect(m).to.equal(38_000_000n);
          await expect(
            f.clearing
              .connect(f.accounts.eve)
              .proveFraud(Fraud.OutsidePeriod, onChain(f.first.header), proofOf(f.first, 0)),
          )
            .to.emit(f.clearing, "FraudProven")
            .withArgs(
              f.first.batchId,
              f.first.leaves[0].recordId,
              f.accounts.eve.address,
              0,
              Fraud.OutsidePeriod,
              charge,
            );
          expect(await batchOf(f, f.first.batchId)).to.include({ charge: 0n, held: 0n, disputed: 0n });
          expect(await driftOf(f)).to.equal(m - charge);
          expect(await volumesOf(f)).to.deep.equal([3n * VOICE, SMS, 0n, 0n]);
        });

        it("should record nothing in the vault when the batch is finalized", async () => {
          const f = await loadFixture(cappedFraud);
          await f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.OutsidePeriod, onChain(f.first.header), proofOf(f.first, 0));
          await time.increaseTo((await batchOf(f, f.first.batchId)).finalAt);
          const tx = f.clearing.finalize(onChain(f.first.header));
          await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.first.batchId, 0, false);
          await expect(tx).not.to.emit(f.vault, "ObligationApplied");
        });

        // Taxes are declared per service and batch, not per record: they are paid on top of the charge ("charge
        // plus taxes", IUsageClearing.finalize) even when every charged record was proven fraudulent.
        it("should still record the batch's declared taxes when every charged record was proven", async () => {
          const f = await loadFixture(deployClearingFixture);
          const [start] = dayBounds(f, 0);
          const batch = makeBatch(f, {
            sequence: 1,
            day: 0,
            records: [{ service: Svc.VoiceMO, volume: VOICE, eventStart: start - 1n }],
            taxes: { [Svc.VoiceMO]: TAXES },
          });
          await submit(f, batch);
          await f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.OutsidePeriod, onChain(batch.header), proofOf(batch, 0));
          expect((await batchOf(f, batch.batchId)).charge).to.equal(0n);
          await time.increaseTo((await batchOf(f, batch.batchId)).finalAt);
          const tx = f.clearing.finalize(onChain(batch.header));
          await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(batch.batchId, TAXES, false);
          await expect(tx)
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.hpmn, f.vpmn, anyValue, TAXES, batch.batchId);
        });
      });

      describe("given the window then ends", () => {
        it("should finalize the charge without the proven records (plus the batch's taxes): proven fraud never reaches the vault", async () => {
          const f = await loadFixture(fraudBatch);
          await f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.OutsidePeriod, onChain(f.batch.header), proofOf(f.batch, R.beforeStart));
          await f.clearing
            .connect(f.accounts.eve)
            .proveFraud(Fraud.BadIncrement, onChain(f.batch.header), proofOf(f.batch, R.badIncrement));
          const remaining = VOICE_TOTAL - VOICE - ODD_VOICE;
          // Exactly what the records left would have been charged had they been alone in the period.
          const charge = rated(Svc.VoiceMO, remaining) + rated(Svc.SmsMO, SMS) + rated(Svc.Data, DATA);
          expect((await batchOf(f, f.batch.batchId)).charge).to.equal(charge);
          await time.increaseTo((await batchOf(f, f.batch.batchId)).finalAt);
          const { cycle } = await f.vault.tokenConfig(f.token);
          const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
          await expect(tx)
            .to.emit(f.clearing, "BatchFinalized")
            .withArgs(f.batch.batchId, charge + TAXES, false);
          await expect(tx)
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.hpmn, f.vpmn, cycle, charge + TAXES, f.batch.batchId);
          expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(charge + TAXES);
          expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(-(charge + TAXES));
        });
      });
    });
  });
});
