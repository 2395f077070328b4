import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { signVoucher } from "../../../sdk/src";
import { batchArgs, onChain, Reject } from "../../helpers/clearing";
import { scheduleAndExecute } from "../../helpers/fixtures";
import { Svc } from "../../helpers/rating";
import {
  BatchStatus,
  chargeOf,
  enabled,
  nextTimestamp,
  openCycle,
  signedResolution,
  submit,
  taxesOf,
  usageBatch,
  withHeldBatch,
  withPendingBatch,
} from "./shared";

describe("UsageClearing.finalize", () => {
  describe("when no batch has the header's id", () => {
    it("should revert", async () => {
      const f = await loadFixture(withPendingBatch);
      const never = usageBatch(f, { sequence: 2 });
      await time.increaseTo(f.finalAt);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(never.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_UnknownBatch")
        .withArgs(never.batchId);
    });
  });

  describe("when the batch is neither accepted nor pending with its window over", () => {
    it("should revert while the window runs, up to its last second", async () => {
      const f = await loadFixture(withPendingBatch);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Pending, f.finalAt);
      await time.setNextBlockTimestamp(f.finalAt - 1n);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Pending, f.finalAt);
    });

    it("should revert for a rejected batch, even after its window", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.TotalsMismatch);
      await time.increaseTo(f.finalAt);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Rejected, f.finalAt);
    });

    it("should revert for an accepted batch once recorded, even after its window (no charge is final twice)", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      await expect(f.clearing.connect(f.accounts.alice).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Final, f.finalAt);
      await time.increaseTo(f.finalAt);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Final, f.finalAt);
    });

    it("should revert the second time (no charge is final twice)", async () => {
      const f = await loadFixture(withPendingBatch);
      await time.increaseTo(f.finalAt);
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      await expect(f.clearing.connect(f.accounts.alice).finalize(onChain(f.batch.header)))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_NotFinalizable")
        .withArgs(f.batch.batchId, BatchStatus.Final, f.finalAt);
    });
  });

  describe("when the batch was accepted", () => {
    it("should let anyone record charge + taxes at once, inside the window, and emit BatchFinalized as accepted", async () => {
      const { eve, carol, alice } = (await loadFixture(withPendingBatch)).accounts;
      for (const who of [eve, carol, alice]) {
        const g = await loadFixture(withPendingBatch);
        const amount = g.charge + g.taxes;
        await g.clearing.connect(g.accounts.bob).accept(onChain(g.batch.header));
        const tx = g.clearing.connect(who).finalize(onChain(g.batch.header));
        await expect(tx).to.emit(g.clearing, "BatchFinalized").withArgs(g.batch.batchId, amount, true);
        await expect(tx)
          .to.emit(g.vault, "ObligationApplied")
          .withArgs(g.tokenAddress, g.beta, g.alpha, await openCycle(g), amount, g.batch.batchId);
        expect(BigInt(await time.latest())).to.be.lessThan(g.finalAt);
        expect(await g.vault.openPositionOf(g.beta, g.token)).to.equal(-amount);
        expect(await g.vault.openPositionOf(g.alpha, g.token)).to.equal(amount);
      }
    });

    it("should mark the batch final and keep its charge, held part and window end", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      const stored = await f.clearing.getBatch(f.batch.batchId);
      expect([stored.status, stored.charge, stored.held, stored.finalAt]).to.deep.equal([
        BatchStatus.Final,
        f.charge,
        0n,
        f.finalAt,
      ]);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
    });

    it("should still report it accepted when it is recorded after its window", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      await time.increaseTo(f.finalAt + 1000n);
      await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
        .to.emit(f.clearing, "BatchFinalized")
        .withArgs(f.batch.batchId, f.charge + f.taxes, true);
    });

    describe("given a disputed record", () => {
      it("should record only the undisputed charge plus the taxes, and keep the held part", async () => {
        const f = await loadFixture(withHeldBatch);
        await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
        const amount = f.charge + f.taxes;
        const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
        await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.batch.batchId, amount, true);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), amount, f.batch.batchId);
        expect((await f.clearing.getBatch(f.batch.batchId)).held).to.equal(f.held);
      });
    });

    describe("given direction 1", () => {
      it("should make party A the payer and party B the payee", async () => {
        const f = await loadFixture(enabled);
        const batch = usageBatch(f, { sequence: 1, direction: 1 });
        await submit(f, batch.header, { by: f.accounts.bob });
        await f.clearing.connect(f.accounts.alice).accept(onChain(batch.header));
        const amount = chargeOf(f.tariff, batch.header) + taxesOf(batch.header);
        await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header)))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.alpha, f.beta, await openCycle(f), amount, batch.batchId);
      });
    });

    describe("given a batch whose charge and taxes are zero", () => {
      it("should finalize it without recording anything in the vault", async () => {
        const f = await loadFixture(enabled);
        const batch = usageBatch(f, { sequence: 1, usage: { [Svc.VoLTE]: [0n] } });
        await submit(f, batch.header);
        await f.clearing.connect(f.accounts.bob).accept(onChain(batch.header));
        const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header));
        await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(batch.batchId, 0n, true);
        await expect(tx).to.not.emit(f.vault, "ObligationApplied");
        await expect(tx).to.not.emit(f.vault, "ObligationQueued");
        expect((await f.clearing.getBatch(batch.batchId)).status).to.equal(BatchStatus.Final);
      });
    });
  });

  describe("when the batch is pending and its window is over", () => {
    it("should let anyone record charge + taxes in the vault (ref = batch id) and emit BatchFinalized", async () => {
      const f = await loadFixture(withPendingBatch);
      const amount = f.charge + f.taxes;
      await time.setNextBlockTimestamp(f.finalAt);
      const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
      await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.batch.batchId, amount, false);
      await expect(tx)
        .to.emit(f.vault, "ObligationApplied")
        .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), amount, f.batch.batchId);
      expect(await f.vault.openPositionOf(f.beta, f.token)).to.equal(-amount);
      expect(await f.vault.openPositionOf(f.alpha, f.token)).to.equal(amount);
    });

    it("should mark the batch final and keep its charge and window end", async () => {
      const f = await loadFixture(withPendingBatch);
      await time.increaseTo(f.finalAt + 1000n);
      await f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
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
        const amount = f.charge + f.taxes;
        await time.increaseTo(f.finalAt);
        const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header));
        await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(f.batch.batchId, amount, false);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), amount, f.batch.batchId);
        expect((await f.clearing.getBatch(f.batch.batchId)).held).to.equal(f.held);
      });
    });

    describe("given direction 1", () => {
      it("should make party A the payer and party B the payee", async () => {
        const f = await loadFixture(enabled);
        const batch = usageBatch(f, { sequence: 1, direction: 1 });
        const at = await nextTimestamp();
        await submit(f, batch.header, { by: f.accounts.bob });
        await time.increaseTo(at + BigInt(f.terms.disputeWindow));
        const amount = chargeOf(f.tariff, batch.header) + taxesOf(batch.header);
        await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header)))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.alpha, f.beta, await openCycle(f), amount, batch.batchId);
      });
    });

    describe("given a batch whose charge and taxes are zero", () => {
      it("should finalize it without recording anything in the vault", async () => {
        const f = await loadFixture(enabled);
        const batch = usageBatch(f, { sequence: 1, usage: { [Svc.VoLTE]: [0n] } });
        const at = await nextTimestamp();
        await submit(f, batch.header);
        await time.increaseTo(at + BigInt(f.terms.disputeWindow));
        const tx = f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header));
        await expect(tx).to.emit(f.clearing, "BatchFinalized").withArgs(batch.batchId, 0n, false);
        await expect(tx).to.not.emit(f.vault, "ObligationApplied");
        await expect(tx).to.not.emit(f.vault, "ObligationQueued");
      });
    });
    describe("given the settlement token was disallowed after the batch was submitted (the review's freeze finding)", () => {
      it("should still record what is owed: the batch, a resolution and a voucher reach the vault", async () => {
        const f = await loadFixture(withHeldBatch);
        await scheduleAndExecute(
          f.manager,
          f.accounts.governor,
          await f.vault.getAddress(),
          f.vault.interface.encodeFunctionData("disallowToken", [f.tokenAddress]),
        );
        expect((await f.vault.tokenConfig(f.token)).allowed).to.equal(false);
        await time.increaseTo(f.finalAt);
        await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), f.charge + f.taxes, f.batch.batchId);
        const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
        await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature)).to.emit(
          f.vault,
          "ObligationApplied",
        );
        const voucher = { agreementId: f.agreementId, direction: 0, cumulativeAmount: 7n, expiry: f.finalAt + 86_400n };
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature)).to.emit(f.vault, "ObligationApplied");
      });
    });
  });
});
