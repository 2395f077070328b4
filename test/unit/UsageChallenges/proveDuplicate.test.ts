import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { iotTariff } from "../../helpers/agreements";
import {
  batchArgs,
  onChain,
  agreementWithTariff,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  proofOf,
  Reject,
  type Batch,
  type ClearingFixture,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import { BatchStatus, batchOf, driftOf, makeBatch, marginal, SMS, submit, tampered, VOICE, volumesOf } from "./shared";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURES
//////////////////////////////////////////////////////////////////////////*/

/** Record ids: X is billed in batch 1, again in batch 2 and on the other direction; Z twice within batch 2. */
const X = ethers.id("event X");
const Y = ethers.id("event Y");
const Z = ethers.id("event Z");

interface Duplicates extends ClearingFixture {
  /** Direction 0, sequence 1, day 0: [0] voice X, [1] SMS Y, [2] voice. */
  first: Batch;
  /** Direction 0, sequence 2, day 1: [0] voice X, [1] SMS Z, [2] SMS Z, [3] voice. */
  second: Batch;
  /** Direction 1, sequence 1, day 0 (beta charges alpha): [0] voice X. */
  reverse: Batch;
}

function firstBatch(f: ClearingFixture): Batch {
  return makeBatch(f, {
    sequence: 1,
    day: 0,
    records: [
      { service: Svc.VoiceMO, volume: VOICE, recordId: X },
      { service: Svc.SmsMO, volume: SMS, recordId: Y },
      { service: Svc.VoiceMO, volume: VOICE },
    ],
  });
}

function secondBatch(f: ClearingFixture): Batch {
  return makeBatch(f, {
    sequence: 2,
    day: 1,
    records: [
      { service: Svc.VoiceMO, volume: VOICE, recordId: X },
      { service: Svc.SmsMO, volume: SMS, recordId: Z },
      { service: Svc.SmsMO, volume: SMS, recordId: Z },
      { service: Svc.VoiceMO, volume: VOICE },
    ],
  });
}

async function duplicates(): Promise<Duplicates> {
  const f = await loadFixture(deployClearingFixture);
  const first = firstBatch(f);
  const second = secondBatch(f);
  const reverse = makeBatch(f, {
    direction: 1,
    sequence: 1,
    day: 0,
    records: [{ service: Svc.VoiceMO, volume: VOICE, recordId: X }],
  });
  await submit(f, first);
  await submit(f, second);
  await submit(f, reverse);
  return { ...f, first, second, reverse };
}

/** Record X also billed on another alpha-beta agreement (direction 0, sequence 1). */
async function otherAgreementCopy(): Promise<Duplicates & { other: Batch }> {
  const f = await loadFixture(duplicates);
  const tariff = iotTariff(1n);
  const { agreementId, terms } = await agreementWithTariff(f, tariff);
  const other = makeBatch(f, {
    agreementId,
    sequence: 1,
    day: 0,
    // Another file than the reverse direction's (a root is used once, on any agreement).
    records: [{ service: Svc.VoiceMO, volume: 2n * VOICE, recordId: X }],
    tariff,
  });
  await submit(f, other, terms, tariff);
  return { ...f, other };
}

/** Batch 1's window has ended (final by time, still Pending) when batch 2 is submitted. */
async function keptFinalByTime(): Promise<Duplicates> {
  const f = await loadFixture(deployClearingFixture);
  const first = firstBatch(f);
  const second = secondBatch(f);
  await submit(f, first);
  await time.increaseTo((await batchOf(f, first.batchId)).finalAt);
  await submit(f, second);
  return { ...f, first, second, reverse: second };
}

/** proveDuplicate of `second[index]` with `kept` as the kept copy, by eve. */
function prove(f: Duplicates, kept: [Batch, number], target: [Batch, number] = [f.second, 0]) {
  return f.clearing
    .connect(f.accounts.eve)
    .proveDuplicate(
      onChain(kept[0].header),
      proofOf(kept[0], kept[1]),
      onChain(target[0].header),
      proofOf(target[0], target[1]),
    );
}

describe("UsageClearing.proveDuplicate", () => {
  describe("when the later copy's batch is unknown", () => {
    it("should revert", async () => {
      const f = await loadFixture(duplicates);
      const header = { ...f.second.header, fileHash: ethers.id("never submitted") };
      await expect(
        f.clearing
          .connect(f.accounts.eve)
          .proveDuplicate(onChain(f.first.header), proofOf(f.first, 0), onChain(header), proofOf(f.second, 0)),
      )
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(await f.clearing.hashBatchHeader(onChain(header)));
    });
  });

  describe("when the later copy's window is closed", () => {
    it("should revert at its finalAt exactly", async () => {
      const f = await loadFixture(duplicates);
      const { finalAt } = await batchOf(f, f.second.batchId);
      await time.setNextBlockTimestamp(finalAt);
      await expect(prove(f, [f.first, 0]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.second.batchId, BatchStatus.Pending, finalAt);
    });

    it("should revert once its batch was accepted", async () => {
      const f = await loadFixture(duplicates);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.second.header));
      await expect(prove(f, [f.first, 0]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.second.batchId, BatchStatus.Accepted, (await batchOf(f, f.second.batchId)).finalAt);
    });

    it("should revert once its batch was rejected", async () => {
      const f = await loadFixture(duplicates);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.second.header), Reject.Other);
      await expect(prove(f, [f.first, 0]))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.second.batchId, BatchStatus.Rejected, (await batchOf(f, f.second.batchId)).finalAt);
    });
  });

  describe("when the later copy's batch is pending inside its window", () => {
    describe("when the kept copy is not earlier on the same agreement and direction", () => {
      it("should revert for a kept copy in a later batch", async () => {
        const f = await loadFixture(duplicates);
        await expect(prove(f, [f.second, 0], [f.first, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.second.batchId);
      });

      it("should revert for a kept copy at a higher index of the same batch, or the record itself", async () => {
        const f = await loadFixture(duplicates);
        for (const [keptIndex, index] of [
          [2, 1],
          [1, 1],
        ]) {
          await expect(prove(f, [f.second, keptIndex], [f.second, index]))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
            .withArgs(f.second.batchId);
        }
      });

      it("should revert for a kept copy of the other direction", async () => {
        const f = await loadFixture(duplicates);
        await expect(prove(f, [f.reverse, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.reverse.batchId);
      });

      it("should revert for a kept copy of another agreement", async () => {
        const f = await loadFixture(otherAgreementCopy);
        await expect(prove(f, [f.other, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.other.batchId);
      });
    });

    describe("when the kept copy's batch is unknown or rejected", () => {
      it("should revert for a header no batch has", async () => {
        const f = await loadFixture(duplicates);
        const header = { ...f.first.header, fileHash: ethers.id("never submitted") };
        await expect(
          f.clearing
            .connect(f.accounts.eve)
            .proveDuplicate(onChain(header), proofOf(f.first, 0), onChain(f.second.header), proofOf(f.second, 0)),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(await f.clearing.hashBatchHeader(onChain(header)));
      });

      it("should revert for a rejected batch", async () => {
        const f = await loadFixture(duplicates);
        await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.first.header), Reject.Other);
        await expect(prove(f, [f.first, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.first.batchId);
      });
    });

    describe("when the kept copy was challenged itself", () => {
      it("should revert for a disputed kept copy", async () => {
        const f = await loadFixture(duplicates);
        await f.clearing
          .connect(f.accounts.bob)
          .dispute(onChain(f.first.header), multiProofOf(f.first, [0]), [Code.DuplicateEvent]);
        await expect(prove(f, [f.first, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.first.batchId);
      });

      it("should revert for a kept copy proven a duplicate itself", async () => {
        const f = await loadFixture(duplicates);
        await prove(f, [f.second, 1], [f.second, 2]);
        await expect(prove(f, [f.second, 2], [f.second, 2]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidKeptCopy")
          .withArgs(f.second.batchId);
      });
    });

    describe("when the kept copy's proof is invalid", () => {
      it("should revert naming the kept copy's batch", async () => {
        const f = await loadFixture(duplicates);
        const { leaf, proof } = proofOf(f.first, 0);
        await expect(
          f.clearing
            .connect(f.accounts.eve)
            .proveDuplicate(
              onChain(f.first.header),
              { leaf: tampered(leaf), proof },
              onChain(f.second.header),
              proofOf(f.second, 0),
            ),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
          .withArgs(f.first.batchId);
      });
    });

    describe("when the two records have different ids", () => {
      it("should revert with NotFraud(Duplicate)", async () => {
        const f = await loadFixture(duplicates);
        expect(f.first.leaves[1].recordId).to.equal(Y);
        await expect(prove(f, [f.first, 1]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFraud")
          .withArgs(Fraud.Duplicate);
      });
    });

    describe("when the later copy's proof is invalid", () => {
      it("should revert naming its batch", async () => {
        const f = await loadFixture(duplicates);
        const { leaf, proof } = proofOf(f.second, 0);
        await expect(
          f.clearing
            .connect(f.accounts.eve)
            .proveDuplicate(onChain(f.first.header), proofOf(f.first, 0), onChain(f.second.header), {
              leaf: tampered(leaf),
              proof,
            }),
        )
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidProof")
          .withArgs(f.second.batchId);
      });
    });

    describe("when the later copy was challenged before", () => {
      it("should revert for a later copy disputed before", async () => {
        const f = await loadFixture(duplicates);
        await f.clearing
          .connect(f.accounts.bob)
          .dispute(onChain(f.second.header), multiProofOf(f.second, [0]), [Code.DuplicateEvent]);
        await expect(prove(f, [f.first, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
          .withArgs(f.second.batchId, 0);
      });

      it("should revert for a later copy proven before", async () => {
        const f = await loadFixture(duplicates);
        await prove(f, [f.first, 0]);
        await expect(prove(f, [f.first, 0]))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_RecordAlreadyChallenged")
          .withArgs(f.second.batchId, 0);
      });
    });

    describe("when the kept copy is a valid earlier copy", () => {
      describe("given it is in an earlier batch", () => {
        it("should remove the later copy's marginal charge and emit FraudProven(Duplicate) with the prover", async () => {
          const f = await loadFixture(duplicates);
          const before = await batchOf(f, f.second.batchId);
          // Voice runs at 48,000 s: R(48,000) - R(36,000) = 40 - 30 units.
          const amount = marginal(Svc.VoiceMO, 4n * VOICE, VOICE);
          expect(amount).to.equal(10_000_000n);
          await expect(prove(f, [f.first, 0]))
            .to.emit(f.clearing, "FraudProven")
            .withArgs(f.second.batchId, X, f.accounts.eve.address, 0, Fraud.Duplicate, amount);
          expect(await batchOf(f, f.second.batchId)).to.deep.equal({
            ...before,
            charge: before.charge - amount,
            disputed: 0n,
          });
          expect(await volumesOf(f)).to.deep.equal([3n * VOICE, 3n * SMS, 0n, 0n]);
          expect(await f.clearing.isChallenged(f.second.batchId, 0)).to.equal(true);
          expect(await f.clearing.isChallenged(f.first.batchId, 0)).to.equal(false);
          expect((await f.clearing.operatorStats(f.vpmn)).fraudProven).to.equal(1n);
          expect(await driftOf(f)).to.equal(0n);
        });

        it("should leave the kept copy's batch as it was", async () => {
          const f = await loadFixture(duplicates);
          const kept = await batchOf(f, f.first.batchId);
          await prove(f, [f.first, 0]);
          expect(await batchOf(f, f.first.batchId)).to.deep.equal(kept);
        });
      });

      describe("given it is at a lower index of the same batch", () => {
        it("should remove the later copy", async () => {
          const f = await loadFixture(duplicates);
          const before = await batchOf(f, f.second.batchId);
          const amount = marginal(Svc.SmsMO, 3n * SMS, SMS);
          await expect(prove(f, [f.second, 1], [f.second, 2]))
            .to.emit(f.clearing, "FraudProven")
            .withArgs(f.second.batchId, Z, f.accounts.eve.address, 2, Fraud.Duplicate, amount);
          expect(await batchOf(f, f.second.batchId)).to.include({ charge: before.charge - amount, disputed: 0n });
          expect(await volumesOf(f)).to.deep.equal([4n * VOICE, 2n * SMS, 0n, 0n]);
          expect(await f.clearing.isChallenged(f.second.batchId, 1)).to.equal(false);
        });
      });

      describe("given the kept copy's batch is final", () => {
        it("should accept a kept copy of an accepted batch, recorded or not", async () => {
          const f = await loadFixture(duplicates);
          await f.clearing.connect(f.accounts.bob).accept(onChain(f.first.header));
          expect((await batchOf(f, f.first.batchId)).status).to.equal(BatchStatus.Accepted);
          await expect(prove(f, [f.first, 0]))
            .to.emit(f.clearing, "FraudProven")
            .withArgs(f.second.batchId, X, f.accounts.eve.address, 0, Fraud.Duplicate, 10_000_000n);
          const g = await loadFixture(duplicates);
          await g.clearing.connect(g.accounts.bob).accept(onChain(g.first.header));
          await g.clearing.connect(g.accounts.eve).finalize(onChain(g.first.header));
          expect((await batchOf(g, g.first.batchId)).status).to.equal(BatchStatus.Final);
          await expect(prove(g, [g.first, 0]))
            .to.emit(g.clearing, "FraudProven")
            .withArgs(g.second.batchId, X, g.accounts.eve.address, 0, Fraud.Duplicate, 10_000_000n);
        });

        it("should accept a kept copy of a batch final by time", async () => {
          const f = await loadFixture(keptFinalByTime);
          expect(await f.clearing.isFinal(f.first.batchId)).to.equal(true);
          expect((await batchOf(f, f.first.batchId)).status).to.equal(BatchStatus.Pending);
          await expect(prove(f, [f.first, 0]))
            .to.emit(f.clearing, "FraudProven")
            .withArgs(f.second.batchId, X, f.accounts.eve.address, 0, Fraud.Duplicate, 10_000_000n);
        });
      });
    });
  });
});
