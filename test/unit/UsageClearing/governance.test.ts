import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { signVoucher } from "../../../sdk/src";
import { DAY } from "../../helpers/agreements";
import {
  batchArgs,
  onChain,
  BatchStatus,
  Code,
  multiProofOf,
  Reject,
  UNIT,
  type ClearingFixture,
} from "../../helpers/clearing";
import { scheduleAndExecute } from "../../helpers/fixtures";
import {
  asGovernor,
  enabled,
  signedResolution,
  submit,
  usageBatch,
  withHeldBatch,
  withPendingBatch,
  type PendingFixture,
} from "./shared";

/** The deployment's escalation timeout: 30 days. */
const ESCALATION_TIMEOUT = 30n * BigInt(DAY);

/** {@link withPendingBatch}, paused by the pauser. */
async function pausedWithBatch(): Promise<PendingFixture> {
  const f = await loadFixture(withPendingBatch);
  await f.clearing.connect(f.accounts.pauser).pause();
  return f;
}

/** {@link enabled}, paused by the pauser. */
async function paused(): Promise<ClearingFixture> {
  const f = await loadFixture(enabled);
  await f.clearing.connect(f.accounts.pauser).pause();
  return f;
}

describe("UsageClearing.pause", () => {
  describe("when the caller is not the pauser", () => {
    it("should revert for an attacker, the governor, the arbiter, the admin and a member", async () => {
      const f = await loadFixture(enabled);
      const a = f.accounts;
      for (const who of [a.eve, a.governor, a.arbiter, a.admin, a.alice, a.bob]) {
        await expect(f.clearing.connect(who).pause())
          .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await f.clearing.paused()).to.equal(false);
    });
  });

  describe("when the caller is the pauser", () => {
    describe("when the contract is paused already", () => {
      it("should revert", async () => {
        const f = await loadFixture(paused);
        await expect(f.clearing.connect(f.accounts.pauser).pause()).to.be.revertedWithCustomError(
          f.clearing,
          "EnforcedPause",
        );
      });
    });

    describe("when the contract is not paused", () => {
      it("should pause at once and emit Paused", async () => {
        const f = await loadFixture(enabled);
        await expect(f.clearing.connect(f.accounts.pauser).pause())
          .to.emit(f.clearing, "Paused")
          .withArgs(f.accounts.pauser.address);
        expect(await f.clearing.paused()).to.equal(true);
      });

      it("should stop batch submission and voucher redemption", async () => {
        const f = await loadFixture(paused);
        await expect(submit(f, usageBatch(f, { sequence: 1 }).header)).to.be.revertedWithCustomError(
          f.clearing,
          "EnforcedPause",
        );
        const voucher = {
          agreementId: f.agreementId,
          direction: 0,
          cumulativeAmount: UNIT,
          expiry: BigInt(await time.latest()) + BigInt(DAY),
        };
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature)).to.be.revertedWithCustomError(
          f.clearing,
          "EnforcedPause",
        );
      });

      it("should let the home network dispute and accept, and anyone record the accepted batch", async () => {
        const f = await loadFixture(pausedWithBatch);
        await expect(
          f.clearing
            .connect(f.accounts.bob)
            .dispute(onChain(f.batch.header), multiProofOf(f.batch, [0]), [Code.DuplicateEvent]),
        ).to.emit(f.clearing, "RecordDisputed");
        await expect(f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header)))
          .to.emit(f.clearing, "BatchAccepted")
          .withArgs(f.batch.batchId);
        // Anyone may then record the accepted charge, paused or not.
        const { charge } = await f.clearing.getBatch(f.batch.batchId);
        await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
          .to.emit(f.clearing, "BatchFinalized")
          .withArgs(f.batch.batchId, charge + f.taxes, true);
      });

      it("should let the home network reject", async () => {
        const f = await loadFixture(pausedWithBatch);
        await expect(
          f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.WrongRecipient),
        ).to.emit(f.clearing, "BatchRejected");
      });

      it("should let anyone finalize and the parties resolve", async () => {
        const f = await loadFixture(withHeldBatch);
        await f.clearing.connect(f.accounts.pauser).pause();
        const { hpmnSignature, vpmnSignature } = await signedResolution(f, f.batch.batchId, 0, f.held);
        await expect(f.clearing.resolve(onChain(f.batch.header), f.held, hpmnSignature, vpmnSignature)).to.emit(
          f.clearing,
          "DisputeResolved",
        );
        await time.increaseTo(f.finalAt);
        await expect(f.clearing.connect(f.accounts.eve).finalize(onChain(f.batch.header)))
          .to.emit(f.clearing, "BatchFinalized")
          .withArgs(f.batch.batchId, f.charge + f.taxes, false);
        expect((await f.clearing.getBatch(f.batch.batchId)).status).to.equal(BatchStatus.Final);
      });
    });
  });
});

describe("UsageClearing.unpause", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser, the arbiter and a member", async () => {
      const f = await loadFixture(paused);
      const a = f.accounts;
      for (const who of [a.eve, a.pauser, a.arbiter, a.alice]) {
        await expect(f.clearing.connect(who).unpause())
          .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the governor calls directly (its role carries an execution delay)", () => {
    it("should revert: nothing was scheduled", async () => {
      const f = await loadFixture(paused);
      const data = f.clearing.interface.encodeFunctionData("unpause");
      await expect(f.clearing.connect(f.accounts.governor).unpause())
        .to.be.revertedWithCustomError(f.manager, "AccessManagerNotScheduled")
        .withArgs(await f.manager.hashOperation(f.accounts.governor, f.clearing, data));
    });
  });

  describe("when the governor acts through the manager after its delay", () => {
    describe("when the contract is not paused", () => {
      it("should revert", async () => {
        const f = await loadFixture(enabled);
        const data = f.clearing.interface.encodeFunctionData("unpause");
        await expect(
          scheduleAndExecute(f.manager, f.accounts.governor, f.clearingAddress, data),
        ).to.be.revertedWithCustomError(f.clearing, "ExpectedPause");
      });
    });

    describe("when the contract is paused", () => {
      it("should unpause, emit Unpaused (by the manager) and let submissions resume", async () => {
        const f = await loadFixture(paused);
        const data = f.clearing.interface.encodeFunctionData("unpause");
        await expect(asGovernor(f, data))
          .to.emit(f.clearing, "Unpaused")
          .withArgs(await f.manager.getAddress());
        expect(await f.clearing.paused()).to.equal(false);
        await expect(submit(f, usageBatch(f, { sequence: 1 }).header)).to.emit(f.clearing, "BatchSubmitted");
      });
    });
  });
});

describe("UsageClearing.setEscalationTimeout", () => {
  describe("when the caller is not the governor", () => {
    it("should revert for an attacker, the pauser, the arbiter and a member", async () => {
      const f = await loadFixture(enabled);
      const a = f.accounts;
      for (const who of [a.eve, a.pauser, a.arbiter, a.bob]) {
        await expect(f.clearing.connect(who).setEscalationTimeout(DAY))
          .to.be.revertedWithCustomError(f.clearing, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
      expect(await f.clearing.escalationTimeout()).to.equal(ESCALATION_TIMEOUT);
    });
  });

  describe("when the governor calls directly (its role carries an execution delay)", () => {
    it("should revert: nothing was scheduled", async () => {
      const f = await loadFixture(enabled);
      const data = f.clearing.interface.encodeFunctionData("setEscalationTimeout", [DAY]);
      await expect(f.clearing.connect(f.accounts.governor).setEscalationTimeout(DAY))
        .to.be.revertedWithCustomError(f.manager, "AccessManagerNotScheduled")
        .withArgs(await f.manager.hashOperation(f.accounts.governor, f.clearing, data));
    });
  });

  describe("when the governor acts through the manager after its delay", () => {
    describe("when the timeout is zero", () => {
      it("should revert", async () => {
        const f = await loadFixture(enabled);
        const data = f.clearing.interface.encodeFunctionData("setEscalationTimeout", [0]);
        await expect(
          scheduleAndExecute(f.manager, f.accounts.governor, f.clearingAddress, data),
        ).to.be.revertedWithCustomError(f.clearing, "UsageClearing_ZeroEscalationTimeout");
      });
    });

    describe("when the timeout is not zero", () => {
      it("should set it and emit EscalationTimeoutSet", async () => {
        const f = await loadFixture(enabled);
        const data = f.clearing.interface.encodeFunctionData("setEscalationTimeout", [DAY]);
        await expect(asGovernor(f, data)).to.emit(f.clearing, "EscalationTimeoutSet").withArgs(DAY);
        expect(await f.clearing.escalationTimeout()).to.equal(BigInt(DAY));
      });

      it("should move when the arbiter may decide a held part", async () => {
        const f = await loadFixture(withHeldBatch);
        const data = f.clearing.interface.encodeFunctionData("setEscalationTimeout", [DAY]);
        await scheduleAndExecute(f.manager, f.accounts.governor, f.clearingAddress, data);
        const dueAt = f.finalAt + BigInt(DAY);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), f.held))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_EscalationNotDue")
          .withArgs(f.batch.batchId, dueAt);
        await time.setNextBlockTimestamp(dueAt);
        await expect(f.clearing.connect(f.accounts.arbiter).resolveEscalated(onChain(f.batch.header), f.held))
          .to.emit(f.clearing, "DisputeResolved")
          .withArgs(f.batch.batchId, 0, f.held, 0n, true);
      });
    });
  });
});
