import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../sdk/src/tadig";
import { USDC, deployVault } from "../helpers/vault";
import type { VaultFixture } from "../helpers/vault";

/**
 * The netting effect (issue 4): N members with random bilateral obligations in one cycle. Without netting every
 * (payer, payee) pair settles its own invoice: one transfer per ordered pair that has obligations, for the sum of all
 * obligations. With the vault's multilateral netting each member makes or receives one transfer, for its net
 * position only. The contract's figures are checked against a plain model, and the effect is printed.
 */

const N = 8;
const RUNS = Number(process.env.NETTING_RUNS ?? "12");
const SEED = Number(process.env.NETTING_SEED ?? "20261126");
const u = (n: number | bigint) => BigInt(n) * USDC;
const ids = Array.from({ length: N }, (_, i) => BigInt(i + 1));
const fmt = (amount: bigint) => (amount / USDC).toLocaleString("en");

/** The vault fixture with N members: the fixture's three plus N - 3 registered by the registrar. */
async function withMembers(): Promise<VaultFixture> {
  const f = await deployVault();
  for (let i = 0; i < N - 3; ++i) {
    const admin = ethers.getAddress(`0x${(0xad000000 + i).toString(16).padStart(40, "0")}`);
    const signer = ethers.getAddress(`0x${(0x51000000 + i).toString(16).padStart(40, "0")}`);
    await f.registry
      .connect(f.accounts.registrar)
      .registerOperator([encodeTadig(`NET${i}0`)], admin, admin, [signer], "");
  }
  await f.usdc.mint(f.accounts.dave, u(1_000_000_000));
  await f.usdc.connect(f.accounts.dave).approve(f.vault, ethers.MaxUint256);
  return f;
}

interface Obligation {
  payer: bigint;
  payee: bigint;
  amount: bigint;
}

/** Obligations between distinct members, in whole USDC (1 to 5,000). A cycle has 16 to 64 of them, as a clearing
 * cycle among 8 operators would (56 ordered pairs). */
const obligationArb: fc.Arbitrary<Obligation> = fc
  .record({
    payer: fc.integer({ min: 1, max: N }),
    shift: fc.integer({ min: 1, max: N - 1 }),
    amount: fc.integer({ min: 1, max: 5_000 }),
  })
  .map(({ payer, shift, amount }) => ({
    payer: BigInt(payer),
    payee: BigInt(((payer - 1 + shift) % N) + 1),
    amount: u(amount),
  }));

const scenarioArb = fc.record({
  obligations: fc.array(obligationArb, { minLength: 16, maxLength: 64 }),
  /** What each member deposits beyond what it owes in total, in whole USDC. */
  extras: fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: N, maxLength: N }),
});

describe("Netting effect: N members with random bilateral obligations, gross vs net", () => {
  it(`should settle ${N} members with one transfer each, for their net positions only (${RUNS} random cycles)`, async () => {
    const totals = { grossCount: 0, grossAmount: 0n, netCount: 0, netAmount: 0n };
    let run = 0;

    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ obligations, extras }) => {
        const f = await loadFixture(withMembers);
        const { vault, usdc, suite, accounts: a } = f;

        // The model: gross per ordered pair, and each member's net position.
        const gross = new Map<string, bigint>();
        const net = new Map<bigint, bigint>(ids.map((id) => [id, 0n]));
        const owes = new Map<bigint, bigint>(ids.map((id) => [id, 0n]));
        for (const { payer, payee, amount } of obligations) {
          const key = `${payer}->${payee}`;
          gross.set(key, (gross.get(key) ?? 0n) + amount);
          net.set(payer, net.get(payer)! - amount);
          net.set(payee, net.get(payee)! + amount);
          owes.set(payer, owes.get(payer)! + amount);
        }

        // Each member deposits what it owes plus a little, so that every obligation is applied at once, whatever
        // the order (what queues is the subject of the unit tests).
        const deposits = new Map<bigint, bigint>();
        for (const [i, id] of ids.entries()) {
          const amount = owes.get(id)! + u(extras[i]);
          deposits.set(id, amount);
          if (amount > 0n) await vault.connect(a.dave).deposit(id, usdc, amount);
        }
        for (const [i, { payer, payee, amount }] of obligations.entries()) {
          await vault.connect(suite).recordObligation(payer, payee, usdc, amount, ethers.id(`obligation ${i}`));
        }
        for (const id of ids) expect(await vault.queueLength(id, usdc)).to.equal(0n);

        // The contract agrees with the model: every bilateral gross and every net position; positions sum to zero.
        for (const payer of ids) {
          for (const payee of ids) {
            if (payer === payee) continue;
            const [amount, retained] = await vault.bilateralGross(usdc, 1, payer, payee);
            expect([amount, retained]).to.deep.equal([gross.get(`${payer}->${payee}`) ?? 0n, true]);
          }
        }
        const positions = await Promise.all(ids.map((id) => vault.openPositionOf(id, usdc)));
        expect(positions).to.deep.equal(ids.map((id) => net.get(id)));
        expect(positions.reduce((s, p) => s + p, 0n)).to.equal(0n);

        // Transfers needed. Gross: one per ordered pair with obligations, for the sum of all obligations. Net: one per
        // member with a non-zero position (payers pay in, payees are paid out), for what the net payers owe.
        const grossCount = [...gross.values()].filter((g) => g > 0n).length;
        const grossAmount = obligations.reduce((s, o) => s + o.amount, 0n);
        const netCount = positions.filter((p) => p !== 0n).length;
        const netAmount = positions.filter((p) => p < 0n).reduce((s, p) => s - p, 0n);
        expect(netAmount).to.equal(positions.filter((p) => p > 0n).reduce((s, p) => s + p, 0n));
        expect(netCount).to.be.at.most(N);
        expect(netAmount).to.be.at.most(grossAmount);
        // A member nets to a payment only if it had obligations; the net never needs more transfers than members
        // involved, and never more value than was owed gross.
        const involved = new Set(obligations.flatMap((o) => [o.payer, o.payee])).size;
        expect(netCount).to.be.at.most(involved);

        run += 1;
        const saved = grossAmount === 0n ? 0n : ((grossAmount - netAmount) * 100n) / grossAmount;
        console.log(
          `      run ${String(run).padStart(2)}: ${String(obligations.length).padStart(2)} obligations | ` +
            `gross ${String(grossCount).padStart(2)} transfers, ${fmt(grossAmount).padStart(7)} USDC | ` +
            `net ${netCount} transfers, ${fmt(netAmount).padStart(6)} USDC | ${saved}% less value moved`,
        );
        totals.grossCount += grossCount;
        totals.grossAmount += grossAmount;
        totals.netCount += netCount;
        totals.netAmount += netAmount;

        // After the close, each member's effective balance is its deposit plus its net position, without any
        // member's account being written.
        await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
        await vault.closeCycle(usdc);
        for (const id of ids) {
          expect(await vault.balanceOf(id, usdc)).to.equal(deposits.get(id)! + net.get(id)!);
          expect(await vault.freeBalanceOf(id, usdc)).to.equal(deposits.get(id)! + net.get(id)!);
        }
        const effective = await Promise.all(ids.map((id) => vault.balanceOf(id, usdc)));
        expect(effective.reduce((s, b) => s + b, 0n)).to.equal(await vault.totalLiabilities(usdc));
        expect(await usdc.balanceOf(vault)).to.equal(await vault.totalLiabilities(usdc));
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    console.log(
      `      total over ${run} cycles: gross ${totals.grossCount} transfers, ${fmt(totals.grossAmount)} USDC; ` +
        `net ${totals.netCount} transfers, ${fmt(totals.netAmount)} USDC`,
    );
    expect(totals.netCount).to.be.lessThan(totals.grossCount);
    expect(totals.netAmount).to.be.lessThan(totals.grossAmount);
  });
});
