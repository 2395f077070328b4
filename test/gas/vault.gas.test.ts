import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { encodeTadig } from "../../sdk/src/tadig";
import type { MockStablecoin } from "../../sdk/src/typechain";
import { checkGas, gasUsed } from "../helpers/gas";
import { USDC, deployVault } from "../helpers/vault";
import type { VaultFixture } from "../helpers/vault";

/**
 * Gas of the vault's user-facing operations, one named scenario each, checked against the committed snapshot
 * (test/gas/gas-snapshot.json) by test/helpers/gas.ts, and against the budgets of issue 4 where it sets one:
 * deposit with permit <= 110,000; withdraw <= 70,000; recording an obligation <= 60,000; closing a cycle <= 80,000
 * with 3 members and with 300 members.
 */

const u = (n: number | bigint) => BigInt(n) * USDC;
const REF = ethers.id("clearing batch 2026-W48");

const BUDGET = {
  depositWithPermit: 110_000n,
  withdraw: 70_000n,
  recordObligation: 60_000n,
  closeCycle: 80_000n,
};

/** An EIP-2612 permit signed by `owner` for the vault. */
async function signPermit(token: MockStablecoin, owner: HardhatEthersSigner, spender: string, value: bigint) {
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
  const deadline = ethers.MaxUint256;
  const message = { owner: owner.address, spender, value, nonce: await token.nonces(owner), deadline };
  const sig = ethers.Signature.from(await owner.signTypedData(domain, types, message));
  return { deadline, v: sig.v, r: sig.r, s: sig.s };
}

/** Alice deposits for alpha with a permit, without any standing approval. */
async function depositWithPermit(f: VaultFixture, amount: bigint) {
  const { v, r, s, deadline } = await signPermit(f.usdc, f.accounts.alice, await f.vault.getAddress(), amount);
  return f.vault.connect(f.accounts.alice).depositWithPermit(f.alpha, f.usdc, amount, deadline, v, r, s);
}

/** The vault already holds USDC (beta deposited 50); alice has revoked her standing approval and uses permits. */
async function withPermitDepositor(): Promise<VaultFixture> {
  const f = await deployVault();
  await f.vault.connect(f.accounts.bob).deposit(f.beta, f.usdc, u(50));
  await f.usdc.connect(f.accounts.alice).approve(f.vault, 0);
  return f;
}

/** Alpha deposited 100, beta 50. */
async function withDeposits(): Promise<VaultFixture> {
  const f = await deployVault();
  await f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(100));
  await f.vault.connect(f.accounts.bob).deposit(f.beta, f.usdc, u(50));
  return f;
}

async function closeOpenCycle(f: VaultFixture): Promise<bigint> {
  await time.increaseTo((await f.vault.tokenConfig(f.usdc)).openEnd);
  return gasUsed(f.vault.closeCycle(f.usdc));
}

/** Every member deposits 10 USDC and owes the next member (in a ring) 1 USDC in cycle 1. */
async function withMembers(f: VaultFixture, count: number): Promise<VaultFixture> {
  const { vault, usdc, registry, suite, accounts: a } = f;
  // Members beyond the fixture's three are registered by the registrar; their keys never send transactions.
  for (let i = 0; i < count - 3; ++i) {
    const code = `ZZ${String.fromCharCode(65 + Math.floor(i / 100))}${String(i % 100).padStart(2, "0")}`;
    const admin = ethers.getAddress(`0x${(0xad000000 + i).toString(16).padStart(40, "0")}`);
    const signer = ethers.getAddress(`0x${(0x51000000 + i).toString(16).padStart(40, "0")}`);
    await registry.connect(a.registrar).registerOperator([encodeTadig(code)], admin, admin, [signer], "");
  }
  expect(await registry.operatorCount()).to.equal(BigInt(count));
  // Anyone may deposit for a member: dave funds them all.
  await usdc.mint(a.dave, u(10 * count));
  await usdc.connect(a.dave).approve(vault, ethers.MaxUint256);
  for (let id = 1; id <= count; ++id) await vault.connect(a.dave).deposit(id, usdc, u(10));
  for (let id = 1; id <= count; ++id) {
    await vault.connect(suite).recordObligation(id, (id % count) + 1, usdc, u(1), REF);
  }
  return f;
}

async function withThreeMembers(): Promise<VaultFixture> {
  return withMembers(await deployVault(), 3);
}

async function withThreeHundredMembers(): Promise<VaultFixture> {
  return withMembers(await deployVault(), 300);
}

describe("Gas snapshot: SettlementVault", () => {
  const scenarios: [string, bigint | undefined, () => Promise<bigint>][] = [
    [
      "vault.deposit (existing member, vault already holds the token)",
      undefined,
      async () => {
        const f = await loadFixture(withDeposits);
        return gasUsed(f.vault.connect(f.accounts.alice).deposit(f.alpha, f.usdc, u(25)));
      },
    ],
    [
      "vault.depositWithPermit (existing member topping up)",
      BUDGET.depositWithPermit,
      async () => {
        const f = await loadFixture(withPermitDepositor);
        await depositWithPermit(f, u(100));
        return gasUsed(depositWithPermit(f, u(25)));
      },
    ],
    [
      "vault.depositWithPermit (first deposit of a new member)",
      undefined,
      async () => {
        const f = await loadFixture(withPermitDepositor);
        return gasUsed(depositWithPermit(f, u(100)));
      },
    ],
    [
      "vault.withdraw (payout address already holds the token)",
      BUDGET.withdraw,
      async () => {
        const f = await loadFixture(withDeposits);
        await f.vault.connect(f.accounts.alice).withdraw(f.alpha, f.usdc, u(10));
        return gasUsed(f.vault.connect(f.accounts.alice).withdraw(f.alpha, f.usdc, u(10)));
      },
    ],
    [
      "vault.recordObligation (pair with an obligation in an earlier cycle)",
      BUDGET.recordObligation,
      async () => {
        const f = await loadFixture(withDeposits);
        await f.vault.connect(f.suite).recordObligation(f.alpha, f.beta, f.usdc, u(10), REF);
        await closeOpenCycle(f);
        return gasUsed(f.vault.connect(f.suite).recordObligation(f.alpha, f.beta, f.usdc, u(10), REF));
      },
    ],
    [
      "vault.recordObligation (first obligation between a pair)",
      undefined,
      async () => {
        const f = await loadFixture(withDeposits);
        return gasUsed(f.vault.connect(f.suite).recordObligation(f.alpha, f.gamma, f.usdc, u(10), REF));
      },
    ],
    [
      "vault.processQueue (1 entry)",
      undefined,
      async () => {
        const f = await loadFixture(withDeposits);
        await f.vault.connect(f.suite).recordObligation(f.gamma, f.alpha, f.usdc, u(10), REF); // queued
        await f.vault.connect(f.accounts.carol).deposit(f.gamma, f.usdc, u(10));
        return gasUsed(f.vault.processQueue(f.gamma, f.usdc, 1));
      },
    ],
    [
      "vault.transferFree",
      undefined,
      async () => {
        const f = await loadFixture(withDeposits);
        return gasUsed(f.vault.connect(f.suite).transferFree(f.alpha, f.beta, f.usdc, u(10), REF));
      },
    ],
  ];

  for (const [name, budget, run] of scenarios) {
    const bound = budget === undefined ? "" : ` and its budget of ${budget.toLocaleString("en")}`;
    it(`should keep "${name}" within 1% of the snapshot${bound}`, async () => {
      const failure = checkGas(name, await run(), budget);
      expect(failure, failure).to.equal(undefined);
    });
  }

  it("should close a cycle at the same cost with 3 and with 300 members, within 80,000", async () => {
    const three = await closeOpenCycle(await loadFixture(withThreeMembers));
    const threeHundred = await closeOpenCycle(await loadFixture(withThreeHundredMembers));
    for (const [name, gas] of [
      ["vault.closeCycle (3 members)", three],
      ["vault.closeCycle (300 members)", threeHundred],
    ] as const) {
      const failure = checkGas(name, gas, BUDGET.closeCycle);
      expect(failure, failure).to.equal(undefined);
    }
    // O(1): no loop over members. Allow a few hundred gas for storage that differs by history, not by count.
    expect(threeHundred > three ? threeHundred - three : three - threeHundred).to.be.lessThanOrEqual(200n);
  });
});
