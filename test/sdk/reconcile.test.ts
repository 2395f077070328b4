import { expect } from "chai";
import fc from "fast-check";

import { InvalidArgumentError } from "../../sdk/src/errors";
import { buildRecordTree, verifyRecordMultiProof, verifyRecordProof, type RecordLeaf } from "../../sdk/src/merkle";
import { Service } from "../../sdk/src/rating/types";
import {
  batchesById,
  buildDisputes,
  buildFraudProofs,
  DisputeCode,
  FraudKind,
  reconcileBatches,
  RejectCode,
  type HomeView,
  type LeafRef,
  type ReconcileBatch,
  type ReconcileInput,
  type ReconciliationReport,
} from "../../sdk/src/reconcile";

/**
 * The home network's reconciliation: each fraud kind and its priority, duplicates (within a batch, across batches,
 * the kept copy), final batches, matching, disputes, the per-batch totals, and the payloads (fraud proofs and dispute
 * multi-proofs, checked with the verifiers that replay `MerkleProof`). A property test injects known anomalies into
 * clean random batches and expects exactly those findings. `RECONCILE_RUNS` sets its number of runs (default 100).
 */
const RUNS = Number(process.env.RECONCILE_RUNS ?? 100);

const INCREMENTS = new Map<Service, bigint>([
  [Service.VoiceMO, 60n],
  [Service.SmsMO, 1n],
  [Service.Data, 1000n],
]);
const VALIDITY = { from: 1_000_000n, until: 2_000_000n };
const PERIOD = { periodStart: 1_100_000n, periodEnd: 1_200_000n };

const hex32 = (tag: number, n: number): string =>
  `0x${tag.toString(16).padStart(8, "0")}${n.toString(16).padStart(56, "0")}`;
const recordId = (n: number): string => hex32(1, n);
const subscriber = (n: number): string => hex32(2, n);
const KNOWN = new Set([subscriber(1), subscriber(2), subscriber(3)]);

function rec(n: number, overrides: Partial<RecordLeaf> = {}): RecordLeaf {
  return {
    recordId: recordId(n),
    subscriberHash: subscriber(1 + (n % 3)),
    service: Service.VoiceMO,
    eventStart: PERIOD.periodStart + BigInt(n),
    chargedVolume: 120n,
    index: 0,
    ...overrides,
  };
}

/** A batch whose leaves get `index` = position unless they set one. */
function batch(sequence: number, leaves: RecordLeaf[], overrides: Partial<ReconcileBatch> = {}): ReconcileBatch {
  return {
    batchId: hex32(3, sequence),
    sequence: BigInt(sequence),
    ...PERIOD,
    leaves: leaves.map((l, i) => ({ ...l, index: l.index === 0 ? i : l.index })),
    final: false,
    ...overrides,
  };
}

function run(batches: ReconcileBatch[], home: HomeView = { subscribers: KNOWN }): ReconciliationReport {
  return reconcileBatches({ home, batches, increments: INCREMENTS, validity: VALIDITY });
}

/** `batchId:index` of a finding's leaf. */
const key = (ref: LeafRef): string => `${ref.batchId}:${ref.leaf.index}`;

describe("reconcile", function () {
  it("exports the codes with the contract's numbers", function () {
    expect(FraudKind).to.deep.equal({ Duplicate: 1, OutsidePeriod: 2, BadIncrement: 3, ServiceNotCovered: 4 });
    expect(DisputeCode).to.deep.equal({ UnknownSubscriber: 10, DuplicateEvent: 11, ImpossibleSequence: 12, Other: 19 });
    expect(RejectCode).to.deep.equal({ FileUnreadable: 100, WrongRecipient: 101, TotalsMismatch: 102, Other: 109 });
  });

  describe("fraud kinds and their priority", function () {
    it("ServiceNotCovered: a service without an increment, before every other kind", function () {
      const b = batch(1, [
        rec(1, { service: Service.SmsMT }),
        rec(2, { service: Service.SmsMT, eventStart: PERIOD.periodEnd, chargedVolume: 7n }),
        rec(3),
        rec(3, { service: Service.SmsMT }), // a copy of record 3 under a service not covered
      ]);
      const report = run([b]);
      expect(report.fraud.map((f) => [f.position, f.kind])).to.deep.equal([
        [0, FraudKind.ServiceNotCovered],
        [1, FraudKind.ServiceNotCovered],
        [3, FraudKind.ServiceNotCovered],
      ]);
    });

    it("OutsidePeriod: outside [periodStart, periodEnd) or the validity, before BadIncrement", function () {
      const inside = batch(1, [
        rec(1, { eventStart: PERIOD.periodStart }),
        rec(2, { eventStart: PERIOD.periodEnd - 1n }),
        rec(3, { eventStart: PERIOD.periodEnd }),
        rec(4, { eventStart: PERIOD.periodStart - 1n }),
        rec(5, { eventStart: PERIOD.periodEnd, chargedVolume: 61n }),
      ]);
      // A batch period reaching beyond the validity: the validity bounds apply too.
      const wide = batch(2, [
        rec(6, { eventStart: VALIDITY.from }),
        rec(7, { eventStart: VALIDITY.from - 1n }),
        rec(8, { eventStart: VALIDITY.until - 1n }),
        rec(9, { eventStart: VALIDITY.until }),
      ]);
      const report = run([inside, { ...wide, periodStart: VALIDITY.from - 10n, periodEnd: VALIDITY.until + 10n }]);
      expect(report.fraud.map((f) => [f.leaf.recordId, f.kind])).to.deep.equal([
        [recordId(3), FraudKind.OutsidePeriod],
        [recordId(4), FraudKind.OutsidePeriod],
        [recordId(5), FraudKind.OutsidePeriod],
        [recordId(7), FraudKind.OutsidePeriod],
        [recordId(9), FraudKind.OutsidePeriod],
      ]);
    });

    it("BadIncrement: a volume that is not a multiple of the increment (zero is one), before Duplicate", function () {
      const b = batch(1, [
        rec(1, { chargedVolume: 0n }),
        rec(2, { chargedVolume: 61n }),
        rec(3, { service: Service.Data, chargedVolume: 1500n }),
        rec(4, { service: Service.SmsMO, chargedVolume: 3n }),
        rec(1, { chargedVolume: 59n }), // a later copy of record 1 that is also badly rounded
      ]);
      const report = run([b]);
      expect(report.fraud.map((f) => [f.position, f.kind])).to.deep.equal([
        [1, FraudKind.BadIncrement],
        [2, FraudKind.BadIncrement],
        [4, FraudKind.BadIncrement],
      ]);
    });

    it("Duplicate within one batch: the higher index is the offending copy, whatever the array order", function () {
      const b = batch(1, [rec(1, { index: 9 }), rec(2, { index: 4 }), rec(1, { index: 2 })]);
      const report = run([b]);
      expect(report.fraud).to.have.length(1);
      const [finding] = report.fraud;
      expect(finding).to.deep.include({ kind: FraudKind.Duplicate, batchId: b.batchId, position: 0 });
      expect(finding.kept).to.deep.equal({ batchId: b.batchId, position: 2, leaf: b.leaves[2] });
    });

    it("Duplicate across batches: the higher sequence is the offending copy, whatever the input order", function () {
      const first = batch(1, [rec(1), rec(2)]);
      const second = batch(2, [rec(3), rec(2), rec(1)]);
      const third = batch(3, [rec(1)]);
      const report = run([third, second, first]);
      expect(report.fraud.map((f) => [key(f), f.kind, f.kept && key(f.kept)])).to.deep.equal([
        [`${second.batchId}:1`, FraudKind.Duplicate, `${first.batchId}:1`],
        [`${second.batchId}:2`, FraudKind.Duplicate, `${first.batchId}:0`],
        [`${third.batchId}:0`, FraudKind.Duplicate, `${first.batchId}:0`],
      ]);
      expect(report.totals.map((t) => t.sequence)).to.deep.equal([1n, 2n, 3n]);
    });

    it("keeps the earliest copy with no other fraud: earlier fraudulent copies do not count", function () {
      const first = batch(1, [rec(1, { eventStart: PERIOD.periodEnd + 5n })]); // out of period
      const second = batch(2, [rec(2), rec(1), rec(1, { chargedVolume: 7n }), rec(1)]);
      const report = run([first, second]);
      expect(report.fraud.map((f) => [key(f), f.kind, f.kept && key(f.kept)])).to.deep.equal([
        [`${first.batchId}:0`, FraudKind.OutsidePeriod, undefined],
        [`${second.batchId}:2`, FraudKind.BadIncrement, undefined],
        [`${second.batchId}:3`, FraudKind.Duplicate, `${second.batchId}:1`],
      ]);
    });

    it("reports no Duplicate when every copy has another fraud", function () {
      const report = run([batch(1, [rec(1, { chargedVolume: 1n }), rec(1, { service: Service.SmsMT })])]);
      expect(report.fraud.map((f) => f.kind)).to.deep.equal([FraudKind.BadIncrement, FraudKind.ServiceNotCovered]);
    });

    it("matches record ids case-insensitively", function () {
      const b = batch(1, [rec(0xab), { ...rec(0xab), recordId: recordId(0xab).toUpperCase().replace("0X", "0x") }]);
      expect(run([b]).fraud.map((f) => f.kind)).to.deep.equal([FraudKind.Duplicate]);
    });
  });

  describe("matching and disputes", function () {
    const home: HomeView = {
      subscribers: KNOWN,
      records: [
        rec(1, { index: 77 }), // index is irrelevant for matching
        rec(2, { chargedVolume: 60n }),
        rec(3),
        rec(4, { eventStart: PERIOD.periodStart + 1000n }),
        rec(5), // in no batch
        rec(5, { chargedVolume: 999n }), // a second home record with the same id: the first counts
      ],
    };

    it("sorts leaves into matched, mismatched, extra and missing, and disputes what the chain cannot judge", function () {
      const b = batch(1, [
        rec(1),
        rec(2), // 120 charged, home says 60
        rec(3, { subscriberHash: subscriber(99) }), // matched figures, unknown subscriber
        rec(4), // different eventStart
        rec(6), // extra, known subscriber
        rec(7, { subscriberHash: subscriber(98) }), // extra phantom
        rec(3, { chargedVolume: 61n }), // fraud: neither matched nor disputed
      ]);
      const report = run([b], home);
      expect(report.matched.map((m) => m.position)).to.deep.equal([0, 2]);
      expect(report.matched[0].homeRecord).to.equal(home.records?.[0]);
      expect(report.mismatched.map((m) => [m.position, m.batchVolume, m.homeVolume, m.differences])).to.deep.equal([
        [1, 120n, 60n, ["chargedVolume"]],
        [3, 120n, 120n, ["eventStart"]],
      ]);
      expect(report.extra.map((e) => e.position)).to.deep.equal([4, 5]);
      expect(report.missing).to.deep.equal([home.records?.[4]]);
      expect(report.fraud.map((f) => [f.position, f.kind])).to.deep.equal([[6, FraudKind.BadIncrement]]);
      expect(report.disputes.map((d) => [d.position, d.code])).to.deep.equal([
        [1, DisputeCode.Other],
        [2, DisputeCode.UnknownSubscriber],
        [3, DisputeCode.Other],
        [5, DisputeCode.UnknownSubscriber],
      ]);
      expect(report.disputes[0].homeRecord).to.equal(home.records?.[1]);
    });

    it("prefers UnknownSubscriber over Other for a mismatched leaf of an unknown subscriber", function () {
      const report = run([batch(1, [rec(2, { subscriberHash: subscriber(50) })])], home);
      expect(report.mismatched).to.have.length(1);
      expect(report.disputes.map((d) => d.code)).to.deep.equal([DisputeCode.UnknownSubscriber]);
    });

    it("without home records: only subscriber disputes, no matching", function () {
      const report = run([batch(1, [rec(1), rec(2, { subscriberHash: subscriber(50) })])]);
      expect(report.matched).to.deep.equal([]);
      expect(report.extra).to.deep.equal([]);
      expect(report.missing).to.deep.equal([]);
      expect(report.disputes.map((d) => [d.position, d.code])).to.deep.equal([[1, DisputeCode.UnknownSubscriber]]);
    });

    it("knows subscriber hashes given in upper case leaves", function () {
      const leaf = rec(1, { subscriberHash: subscriber(1).toUpperCase().replace("0X", "0x") });
      expect(run([batch(1, [leaf])]).disputes).to.deep.equal([]);
    });
  });

  describe("final batches and totals", function () {
    it("moves the findings of final batches to lateFindings, and totals what the others remove", function () {
      const home: HomeView = { subscribers: KNOWN, records: [rec(1), rec(2, { chargedVolume: 60n })] };
      const closed = batch(
        1,
        [rec(1), rec(2), rec(3, { chargedVolume: 1n }), rec(4, { subscriberHash: subscriber(9) })],
        {
          final: true,
        },
      );
      const open = batch(2, [
        rec(1), // duplicate of a leaf of the final batch: still provable (the target batch is open)
        rec(5, { service: Service.Data, chargedVolume: 3000n, subscriberHash: subscriber(9) }),
        rec(6, { service: Service.Data, chargedVolume: 1001n }),
        rec(7, { chargedVolume: 180n, service: Service.SmsMT }),
      ]);
      const report = run([open, closed], home);
      expect(report.lateFindings.fraud.map((f) => [key(f), f.kind])).to.deep.equal([
        [`${closed.batchId}:2`, FraudKind.BadIncrement],
      ]);
      expect(report.lateFindings.disputes.map((d) => [key(d), d.code])).to.deep.equal([
        [`${closed.batchId}:1`, DisputeCode.Other],
        [`${closed.batchId}:3`, DisputeCode.UnknownSubscriber],
      ]);
      expect(report.fraud.map((f) => [key(f), f.kind, f.kept && key(f.kept)])).to.deep.equal([
        [`${open.batchId}:0`, FraudKind.Duplicate, `${closed.batchId}:0`],
        [`${open.batchId}:2`, FraudKind.BadIncrement, undefined],
        [`${open.batchId}:3`, FraudKind.ServiceNotCovered, undefined],
      ]);
      expect(report.disputes.map((d) => [key(d), d.code])).to.deep.equal([
        [`${open.batchId}:1`, DisputeCode.UnknownSubscriber],
      ]);
      const [closedTotals, openTotals] = report.totals;
      expect(closedTotals).to.deep.equal({
        batchId: closed.batchId,
        sequence: 1n,
        final: true,
        records: 4,
        fraud: 0,
        disputed: 0,
        late: 3,
        removedVolume: new Map(),
      });
      expect(openTotals).to.deep.include({ batchId: open.batchId, records: 4, fraud: 3, disputed: 1, late: 0 });
      expect([...openTotals.removedVolume]).to.have.deep.members([
        [Service.VoiceMO, 120n],
        [Service.Data, 4001n],
        [Service.SmsMT, 180n],
      ]);
    });
  });

  describe("arguments", function () {
    const input = (overrides: Partial<ReconcileInput>): ReconcileInput => ({
      home: { subscribers: KNOWN },
      batches: [batch(1, [rec(1)])],
      increments: INCREMENTS,
      validity: VALIDITY,
      ...overrides,
    });

    it("refuses a batch id or a sequence given twice", function () {
      expect(() => reconcileBatches(input({ batches: [batch(1, [rec(1)]), batch(1, [rec(2)])] })))
        .to.throw(InvalidArgumentError)
        .with.property("field", "batches[1].batchId");
      expect(() =>
        reconcileBatches(input({ batches: [batch(1, [rec(1)]), batch(2, [rec(2)], { sequence: 1n })] })),
      ).to.throw(InvalidArgumentError, "one sequence");
    });

    it("refuses increments that are not positive bigints", function () {
      for (const bad of [0n, -60n, 60]) {
        const increments = new Map([[Service.VoiceMO, bad as bigint]]);
        expect(() => reconcileBatches(input({ increments })))
          .to.throw(InvalidArgumentError)
          .with.property("field", "increments[0]");
      }
    });

    it("refuses leaves and batches with fields of the wrong type", function () {
      const leaf = { ...rec(1), eventStart: 5 as unknown as bigint };
      expect(() => reconcileBatches(input({ batches: [batch(1, [rec(2), leaf])] })))
        .to.throw(InvalidArgumentError)
        .with.property("field", "batches[0].leaves[1].eventStart");
      expect(() => reconcileBatches(input({ batches: [{ ...batch(1, [rec(1)]), periodEnd: 5 as unknown as bigint }] })))
        .to.throw(InvalidArgumentError)
        .with.property("field", "batches[0].periodEnd");
      expect(() => reconcileBatches(input({ home: { subscribers: [] as unknown as Set<string> } }))).to.throw(
        InvalidArgumentError,
      );
    });
  });

  describe("payloads", function () {
    it("builds fraud proofs that verify, the kept copy's proof in its own batch", function () {
      const first = batch(
        1,
        Array.from({ length: 13 }, (_, i) => rec(i)),
      );
      const second = batch(2, [
        ...Array.from({ length: 6 }, (_, i) => rec(100 + i)),
        rec(4),
        rec(200, { service: Service.SmsMT }),
        rec(201, { eventStart: 1n }),
        rec(202, { chargedVolume: 1n }),
      ]);
      const batches = [first, second];
      const report = run(batches);
      const proofs = buildFraudProofs(report, batchesById(batches));
      expect(proofs.map((p) => p.kind)).to.deep.equal([
        FraudKind.Duplicate,
        FraudKind.ServiceNotCovered,
        FraudKind.OutsidePeriod,
        FraudKind.BadIncrement,
      ]);
      const roots = new Map(batches.map((b) => [b.batchId, buildRecordTree(b.leaves).root]));
      for (const p of proofs) {
        expect(verifyRecordProof(roots.get(p.batchId) as string, p.leaf, p.proof)).to.equal(true);
        if (p.kind === FraudKind.Duplicate) {
          expect(p.keptBatchId).to.equal(first.batchId);
          expect(p.keptLeaf).to.equal(first.leaves[4]);
          expect(verifyRecordProof(roots.get(p.keptBatchId) as string, p.keptLeaf, p.keptProof)).to.equal(true);
        }
      }
      // Same proofs from given trees, and from the batches as an array.
      const withTrees = batches.map((b) => ({ ...b, tree: buildRecordTree(b.leaves) }));
      expect(buildFraudProofs(report, batchesById(withTrees))).to.deep.equal(proofs);
      expect(buildFraudProofs(report, batches)).to.deep.equal(proofs);
    });

    it("refuses a missing batch or a tree that does not hold the reported leaves", function () {
      const b = batch(1, [rec(1), rec(2, { chargedVolume: 1n })]);
      const report = run([b]);
      expect(() => buildFraudProofs(report, [])).to.throw(InvalidArgumentError, "batch not given");
      const wrongTree = { ...b, tree: buildRecordTree([rec(3), rec(4)]) };
      expect(() => buildFraudProofs(report, [wrongTree])).to.throw(InvalidArgumentError, "does not hold");
      const shortTree = { ...b, tree: buildRecordTree([b.leaves[0]]) };
      expect(() => buildFraudProofs(report, [shortTree])).to.throw(InvalidArgumentError, "not the tree");
    });

    it("builds dispute multi-proofs that verify, codes aligned, split by maxLeavesPerDispute", function () {
      // 1000 leaves: 600 of unknown subscribers and 100 mismatched (700 disputes); a second batch with 1 more.
      const leaves = Array.from({ length: 1000 }, (_, i) =>
        rec(i, i % 5 < 3 ? { subscriberHash: subscriber(1000 + i) } : {}),
      );
      const home: HomeView = {
        subscribers: KNOWN,
        records: [...leaves.map((l, i) => (i % 10 === 3 ? { ...l, chargedVolume: 60n } : l)), rec(5000)],
      };
      const big = batch(1, leaves);
      const small = batch(2, [
        rec(2000, { subscriberHash: subscriber(7) }),
        rec(2001),
        rec(2002, { chargedVolume: 0n }),
      ]);
      const report = run([big, small], home);
      const codeOf = new Map(report.disputes.map((d) => [key(d), d.code]));
      expect(report.disputes.filter((d) => d.batchId === big.batchId)).to.have.length(700);

      const roots = new Map([big, small].map((b) => [b.batchId, buildRecordTree(b.leaves).root]));
      const check = (maxLeavesPerDispute: number | undefined, expectedSizes: number[]): void => {
        const disputes = buildDisputes(report, [big, small], { maxLeavesPerDispute });
        expect(disputes.map((d) => d.leaves.length)).to.deep.equal(expectedSizes);
        const covered = new Set<string>();
        for (const d of disputes) {
          expect(verifyRecordMultiProof(roots.get(d.batchId) as string, d)).to.equal(true);
          expect(d.codes).to.have.length(d.leaves.length);
          d.leaves.forEach((leaf, k) => {
            const k2 = `${d.batchId}:${leaf.index}`;
            expect(d.codes[k]).to.equal(codeOf.get(k2));
            expect([big, small].find((b) => b.batchId === d.batchId)?.leaves[d.positions[k]]).to.equal(leaf);
            expect(covered.has(k2)).to.equal(false);
            covered.add(k2);
          });
        }
        expect([...covered].sort()).to.deep.equal([...codeOf.keys()].sort());
      };
      check(undefined, [256, 256, 188, 1]);
      check(300, [300, 300, 100, 1]);
      check(
        1,
        Array.from({ length: 701 }, () => 1),
      );
      check(10_000, [700, 1]);
      expect(() => buildDisputes(report, [big, small], { maxLeavesPerDispute: 0 })).to.throw(InvalidArgumentError);
      expect(buildDisputes(run([batch(1, [rec(1)])]), [])).to.deep.equal([]);
    });
  });

  describe("property: injected anomalies are found, nothing clean is flagged", function () {
    type Anomaly =
      | "dupWithin"
      | "dupAcross"
      | "outside"
      | "badIncrement"
      | "notCovered"
      | "phantom"
      | "mismatch"
      | "extra"
      | "missing";
    const ANOMALIES: Anomaly[] = [
      "dupWithin",
      "dupAcross",
      "outside",
      "badIncrement",
      "notCovered",
      "phantom",
      "mismatch",
      "extra",
      "missing",
    ];
    const SERVICES = [Service.VoiceMO, Service.SmsMO, Service.Data];
    const CORE = { from: 1_500_000n, until: 1_600_000n };

    const scenarioArb = fc.record({
      batches: fc.array(
        fc.record({
          size: fc.integer({ min: 1, max: 40 }),
          before: fc.bigInt({ min: 0n, max: 1000n }),
          after: fc.bigInt({ min: 0n, max: 1000n }),
          final: fc.boolean(),
          reversed: fc.boolean(),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      order: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      records: fc.array(
        fc.record({
          service: fc.constantFrom(...SERVICES),
          units: fc.bigInt({ min: 0n, max: 100n }),
          offset: fc.bigInt({ min: 0n, max: CORE.until - CORE.from - 1n }),
          subscriber: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      anomalies: fc.array(fc.tuple(fc.constantFrom(...ANOMALIES), fc.nat(), fc.nat(), fc.boolean()), {
        maxLength: 25,
        size: "max",
      }),
      withHome: fc.boolean(),
    });

    it("finds every injected anomaly in its category", function () {
      fc.assert(
        fc.property(scenarioArb, (s) => {
          // Clean batches: sequences 1..k, periods around a common core that holds every clean event.
          let next = 0;
          const clean = (): RecordLeaf => {
            const r = s.records[next % s.records.length];
            const n = next++;
            return {
              recordId: recordId(n),
              subscriberHash: subscriber(r.subscriber),
              service: r.service,
              eventStart: CORE.from + r.offset,
              chargedVolume: r.units * (INCREMENTS.get(r.service) as bigint),
              index: 0,
            };
          };
          const specs = s.batches.map((b, i) => ({
            ...b,
            sequence: BigInt(i + 1),
            batchId: hex32(3, i + 1),
            periodStart: CORE.from - b.before,
            periodEnd: CORE.until + b.after,
            leaves: Array.from({ length: b.size }, clean),
          }));
          const homeRecords = specs.flatMap((b) => b.leaves);
          type Expect = { fraud?: [number, string?]; dispute?: number; category?: string };
          // expectations by the identity of the leaf object (indices are assigned at the end)
          const expected = new Map<RecordLeaf, Expect>();
          for (const l of homeRecords) expected.set(l, { category: "matched" });
          const subjects = new Set<RecordLeaf>(); // leaves already used by an anomaly
          const missing: RecordLeaf[] = [];
          const groups = new Map<RecordLeaf, RecordLeaf[]>(); // original -> [original, ...copies]

          for (const [anomaly, a, b, flag] of s.anomalies) {
            // Copies go half of the time to a record copied before (three or more copies of one record).
            const originals = [...groups.keys()];
            const again = anomaly.startsWith("dup") && b % 2 === 0 && originals.length > 0;
            const spec = again
              ? (specs.find((x) => x.leaves.includes(originals[a % originals.length])) as (typeof specs)[number])
              : specs[a % specs.length];
            const position = again ? spec.leaves.indexOf(originals[a % originals.length]) : b % spec.leaves.length;
            const target = spec.leaves[position];
            const free = expected.get(target)?.category === "matched" && !subjects.has(target);
            const increment = INCREMENTS.get(target.service) as bigint;
            const replace = (leaf: RecordLeaf, e: Expect): void => {
              spec.leaves[position] = leaf;
              expected.delete(target);
              expected.set(leaf, e);
              subjects.add(leaf);
            };
            switch (anomaly) {
              case "dupWithin":
              case "dupAcross": {
                // a clean leaf, or the original of earlier copies (then three or more copies)
                if (!free && !groups.has(target)) break;
                const into = anomaly === "dupWithin" ? spec : specs[(a + 1 + (b % 3)) % specs.length];
                if (anomaly === "dupAcross" && into === spec) break;
                const copy = { ...target };
                // the copy goes before or after the original within its batch
                if (flag) into.leaves.push(copy);
                else into.leaves.unshift(copy);
                subjects.add(target).add(copy);
                groups.set(target, [...(groups.get(target) ?? [target]), copy]);
                break;
              }
              case "outside":
                if (free) {
                  const eventStart = flag ? spec.periodEnd : spec.periodStart - 1n;
                  replace({ ...target, eventStart }, { fraud: [FraudKind.OutsidePeriod] });
                }
                break;
              case "badIncrement":
                if (free && increment > 1n) {
                  replace({ ...target, chargedVolume: target.chargedVolume + 1n }, { fraud: [FraudKind.BadIncrement] });
                }
                break;
              case "notCovered":
                if (free) replace({ ...target, service: Service.SliceHours }, { fraud: [FraudKind.ServiceNotCovered] });
                break;
              case "mismatch":
                if (free && s.withHome) {
                  replace(
                    { ...target, chargedVolume: target.chargedVolume + increment },
                    { category: "mismatched", dispute: DisputeCode.Other },
                  );
                }
                break;
              case "phantom": {
                const leaf = { ...clean(), subscriberHash: subscriber(100 + next) };
                spec.leaves.push(leaf);
                expected.set(leaf, { category: s.withHome ? "extra" : "none", dispute: DisputeCode.UnknownSubscriber });
                subjects.add(leaf);
                break;
              }
              case "extra": {
                const leaf = clean();
                spec.leaves.push(leaf);
                expected.set(leaf, { category: s.withHome ? "extra" : "none" });
                subjects.add(leaf);
                break;
              }
              case "missing":
                missing.push(clean());
                break;
            }
          }

          // Indices = positions; then some batches are handed over reversed (positions no longer follow indices).
          const batches: ReconcileBatch[] = specs.map((spec) => {
            const leaves = spec.leaves.map((l, index) => ({ ...l, index }));
            const rename = new Map(spec.leaves.map((l, i) => [l, leaves[i]]));
            for (const [from, to] of rename) {
              const e = expected.get(from);
              if (e !== undefined) {
                expected.delete(from);
                expected.set(to, e);
              }
              for (const group of groups.values()) {
                const at = group.indexOf(from);
                if (at >= 0) group[at] = to;
              }
            }
            return {
              batchId: spec.batchId,
              sequence: spec.sequence,
              periodStart: spec.periodStart,
              periodEnd: spec.periodEnd,
              leaves: spec.reversed ? leaves.reverse() : leaves,
              final: spec.final,
            };
          });
          const batchOf = new Map<RecordLeaf, ReconcileBatch>();
          for (const b of batches) for (const l of b.leaves) batchOf.set(l, b);
          const keyOf = (l: RecordLeaf): string => `${(batchOf.get(l) as ReconcileBatch).batchId}:${l.index}`;
          // The copies of one record: the earliest (sequence, index) is kept, every other one is a duplicate of it.
          for (const group of groups.values()) {
            const rank = (l: RecordLeaf): bigint =>
              (batchOf.get(l) as ReconcileBatch).sequence * 2n ** 32n + BigInt(l.index);
            const [kept, ...offending] = [...group].sort((x, y) => (rank(x) < rank(y) ? -1 : 1));
            expected.set(kept, { category: "matched" });
            for (const l of offending) expected.set(l, { fraud: [FraudKind.Duplicate, keyOf(kept)] });
          }

          // Shuffle the batch order given (the sequence decides, not the order).
          const given = [...batches].sort(
            (x, y) => s.order[Number(x.sequence - 1n)] - s.order[Number(y.sequence - 1n)],
          );
          const home: HomeView = {
            subscribers: KNOWN,
            records: s.withHome ? [...homeRecords, ...missing] : undefined,
          };
          const report = reconcileBatches({ home, batches: given, increments: INCREMENTS, validity: VALIDITY });

          // Compare everything as sorted "key|detail" lines.
          const want = {
            fraud: [] as string[],
            late: [] as string[],
            disputes: [] as string[],
            lateDisputes: [] as string[],
          };
          const wantCategory: Record<string, string[]> = { matched: [], mismatched: [], extra: [] };
          for (const [leaf, e] of expected) {
            const final = (batchOf.get(leaf) as ReconcileBatch).final;
            if (e.fraud !== undefined) {
              (final ? want.late : want.fraud).push(`${keyOf(leaf)}|${e.fraud[0]}|${e.fraud[1] ?? ""}`);
              continue;
            }
            if (e.dispute !== undefined)
              (final ? want.lateDisputes : want.disputes).push(`${keyOf(leaf)}|${e.dispute}`);
            if (s.withHome && e.category !== undefined && e.category !== "none") {
              wantCategory[e.category].push(keyOf(leaf));
            }
          }
          const fraudLine = (f: ReconciliationReport["fraud"][number]): string =>
            `${key(f)}|${f.kind}|${f.kept === undefined ? "" : key(f.kept)}`;
          const sorted = (xs: string[]): string[] => [...xs].sort();
          expect(sorted(report.fraud.map(fraudLine))).to.deep.equal(sorted(want.fraud));
          expect(sorted(report.lateFindings.fraud.map(fraudLine))).to.deep.equal(sorted(want.late));
          expect(sorted(report.disputes.map((d) => `${key(d)}|${d.code}`))).to.deep.equal(sorted(want.disputes));
          expect(sorted(report.lateFindings.disputes.map((d) => `${key(d)}|${d.code}`))).to.deep.equal(
            sorted(want.lateDisputes),
          );
          expect(sorted(report.matched.map(key))).to.deep.equal(sorted(wantCategory.matched));
          expect(sorted(report.mismatched.map(key))).to.deep.equal(sorted(wantCategory.mismatched));
          expect(sorted(report.extra.map(key))).to.deep.equal(sorted(wantCategory.extra));
          expect(report.missing).to.deep.equal(s.withHome ? missing : []);
          // Positions point at the leaves, and the totals add up.
          for (const f of [...report.fraud, ...report.disputes, ...report.matched, ...report.extra]) {
            expect(batchOf.get(f.leaf)?.leaves[f.position]).to.equal(f.leaf);
          }
          for (const t of report.totals) {
            const b = batches.find((x) => x.batchId === t.batchId) as ReconcileBatch;
            const mine = (xs: readonly LeafRef[]): number => xs.filter((x) => x.batchId === t.batchId).length;
            expect(t.records).to.equal(b.leaves.length);
            expect(t.fraud).to.equal(mine(report.fraud));
            expect(t.disputed).to.equal(mine(report.disputes));
            expect(t.late).to.equal(mine(report.lateFindings.fraud) + mine(report.lateFindings.disputes));
          }
          // The payloads verify.
          const proofs = buildFraudProofs(report, batches);
          expect(proofs).to.have.length(report.fraud.length);
          for (const d of buildDisputes(report, batches, { maxLeavesPerDispute: 7 })) {
            const b = batches.find((x) => x.batchId === d.batchId) as ReconcileBatch;
            expect(verifyRecordMultiProof(buildRecordTree(b.leaves).root, d)).to.equal(true);
          }
        }),
        { numRuns: RUNS },
      );
    });
  });
});
