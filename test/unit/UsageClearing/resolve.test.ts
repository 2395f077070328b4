import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { RESOLUTION_TYPES, signResolution } from "../../../sdk/src";
import { batchArgs, onChain, Code, multiProofOf, Reject } from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  marginalOf,
  openCycle,
  resolutionRef,
  signedResolution,
  usageBatch,
  withHeldBatch,
  withPendingBatch,
  type HeldFixture,
} from "./shared";

/** The default escalation timeout of the deployment: 30 days after a batch's window. */
const ESCALATION_TIMEOUT = 30n * 24n * 60n * 60n;

/** {@link withHeldBatch}, then bob disputes record 1 (voice MO, 300 s) in a second round after a first resolution. */
async function withSecondRound(): Promise<HeldFixture & { firstHeld: bigint }> {
  const f = await loadFixture(withHeldBatch);
  const first = await signedResolution(f, f.batch.batchId, 0, f.held);
  await f.clearing.resolve(onChain(f.batch.header), f.held, first.hpmnSignature, first.vpmnSignature);
  // Record 0 left the running volume already: 300 s remain, and record 1 takes them all.
  const marginal = marginalOf(f.tariff, Svc.VoiceMO, 300n, 300n);
  const held = marginal < f.charge ? marginal : f.charge;
  await f.clearing.connect(f.accounts.bob).dispute(onChain(f.batch.header), multiProofOf(f.batch, [1]), [Code.Other]);
  return { ...f, firstHeld: f.held, held, charge: f.charge - held };
}

describe("UsageClearing.resolve", () => {
  describe("when no batch has the header's id", () => {
    it("should revert", async () => {
      const f = await loadFixture(withHeldBatch);
      const never = usageBatch(f, { sequence: 2 });
      const { hpmnSignature, vpmnSignature } = await signedResolution(f, never.batchId, 0, 0n);
      await expect(f.clearing.resolve(onChain(never.header), 0n, hpmnSignature, vpmnSignature))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(never.batchId);
    });
  });

  describe("when the batch holds nothing", () => {
    it("should revert for a batch never disputed", async () => {
      const f = await loadFixture(withPendingBatch);
      const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, 0n);
      await expect(f.clearing.resolve(onChain(f.batch.header), 0n, hpmnSignature, vpmnSignature))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
        .withArgs(f.batch.batchId);
    });

    it("should revert for a held part resolved already (the resolution does not replay)", async () => {
      const f = await loadFixture(withHeldBatch);
      const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
      await f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature);
      await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
        .withArgs(f.batch.batchId);
    });

    it("should revert for a batch rejected after a dispute (its held part was dropped)", async () => {
      const f = await loadFixture(withHeldBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, 0n);
      await expect(f.clearing.resolve(onChain(f.batch.header), 0n, hpmnSignature, vpmnSignature))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
        .withArgs(f.batch.batchId);
    });
  });

  describe("when the batch holds something", () => {
    describe("when payAmount exceeds the held part", () => {
      it("should revert", async () => {
        const f = await loadFixture(withHeldBatch);
        const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held + 1n);
        await expect(f.clearing.resolve(onChain(f.batch.header), f.held + 1n, hpmnSignature, vpmnSignature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_PayAmountTooLarge")
          .withArgs(f.held + 1n, f.held);
      });
    });

    describe("when payAmount is at most the held part", () => {
      describe("when the HPMN signature is not by an active HPMN signer key", () => {
        it("should revert for an attacker's, the VPMN key's and the HPMN admin's signatures", async () => {
          const f = await loadFixture(withHeldBatch);
          const a = f.accounts;
          const resolution = { batchId: f.batch.batchId, round: 0, disputed: 1n, held: f.held, payAmount: f.held };
          const vpmnSignature = await signResolution(a.aliceSigner, f.clearingDomain, resolution);
          for (const signer of [a.eve, a.aliceSigner, a.bob]) {
            const hpmnSignature = await signResolution(signer, f.clearingDomain, resolution);
            await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
              .withArgs(f.beta, signer.address);
          }
        });

        it("should revert for a key the HPMN revoked after signing", async () => {
          const f = await loadFixture(withHeldBatch);
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          await f.registry.connect(f.accounts.bob).revokeSigner(f.beta, f.accounts.bobSigner);
          await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
            .withArgs(f.beta, f.accounts.bobSigner.address);
        });

        it("should revert when the signatures are of another amount (they recover other addresses)", async () => {
          const f = await loadFixture(withHeldBatch);
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          const sent = { batchId: f.batch.batchId, round: 0, disputed: 1n, held: f.held, payAmount: f.held - 1n };
          const recovered = ethers.verifyTypedData(f.clearingDomain, RESOLUTION_TYPES, sent, hpmnSignature);
          await expect(f.clearing.resolve(onChain(f.batch.header), f.held - 1n, hpmnSignature, vpmnSignature))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
            .withArgs(f.beta, recovered);
        });

        it("should revert when the two signatures are swapped", async () => {
          const f = await loadFixture(withHeldBatch);
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          await expect(f.clearing.resolve(onChain(f.batch.header), f.held, vpmnSignature, hpmnSignature))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
            .withArgs(f.beta, f.accounts.aliceSigner.address);
        });
      });

      describe("when the VPMN signature is not by an active VPMN signer key", () => {
        it("should revert for an attacker's, the HPMN key's and the VPMN admin's signatures", async () => {
          const f = await loadFixture(withHeldBatch);
          const a = f.accounts;
          const resolution = { batchId: f.batch.batchId, round: 0, disputed: 1n, held: f.held, payAmount: f.held };
          const hpmnSignature = await signResolution(a.bobSigner, f.clearingDomain, resolution);
          for (const signer of [a.eve, a.bobSigner, a.alice]) {
            const vpmnSignature = await signResolution(signer, f.clearingDomain, resolution);
            await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
              .withArgs(f.alpha, signer.address);
          }
        });
      });

      describe("when both parties' active keys signed the resolution", () => {
        it("should let anyone submit it, record payAmount in the vault and emit DisputeResolved", async () => {
          const f = await loadFixture(withHeldBatch);
          const pay = f.held / 2n;
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, pay);
          const tx = f.clearing
            .connect(f.accounts.eve)
            .resolve(onChain(f.batch.header), pay, hpmnSignature, vpmnSignature);
          await expect(tx)
            .to.emit(f.clearing, "DisputeResolved")
            .withArgs(f.batch.batchId, 0, pay, f.held - pay, false);
          await expect(tx)
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), pay, resolutionRef(f.batch.batchId, 0));
        });

        it("should empty the held part, open the next round and leave the charge and status", async () => {
          const f = await loadFixture(withHeldBatch);
          expect(f.held).to.be.greaterThan(0n);
          const before = await f.clearing.getBatch(f.batch.batchId);
          expect([before.charge, before.held, before.round]).to.deep.equal([f.charge, f.held, 0n]);
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          await f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature);
          const after = await f.clearing.getBatch(f.batch.batchId);
          expect([after.status, after.charge, after.held, after.round, after.disputed]).to.deep.equal([
            BatchStatus.Pending,
            f.charge,
            0n,
            1n,
            1n,
          ]);
        });

        it("should waive the whole held part and record nothing for a zero payAmount", async () => {
          const f = await loadFixture(withHeldBatch);
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, 0n);
          const tx = f.clearing.resolve(onChain(f.batch.header), 0n, hpmnSignature, vpmnSignature);
          await expect(tx).to.emit(f.clearing, "DisputeResolved").withArgs(f.batch.batchId, 0, 0n, f.held, false);
          await expect(tx).to.not.emit(f.vault, "ObligationApplied");
        });

        it("should settle a held part after the batch's charge was accepted and recorded", async () => {
          const f = await loadFixture(withHeldBatch);
          await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
          await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), f.held, resolutionRef(f.batch.batchId, 0));
          expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(f.charge + f.taxes + f.held);
          expect((await f.clearing.getBatch(f.batch.batchId)).status).to.equal(BatchStatus.Final);
        });

        it("should settle a held part of an accepted batch not recorded yet, leaving it Accepted", async () => {
          const f = await loadFixture(withHeldBatch);
          await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
          const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
          await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature))
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), f.held, resolutionRef(f.batch.batchId, 0));
          const stored = await f.clearing.getBatch(f.batch.batchId);
          expect([stored.status, stored.charge, stored.held, stored.round]).to.deep.equal([
            BatchStatus.Accepted,
            f.charge,
            0n,
            1n,
          ]);
          expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(f.held);
          // The accepted charge is still recorded once, by finalize.
          await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
            .to.emit(f.clearing, "BatchFinalized")
            .withArgs(f.batch.batchId, f.charge + f.taxes, true);
          expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(f.charge + f.taxes + f.held);
        });

        describe("given the home network disputed more records after both parties signed (the review's High finding)", () => {
          it("should refuse the old signatures: they do not waive the newly held amount", async () => {
            const f = await loadFixture(withHeldBatch);
            const signed = await signedResolution(f, f.batch.batchId, 0, 0n);
            await f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.batch.header), multiProofOf(f.batch, [1]), [Code.UnknownSubscriber]);
            const now = await f.clearing.getBatch(f.batch.batchId);
            expect(now.held).to.be.greaterThan(f.held);
            const recovered = ethers.verifyTypedData(
              f.clearingDomain,
              RESOLUTION_TYPES,
              { batchId: f.batch.batchId, round: 0, disputed: now.disputed, held: now.held, payAmount: 0n },
              signed.hpmnSignature,
            );
            await expect(f.clearing.resolve(onChain(f.batch.header), 0n, signed.hpmnSignature, signed.vpmnSignature))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
              .withArgs(f.beta, recovered);
            expect((await f.clearing.getBatch(f.batch.batchId)).held).to.equal(now.held);
          });

          it("should leave escalation open: the arbiter decides the whole held part after the timeout", async () => {
            const f = await loadFixture(withHeldBatch);
            const signed = await signedResolution(f, f.batch.batchId, 0, 0n);
            await f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.batch.header), multiProofOf(f.batch, [1]), [Code.UnknownSubscriber]);
            await expect(f.clearing.resolve(onChain(f.batch.header), 0n, signed.hpmnSignature, signed.vpmnSignature)).to
              .be.reverted;
            const { held } = await f.clearing.getBatch(f.batch.batchId);
            await time.increaseTo(f.finalAt + ESCALATION_TIMEOUT);
            await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), held))
              .to.emit(f.clearing, "DisputeResolved")
              .withArgs(f.batch.batchId, 0, held, 0n, true);
          });

          it("should take a resolution both parties sign over the new state, paying or waiving exactly that", async () => {
            const f = await loadFixture(withHeldBatch);
            await f.clearing
              .connect(f.accounts.bob)
              .dispute(onChain(f.batch.header), multiProofOf(f.batch, [1]), [Code.UnknownSubscriber]);
            const { held, disputed } = await f.clearing.getBatch(f.batch.batchId);
            expect(disputed).to.equal(2n);
            const pay = held / 3n;
            const fresh = await signedResolution(f, f.batch.batchId, 0, pay);
            await expect(f.clearing.resolve(onChain(f.batch.header), pay, fresh.hpmnSignature, fresh.vpmnSignature))
              .to.emit(f.clearing, "DisputeResolved")
              .withArgs(f.batch.batchId, 0, pay, held - pay, false);
          });

          it("should refuse signatures over another held amount or disputed count of the same round", async () => {
            const f = await loadFixture(withHeldBatch);
            for (const seen of [
              { disputed: 1n, held: f.held + 1n },
              { disputed: 2n, held: f.held },
              { disputed: 0n, held: f.held },
            ]) {
              const s = await signedResolution(f, f.batch.batchId, 0, 0n, seen);
              await expect(
                f.clearing.resolve(onChain(f.batch.header), 0n, s.hpmnSignature, s.vpmnSignature),
              ).to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized");
            }
          });
        });

        describe("given a second round (a dispute after a resolution)", () => {
          it("should refuse the first round's signatures and take the new round's, with its own ref", async () => {
            const f = await loadFixture(withSecondRound);
            const stale = await signedResolution(f, f.batch.batchId, 0, f.held);
            const recovered = ethers.verifyTypedData(
              f.clearingDomain,
              RESOLUTION_TYPES,
              { batchId: f.batch.batchId, round: 1, disputed: 2n, held: f.held, payAmount: f.held },
              stale.hpmnSignature,
            );
            await expect(f.clearing.resolve(onChain(f.batch.header), f.held, stale.hpmnSignature, stale.vpmnSignature))
              .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
              .withArgs(f.beta, recovered);
            const fresh = await signedResolution(f, f.batch.batchId, 1, f.held);
            const tx = f.clearing.resolve(onChain(f.batch.header), f.held, fresh.hpmnSignature, fresh.vpmnSignature);
            await expect(tx).to.emit(f.clearing, "DisputeResolved").withArgs(f.batch.batchId, 1, f.held, 0n, false);
            await expect(tx)
              .to.emit(f.vault, "ObligationApplied")
              .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), f.held, resolutionRef(f.batch.batchId, 1));
            expect((await f.clearing.getBatch(f.batch.batchId)).round).to.equal(2n);
          });
        });
      });
    });
  });
});

describe("UsageClearing.resolveEscalated", () => {
  describe("when the caller does not hold the arbiter role", () => {
    it("should revert for an attacker, both parties' accounts, the governor and the pauser", async () => {
      const f = await loadFixture(withHeldBatch);
      const a = f.accounts;
      await time.increaseTo(f.finalAt + ESCALATION_TIMEOUT);
      for (const who of [a.eve, a.alice, a.aliceSigner, a.bob, a.bobSigner, a.governor, a.pauser]) {
        await expect(f.clearing.connect(who).resolveEscalated(onChain(f.batch.header), f.held))
          .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the arbiter", () => {
    describe("when no batch has the header's id", () => {
      it("should revert", async () => {
        const f = await loadFixture(withHeldBatch);
        const never = usageBatch(f, { sequence: 2 });
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(never.header), 0n))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
          .withArgs(never.batchId);
      });
    });

    describe("when the batch holds nothing", () => {
      it("should revert", async () => {
        const f = await loadFixture(withPendingBatch);
        await time.increaseTo(f.finalAt + ESCALATION_TIMEOUT);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), 0n))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
          .withArgs(f.batch.batchId);
      });
    });

    describe("when payAmount exceeds the held part", () => {
      it("should revert", async () => {
        const f = await loadFixture(withHeldBatch);
        await time.increaseTo(f.finalAt + ESCALATION_TIMEOUT);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), f.held + 1n))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_PayAmountTooLarge")
          .withArgs(f.held + 1n, f.held);
      });
    });

    describe("when the escalation timeout after the window has not passed", () => {
      it("should revert with the time it is due, up to its last second", async () => {
        const f = await loadFixture(withHeldBatch);
        const dueAt = f.finalAt + ESCALATION_TIMEOUT;
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), f.held))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_EscalationNotDue")
          .withArgs(f.batch.batchId, dueAt);
        await time.setNextBlockTimestamp(dueAt - 1n);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), f.held))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_EscalationNotDue")
          .withArgs(f.batch.batchId, dueAt);
      });
    });

    describe("when the escalation is due", () => {
      it("should pay payAmount, waive the rest, and emit DisputeResolved by the arbiter", async () => {
        const f = await loadFixture(withHeldBatch);
        const pay = f.held - 1n;
        await time.setNextBlockTimestamp(f.finalAt + ESCALATION_TIMEOUT);
        const tx = f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), pay);
        await expect(tx).to.emit(f.clearing, "DisputeResolved").withArgs(f.batch.batchId, 0, pay, 1n, true);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), pay, resolutionRef(f.batch.batchId, 0));
        const stored = await f.clearing.getBatch(f.batch.batchId);
        expect([stored.charge, stored.held, stored.round]).to.deep.equal([f.charge, 0n, 1n]);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), 0n))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NothingHeld")
          .withArgs(f.batch.batchId);
      });

      it("should waive everything and record nothing for a zero payAmount", async () => {
        const f = await loadFixture(withHeldBatch);
        await time.increaseTo(f.finalAt + ESCALATION_TIMEOUT);
        const tx = f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), 0n);
        await expect(tx).to.emit(f.clearing, "DisputeResolved").withArgs(f.batch.batchId, 0, 0n, f.held, true);
        await expect(tx).to.not.emit(f.vault, "ObligationApplied");
      });
    });
  });
});
