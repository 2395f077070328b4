import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { classIdOf, slaCredit, type ClassTerms } from "../../../sdk/src/capacity";
import { DAY, deployCapacityFixture, HOUR, sliceTerms, USDC, type CapacityFixture } from "../../helpers/capacity";

const EVIDENCE = ethers.id("monitoring report 2026-11-27");
const coder = ethers.AbiCoder.defaultAbiCoder();
/** The breach id the contract computes: the class and the window, never the evidence. */
const breachIdOf = (classId: bigint, from: bigint, to: bigint) =>
  ethers.keccak256(coder.encode(["uint256", "uint40", "uint40"], [classId, from, to]));
const refOf = (breachId: string, holderId: bigint) =>
  ethers.keccak256(coder.encode(["bytes32", "uint32"], [breachId, holderId]));

interface SlaFixture extends CapacityFixture {
  /** A breach window of two hours inside the slice's validity, already over. */
  from: bigint;
  to: bigint;
}

/**
 * Bob holds 4 slice units and carol 3 (alice, alpha's admin, keeps 3): 7 units outside the issuer. The clock is past a
 * two-hour breach window.
 */
async function withHolders(): Promise<SlaFixture> {
  const f = await deployCapacityFixture();
  const a = f.accounts;
  await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.sliceId, 4n, "0x");
  await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, f.sliceId, 3n, "0x");
  const from = BigInt(f.slice.validFrom) + BigInt(HOUR);
  const to = from + 2n * BigInt(HOUR);
  await time.increaseTo(to);
  return { ...f, from, to };
}

describe("CapacityToken.recordSlaBreach / arbitrateSlaBreach", () => {
  describe("when the issuer's path is called by someone else", () => {
    it("should revert with NotIssuer for an attacker, a holder and the arbiter", async () => {
      const f = await loadFixture(withHolders);
      for (const who of [f.accounts.eve, f.accounts.bob, f.accounts.arbiter]) {
        await expect(f.capacity.connect(who).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [f.accounts.bob]))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
          .withArgs(f.alpha, who.address);
      }
    });
  });

  describe("when the arbiter's path is called by someone else", () => {
    it("should revert with AccessManagedUnauthorized for an attacker and the issuer", async () => {
      const f = await loadFixture(withHolders);
      for (const who of [f.accounts.eve, f.accounts.alice]) {
        await expect(f.capacity.connect(who).arbitrateSlaBreach(f.slice, f.from, f.to, EVIDENCE, [f.accounts.bob]))
          .to.be.revertedWithCustomError(f.capacity, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the class is not a slice class in existence", () => {
    it("should revert with UnknownClass for terms of no class", async () => {
      const f = await loadFixture(withHolders);
      const other: ClassTerms = { ...f.slice, salt: ethers.toBeHex(9, 32) };
      await expect(f.capacity.connect(f.accounts.alice).recordSlaBreach(other, f.from, f.to, EVIDENCE, []))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
        .withArgs(classIdOf(other));
    });

    it("should revert with NotSlice for a data class", async () => {
      const f = await loadFixture(withHolders);
      await expect(f.capacity.connect(f.accounts.alice).recordSlaBreach(f.data, f.from, f.to, EVIDENCE, []))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotSlice")
        .withArgs(f.dataId);
    });
  });

  describe("when the window is invalid", () => {
    it("should revert with InvalidBreachWindow when empty, outside the validity or not over", async () => {
      const f = await loadFixture(withHolders);
      const now = BigInt(await time.latest());
      const validFrom = BigInt(f.slice.validFrom);
      for (const [from, to] of [
        [f.from, f.from],
        [f.to, f.from],
        [validFrom - 1n, f.to],
        [f.from, now + BigInt(DAY)], // not over yet (a day of margin: the clock may run ahead of the last block)
      ]) {
        await expect(f.capacity.connect(f.accounts.alice).recordSlaBreach(f.slice, from, to, EVIDENCE, []))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidBreachWindow")
          .withArgs(from, to);
      }
    });

    it("should revert with InvalidBreachWindow for a window ending after the validity", async () => {
      const f = await loadFixture(withHolders);
      const end = BigInt(f.slice.validUntil);
      await time.increaseTo(end + 10n);
      await expect(f.capacity.connect(f.accounts.alice).recordSlaBreach(f.slice, end - 10n, end + 1n, EVIDENCE, []))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidBreachWindow")
        .withArgs(end - 10n, end + 1n);
      // Up to validUntil exactly is fine.
      await expect(
        f.capacity.connect(f.accounts.alice).recordSlaBreach(f.slice, end - 10n, end, EVIDENCE, [f.accounts.bob]),
      ).to.emit(f.capacity, "SlaCredited");
    });
  });

  describe("when the holders are invalid", () => {
    it("should revert with TooManyHolders above 32", async () => {
      const f = await loadFixture(withHolders);
      const many = Array.from({ length: 33 }, () => f.accounts.bob.address);
      await expect(f.capacity.connect(f.accounts.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, many))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_TooManyHolders")
        .withArgs(33, 32);
    });

    it("should revert with NothingToCredit for an outsider, the issuer itself and a member holding nothing", async () => {
      const f = await loadFixture(withHolders);
      const a = f.accounts;
      await f.capacity.connect(a.carol).safeTransferFrom(a.carol, a.bob, f.sliceId, 3n, "0x");
      for (const holder of [a.eve, a.alice, a.carol]) {
        await expect(f.capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob, holder]))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NothingToCredit")
          .withArgs(holder.address);
      }
      // Nothing was done: bob was not credited by the reverted calls.
      expect(await f.capacity.isCredited(breachIdOf(f.sliceId, f.from, f.to), f.beta)).to.equal(false);
    });

    it("should revert with AlreadyCredited for a holder named twice, in one call or in two", async () => {
      const f = await loadFixture(withHolders);
      const a = f.accounts;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      await expect(f.capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob, a.bob]))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_AlreadyCredited")
        .withArgs(breachId, f.beta);
      await f.capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]);
      await expect(f.capacity.connect(a.arbiter).arbitrateSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.carol, a.bob]))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_AlreadyCredited")
        .withArgs(breachId, f.beta);
    });
  });

  describe("when everything holds", () => {
    it("should credit each holder units x rate x hours as a vault obligation from the issuer", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, vault, usdc, accounts: a } = f;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      const bobCredit = slaCredit(4n, 2n * USDC, f.from, f.to); // 4 units x 2 USDC x 2 h = 16 USDC
      const carolCredit = slaCredit(3n, 2n * USDC, f.from, f.to);
      expect(bobCredit).to.equal(16n * USDC);
      const tx = capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob, a.carol]);
      await expect(tx)
        .to.emit(capacity, "SlaBreachRecorded")
        .withArgs(breachId, f.sliceId, f.from, f.to, EVIDENCE, false, 7n);
      await expect(tx).to.emit(capacity, "SlaCredited").withArgs(breachId, f.beta, 4n, bobCredit, 3n);
      await expect(tx).to.emit(capacity, "SlaCredited").withArgs(breachId, f.gamma, 3n, carolCredit, 0n);
      const cycle = (await vault.tokenConfig(usdc)).cycle;
      await expect(tx)
        .to.emit(vault, "ObligationApplied")
        .withArgs(await usdc.getAddress(), f.alpha, f.beta, cycle, bobCredit, refOf(breachId, f.beta));
      expect(await vault.openPositionOf(f.alpha, usdc)).to.equal(-(bobCredit + carolCredit));
      expect(await vault.openPositionOf(f.beta, usdc)).to.equal(bobCredit);
      expect(await capacity.isCredited(breachId, f.gamma)).to.equal(true);
      expect(await capacity.slaBreach(breachId)).to.deep.equal([true, 0n]);
      expect(await capacity.slaBreachIdOf(f.sliceId, f.from, f.to)).to.equal(breachId);
    });

    it("should round half up once per holder (0.5 base unit up, just under down)", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      const terms = sliceTerms(f, await f.usdc.getAddress(), 1n, { salt: ethers.toBeHex(1, 32) });
      const id = classIdOf(terms);
      await f.capacity.connect(a.alice).createClass(terms, "");
      await f.capacity.connect(a.alice).mint(id, a.bob, 3n, "0x");
      await f.capacity.connect(a.alice).mint(id, a.carol, 1n, "0x");
      const from = BigInt(terms.validFrom);
      await time.increaseTo(from + 2000n);
      // bob: 3 x 1 x 600 s / 3600 = 0.5 -> 1; carol: 1 x 1 x 1799 / 3600 -> 0 (no obligation, still credited).
      await expect(f.capacity.connect(a.alice).recordSlaBreach(terms, from, from + 600n, EVIDENCE, [a.bob]))
        .to.emit(f.capacity, "SlaCredited")
        .withArgs(breachIdOf(id, from, from + 600n), f.beta, 3n, 1n, 1n);
      const zero = f.capacity.connect(a.alice).recordSlaBreach(terms, from, from + 1799n, EVIDENCE, [a.carol]);
      await expect(zero)
        .to.emit(f.capacity, "SlaCredited")
        .withArgs(breachIdOf(id, from, from + 1799n), f.gamma, 1n, 0n, 3n);
      await expect(zero).to.not.emit(f.vault, "ObligationApplied");
      expect(await f.capacity.isCredited(breachIdOf(id, from, from + 1799n), f.gamma)).to.equal(true);
      expect(slaCredit(3n, 1n, from, from + 600n)).to.equal(1n);
      expect(slaCredit(1n, 1n, from, from + 1799n)).to.equal(0n);
    });

    it("should let the arbiter record it (byArbiter) and a suspended issuer still pay", async () => {
      const f = await loadFixture(withHolders);
      const a = f.accounts;
      await f.registry.connect(a.pauser).suspendOperator(f.alpha, ethers.ZeroHash);
      await expect(f.capacity.connect(a.arbiter).arbitrateSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]))
        .to.emit(f.capacity, "SlaBreachRecorded")
        .withArgs(breachIdOf(f.sliceId, f.from, f.to), f.sliceId, f.from, f.to, EVIDENCE, true, 7n);
      await expect(f.capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.carol])).to.emit(
        f.capacity,
        "SlaCredited",
      );
    });

    it("should queue the credit in the vault when the issuer lacks funds", async () => {
      const f = await loadFixture(withHolders);
      const a = f.accounts;
      await f.vault.connect(a.alice).withdraw(f.alpha, f.usdc, 100_000n * USDC);
      await expect(f.capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob])).to.emit(
        f.vault,
        "ObligationQueued",
      );
      expect(await f.vault.queueLength(f.alpha, f.usdc)).to.equal(1n);
    });
  });

  describe("when the issuer and the arbiter record the same window with different evidence", () => {
    it("should meet one breach, so a holder credited on one path is refused on the other", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, vault, usdc, accounts: a } = f;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      await capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]);
      const other = ethers.id("arbiter's own monitoring");
      // The attack: bob credited a second time for the same hours, under evidence of the arbiter's.
      await expect(capacity.connect(a.arbiter).arbitrateSlaBreach(f.slice, f.from, f.to, other, [a.bob]))
        .to.be.revertedWithCustomError(capacity, "CapacityToken_AlreadyCredited")
        .withArgs(breachId, f.beta);
      expect(await vault.openPositionOf(f.beta, usdc)).to.equal(slaCredit(4n, 2n * USDC, f.from, f.to));
      // The arbiter's record continues the breach: its evidence is emitted, carol takes the 3 units left.
      const tx = capacity.connect(a.arbiter).arbitrateSlaBreach(f.slice, f.from, f.to, other, [a.carol]);
      await expect(tx)
        .to.emit(capacity, "SlaBreachRecorded")
        .withArgs(breachId, f.sliceId, f.from, f.to, other, true, 3n);
      await expect(tx)
        .to.emit(capacity, "SlaCredited")
        .withArgs(breachId, f.gamma, 3n, slaCredit(3n, 2n * USDC, f.from, f.to), 0n);
    });
  });

  describe("when units move between the calls that record one breach", () => {
    it("should credit each unit at most once: the new holder takes only what the breach has left", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, vault, usdc, accounts: a } = f;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      const perUnit = (units: bigint) => slaCredit(units, 2n * USDC, f.from, f.to);
      await capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]);
      // The attack: bob hands his credited units to carol, who is named in the next call.
      await capacity.connect(a.bob).safeTransferFrom(a.bob, a.carol, f.sliceId, 4n, "0x");
      const tx = await capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.carol]);
      // Alpha owes for the 7 units held outside it when the breach was first recorded, not 4 + 7 = 11.
      expect(await vault.openPositionOf(f.alpha, usdc)).to.equal(-perUnit(7n));
      expect(await vault.openPositionOf(f.gamma, usdc)).to.equal(perUnit(3n));
      await expect(tx).to.emit(capacity, "SlaCredited").withArgs(breachId, f.gamma, 3n, perUnit(3n), 0n);
      expect(await capacity.slaBreach(breachId)).to.deep.equal([true, 0n]);
    });

    it("should not raise the breach's units when the issuer mints or hands out units after its first record", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, accounts: a } = f;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      await expect(capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, []))
        .to.emit(capacity, "SlaBreachRecorded")
        .withArgs(breachId, f.sliceId, f.from, f.to, EVIDENCE, false, 7n);
      expect(await capacity.slaBreach(breachId)).to.deep.equal([true, 7n]);
      await capacity.connect(a.alice).mint(f.sliceId, a.bob, 20n, "0x");
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.sliceId, 3n, "0x");
      await expect(capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]))
        .to.emit(capacity, "SlaCredited")
        .withArgs(breachId, f.beta, 7n, slaCredit(7n, 2n * USDC, f.from, f.to), 0n);
    });

    it("should count only the units outside the issuer's admin account when the arbiter records first", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, accounts: a } = f;
      await expect(capacity.connect(a.arbiter).arbitrateSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]))
        .to.emit(capacity, "SlaBreachRecorded")
        .withArgs(breachIdOf(f.sliceId, f.from, f.to), f.sliceId, f.from, f.to, EVIDENCE, true, 7n);
    });
  });

  describe("when the breach has credited every unit it may", () => {
    it("should revert with BreachFullyCredited for a holder named after that, and record nothing", async () => {
      const f = await loadFixture(withHolders);
      const { capacity, accounts: a } = f;
      const breachId = breachIdOf(f.sliceId, f.from, f.to);
      await capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, []);
      await capacity.connect(a.carol).safeTransferFrom(a.carol, a.bob, f.sliceId, 3n, "0x");
      await capacity.connect(a.alice).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.bob]); // 7 of 7
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.carol, f.sliceId, 3n, "0x");
      for (const who of [a.alice, a.arbiter]) {
        const call =
          who === a.alice
            ? capacity.connect(who).recordSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.carol])
            : capacity.connect(who).arbitrateSlaBreach(f.slice, f.from, f.to, EVIDENCE, [a.carol]);
        await expect(call)
          .to.be.revertedWithCustomError(capacity, "CapacityToken_BreachFullyCredited")
          .withArgs(breachId, a.carol.address);
      }
      expect(await capacity.isCredited(breachId, f.gamma)).to.equal(false);
    });

    it("should refuse every holder of a breach first recorded while the issuer held all units", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const { capacity, accounts: a } = f;
      const from = BigInt(f.slice.validFrom);
      await time.increaseTo(from + BigInt(HOUR));
      await capacity.connect(a.alice).recordSlaBreach(f.slice, from, from + 60n, EVIDENCE, []);
      await capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.sliceId, 5n, "0x");
      await expect(capacity.connect(a.alice).recordSlaBreach(f.slice, from, from + 60n, EVIDENCE, [a.bob]))
        .to.be.revertedWithCustomError(capacity, "CapacityToken_BreachFullyCredited")
        .withArgs(breachIdOf(f.sliceId, from, from + 60n), a.bob.address);
    });
  });
});
