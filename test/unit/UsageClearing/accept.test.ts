import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { batchArgs, onChain, Reject } from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  chargeOf,
  enabled,
  openCycle,
  submit,
  taxesOf,
  usageBatch,
  withHeldBatch,
  withPendingBatch,
  type PendingFixture,
} from "./shared";

/** {@link withPendingBatch} with beta's signer key revoked by bob. */
async function withRevokedHpmnKey(): Promise<PendingFixture> {
  const f = await loadFixture(withPendingBatch);
  await f.registry.connect(f.accounts.bob).revokeSigner(f.beta, f.accounts.bobSigner);
  return f;
}

describe("UsageClearing.accept", () => {
  describe("when no batch has the header's id", () => {
    it("should revert", async () => {
      const f = await loadFixture(withPendingBatch);
      const never = usageBatch(f, { sequence: 2 });
      await expect(f.clearing.connect(f.accounts.bob).accept(onChain(never.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(never.batchId);
    });
  });

  describe("when the batch is not pending inside its window", () => {
    it("should revert once the window has ended (at finalAt)", async () => {
      const f = await loadFixture(withPendingBatch);
      await time.setNextBlockTimestamp(f.finalAt);
      await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Pending, f.finalAt);
    });

    it("should revert for a rejected batch", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Rejected, f.finalAt);
    });

    it("should revert for a batch accepted already, recorded or not (no charge is final twice)", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      await expect(f.clearing.connect(f.accounts.bobSigner).accept(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Accepted, f.finalAt);
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Final, f.finalAt);
    });

    it("should revert for a batch finalized after its window", async () => {
      const f = await loadFixture(withPendingBatch);
      await time.increaseTo(f.finalAt);
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_WindowClosed")
        .withArgs(f.batch.batchId, BatchStatus.Final, f.finalAt);
    });
  });

  describe("when the batch is pending inside its window", () => {
    describe("when the caller is neither the HPMN's admin nor one of its active signer keys", () => {
      it("should revert for an attacker, the VPMN's admin and key, and a third operator's admin", async () => {
        const f = await loadFixture(withPendingBatch);
        const a = f.accounts;
        for (const who of [a.eve, a.alice, a.aliceSigner, a.carol]) {
          await expect(f.clearing.connect(who).accept(onChain(f.batch.header)))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
            .withArgs(f.beta, who.address);
        }
      });

      it("should revert for a signer key the HPMN revoked", async () => {
        const f = await loadFixture(withRevokedHpmnKey);
        await expect(f.clearing.connect(f.accounts.bobSigner).accept(onChain(f.batch.header)))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
          .withArgs(f.beta, f.accounts.bobSigner.address);
      });

      it("should revert for party B's admin on direction 1 (party A is its HPMN)", async () => {
        const f = await loadFixture(withPendingBatch);
        const batch = usageBatch(f, { sequence: 1, direction: 1 });
        await submit(f, batch.header, { by: f.accounts.bob });
        await expect(f.clearing.connect(f.accounts.bob).accept(onChain(batch.header)))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotOperatorAccount")
          .withArgs(f.alpha, f.accounts.bob.address);
      });
    });

    describe("when the caller is the HPMN's admin or an active signer key", () => {
      it("should mark the batch Accepted and emit BatchAccepted, recording nothing in the vault yet", async () => {
        const f = await loadFixture(withPendingBatch);
        const tx = f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
        await expect(tx).to.emit(f.clearing, "BatchAccepted").withArgs(f.batch.batchId);
        await expect(tx).to.not.emit(f.clearing, "BatchFinalized");
        await expect(tx).to.not.emit(f.vault, "ObligationApplied");
        await expect(tx).to.not.emit(f.vault, "ObligationQueued");
        expect(await f.vault.openPositionOf(f.beta, f.token)).to.equal(0n);
        expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(0n);
      });

      it("should keep the batch's charge, held part and window end, and make it final at once", async () => {
        const f = await loadFixture(withPendingBatch);
        await f.clearing.connect(f.accounts.bobSigner).accept(onChain(f.batch.header));
        const stored = await f.clearing.getBatch(f.batch.batchId);
        expect([
          stored.status,
          stored.charge,
          stored.held,
          stored.round,
          stored.disputed,
          stored.finalAt,
        ]).to.deep.equal([BatchStatus.Accepted, f.charge, 0n, 0n, 0n, f.finalAt]);
        expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
      });

      it("should accept until the last second of the window", async () => {
        const f = await loadFixture(withPendingBatch);
        await time.setNextBlockTimestamp(f.finalAt - 1n);
        await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
          .to.emit(f.clearing, "BatchAccepted")
          .withArgs(f.batch.batchId);
        expect((await f.clearing.getBatch(f.batch.batchId)).status).to.equal(BatchStatus.Accepted);
      });

      it("should let a suspended HPMN still accept (responding protects it)", async () => {
        const f = await loadFixture(withPendingBatch);
        await f.registry.connect(f.accounts.pauser).suspendOperator(f.beta, ethers.id("decision 2"));
        await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
          .to.emit(f.clearing, "BatchAccepted")
          .withArgs(f.batch.batchId);
      });

      describe("given the accepted batch is then finalized", () => {
        it("should let anyone record charge + taxes at once (HPMN pays VPMN, ref = batch id), as accepted", async () => {
          const f = await loadFixture(withPendingBatch);
          await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
          const amount = f.charge + f.taxes;
          const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
          await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.batch.batchId, amount, true);
          await expect(tx)
            .to.emit(f.vault, "ObligationApplied")
            .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), amount, f.batch.batchId);
          expect(await f.vault.openPositionOf(f.beta, f.token)).to.equal(-amount);
          expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(amount);
          const stored = await f.clearing.getBatch(f.batch.batchId);
          expect([stored.status, stored.charge, stored.held, stored.finalAt]).to.deep.equal([
            BatchStatus.Final,
            f.charge,
            0n,
            f.finalAt,
          ]);
          expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
        });

        describe("given a disputed record", () => {
          it("should record only the undisputed charge plus the taxes, and keep the held part", async () => {
            const f = await loadFixture(withHeldBatch);
            await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
              .to.emit(f.clearing, "BatchAccepted")
              .withArgs(f.batch.batchId);
            const accepted = await f.clearing.getBatch(f.batch.batchId);
            expect([accepted.status, accepted.charge, accepted.held]).to.deep.equal([
              BatchStatus.Accepted,
              f.charge,
              f.held,
            ]);
            const amount = f.charge + f.taxes;
            const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
            await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.batch.batchId, amount, true);
            await expect(tx)
              .to.emit(f.vault, "ObligationApplied")
              .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), amount, f.batch.batchId);
            const stored = await f.clearing.getBatch(f.batch.batchId);
            expect([stored.status, stored.charge, stored.held]).to.deep.equal([BatchStatus.Final, f.charge, f.held]);
          });
        });

        describe("given direction 1", () => {
          it("should make party B the payee and party A the payer", async () => {
            const f = await loadFixture(enabled);
            const batch = usageBatch(f, { sequence: 1, direction: 1 });
            await submit(f, batch.header, { by: f.accounts.bob });
            const amount = chargeOf(f.tariff, batch.header) + taxesOf(batch.header);
            await expect(f.clearing.connect(f.accounts.aliceSigner).accept(onChain(batch.header)))
              .to.emit(f.clearing, "BatchAccepted")
              .withArgs(batch.batchId);
            await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header)))
              .to.emit(f.vault, "ObligationApplied")
              .withArgs(f.tokenAddress, f.alpha, f.beta, await openCycle(f), amount, batch.batchId);
          });
        });

        describe("given a batch whose charge and taxes are zero", () => {
          it("should finalize it without recording anything in the vault", async () => {
            const f = await loadFixture(enabled);
            const batch = usageBatch(f, { sequence: 1, usage: { [Svc.SmsMO]: [0n] } });
            await submit(f, batch.header);
            expect((await f.clearing.getBatch(batch.batchId)).charge).to.equal(0n);
            await expect(f.clearing.connect(f.accounts.bob).accept(onChain(batch.header)))
              .to.emit(f.clearing, "BatchAccepted")
              .withArgs(batch.batchId);
            const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header));
            await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(batch.batchId, 0n, true);
            await expect(tx).to.not.emit(f.vault, "ObligationApplied");
            await expect(tx).to.not.emit(f.vault, "ObligationQueued");
            expect((await f.clearing.getBatch(batch.batchId)).status).to.equal(BatchStatus.Final);
          });
        });
      });
    });
  });
});
