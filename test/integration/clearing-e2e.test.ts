import { expect } from "chai";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  buildDisputes,
  buildFraudProofs,
  buildRecordTree,
  ClearingClient,
  DisputeCode,
  FraudKind,
  periodSalt,
  rate,
  reconcileBatches,
  Service,
  signResolution,
  subscriberHash,
  writeCdrCsv,
  type BatchHeader,
  type ServicePlan,
} from "../../sdk/src";
import { ingestCdrFile } from "../../sdk/src/cdr/node";
import { DAY, PERIOD } from "../helpers/agreements";
import { deployClearingFixture, type ClearingFixture } from "../helpers/clearing";
import { CYCLE } from "../helpers/vault";
import { generateCdrs } from "../../sdk/src/testing";

/**
 * The whole clearing path on one batch of 10,000+ generated CDRs, as the two operators would run it with the SDK:
 * the visited network (alpha) writes and reads its CSV, batches and submits it; the home network (beta) reconciles
 * it against its subscribers, proves the duplicates and out-of-period records on chain and disputes the phantom
 * subscribers; the parties settle the dispute jointly; the rest becomes final after the window and settles through
 * the vault's cycle, and alpha withdraws what it earned.
 */

const SECRET = ethers.id("alpha-beta shared salt secret");
const RECORDS = 10_000;
const INJECTED = { duplicates: 12, outOfPeriod: 9, phantom: 7 };

describe("End to end: 10,000 CDRs from CSV to settlement", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "roamledger-e2e-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should submit, reconcile, prove the fraud, dispute the phantoms and settle the rest", async () => {
    const f: ClearingFixture = await loadFixture(deployClearingFixture);
    const a = f.accounts;
    const validFrom = BigInt(f.terms.validFrom);
    const [batchStart, batchEnd] = [validFrom, validFrom + BigInt(DAY)];

    // 1. The VPMN's month of usage (here one day), with injected duplicates, out-of-period and phantom records.
    const cdrs = generateCdrs({
      seed: "e2e",
      count: RECORDS + INJECTED.duplicates + INJECTED.outOfPeriod + INJECTED.phantom,
      subscribers: 400,
      imsiPrefix: "26201",
      periodStart: batchStart,
      periodEnd: batchEnd,
      validFrom,
      services: [
        { service: Service.VoiceMO, weight: 5 },
        { service: Service.SmsMO, weight: 2 },
        { service: Service.Data, weight: 6 },
        { service: Service.VoLTE, weight: 1 },
      ],
      inject: INJECTED,
    });
    const file = path.join(dir, "alpha-beta-0001.csv");
    await pipeline(Readable.from(writeCdrCsv(cdrs)), createWriteStream(file));

    // 2. The SDK reads it (streaming), validates every line, rounds each record and builds the tree.
    const ingested = await ingestCdrFile(file, {
      agreementId: f.agreementId,
      direction: 0,
      sharedSecret: SECRET,
      validFrom,
      periodLength: BigInt(PERIOD),
      tariff: { plans: f.tariff.plans.map((plan) => normalizePlan(plan as unknown as ServicePlan)) },
      batchPeriod: { start: batchStart, end: batchEnd },
    });
    expect(ingested.ok, JSON.stringify(ingested.errors.slice(0, 3))).to.equal(true);
    expect(ingested.records).to.have.length(cdrs.count);
    const tree = buildRecordTree(ingested.leaves);
    const header: BatchHeader = {
      agreementId: f.agreementId,
      direction: 0,
      sequence: 1,
      periodStart: batchStart,
      periodEnd: batchEnd,
      baseTariff: f.iotTariffId,
      services: ingested.totals.services,
      volumes: ingested.totals.volumes,
      recordCounts: ingested.totals.recordCounts,
      taxes: ingested.totals.taxes,
      root: tree.root,
      fileHash: ethers.id("encrypted alpha-beta-0001.csv"),
    };

    // 3. Alpha puts the agreement in clearing (once: its terms and base tariffs cached), then submits the batch: one
    // transaction for the whole file.
    const vpmn = new ClearingClient(f.clearingAddress, a.alice);
    expect(await vpmn.isTermsCached(f.terms, 0)).to.equal(false);
    await vpmn.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
    expect(await vpmn.isTermsCached(f.terms, 0)).to.equal(true);
    const submitted = await vpmn.submitBatch(header, { fileURI: "ipfs://alpha-beta-0001" });
    expect(submitted.charge).to.be.greaterThan(0n);

    // 4. Beta reconciles against its own subscribers of the period.
    const salt = periodSalt(SECRET, f.agreementId, 0n);
    const home = { subscribers: new Set(cdrs.truth.subscribers.map((imsi) => subscriberHash(salt, imsi))) };
    const batch = {
      batchId: submitted.batchId,
      sequence: 1n,
      periodStart: batchStart,
      periodEnd: batchEnd,
      leaves: ingested.leaves,
      tree,
      final: false,
    };
    const increments = new Map(f.tariff.plans.map((p) => [Number(p.service) as Service, BigInt(p.increment)]));
    const report = reconcileBatches({
      home,
      batches: [batch],
      increments,
      validity: { from: validFrom, until: BigInt(f.terms.validUntil) },
    });
    const kinds = report.fraud.map((x) => x.kind);
    expect(kinds.filter((k) => k === FraudKind.Duplicate)).to.have.length(INJECTED.duplicates);
    expect(kinds.filter((k) => k === FraudKind.OutsidePeriod)).to.have.length(INJECTED.outOfPeriod);
    expect(report.disputes.filter((d) => d.code === DisputeCode.UnknownSubscriber)).to.have.length(INJECTED.phantom);

    // 5. Beta proves every fraud on chain (anyone could), then disputes the phantom subscribers.
    const hpmn = new ClearingClient(f.clearingAddress, a.bob);
    for (const proof of buildFraudProofs(report, [batch])) {
      if (proof.kind === FraudKind.Duplicate) {
        const kept = { leaf: proof.keptLeaf, proof: proof.keptProof };
        await hpmn.proveDuplicate(header, kept, header, { leaf: proof.leaf, proof: proof.proof });
      } else {
        await hpmn.proveFraud(proof.kind, header, { leaf: proof.leaf, proof: proof.proof });
      }
    }
    for (const d of buildDisputes(report, [batch])) {
      await hpmn.dispute(header, d, d.codes);
    }
    expect((await hpmn.operatorStats(f.vpmn)).fraudProven).to.equal(BigInt(INJECTED.duplicates + INJECTED.outOfPeriod));

    // The charge left is exactly the base tariff over the clean records (no removal was capped): R(V - removed).
    const removed = new Set<number>([
      ...report.fraud.map((x) => x.leaf.index),
      ...report.disputes.map((x) => x.leaf.index),
    ]);
    const clean = new Map<number, bigint>();
    for (const leaf of ingested.leaves) {
      if (!removed.has(leaf.index)) clean.set(leaf.service, (clean.get(leaf.service) ?? 0n) + leaf.chargedVolume);
    }
    const planOf = (s: number) => f.tariff.plans.find((p) => Number(p.service) === s) as unknown as ServicePlan;
    let expectedCharge = 0n;
    for (const [service, volume] of clean) expectedCharge += rate(normalizePlan(planOf(service)), volume, 0n, 6);
    const state = await hpmn.getBatch(submitted.batchId);
    expect(state.charge).to.equal(expectedCharge);
    expect(state.held).to.be.greaterThan(0n);
    expect(state.disputed).to.equal(BigInt(report.disputes.length));
    expect(await f.clearing.isChallenged(submitted.batchId, [...removed][0])).to.equal(true);

    // 6. The parties settle the held part jointly: the phantoms are waived.
    const domain = await hpmn.domain();
    const resolution = await hpmn.resolutionOf(submitted.batchId, 0);
    await hpmn.resolve(
      header,
      0,
      await signResolution(a.bobSigner, domain, resolution),
      await signResolution(a.aliceSigner, domain, resolution),
    );

    // 7. Nobody acts when the window ends; the batch is final by time, and anyone records it in the vault.
    await time.increase(7 * DAY);
    expect(await hpmn.isFinal(submitted.batchId)).to.equal(true);
    await new ClearingClient(f.clearingAddress, a.eve).finalize(header);
    expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(expectedCharge);
    expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(-expectedCharge);

    // 8. The cycle closes; alpha's earnings are in its balance and it withdraws them.
    const { openEnd } = await f.vault.tokenConfig(f.token);
    if (BigInt(await time.latest()) < openEnd) await time.increaseTo(openEnd);
    await f.vault.closeCycle(f.token);
    const before = await f.token.balanceOf(a.alicePayout);
    const free = await f.vault.freeBalanceOf(f.vpmn, f.token);
    await f.vault.connect(a.alice).withdraw(f.vpmn, f.token, free);
    expect((await f.token.balanceOf(a.alicePayout)) - before).to.equal(free);
    expect(free).to.equal(1_000_000n * 1_000_000n + expectedCharge);
    void CYCLE;
  });
});

/** The SDK engine's plan shape from the fixture's ABI-shaped plan. */
function normalizePlan(plan: ServicePlan): ServicePlan {
  const tiers = (list: ServicePlan["tiers"]) =>
    list.map((t) => ({ start: BigInt(t.start), fixedPrice: BigInt(t.fixedPrice), linearPrice: BigInt(t.linearPrice) }));
  return {
    service: Number(plan.service) as Service,
    kind: Number(plan.kind) as ServicePlan["kind"],
    increment: BigInt(plan.increment),
    tiers: tiers(plan.tiers),
    unbalancedTiers: tiers(plan.unbalancedTiers),
  };
}
