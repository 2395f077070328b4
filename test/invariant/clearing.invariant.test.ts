import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";

import { rate, signResolution, signVoucher, type Service, type ServicePlan } from "../../sdk/src";
import { DAY, PERIOD } from "../helpers/agreements";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import {
  batchArgs,
  submitArgs,
  onChain,
  buildBatch,
  deployClearingFixture,
  makeRecord,
  multiProofOf,
  proofOf,
  type Batch,
  type ClearingFixture,
} from "../helpers/clearing";
import { Svc } from "../helpers/rating";

/**
 * Invariants C1-C6 of test/invariant/README.md, checked by random sequences of clearing actions (submit, accept,
 * finalize, reject, dispute, fraud proof, resolution, voucher, time) on one agreement's direction 0, against a
 * TypeScript model that rates with the SDK's engine and predicts every outcome (or its refusal). After each action the
 * contract's batches, volumes, drift, lane and the vault's obligations by reference are compared with the model.
 */

const SEQUENCES = campaignSize("CLEARING_INVARIANT_RUNS", 60, 2);
const DEPTH = campaignSize("CLEARING_INVARIANT_DEPTH", 30, 6);
const SERVICES = [Svc.VoiceMO, Svc.SmsMO, Svc.Data, Svc.VoLTE];
const stats = { actions: 0, refused: 0, submitted: 0, finalized: 0, removed: 0 };

interface ModelBatch {
  batch: Batch;
  finalAt: bigint;
  status: "Pending" | "Accepted" | "Final" | "Rejected";
  charge: bigint;
  held: bigint;
  round: number;
  /** Records disputed or proven (each at most once). */
  challenged: Set<number>;
  /** Records the home network disputed: what `Batch.disputed` counts. */
  disputed: number;
  /** Per service, the volume the batch still counts in its period (its totals less what removals took from it). */
  remaining: Map<number, bigint>;
  /** Indices of leaves outside the batch period (provable fraud). */
  outside: number[];
  taxes: bigint;
}

interface Model {
  batches: ModelBatch[];
  volumes: Map<number, bigint>;
  drift: bigint;
  /** What the vault must hold from clearing, by reference. */
  recorded: Map<string, bigint>;
  voucher: bigint;
}

interface Real {
  f: ClearingFixture;
  plans: Map<number, ServicePlan>;
}

const R = (real: Real, service: number, volume: bigint) =>
  volume === 0n ? 0n : rate(real.plans.get(service)!, volume, 0n, 6);

function openBatch(m: Model, i: number, now: bigint): ModelBatch | undefined {
  const b = m.batches[i % Math.max(m.batches.length, 1)];
  return b && b.status === "Pending" && now < b.finalAt ? b : undefined;
}

async function refused(tx: Promise<ContractTransactionResponse>): Promise<void> {
  await expect(tx).to.be.reverted;
  stats.refused++;
}

/**
 * Removes one leaf of batch `b` from the model's volumes, at most what `b` still counts of its service; returns its
 * marginal charge.
 */
function removeLeaf(m: Model, real: Real, b: ModelBatch, service: number, leafVolume: bigint): bigint {
  if (!real.plans.has(service)) return 0n;
  const left = b.remaining.get(service) ?? 0n;
  const volume = leafVolume < left ? leafVolume : left;
  b.remaining.set(service, left - volume);
  const current = m.volumes.get(service) ?? 0n;
  const next = volume < current ? current - volume : 0n;
  m.volumes.set(service, next);
  return R(real, service, current) - R(real, service, next);
}

async function check(m: Model, real: Real): Promise<void> {
  const { f } = real;
  // C1: the lane's sequence counts every batch submitted, rejected ones included.
  expect((await f.clearing.lane(f.agreementId, 0)).sequence).to.equal(BigInt(m.batches.length));
  for (const b of m.batches) {
    const stored = await f.clearing.getBatch(b.batch.batchId);
    const status = { Pending: 1n, Final: 2n, Rejected: 3n, Accepted: 4n }[b.status];
    expect([stored.status, stored.charge, stored.held, stored.disputed]).to.deep.equal([
      status,
      b.charge,
      b.held,
      BigInt(b.disputed),
    ]);
    const own = await f.clearing.batchVolumes(onChain(b.batch.header), SERVICES.length);
    expect(own.map((v) => BigInt(v))).to.deep.equal(
      SERVICES.map((s) => (b.status === "Rejected" ? 0n : (b.remaining.get(s) ?? 0n))),
    );
  }
  const volumes = await f.clearing.periodVolumes(f.agreementId, 0, 0, SERVICES.length);
  expect(volumes.map((v) => BigInt(v))).to.deep.equal(SERVICES.map((s) => m.volumes.get(s) ?? 0n));
  // C5: Σ charges of unrejected batches = Σ_s R_s(V_s) + drift.
  const drift = (await f.clearing.periodCorrections(f.agreementId, 0, 0)).drift;
  expect(drift).to.equal(m.drift);
  const charges = m.batches.filter((b) => b.status !== "Rejected").reduce((s, b) => s + b.charge, 0n);
  const exact = SERVICES.reduce((s, svc) => s + R(real, svc, m.volumes.get(svc) ?? 0n), 0n);
  expect(charges).to.equal(exact + m.drift);
  // C2, C3, C4: the vault holds exactly what the model recorded, once per reference.
  const events = await f.vault.queryFilter(f.vault.filters.ObligationApplied());
  const queued = await f.vault.queryFilter(f.vault.filters.ObligationQueued());
  const byRef = new Map<string, bigint>();
  for (const e of [...events, ...queued]) {
    expect(byRef.has(e.args.ref), `reference ${e.args.ref} recorded twice`).to.equal(false);
    byRef.set(e.args.ref, e.args.amount);
  }
  expect(byRef).to.deep.equal(m.recorded);
}

class Submit implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly count: number,
    readonly outside: number,
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { f } = real;
    const start = BigInt(f.terms.validFrom);
    const end = start + BigInt(DAY);
    const sequence = m.batches.length + 1;
    const leaves = Array.from({ length: this.count }, (_, k) => {
      const service = SERVICES[k % SERVICES.length];
      const outside = k < this.outside;
      const leaf = makeRecord(
        k,
        service,
        outside ? end : start,
        outside ? end + 600n : end,
        BigInt(60 * (1 + (k % 5))),
        k,
      );
      return {
        ...leaf,
        recordId: ethers.id(`${sequence}/${k}`),
        chargedVolume: service === Svc.SmsMO ? 1n : leaf.chargedVolume,
      };
    });
    const batch = buildBatch({
      agreementId: f.agreementId,
      sequence,
      periodStart: start,
      periodEnd: end,
      leaves,
      taxes: { [Svc.Data]: BigInt(sequence) * 1000n },
    });
    // Sent once the prediction is made: the submission is never in flight while the clock is read.
    const send = () => f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(batch.header), "", "0x");
    const deadline = start + BigInt(PERIOD) + BigInt(f.terms.submissionGrace);
    if (BigInt(await time.latest()) + 1n > deadline) return refused(send());
    let charge = 0n;
    for (const [k, service] of batch.header.services.entries()) {
      const v = BigInt(batch.header.volumes[k]);
      const current = m.volumes.get(Number(service)) ?? 0n;
      charge += R(real, Number(service), current + v) - R(real, Number(service), current);
      m.volumes.set(Number(service), current + v);
    }
    await send();
    const finalAt = BigInt(await time.latest()) + 7n * BigInt(DAY);
    const taxes = batch.header.taxes.reduce<bigint>((s, t) => s + BigInt(t), 0n);
    const remaining = new Map(batch.header.services.map((s, k) => [Number(s), BigInt(batch.header.volumes[k])]));
    m.batches.push({
      batch,
      finalAt,
      status: "Pending",
      charge,
      held: 0n,
      round: 0,
      challenged: new Set(),
      disputed: 0,
      remaining,
      outside: Array.from({ length: this.outside }, (_, k) => k),
      taxes,
    });
    stats.submitted++;
  }
  toString = () => `Submit(${this.count}, ${this.outside} outside)`;
}

class Finish implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly i: number,
    readonly byAccept: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.batches.length > 0;
  async run(m: Model, real: Real) {
    const { f } = real;
    const b = m.batches[this.i % m.batches.length];
    const now = BigInt(await time.latest()) + 1n;
    const allowed = this.byAccept
      ? b.status === "Pending" && now < b.finalAt
      : b.status === "Accepted" || (b.status === "Pending" && now >= b.finalAt);
    const tx = this.byAccept
      ? f.clearing.connect(f.accounts.bob).accept(onChain(b.batch.header))
      : f.clearing.connect(f.accounts.eve).finalize(onChain(b.batch.header));
    if (!allowed) return refused(tx);
    await tx;
    if (this.byAccept) {
      b.status = "Accepted";
      return;
    }
    b.status = "Final";
    if (b.charge + b.taxes > 0n) m.recorded.set(b.batch.batchId, b.charge + b.taxes);
    stats.finalized++;
  }
  toString = () => `${this.byAccept ? "Accept" : "Finalize"}(${this.i})`;
}

class ProveOutside implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.batches.length > 0;
  async run(m: Model, real: Real) {
    const { f } = real;
    const b = m.batches[this.i % m.batches.length];
    const index = b.outside.find((k) => !b.challenged.has(k));
    const now = BigInt(await time.latest()) + 1n;
    if (index === undefined) return;
    const record = proofOf(b.batch, index);
    const tx = f.clearing.connect(f.accounts.eve).proveFraud(2, onChain(b.batch.header), record);
    if (!openBatch(m, m.batches.indexOf(b), now)) return refused(tx);
    await tx;
    const marginal = removeLeaf(m, real, b, record.leaf.service, record.leaf.chargedVolume);
    const amount = marginal < b.charge ? marginal : b.charge;
    b.charge -= amount;
    m.drift += marginal - amount;
    b.challenged.add(index);
    stats.removed++;
  }
  toString = () => `ProveOutside(${this.i})`;
}

class Dispute implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly i: number,
    readonly picks: number[],
  ) {}
  check = (m: Readonly<Model>) => m.batches.length > 0;
  async run(m: Model, real: Real) {
    const { f } = real;
    const b = m.batches[this.i % m.batches.length];
    const n = b.batch.leaves.length;
    const indices = [...new Set(this.picks.map((p) => p % n))];
    const now = BigInt(await time.latest()) + 1n;
    const records = multiProofOf(b.batch, indices);
    const codes = records.leaves.map(() => 10);
    const tx = f.clearing.connect(f.accounts.bob).dispute(onChain(b.batch.header), records, codes);
    if (!openBatch(m, m.batches.indexOf(b), now) || indices.some((k) => b.challenged.has(k))) return refused(tx);
    await tx;
    for (const leaf of records.leaves) {
      const marginal = removeLeaf(m, real, b, leaf.service, leaf.chargedVolume);
      const amount = marginal < b.charge ? marginal : b.charge;
      b.charge -= amount;
      b.held += amount;
      m.drift += marginal - amount;
      b.challenged.add(leaf.index);
    }
    b.disputed += indices.length;
    stats.removed += indices.length;
  }
  toString = () => `Dispute(${this.i}, [${this.picks}])`;
}

class Reject implements fc.AsyncCommand<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.batches.length > 0;
  async run(m: Model, real: Real) {
    const { f } = real;
    const b = m.batches[this.i % m.batches.length];
    const now = BigInt(await time.latest()) + 1n;
    const tx = f.clearing.connect(f.accounts.bob).reject(...batchArgs(b.batch.header), 102);
    if (!openBatch(m, m.batches.indexOf(b), now)) return refused(tx);
    await tx;
    let marginal = 0n;
    for (const service of [...b.remaining.keys()]) {
      marginal += removeLeaf(m, real, b, service, b.remaining.get(service) ?? 0n);
    }
    m.drift += marginal - b.charge;
    b.status = "Rejected";
    b.charge = 0n;
    b.held = 0n;
  }
  toString = () => `Reject(${this.i})`;
}

class Resolve implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly i: number,
    readonly share: number,
  ) {}
  check = (m: Readonly<Model>) => m.batches.some((b) => b.held > 0n);
  async run(m: Model, real: Real) {
    const { f } = real;
    const b = m.batches.filter((x) => x.held > 0n)[this.i % m.batches.filter((x) => x.held > 0n).length];
    const pay = (b.held * BigInt(this.share)) / 100n;
    const resolution = { batchId: b.batch.batchId, round: b.round, disputed: b.disputed, held: b.held, payAmount: pay };
    await f.clearing.resolve(
      onChain(b.batch.header),
      pay,
      await signResolution(f.accounts.bobSigner, f.clearingDomain, resolution),
      await signResolution(f.accounts.aliceSigner, f.clearingDomain, resolution),
    );
    const ref = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint16"], [b.batch.batchId, b.round]),
    );
    if (pay > 0n) m.recorded.set(ref, pay);
    b.held = 0n;
    b.round += 1;
  }
  toString = () => `Resolve(${this.i}, ${this.share}%)`;
}

class RedeemVoucher implements fc.AsyncCommand<Model, Real> {
  constructor(readonly cumulative: bigint) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { f } = real;
    const voucher = {
      agreementId: f.agreementId,
      direction: 0,
      cumulativeAmount: this.cumulative,
      expiry: (await time.latest()) + DAY,
    };
    const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
    const tx = f.clearing.connect(f.accounts.alice).redeemVoucher(voucher, signature);
    if (this.cumulative <= m.voucher) return refused(tx);
    await tx;
    const ref = await f.clearing.hashVoucher(voucher);
    m.recorded.set(ref, this.cumulative - m.voucher);
    m.voucher = this.cumulative;
  }
  toString = () => `RedeemVoucher(${this.cumulative})`;
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run() {
    await time.increase(this.seconds);
  }
  toString = () => `Wait(${this.seconds})`;
}

/** Wraps a command: counts it and checks every invariant after it. */
const checked = (command: fc.AsyncCommand<Model, Real>) => checkedCommand(command, stats, check);

async function invariantFixture(): Promise<ClearingFixture> {
  const f = await deployClearingFixture();
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  return f;
}

describe("Invariants: UsageClearing (model-based random sequences)", () => {
  it(`should hold over ${SEQUENCES} random sequences of a submission then up to ${DEPTH} clearing actions`, async () => {
    const index = fc.nat(20);
    const submit = fc
      .tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 0, max: 3 }))
      .map(([n, o]) => new Submit(n, Math.min(o, n)));
    const commands = [
      submit,
      submit,
      fc.tuple(index, fc.boolean()).map(([i, a]) => new Finish(i, a)),
      fc.tuple(index, fc.boolean()).map(([i, a]) => new Finish(i, a)),
      index.map((i) => new ProveOutside(i)),
      fc.tuple(index, fc.array(fc.nat(40), { minLength: 1, maxLength: 4 })).map(([i, p]) => new Dispute(i, p)),
      index.map((i) => new Reject(i)),
      fc.tuple(index, fc.integer({ min: 0, max: 100 })).map(([i, s]) => new Resolve(i, s)),
      fc.bigInt(1n, 50_000_000n).map((c) => new RedeemVoucher(c)),
      fc.constantFrom(3600, DAY, 4 * DAY, 8 * DAY).map((s) => new Wait(s)),
      fc.constantFrom(DAY, 8 * DAY).map((s) => new Wait(s)),
    ].map((arb) => arb.map(checked));

    await fc.assert(
      // Each sequence starts with a submission, so that every sequence runs actions (a random command list may be empty,
      // and almost every other action needs a batch): the campaign cannot pass vacuously, even at coverage's size.
      fc.asyncProperty(
        submit.map(checked),
        fc.commands(commands, { maxCommands: DEPTH, size: "max" }),
        async (first, cmds) => {
          const f = await loadFixture(invariantFixture);
          const plans = new Map<number, ServicePlan>(
            f.tariff.plans.map((p) => [
              Number(p.service),
              {
                service: Number(p.service) as Service,
                kind: Number(p.kind) as ServicePlan["kind"],
                increment: BigInt(p.increment),
                tiers: p.tiers.map((t) => ({
                  start: BigInt(t.start),
                  fixedPrice: BigInt(t.fixedPrice),
                  linearPrice: BigInt(t.linearPrice),
                })),
                unbalancedTiers: [],
              },
            ]),
          );
          const model: Model = { batches: [], volumes: new Map(), drift: 0n, recorded: new Map(), voucher: 0n };
          await fc.asyncModelRun(() => ({ model, real: { f, plans } }), [first, ...cmds]);
        },
      ),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      clearing invariant campaign: ${stats.actions} actions (${stats.submitted} batches, ${stats.finalized} ` +
        `finalized, ${stats.removed} records removed, ${stats.refused} refusals as predicted)`,
    );
    expect(stats.actions).to.be.at.least(SEQUENCES);
  });
});
