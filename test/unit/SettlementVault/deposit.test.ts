import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { MockStablecoin } from "../../../sdk/src/typechain";
import { GOVERNOR_DELAY } from "../../helpers/fixtures";
import { USDC, deployVault } from "../../helpers/vault";
import type { VaultFixture } from "../../helpers/vault";

/** Whole units of the fixture's 6-decimal stablecoins. */
const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");
const UINT96_MAX = 2n ** 96n - 1n;

async function asGovernor(f: VaultFixture, data: string) {
  await f.manager.connect(f.accounts.governor).schedule(f.vault, data, 0);
  await time.increase(GOVERNOR_DELAY);
  return f.manager.connect(f.accounts.governor).execute(f.vault, data);
}

/** An EIP-2612 permit signed by `owner` for the vault, as a wallet would produce it. */
async function signPermit(
  token: MockStablecoin,
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<{ v: number; r: string; s: string }> {
  const d = await token.eip712Domain();
  const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const message = { owner: owner.address, spender, value, nonce: await token.nonces(owner), deadline };
  const sig = ethers.Signature.from(await owner.signTypedData(domain, types, message));
  return { v: sig.v, r: sig.r, s: sig.s };
}

/** Dave holds 1,000 USDC and has approved nothing: the depositor of the permit tests. */
async function withUnapprovedDepositor(): Promise<VaultFixture> {
  const f = await deployVault();
  await f.usdc.mint(f.accounts.dave, u(1_000));
  return f;
}

describe("SettlementVault.deposit", () => {
  describe("when the vault is paused", () => {
    it("should revert", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.pauser).pause();
      await expect(vault.connect(a.alice).deposit(alpha, usdc, u(1))).to.be.revertedWithCustomError(
        vault,
        "EnforcedPause",
      );
    });
  });

  describe("when the token is not allowed", () => {
    it("should revert for a token never allowed", async () => {
      const { vault, alpha, accounts: a } = await loadFixture(deployVault);
      const token = (await (
        await ethers.getContractFactory("MockStablecoin")
      ).deploy("Other", "OTH", 6)) as unknown as MockStablecoin;
      await token.mint(a.alice, u(10));
      await token.connect(a.alice).approve(vault, u(10));
      await expect(vault.connect(a.alice).deposit(alpha, token, u(1)))
        .to.be.revertedWithCustomError(vault, "SettlementVault_TokenNotAllowed")
        .withArgs(await token.getAddress());
    });

    it("should revert for a token disallowed by governance", async () => {
      const f = await loadFixture(deployVault);
      await asGovernor(f, f.vault.interface.encodeFunctionData("disallowToken", [await f.usdc.getAddress()]));
      await expect(f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(1)))
        .to.be.revertedWithCustomError(f.vault, "SettlementVault_TokenNotAllowed")
        .withArgs(await f.usdc.getAddress());
    });
  });

  describe("when the amount is out of range", () => {
    it("should revert for zero", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      await expect(vault.connect(a.alice).deposit(alpha, usdc, 0)).to.be.revertedWithCustomError(
        vault,
        "SettlementVault_ZeroAmount",
      );
    });

    it("should revert above uint96 and accept exactly uint96", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      await expect(vault.connect(a.alice).deposit(alpha, usdc, UINT96_MAX + 1n))
        .to.be.revertedWithCustomError(vault, "SettlementVault_AmountTooLarge")
        .withArgs(UINT96_MAX + 1n);
      await usdc.mint(a.alice, UINT96_MAX);
      await vault.connect(a.alice).deposit(alpha, usdc, UINT96_MAX);
      expect(await vault.balanceOf(alpha, usdc)).to.equal(UINT96_MAX);
    });
  });

  describe("when the operator is unknown", () => {
    it("should revert for id 0 and for an id never registered", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(deployVault);
      for (const id of [0, 99]) {
        await expect(vault.connect(a.alice).deposit(id, usdc, u(1)))
          .to.be.revertedWithCustomError(vault, "SettlementVault_UnknownOperator")
          .withArgs(id);
      }
    });
  });

  describe("when the caller has not approved the vault", () => {
    it("should revert with the token's allowance error", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(withUnapprovedDepositor);
      await expect(vault.connect(a.dave).deposit(alpha, usdc, u(1)))
        .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
        .withArgs(await vault.getAddress(), 0, u(1));
    });
  });

  describe("when the deposit is valid", () => {
    it("should pull the tokens, credit the operator, raise the liabilities and emit Deposited", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      const tx = vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await expect(tx)
        .to.emit(vault, "Deposited")
        .withArgs(alpha, await usdc.getAddress(), a.alice.address, u(100));
      await expect(tx).to.changeTokenBalances(usdc, [a.alice, vault], [-u(100), u(100)]);
      expect(await vault.balanceOf(alpha, usdc)).to.equal(u(100));
      expect(await vault.freeBalanceOf(alpha, usdc)).to.equal(u(100));
      expect(await vault.totalLiabilities(usdc)).to.equal(u(100));
      const account = await vault.accountOf(alpha, usdc);
      expect([account.balance, account.position, account.cycle, account.queued]).to.deep.equal([u(100), 0n, 1n, 0n]);
    });

    it("should let anyone deposit for any registered operator, suspended or not", async () => {
      const { vault, usdc, registry, beta, accounts: a } = await loadFixture(deployVault);
      await usdc.mint(a.dave, u(10));
      await usdc.connect(a.dave).approve(vault, u(10));
      await registry.connect(a.pauser).suspendOperator(beta, ethers.ZeroHash);
      await expect(vault.connect(a.dave).deposit(beta, usdc, u(10)))
        .to.emit(vault, "Deposited")
        .withArgs(beta, await usdc.getAddress(), a.dave.address, u(10));
      expect(await vault.balanceOf(beta, usdc)).to.equal(u(10));
    });

    it("should keep each token's accounts apart", async () => {
      const { vault, usdc, eurc, alpha, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await vault.connect(a.alice).deposit(alpha, eurc, u(7));
      expect(await vault.balanceOf(alpha, usdc)).to.equal(u(100));
      expect(await vault.balanceOf(alpha, eurc)).to.equal(u(7));
      expect(await vault.totalLiabilities(usdc)).to.equal(u(100));
      expect(await vault.totalLiabilities(eurc)).to.equal(u(7));
    });

    it("should first apply the member's position of a closed cycle (PositionSettled)", async () => {
      const { vault, usdc, suite, alpha, beta, accounts: a } = await loadFixture(deployVault);
      await vault.connect(a.alice).deposit(alpha, usdc, u(100));
      await vault.connect(suite).recordObligation(alpha, beta, usdc, u(30), REF);
      await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
      await vault.closeCycle(usdc);
      await expect(vault.connect(a.alice).deposit(alpha, usdc, u(5)))
        .to.emit(vault, "PositionSettled")
        .withArgs(alpha, await usdc.getAddress(), 1, -u(30));
      const account = await vault.accountOf(alpha, usdc);
      expect([account.balance, account.position, account.cycle]).to.deep.equal([u(75), 0n, 2n]);
      expect(await vault.totalLiabilities(usdc)).to.equal(u(105));
    });
  });
});

describe("SettlementVault.depositWithPermit", () => {
  describe("when the vault is paused", () => {
    it("should revert, even with a valid permit", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(withUnapprovedDepositor);
      await vault.connect(a.pauser).pause();
      const { v, r, s } = await signPermit(usdc, a.dave, await vault.getAddress(), u(1), ethers.MaxUint256);
      await expect(
        vault.connect(a.dave).depositWithPermit(alpha, usdc, u(1), ethers.MaxUint256, v, r, s),
      ).to.be.revertedWithCustomError(vault, "EnforcedPause");
    });
  });

  describe("when the deposit itself is invalid", () => {
    it("should revert as deposit does (unknown operator, zero amount), leaving the permit unused", async () => {
      const { vault, usdc, accounts: a } = await loadFixture(withUnapprovedDepositor);
      const { v, r, s } = await signPermit(usdc, a.dave, await vault.getAddress(), u(1), ethers.MaxUint256);
      await expect(vault.connect(a.dave).depositWithPermit(99, usdc, u(1), ethers.MaxUint256, v, r, s))
        .to.be.revertedWithCustomError(vault, "SettlementVault_UnknownOperator")
        .withArgs(99);
      await expect(
        vault.connect(a.dave).depositWithPermit(1, usdc, 0, ethers.MaxUint256, v, r, s),
      ).to.be.revertedWithCustomError(vault, "SettlementVault_ZeroAmount");
      expect(await usdc.nonces(a.dave)).to.equal(0n);
    });
  });

  describe("when the permit is valid and the caller approved nothing before", () => {
    it("should deposit in one transaction, consuming the permit", async () => {
      const { vault, usdc, beta, accounts: a } = await loadFixture(withUnapprovedDepositor);
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(usdc, a.dave, await vault.getAddress(), u(250), deadline);
      const tx = vault.connect(a.dave).depositWithPermit(beta, usdc, u(250), deadline, v, r, s);
      await expect(tx)
        .to.emit(vault, "Deposited")
        .withArgs(beta, await usdc.getAddress(), a.dave.address, u(250));
      await expect(tx).to.changeTokenBalances(usdc, [a.dave, vault], [-u(250), u(250)]);
      expect(await vault.balanceOf(beta, usdc)).to.equal(u(250));
      expect(await usdc.nonces(a.dave)).to.equal(1n);
      expect(await usdc.allowance(a.dave, vault)).to.equal(0n);
    });
  });

  describe("when a front-runner submitted the permit first", () => {
    it("should still deposit, relying on the allowance the permit granted", async () => {
      const { vault, usdc, beta, accounts: a } = await loadFixture(withUnapprovedDepositor);
      const deadline = ethers.MaxUint256;
      const { v, r, s } = await signPermit(usdc, a.dave, await vault.getAddress(), u(250), deadline);
      // Eve copies the signature from the mempool and uses it on the token directly.
      await usdc.connect(a.eve).permit(a.dave, vault, u(250), deadline, v, r, s);
      await expect(vault.connect(a.dave).depositWithPermit(beta, usdc, u(250), deadline, v, r, s))
        .to.emit(vault, "Deposited")
        .withArgs(beta, await usdc.getAddress(), a.dave.address, u(250));
      expect(await vault.balanceOf(beta, usdc)).to.equal(u(250));
    });
  });

  describe("when the permit is invalid", () => {
    it("should revert with the token's allowance error when the caller approved nothing", async () => {
      const { vault, usdc, beta, accounts: a } = await loadFixture(withUnapprovedDepositor);
      const vaultAddress = await vault.getAddress();
      const past = BigInt(await time.latest()) - 1n;
      const cases = [
        // signed by someone else
        { ...(await signPermit(usdc, a.eve, vaultAddress, u(10), ethers.MaxUint256)), deadline: ethers.MaxUint256 },
        // expired
        { ...(await signPermit(usdc, a.dave, vaultAddress, u(10), past)), deadline: past },
        // for another amount
        { ...(await signPermit(usdc, a.dave, vaultAddress, u(9), ethers.MaxUint256)), deadline: ethers.MaxUint256 },
      ];
      for (const { v, r, s, deadline } of cases) {
        await expect(vault.connect(a.dave).depositWithPermit(beta, usdc, u(10), deadline, v, r, s))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientAllowance")
          .withArgs(vaultAddress, 0, u(10));
      }
    });

    it("should deposit through an existing allowance", async () => {
      const { vault, usdc, alpha, accounts: a } = await loadFixture(deployVault);
      const junk = ethers.id("junk");
      await expect(vault.connect(a.alice).depositWithPermit(alpha, usdc, u(3), 0, 27, junk, junk))
        .to.emit(vault, "Deposited")
        .withArgs(alpha, await usdc.getAddress(), a.alice.address, u(3));
    });
  });
});
