/**
 * The gas benchmarks of issue 8, on Hardhat's in-process network (`hardhat run scripts/bench/gas.ts`):
 *
 * - Settlement at scale: `BENCH_MEMBERS` (default 10, 100 and 800) members of the vault and one random month of
 *   bilateral obligations (each member owes `BENCH_PARTNERS`, default 6, random partners 1 to 5,000 USDC each). Gas
 *   of closing the cycle and of each member's settlement, and, for the same month, gross bilateral settlement (one
 *   ERC-20 transfer per ordered pair with obligations) against the vault's multilateral netting (one transfer per
 *   member with a non-zero position: net payers top up, net receivers withdraw).
 * - Cost per record: a batch of 1, 1,000 and 1,000,000 generated records (`BENCH_BATCHES`), submitted through
 *   UsageClearing with only its Merkle root on chain, accepted by the home network (which makes it final) and
 *   finalized into the vault: gas of each step and gas per record.
 *
 * Gas is deterministic: a second run gives the same figures (`BENCH_GAS_RUNS`, default 1, checks it). Writes
 * `reports/bench-gas.json`.
 */
import { ethers } from "hardhat";
import { impersonateAccount, setBalance, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";

import {
  aggregateRecords,
  buildRecordTree,
  chargedVolume,
  Service,
  type BatchHeader,
  type RecordLeaf,
} from "../../sdk/src";
import { fastRecordId, fastSubscriberHash } from "../../sdk/src/cdr/hash";
import { periodSalt } from "../../sdk/src/merkle/leaf";
import { encodeTadig } from "../../sdk/src/tadig";
import { DAY } from "../../test/helpers/agreements";
import { deployClearingFixture, onChain, submitArgs, type ClearingFixture } from "../../test/helpers/clearing";
import { USDC, deployVault, type VaultFixture } from "../../test/helpers/vault";
import { envInt, machine, medianBig, writeReport } from "./common";
import { generateCdrs, Prng32, seed32 } from "../../sdk/src/testing";

const MEMBERS = (process.env.BENCH_MEMBERS ?? "10,100,800").split(",").map(Number);
const PARTNERS = envInt("BENCH_PARTNERS", 6);
const BATCHES = (process.env.BENCH_BATCHES ?? "1,1000,1000000").split(",").map(Number);
const GAS_RUNS = envInt("BENCH_GAS_RUNS", 1);

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt.gasUsed;
}

/*//////////////////////////////////////////////////////////////////////////
                             SETTLEMENT AT SCALE
//////////////////////////////////////////////////////////////////////////*/

interface Obligation {
  readonly payer: number;
  readonly payee: number;
  readonly amount: bigint;
}

/** The random month: each member owes `partners` distinct random others 1 to 5,000 USDC (seeded, reproducible). */
function randomMonth(members: number, partners: number): Obligation[] {
  const rng = new Prng32(seed32(`settlement month of ${members}`));
  const out: Obligation[] = [];
  for (let payer = 1; payer <= members; payer++) {
    const chosen = new Set<number>();
    const k = Math.min(partners, members - 1);
    while (chosen.size < k) {
      const payee = 1 + rng.below(members);
      if (payee !== payer) chosen.add(payee);
    }
    for (const payee of chosen) out.push({ payer, payee, amount: BigInt(1 + rng.below(5_000)) * USDC });
  }
  return out;
}

interface SettlementFigures {
  members: number;
  obligations: number;
  recordObligationGas: { total: bigint; median: bigint };
  closeCycleGas: bigint;
  memberSettlement: {
    payers: number;
    receivers: number;
    flat: number;
    /** Gas of a net payer's top-up deposit: median and max. */
    payerGas: { median: bigint; max: bigint };
    /** Gas of a net receiver's withdrawal: median and max. */
    receiverGas: { median: bigint; max: bigint };
    totalGas: bigint;
  };
  gross: { transfers: number; value: bigint; gas: bigint };
  net: { transfers: number; value: bigint; gas: bigint; gasWithClose: bigint };
}

/** The admin (and payout) address of extra member `i` (its key is impersonated). */
function extraAdmin(i: number): string {
  return ethers.getAddress(`0x${(0xad000000 + i).toString(16).padStart(40, "0")}`);
}

async function settlementAtScale(members: number): Promise<SettlementFigures> {
  const f: VaultFixture = await deployVault();
  const { vault, usdc, registry, suite, accounts: a } = f;
  const admins: string[] = [a.alice.address, a.bob.address, a.carol.address];
  for (let i = 0; i < members - 3; ++i) {
    const code = `Z${String.fromCharCode(65 + (Math.floor(i / 100) % 26))}${String.fromCharCode(65 + Math.floor(i / 1000))}${String(i % 100).padStart(2, "0")}`;
    const admin = extraAdmin(i);
    await registry.connect(a.registrar).registerOperator([encodeTadig(code)], admin, admin, [admin], "");
    admins.push(admin);
  }
  const month = randomMonth(members, PARTNERS);
  const owes = new Array<bigint>(members + 1).fill(0n);
  const net = new Array<bigint>(members + 1).fill(0n);
  const pairs = new Map<string, bigint>();
  for (const o of month) {
    owes[o.payer] += o.amount;
    net[o.payer] -= o.amount;
    net[o.payee] += o.amount;
    const key = `${o.payer}>${o.payee}`;
    pairs.set(key, (pairs.get(key) ?? 0n) + o.amount);
  }

  // Standing floats: each member keeps what it owes in the month in the vault, so that every obligation is final at
  // once whatever the order (queuing is measured by the unit tests). Funded once, not part of a month's settlement.
  const total = owes.reduce((s, x) => s + x, 0n);
  await usdc.mint(a.dave, total * 3n);
  await usdc.connect(a.dave).approve(vault, ethers.MaxUint256);
  for (let id = 1; id <= members; id++) if (owes[id] > 0n) await vault.connect(a.dave).deposit(id, usdc, owes[id]);

  const recordGas: bigint[] = [];
  for (const [i, o] of month.entries()) {
    recordGas.push(
      await gasOf(vault.connect(suite).recordObligation(o.payer, o.payee, usdc, o.amount, ethers.id(`month/${i}`))),
    );
  }
  for (let id = 1; id <= members; id++) {
    const position = await vault.openPositionOf(id, usdc);
    if (position !== net[id]) throw new Error(`member ${id}: position ${position}, model ${net[id]}`);
  }

  await time.increaseTo((await vault.tokenConfig(usdc)).openEnd);
  const closeCycleGas = await gasOf(vault.closeCycle(usdc));

  // Each member's settlement of the month: net payers top their float up by their debit, net receivers withdraw
  // their credit. One transfer each; members at zero do nothing.
  const payerGas: bigint[] = [];
  const receiverGas: bigint[] = [];
  for (let id = 1; id <= members; id++) {
    if (net[id] < 0n) {
      payerGas.push(await gasOf(vault.connect(a.dave).deposit(id, usdc, -net[id])));
    } else if (net[id] > 0n) {
      const admin = admins[id - 1];
      await impersonateAccount(admin);
      await setBalance(admin, 10n ** 20n);
      const signer = await ethers.getSigner(admin);
      receiverGas.push(await gasOf(vault.connect(signer).withdraw(id, usdc, net[id])));
    }
  }

  // Gross bilateral settlement of the same month: each ordered pair with obligations pays its total with one ERC-20
  // transfer from the payer's admin to the payee's payout address (both hold USDC already, as operators do).
  for (let id = 1; id <= members; id++) await usdc.mint(admins[id - 1], owes[id] + USDC);
  let grossGas = 0n;
  for (const [key, amount] of pairs) {
    const [payer, payee] = key.split(">").map(Number);
    const from = admins[payer - 1];
    await impersonateAccount(from);
    await setBalance(from, 10n ** 20n);
    grossGas += await gasOf(usdc.connect(await ethers.getSigner(from)).transfer(admins[payee - 1], amount));
  }

  const sum = (xs: bigint[]) => xs.reduce((s, x) => s + x, 0n);
  const max = (xs: bigint[]) => xs.reduce((m, x) => (x > m ? x : m), 0n);
  const settleGas = sum(payerGas) + sum(receiverGas);
  const netValue = net.filter((p) => p < 0n).reduce((s, p) => s - p, 0n);
  return {
    members,
    obligations: month.length,
    recordObligationGas: { total: sum(recordGas), median: medianBig(recordGas) },
    closeCycleGas,
    memberSettlement: {
      payers: payerGas.length,
      receivers: receiverGas.length,
      flat: members - payerGas.length - receiverGas.length,
      payerGas: { median: payerGas.length ? medianBig(payerGas) : 0n, max: max(payerGas) },
      receiverGas: { median: receiverGas.length ? medianBig(receiverGas) : 0n, max: max(receiverGas) },
      totalGas: settleGas,
    },
    gross: { transfers: pairs.size, value: sum([...pairs.values()]), gas: grossGas },
    net: {
      transfers: payerGas.length + receiverGas.length,
      value: netValue,
      gas: settleGas,
      gasWithClose: settleGas + closeCycleGas,
    },
  };
}

/*//////////////////////////////////////////////////////////////////////////
                               COST PER RECORD
//////////////////////////////////////////////////////////////////////////*/

interface BatchFigures {
  records: number;
  services: number;
  root: string;
  submitGas: bigint;
  acceptGas: bigint;
  finalizeGas: bigint;
  totalGas: bigint;
  gasPerRecord: number;
  submitGasPerRecord: number;
}

const SECRET = ethers.id("bench shared secret");

/** The leaves of `count` generated records of the fixture's first day, derived as `ingestCdrs` derives them. */
function batchLeaves(f: ClearingFixture, count: number): RecordLeaf[] {
  const validFrom = BigInt(f.terms.validFrom);
  const increments = new Map(f.tariff.plans.map((p) => [Number(p.service), BigInt(p.increment)]));
  const services = f.tariff.plans.map((p) => ({ service: Number(p.service) as Service, weight: 1 }));
  const cdrs = generateCdrs({
    seed: `batch of ${count}`,
    count,
    subscribers: Math.max(1, Math.min(50_000, count)),
    periodStart: validFrom,
    periodEnd: validFrom + BigInt(DAY),
    validFrom,
    services,
    volumes: { [Service.Data]: { min: 1_000n, max: 5_000_000n } },
  });
  const salt = periodSalt(SECRET, f.agreementId, 0n);
  const subscribers = new Map<string, string>();
  const leaves: RecordLeaf[] = [];
  let index = 0;
  for (const cdr of cdrs) {
    let subscriber = subscribers.get(cdr.imsi);
    if (subscriber === undefined) {
      subscriber = fastSubscriberHash(salt, cdr.imsi);
      subscribers.set(cdr.imsi, subscriber);
    }
    leaves.push({
      recordId: fastRecordId(subscriber, cdr.service, cdr.eventStart, cdr.eventRef),
      subscriberHash: subscriber,
      service: cdr.service,
      eventStart: cdr.eventStart,
      chargedVolume: chargedVolume(cdr.rawVolume, increments.get(cdr.service) ?? 1n),
      index: index++,
    });
  }
  return leaves;
}

async function costPerRecord(count: number): Promise<BatchFigures> {
  const f = await deployClearingFixture();
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  // Beta (the payer) tops up, so that the batch's charge is applied at once whatever its size.
  await f.token.mint(f.accounts.bob, 100_000_000n * USDC);
  await f.vault.connect(f.accounts.bob).deposit(f.beta, f.token, 100_000_000n * USDC);

  const leaves = batchLeaves(f, count);
  const tree = buildRecordTree(leaves);
  const totals = aggregateRecords(leaves);
  const validFrom = BigInt(f.terms.validFrom);
  const header: BatchHeader = {
    agreementId: f.agreementId,
    direction: 0,
    sequence: 1,
    periodStart: validFrom,
    periodEnd: validFrom + BigInt(DAY),
    baseTariff: f.terms.baseTariff[0],
    services: totals.services,
    volumes: totals.volumes,
    recordCounts: totals.recordCounts,
    taxes: totals.taxes,
    root: tree.root,
    fileHash: ethers.id(`bench file of ${count}`),
  };
  const submitGas = await gasOf(
    f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(header), "ipfs://bench-batch", "0x"),
  );
  const acceptGas = await gasOf(f.clearing.connect(f.accounts.bob).accept(onChain(header)));
  const finalizeGas = await gasOf(f.clearing.connect(f.accounts.eve).finalize(onChain(header)));
  const totalGas = submitGas + acceptGas + finalizeGas;
  return {
    records: count,
    services: totals.services.length,
    root: tree.root,
    submitGas,
    acceptGas,
    finalizeGas,
    totalGas,
    gasPerRecord: Number(totalGas) / count,
    submitGasPerRecord: Number(submitGas) / count,
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                    MAIN
//////////////////////////////////////////////////////////////////////////*/

async function main(): Promise<void> {
  const settlement: SettlementFigures[] = [];
  const batches: BatchFigures[] = [];
  for (let run = 0; run < GAS_RUNS; run++) {
    for (const members of MEMBERS) {
      const t0 = performance.now();
      const s = await settlementAtScale(members);
      console.log(
        `settlement, ${members} members: close ${s.closeCycleGas} gas; ${s.obligations} obligations; gross ` +
          `${s.gross.transfers} transfers / ${s.gross.gas} gas; net ${s.net.transfers} transfers / ${s.net.gas} gas ` +
          `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      const previous = settlement.find((x) => x.members === members);
      if (previous !== undefined && previous.closeCycleGas !== s.closeCycleGas) {
        throw new Error(`gas differs between runs: ${previous.closeCycleGas} vs ${s.closeCycleGas}`);
      }
      if (previous === undefined) settlement.push(s);
    }
    for (const count of BATCHES) {
      const t0 = performance.now();
      const b = await costPerRecord(count);
      console.log(
        `batch of ${count}: submit ${b.submitGas}, accept ${b.acceptGas}, finalize ${b.finalizeGas}: ` +
          `${b.gasPerRecord.toFixed(4)} gas/record (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
      const previous = batches.find((x) => x.records === count);
      if (previous !== undefined && previous.totalGas !== b.totalGas) {
        throw new Error(`gas differs between runs: ${previous.totalGas} vs ${b.totalGas}`);
      }
      if (previous === undefined) batches.push(b);
    }
  }
  const out = writeReport("bench-gas.json", {
    machine: machine(),
    runs: GAS_RUNS,
    partners: PARTNERS,
    settlement,
    batches,
  });
  console.log(`wrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
