import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  ZeroHash,
  id as keccakText,
  type ContractRunner,
  type Interface,
  type ParamType,
  type Result,
  type TransactionRequest,
} from "ethers";

import {
  cdrCsvHeader,
  cdrCsvLine,
  CdrFileError,
  ingestCdrs,
  prepareBatch,
  type CdrRecord,
  type IngestResult,
  type PrepareBatchOptions,
  type PreparedBatch,
} from "../../sdk/src/cdr";
import { parseTariff } from "../../sdk/src/rating/tariff";
import {
  ClearingClient,
  ClearingTransactionBuilder,
  SettlementClient,
  type RecordMultiProofArg,
} from "../../sdk/src/clients/clearing";
import { InvalidArgumentError, RoamLedgerContractError, SignerRequiredError } from "../../sdk/src/errors";
import { buildRecordTree } from "../../sdk/src/merkle";
import { rate, Service, type Tariff } from "../../sdk/src/rating";
import { normalizeTerms } from "../../sdk/src/typedData/agreements";
import {
  batchIdOf,
  packBatchTotals,
  signResolution,
  toOnChainBatch,
  type BatchHeader,
} from "../../sdk/src/typedData/clearing";
import { PeriodSettlement__factory } from "../../sdk/src/typechain/factories/contracts/PeriodSettlement__factory";
import { UsageClearing__factory } from "../../sdk/src/typechain/factories/contracts/UsageClearing__factory";
import { DAY, discountTariff, PERIOD } from "../helpers/agreements";
import { deployClearingFixture, onChain, UNIT, type ClearingFixture } from "../helpers/clearing";
import { addr, rejection } from "./fixture";

/*//////////////////////////////////////////////////////////////////////////
                                   FIXTURE
//////////////////////////////////////////////////////////////////////////*/

const SECRET = keccakText("alpha-beta shared secret");
const FILE_HASH = keccakText("encrypted alpha-beta-0001.csv");
const clearingIface = UsageClearing__factory.createInterface();
const settlementIface = PeriodSettlement__factory.createInterface();

/** The position, in the file, of the record dated after the batch period (provable as OutsidePeriod). */
const LATE = 6;

/**
 * The visited network's file of the first day: voice, SMS, data and VoLTE records with taxes, and one record (at
 * {@link LATE}) dated after the batch period, which ingestion keeps and the home network can prove on chain.
 */
function fileRecords(validFrom: bigint): CdrRecord[] {
  const at = (seconds: bigint) => validFrom + seconds;
  const imsi = (n: number) => `26201900000000${n}`;
  return [
    { eventRef: "E1", imsi: imsi(1), service: Service.VoiceMO, eventStart: at(3_600n), rawVolume: 61n, tax: 100n },
    { eventRef: "E2", imsi: imsi(2), service: Service.SmsMO, eventStart: at(3_700n), rawVolume: 1n, tax: 5n },
    { eventRef: "E3", imsi: imsi(1), service: Service.Data, eventStart: at(7_200n), rawVolume: 1_500_000n, tax: 0n },
    { eventRef: "E4", imsi: imsi(3), service: Service.VoiceMO, eventStart: at(9_000n), rawVolume: 30n, tax: 50n },
    { eventRef: "E5", imsi: imsi(2), service: Service.Data, eventStart: at(9_100n), rawVolume: 2_048n, tax: 7n },
    { eventRef: "E6", imsi: imsi(4), service: Service.VoLTE, eventStart: at(20_000n), rawVolume: 200n, tax: 11n },
    {
      eventRef: "E7",
      imsi: imsi(4),
      service: Service.SmsMO,
      eventStart: at(BigInt(DAY) + 600n),
      rawVolume: 1n,
      tax: 0n,
    },
  ];
}

function csvOf(records: readonly CdrRecord[], extraLines = ""): string {
  return cdrCsvHeader() + records.map((r) => cdrCsvLine(r)).join("") + extraLines;
}

async function ingest(f: ClearingFixture, text: string): Promise<IngestResult> {
  const validFrom = BigInt(f.terms.validFrom);
  return ingestCdrs(text, "csv", {
    agreementId: f.agreementId,
    direction: 0,
    sharedSecret: SECRET,
    validFrom,
    periodLength: BigInt(PERIOD),
    tariff: f.tariff,
    batchPeriod: { start: validFrom, end: validFrom + BigInt(DAY) },
  });
}

function batchOptions(f: ClearingFixture, overrides: Partial<PrepareBatchOptions> = {}): PrepareBatchOptions {
  const validFrom = BigInt(f.terms.validFrom);
  return {
    agreementId: f.agreementId,
    direction: 0,
    sequence: 1,
    periodStart: validFrom,
    periodEnd: validFrom + BigInt(DAY),
    baseTariff: f.iotTariffId,
    fileHash: FILE_HASH,
    ...overrides,
  };
}

/** The clearing fixture with alpha's first file ingested and prepared, and clients for both parties. */
async function clientFixture() {
  const f = await deployClearingFixture();
  const a = f.accounts;
  const ingested = await ingest(f, csvOf(fileRecords(BigInt(f.terms.validFrom))));
  const prepared = prepareBatch(ingested, batchOptions(f));
  const vpmnClient = new ClearingClient(f.clearingAddress, a.alice);
  return {
    ...f,
    ingested,
    prepared,
    vpmnClient,
    hpmnClient: vpmnClient.connect(a.bob),
    anyone: vpmnClient.connect(a.eve),
    reader: vpmnClient.connect(ethers.provider),
    settlementAddress: await f.settlement.getAddress(),
  };
}

/** {@link clientFixture} with the prepared batch submitted by alpha. */
async function submittedFixture() {
  const f = await clientFixture();
  await f.vpmnClient.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  const submitted = await f.vpmnClient.submitBatch(f.prepared.header, { fileURI: "ipfs://alpha-1" });
  return { ...f, submitted };
}

/*//////////////////////////////////////////////////////////////////////////
                                   HELPERS
//////////////////////////////////////////////////////////////////////////*/

/** A runner that records what it is asked to send, and sends nothing. */
function recordingRunner(): ContractRunner & { sent: TransactionRequest[] } {
  const runner = {
    provider: null,
    sent: [] as TransactionRequest[],
    getAddress: async () => addr(7),
    sendTransaction: async (tx: TransactionRequest) => {
      runner.sent.push(tx);
      throw new Error("the recording runner sends nothing");
    },
  };
  return runner as unknown as ContractRunner & { sent: TransactionRequest[] };
}

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return expect.fail("expected the call to throw");
}

function expectInvalidSync(call: () => unknown, field: string): InvalidArgumentError {
  const error = thrownBy(call);
  expect(error).to.be.instanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).field).to.equal(field);
  return error as InvalidArgumentError;
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).field).to.equal(field);
}

async function expectRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(RoamLedgerContractError);
  expect((error as RoamLedgerContractError).name).to.equal(name);
  return error as RoamLedgerContractError;
}

/** An SDK value as plain data: every integer a bigint (to compare with {@link decodeCall}'s output). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** A decoded ABI value as plain data, read through its type: structs as objects, arrays as arrays. */
function fromAbi(param: ParamType, value: unknown): unknown {
  if (param.isArray()) return Array.from(value as Result, (item) => fromAbi(param.arrayChildren, item));
  if (param.isTuple()) {
    const items = value as Result;
    return Object.fromEntries(param.components.map((c, i) => [c.name, fromAbi(c, items[i])]));
  }
  return value;
}

/** The arguments `data` encodes for `name` of `iface`, as plain data. */
function decodeCall(iface: Interface, name: string, data: string): unknown[] {
  const fragment = iface.getFunction(name)!;
  const args = iface.decodeFunctionData(fragment, data);
  return fragment.inputs.map((param, i) => fromAbi(param, args[i]));
}

/** The call `data` encodes on the clearing contract. */
function decodeClearing(name: string, data: string): unknown[] {
  return decodeCall(clearingIface, name, data);
}

/** A header with one field replaced (for the refusals). */
function withField(header: BatchHeader, patch: Partial<Record<keyof BatchHeader, unknown>>): BatchHeader {
  return { ...header, ...patch } as BatchHeader;
}

/** The expected charge of a first batch of the period: the base tariff's result on each service's volume. */
function expectedCharge(f: ClearingFixture, header: BatchHeader): bigint {
  const tariff = f.tariff;
  return header.services.reduce<bigint>((sum, service, i) => {
    const plan = tariff.plans.find((p) => p.service === Number(service));
    return sum + rate(plan!, BigInt(header.volumes[i]), 0n, 6);
  }, 0n);
}

function multiProof(prepared: PreparedBatch, indices: number[]): RecordMultiProofArg {
  const { leaves, proof, proofFlags } = prepared.tree.multiProof(indices);
  return { leaves, proof, proofFlags };
}

/*//////////////////////////////////////////////////////////////////////////
                                    TESTS
//////////////////////////////////////////////////////////////////////////*/

describe("prepareBatch", function () {
  describe("when the file has an invalid record", function () {
    it("should throw a CdrFileError listing the file's issues and build nothing", async function () {
      const f = await loadFixture(clientFixture);
      const records = fileRecords(BigInt(f.terms.validFrom));
      const bad = await ingest(f, csvOf(records, `E8,12,smsMO,${records[0].eventStart},1,0\n`));
      expect(bad.ok).to.equal(false);
      expect(bad.leaves).to.have.length(records.length); // the valid records are kept by ingestion...
      let prepared: PreparedBatch | undefined;
      const error = thrownBy(() => {
        prepared = prepareBatch(bad, batchOptions(f));
      });
      // ...but nothing of the file is built, so nothing of it can be submitted.
      expect(error).to.be.instanceOf(CdrFileError);
      expect((error as CdrFileError).issues).to.deep.equal(bad.errors);
      expect((error as CdrFileError).issues[0]).to.include({ line: records.length + 2, field: "imsi" });
      expect(prepared).to.equal(undefined);
      expect(await f.reader.lastSequence(f.agreementId, 0)).to.equal(0n);
    });

    it("should refuse the file before it looks at the options", async function () {
      const f = await loadFixture(clientFixture);
      const forged = { ...f.ingested, ok: false, errors: [{ line: 3, field: "rawVolume", value: "x", reason: "bad" }] };
      expect(thrownBy(() => prepareBatch(forged, batchOptions(f, { agreementId: "0x12" })))).to.be.instanceOf(
        CdrFileError,
      );
    });
  });

  describe("when the file is valid", function () {
    it("should take the header's totals from the ingestion, its root from the record tree, the rest from the options", async function () {
      const { prepared, ingested, ...f } = await loadFixture(clientFixture);
      expect(ingested.ok).to.equal(true);
      expect(ingested.stats.outOfBatchPeriod).to.equal(1); // kept, as ingestion keeps it
      const { header, tree, leaves } = prepared;
      expect({
        services: header.services,
        volumes: header.volumes,
        recordCounts: header.recordCounts,
        taxes: header.taxes,
      }).to.deep.equal(ingested.totals);
      expect(header.services).to.deep.equal([Service.VoiceMO, Service.SmsMO, Service.Data, Service.VoLTE]);
      expect(header.recordCounts).to.deep.equal([2n, 2n, 2n, 1n]);
      expect(header.volumes).to.deep.equal([180n, 2n, 1_502_208n, 240n]); // rounded up to the increments
      expect(header.root).to.equal(buildRecordTree(ingested.leaves).root);
      expect(tree.root).to.equal(header.root);
      expect(leaves).to.deep.equal(ingested.leaves);
      expect(tree.leaves).to.deep.equal(ingested.leaves);
      expect(header).to.deep.include({
        agreementId: f.agreementId,
        direction: 0n,
        sequence: 1n,
        periodStart: BigInt(f.terms.validFrom),
        periodEnd: BigInt(f.terms.validFrom) + BigInt(DAY),
        baseTariff: f.iotTariffId,
        fileHash: FILE_HASH,
      });
    });

    it("should give the batch id the contract computes for the header", async function () {
      const { prepared, clearing } = await loadFixture(clientFixture);
      expect(prepared.batchId).to.equal(batchIdOf(prepared.header));
      expect(prepared.batchId).to.equal(await clearing.hashBatchHeader(onChain(prepared.header)));
    });

    it("should not share its arrays with the ingestion result", async function () {
      const { prepared, ingested } = await loadFixture(clientFixture);
      expect(prepared.header.volumes).to.not.equal(ingested.totals.volumes);
      expect(prepared.leaves).to.not.equal(ingested.leaves);
    });
  });

  describe("when an option is invalid", function () {
    it("should throw an InvalidArgumentError naming the field", async function () {
      const f = await loadFixture(clientFixture);
      const cases: [Partial<Record<keyof PrepareBatchOptions, unknown>>, string][] = [
        [{ agreementId: "0x12" }, "agreementId"],
        [{ direction: 2 }, "direction"],
        [{ direction: -1 }, "direction"],
        [{ sequence: 0 }, "sequence"],
        [{ sequence: 2n ** 32n }, "sequence"],
        [{ sequence: 1.5 }, "sequence"],
        [{ periodStart: 2n ** 40n }, "periodStart"],
        [{ periodEnd: BigInt(f.terms.validFrom) }, "periodEnd"],
        [{ baseTariff: "tariff" }, "baseTariff"],
        [{ baseTariff: ZeroHash }, "baseTariff"],
        [{ fileHash: "0x" }, "fileHash"],
      ];
      for (const [patch, field] of cases) {
        expectInvalidSync(
          () => prepareBatch(f.ingested, { ...batchOptions(f), ...patch } as PrepareBatchOptions),
          field,
        );
      }
      expectInvalidSync(() => prepareBatch(f.ingested, null as unknown as PrepareBatchOptions), "options");
      expectInvalidSync(() => prepareBatch(null as unknown as IngestResult, batchOptions(f)), "result");
    });
  });

  describe("when the file has no record", function () {
    it("should throw an InvalidArgumentError naming result.leaves", async function () {
      const f = await loadFixture(clientFixture);
      const empty = await ingest(f, cdrCsvHeader());
      expect(empty.ok).to.equal(true);
      expectInvalidSync(() => prepareBatch(empty, batchOptions(f)), "result.leaves");
    });
  });
});

describe("ClearingTransactionBuilder", function () {
  describe("when constructed", function () {
    it("should checksum the address and refuse the zero address", async function () {
      const { clearingAddress } = await loadFixture(clientFixture);
      expect(new ClearingTransactionBuilder(clearingAddress.toLowerCase()).address).to.equal(clearingAddress);
      expectInvalidSync(() => new ClearingTransactionBuilder(ethers.ZeroAddress), "address");
    });
  });

  describe("when the input is bad", function () {
    it("should refuse a bad header in every call that takes one", async function () {
      const { prepared, terms, tariff, clearingAddress, agreementId } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const h = prepared.header;
      const bad: [BatchHeader, string][] = [
        [withField(h, { agreementId: "0x1234" }), "header.agreementId"],
        [withField(h, { direction: 2 }), "header.direction"],
        [
          withField(h, { services: [Service.SmsMO, Service.VoiceMO, Service.Data, Service.VoLTE] }),
          "header.services[1]",
        ],
        [withField(h, { services: [0, 2, 2, 5] }), "header.services[2]"],
        [withField(h, { volumes: h.volumes.slice(1) }), "header.volumes"],
        [withField(h, { taxes: [...h.taxes, 0n] }), "header.taxes"],
        [withField(h, { services: [], volumes: [], recordCounts: [], taxes: [] }), "header.services"],
        [withField(h, { volumes: [2n ** 64n, 0n, 0n, 0n] }), "header.volumes[0]"],
        [withField(h, { sequence: 2n ** 32n }), "header.sequence"],
        [withField(h, { root: "0x" }), "header.root"],
      ];
      const record = { leaf: prepared.leaves[0], proof: prepared.tree.proof(0) };
      for (const [header, field] of bad) {
        expectInvalidSync(() => build.submitBatch(header), field);
        expectInvalidSync(() => build.accept(header), field);
        expectInvalidSync(() => build.finalize(header), field);
        expectInvalidSync(() => build.reject(header, 102), field);
        expectInvalidSync(() => build.dispute(header, multiProof(prepared, [0]), [10]), field);
        expectInvalidSync(() => build.proveFraud(2, header, record), field);
        expectInvalidSync(() => build.resolve(header, 0, "0x", "0x"), field);
        expectInvalidSync(() => build.resolveEscalated(header, 0), field);
      }
      expectInvalidSync(
        () => build.enableClearing(agreementId, terms, [tariff, { plans: [] }]),
        "baseTariffs[1].plans",
      );
      expectInvalidSync(
        () => build.enableClearing(agreementId, terms, [tariff] as unknown as [typeof tariff, typeof tariff]),
        "baseTariffs",
      );
      expectInvalidSync(() => build.enableClearing("0x00", terms, [tariff, tariff]), "agreementId");
      expectInvalidSync(() => build.cacheTerms(agreementId, 2n ** 32n, terms, [tariff, tariff]), "version");
      expectInvalidSync(() => build.cacheTerms(agreementId, 1, terms, [{ plans: [] }, tariff]), "baseTariffs[0].plans");
    });

    it("should refuse bad codes, kinds, proofs and amounts", async function () {
      const { prepared: p, clearingAddress, agreementId } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const h = p.header;
      const record = { leaf: p.leaves[0], proof: p.tree.proof(0) };
      // Reject: a fatal code only.
      expectInvalidSync(() => build.reject(h, 99), "reasonCode");
      expectInvalidSync(() => build.reject(h, 10), "reasonCode");
      const twoRecords = multiProof(p, [0, 1]);
      // Dispute: one RAP-like code per record, at least one record.
      expectInvalidSync(() => build.dispute(h, twoRecords, [10]), "codes");
      expectInvalidSync(() => build.dispute(h, twoRecords, [10, 11, 12]), "codes");
      expectInvalidSync(() => build.dispute(h, { leaves: [], proof: [], proofFlags: [] }, []), "codes");
      expectInvalidSync(() => build.dispute(h, twoRecords, [10, 13]), "codes[1]");
      expectInvalidSync(() => build.dispute(h, twoRecords, [10, 102]), "codes[1]");
      expectInvalidSync(
        () => build.dispute(h, { ...twoRecords, proof: ["0x12", ...twoRecords.proof.slice(1)] }, [10, 11]),
        "records.proof[0]",
      );
      // Fraud: proveFraud judges OutsidePeriod, BadIncrement and ServiceNotCovered; duplicates have their own call.
      for (const kind of [0, 1, 5, -1]) expectInvalidSync(() => build.proveFraud(kind, h, record), "kind");
      expectInvalidSync(
        () => build.proveFraud(2, h, { ...record, leaf: { ...record.leaf, recordId: "0x" } }),
        "record.leaf.recordId",
      );
      expectInvalidSync(
        () => build.proveFraud(2, h, { ...record, leaf: { ...record.leaf, index: -1 } }),
        "record.leaf.index",
      );
      expectInvalidSync(() => build.proveDuplicate(h, { ...record, proof: ["0xzz"] }, h, record), "kept.proof[0]");
      expectInvalidSync(
        () =>
          build.proveDuplicate(h, record, h, {
            ...record,
            leaf: { ...record.leaf, chargedVolume: 2n ** 64n },
          }),
        "record.leaf.chargedVolume",
      );
      // Amounts: a resolution pays at most uint128; a voucher's cumulative amount is a uint128.
      expectInvalidSync(() => build.resolve(h, 2n ** 128n, "0x", "0x"), "payAmount");
      expectInvalidSync(() => build.resolve(h, -1, "0x", "0x"), "payAmount");
      expectInvalidSync(() => build.resolveEscalated(h, 2n ** 128n), "payAmount");
      const voucher = { agreementId, direction: 0, cumulativeAmount: 1n, expiry: 1n };
      expectInvalidSync(
        () => build.redeemVoucher({ ...voucher, cumulativeAmount: 2n ** 128n }, "0x"),
        "voucher.cumulativeAmount",
      );
      expectInvalidSync(() => build.redeemVoucher({ ...voucher, agreementId: "0x" }, "0x"), "voucher.agreementId");
      expectInvalidSync(() => build.redeemVoucher({ ...voucher, expiry: 2n ** 64n }, "0x"), "voucher.expiry");
      expectInvalidSync(() => build.setEscalationTimeout(2n ** 32n), "timeout");
      expectInvalidSync(() => build.setEscalationTimeout(0), "timeout");
      // Signatures: 65 bytes; an empty one only where it means "none" (a submission by the VPMN itself).
      const signature = `0x${"11".repeat(65)}`;
      expectInvalidSync(() => build.redeemVoucher({ ...voucher, direction: 2 }, signature), "voucher.direction");
      expectInvalidSync(() => build.redeemVoucher(voucher, "0x"), "signature");
      expectInvalidSync(() => build.resolve(h, 0, "nonsense", signature), "hpmnSignature");
      expectInvalidSync(() => build.resolve(h, 0, signature, "0x12"), "vpmnSignature");
      expectInvalidSync(() => build.submitBatch(h, "", "0x1234"), "signature");
      // Packed totals: aligned arrays, each figure within its type.
      const one = { services: [Service.SmsMO], volumes: [1n], recordCounts: [1n], taxes: [0n] };
      expectInvalidSync(() => packBatchTotals({ ...one, volumes: [] }), "totals");
      expectInvalidSync(() => packBatchTotals({ ...one, volumes: [2n ** 64n] }), "totals.volumes[0]");
      expectInvalidSync(() => packBatchTotals({ ...one, taxes: [2n ** 128n] }), "totals.taxes[0]");
      expect(packBatchTotals({ ...one, taxes: [2n ** 128n - 1n] })).to.deep.equal([
        BigInt(Service.SmsMO) | (1n << 8n) | (1n << 72n) | ((2n ** 128n - 1n) << 104n),
      ]);
      expect(build.submitBatch(h, "", "0x").to).to.equal(clearingAddress);
    });

    it("should send nothing when a client's input is bad", async function () {
      const { prepared, clearingAddress } = await loadFixture(clientFixture);
      const runner = recordingRunner();
      const client = new ClearingClient(clearingAddress, runner);
      await expectInvalid(client.submitBatch(withField(prepared.header, { direction: 2 })), "header.direction");
      await expectInvalid(client.reject(prepared.header, 99), "reasonCode");
      await expectInvalid(client.dispute(prepared.header, multiProof(prepared, [0, 1]), [10]), "codes");
      await expectInvalid(client.proveFraud(1, prepared.header, { leaf: prepared.leaves[0], proof: [] }), "kind");
      await expectInvalid(client.resolve(prepared.header, 2n ** 128n, "0x", "0x"), "payAmount");
      expect(runner.sent).to.deep.equal([]);
    });
  });

  describe("when the input is good", function () {
    it("should encode submitBatch with the on-chain header and totals, value 0", async function () {
      const { prepared, clearing, clearingAddress } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const relayed = `0x${"11".repeat(65)}`;
      const tx = build.submitBatch(prepared.header, "ipfs://alpha-1", relayed);
      expect(tx.to).to.equal(clearingAddress);
      expect(tx.value).to.equal(0n);
      const batch = toOnChainBatch(prepared.header);
      const [header, totals, fileURI, signature] = decodeClearing("submitBatch", tx.data);
      expect(header).to.deep.equal(plain(batch.header));
      // The totals packed, one word per service: service | volume << 8 | recordCount << 72 | tax << 104.
      expect(totals).to.deep.equal(packBatchTotals(batch.totals));
      const { services, volumes, recordCounts, taxes } = batch.totals;
      expect(
        (totals as bigint[]).map((w) => [w & 0xffn, (w >> 8n) & (2n ** 64n - 1n), (w >> 72n) & 0xffffffffn, w >> 104n]),
      ).to.deep.equal(services.map((s, i) => [BigInt(s), volumes[i], recordCounts[i], taxes[i]]));
      expect([fileURI, signature]).to.deep.equal(["ipfs://alpha-1", relayed]);
      // The header's taxes are the sum of the per-service taxes; its totals field their struct hash.
      expect(batch.header.taxes).to.equal(prepared.header.taxes.reduce((s, t) => BigInt(s) + BigInt(t), 0n));
      expect(batch.header.totals).to.equal(await clearing.hashBatchTotals(batch.totals));
    });

    it("should encode every batch call with the on-chain header, value 0", async function () {
      const { prepared: p, terms, tariff, clearingAddress, agreementId } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const batch = toOnChainBatch(p.header);
      const header = plain(batch.header);
      const records = multiProof(p, [1, 3]);
      const record = { leaf: p.leaves[LATE], proof: p.tree.proof(LATE) };
      const sig = `0x${"11".repeat(65)}`;
      const calls: [string, { to: string; data: string; value: bigint }, unknown[]][] = [
        ["accept", build.accept(p.header), [header]],
        ["finalize", build.finalize(p.header), [header]],
        ["reject", build.reject(p.header, 102), [header, plain(batch.totals), 102n]],
        ["dispute", build.dispute(p.header, records, [10, 19]), [header, plain(records), [10n, 19n]]],
        ["proveFraud", build.proveFraud(2, p.header, record), [2n, header, plain(record)]],
        [
          "proveDuplicate",
          build.proveDuplicate(p.header, record, p.header, record),
          [header, plain(record), header, plain(record)],
        ],
        ["resolve", build.resolve(p.header, 5n, sig, sig), [header, 5n, sig, sig]],
        ["resolveEscalated", build.resolveEscalated(p.header, 2n ** 128n - 1n), [header, 2n ** 128n - 1n]],
        [
          "redeemVoucher",
          build.redeemVoucher({ agreementId, direction: 1, cumulativeAmount: 9n, expiry: 10 }, sig),
          [{ agreementId, direction: 1n, cumulativeAmount: 9n, expiry: 10n }, sig],
        ],
        [
          "enableClearing",
          build.enableClearing(agreementId, terms, [tariff, tariff]),
          [agreementId, plain(normalizeTerms(terms)), [plain(parseTariff(tariff)), plain(parseTariff(tariff))]],
        ],
        [
          "cacheTerms",
          build.cacheTerms(agreementId, 3, terms, [tariff, tariff]),
          [agreementId, 3n, plain(normalizeTerms(terms)), [plain(parseTariff(tariff)), plain(parseTariff(tariff))]],
        ],
        ["setEscalationTimeout", build.setEscalationTimeout(86_400), [86_400n]],
        ["pause", build.pause(), []],
        ["unpause", build.unpause(), []],
      ];
      for (const [name, tx, args] of calls) {
        expect(tx.to, name).to.equal(clearingAddress);
        expect(tx.value, name).to.equal(0n);
        expect(decodeClearing(name, tx.data), name).to.deep.equal(args);
      }
    });
  });

  describe("when the header comes from JSON (integers as decimal strings, as the CLI writes them)", function () {
    /** The header as `roamledger usage submit --json` prints it: every bigint a decimal string. */
    const asCliJson = (header: BatchHeader): BatchHeader =>
      JSON.parse(JSON.stringify(header, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as BatchHeader;

    it("should read it as the bigint header: same batch id, same call data", async function () {
      const { prepared, clearingAddress } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const json = asCliJson(prepared.header);
      expect(json.direction).to.equal("0");
      expect(json.volumes.every((v) => typeof v === "string")).to.equal(true);
      expect(batchIdOf(json)).to.equal(prepared.batchId);
      expect(build.submitBatch(json, "ipfs://a").data).to.equal(build.submitBatch(prepared.header, "ipfs://a").data);
      expect(build.accept(json).data).to.equal(build.accept(prepared.header).data);
    });

    it("should read integers beyond 2^53 exactly, and refuse what is not a decimal integer by field", async function () {
      const { prepared, clearingAddress } = await loadFixture(clientFixture);
      const build = new ClearingTransactionBuilder(clearingAddress);
      const json = asCliJson(prepared.header);
      const max128 = 2n ** 128n - 1n;
      const big = toOnChainBatch(withField(json, { taxes: [String(max128), "0", "0", "0"] }));
      expect(big.totals.taxes[0]).to.equal(max128);
      const bad: [BatchHeader, string][] = [
        [withField(json, { direction: "1.5" }), "header.direction"],
        [withField(json, { direction: "2" }), "header.direction"],
        [withField(json, { direction: "-1" }), "header.direction"],
        [withField(json, { sequence: "0x1" }), "header.sequence"],
        [withField(json, { sequence: "" }), "header.sequence"],
        [withField(json, { periodStart: "1e3" }), "header.periodStart"],
        [withField(json, { periodEnd: " 1" }), "header.periodEnd"],
        [withField(json, { taxes: [String(max128 + 1n), "0", "0", "0"] }), "header.taxes[0]"],
      ];
      for (const [header, field] of bad) {
        const error = expectInvalidSync(() => build.submitBatch(header), field);
        expect(error.message, field).to.match(/must be (an integer|an unsigned integer|0 or 1)/);
      }
    });
  });
});

describe("ClearingClient", function () {
  describe("when a batch is submitted", function () {
    it("should return the batch id, charge and window end the contract recorded", async function () {
      const f = await loadFixture(submittedFixture);
      const { submitted, prepared } = f;
      expect(submitted.batchId).to.equal(prepared.batchId);
      const block = await ethers.provider.getBlock(submitted.receipt.blockNumber);
      expect(submitted.finalAt).to.equal(BigInt(block!.timestamp) + BigInt(f.terms.disputeWindow));
      expect(submitted.charge).to.equal(expectedCharge(f, prepared.header));
      const raw = await f.clearing.getBatch(submitted.batchId);
      expect([raw.charge, raw.finalAt, raw.status]).to.deep.equal([submitted.charge, submitted.finalAt, 1n]);
      expect(await f.reader.getBatch(submitted.batchId)).to.deep.equal({
        finalAt: submitted.finalAt,
        status: "Pending",
        charge: submitted.charge,
        held: 0n,
        round: 0n,
        disputed: 0n,
      });
      expect(await f.reader.lastSequence(f.agreementId, 0)).to.equal(1n);
      expect(await f.reader.lastSequence(f.agreementId, 1)).to.equal(0n);
      expect(await f.reader.isFinal(submitted.batchId)).to.equal(false);
      expect(await f.clearing.isRootUsed(f.agreementId, 0, prepared.header.root)).to.equal(true);
      expect(await f.reader.isRootUsed(f.agreementId, 0, prepared.header.root)).to.equal(true);
      expect(await f.reader.isRootUsed(f.agreementId, 1, prepared.header.root)).to.equal(false);
      await expect(submitted.receipt)
        .to.emit(f.clearing, "BatchSubmitted")
        .withArgs(
          submitted.batchId,
          f.agreementId,
          0,
          1,
          0,
          prepared.header.root,
          submitted.charge,
          toOnChainBatch(prepared.header).header.taxes,
          submitted.finalAt,
          "ipfs://alpha-1",
        );
    });

    it("should read an unknown batch as None", async function () {
      const f = await loadFixture(clientFixture);
      expect(await f.reader.getBatch(f.prepared.batchId)).to.deep.include({ status: "None", charge: 0n, finalAt: 0n });
      expect(await f.reader.isFinal(f.prepared.batchId)).to.equal(false);
    });
  });

  describe("when the contract reverts", function () {
    it("should decode a repeated sequence into UsageClearing_SequenceMismatch", async function () {
      const f = await loadFixture(submittedFixture);
      const records = fileRecords(BigInt(f.terms.validFrom)).slice(0, 3);
      const again = prepareBatch(await ingest(f, csvOf(records)), batchOptions(f, { fileHash: keccakText("file 2") }));
      const error = await expectRevert(f.vpmnClient.submitBatch(again.header), "UsageClearing_SequenceMismatch");
      expect(error.args).to.deep.equal({ expected: 2n, given: 1n });
      expect(await f.reader.lastSequence(f.agreementId, 0)).to.equal(1n);
    });

    it("should decode a call by the wrong party, a wrong tariff, and terms not cached", async function () {
      const f = await loadFixture(submittedFixture);
      const wrongParty = await expectRevert(f.vpmnClient.accept(f.prepared.header), "UsageClearing_NotOperatorAccount");
      expect(wrongParty.args).to.deep.equal({ operatorId: f.hpmn, caller: f.accounts.alice.address });
      await expectRevert(
        f.vpmnClient.cacheTerms(f.agreementId, 0, f.terms, [f.tariff, discountTariff()]),
        "UsageClearing_TariffMismatch",
      );
      const named = prepareBatch(f.ingested, batchOptions(f, { sequence: 2, baseTariff: f.discountTariffId }));
      const notCached = await expectRevert(f.vpmnClient.submitBatch(named.header), "UsageClearing_TermsNotCached");
      expect(notCached.args).to.deep.equal({ agreementId: f.agreementId, version: 0n, baseTariff: f.discountTariffId });
      await expectRevert(f.anyone.finalize(f.prepared.header), "UsageClearing_NotFinalizable");
    });
  });

  describe("when the client cannot sign", function () {
    it("should throw SignerRequiredError for every write, and still read", async function () {
      const f = await loadFixture(submittedFixture);
      const offline = new ClearingClient(f.clearingAddress);
      const header = f.prepared.header;
      for (const client of [f.reader, offline]) {
        for (const write of [
          () => client.submitBatch(header),
          () => client.accept(header),
          () => client.finalize(header),
          () => client.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]),
          () => client.cacheTerms(f.agreementId, 0, f.terms, [f.tariff, f.tariff]),
          () =>
            client.redeemVoucher(
              { agreementId: f.agreementId, direction: 0, cumulativeAmount: 1, expiry: 1 },
              `0x${"11".repeat(65)}`,
            ),
        ]) {
          expect(await rejection(write())).to.be.instanceOf(SignerRequiredError);
        }
      }
      expect(await f.reader.lastSequence(f.agreementId, 0)).to.equal(1n);
      await expectInvalid(offline.domain(), "runner");
    });
  });

  describe("when the home network accepts", function () {
    it("should make the batch final at once, and finalize record its charge plus taxes in the vault", async function () {
      const f = await loadFixture(submittedFixture);
      const { batchId, charge } = f.submitted;
      await f.hpmnClient.accept(f.prepared.header);
      expect(await f.reader.isFinal(batchId)).to.equal(true);
      expect((await f.clearing.getBatch(batchId)).status).to.equal(4n); // Accepted
      const receipt = await f.anyone.finalize(f.prepared.header);
      const amount = charge + toOnChainBatch(f.prepared.header).header.taxes;
      await expect(receipt).to.emit(f.clearing, "BatchFinalized").withArgs(batchId, amount, true);
      expect(await f.reader.getBatch(batchId)).to.deep.include({ status: "Final", charge });
      expect(await f.reader.isFinal(batchId)).to.equal(true);
      expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(amount);
      expect(await f.vault.openPositionOf(f.hpmn, f.token)).to.equal(-amount);
      await expectRevert(f.hpmnClient.accept(f.prepared.header), "UsageClearing_WindowClosed");
    });

    it("should read an accepted batch's status as Accepted", async function () {
      const f = await loadFixture(submittedFixture);
      await f.hpmnClient.accept(f.prepared.header);
      expect((await f.reader.getBatch(f.submitted.batchId)).status).to.equal("Accepted");
    });
  });

  describe("when the home network challenges", function () {
    it("should prove a record outside the period, dispute another, resolve it, and count the fraud", async function () {
      const f = await loadFixture(submittedFixture);
      const { prepared: p, submitted } = f;
      expect(await f.reader.operatorStats(f.vpmn)).to.deep.equal({ fraudProven: 0n, batchesRejected: 0n });
      await f.anyone.proveFraud(2, p.header, { leaf: p.leaves[LATE], proof: p.tree.proof(LATE) });
      expect(await f.reader.operatorStats(f.vpmn)).to.deep.equal({ fraudProven: 1n, batchesRejected: 0n });
      await f.hpmnClient.dispute(p.header, multiProof(p, [0]), [10]);
      const state = await f.reader.getBatch(submitted.batchId);
      expect(state.disputed).to.equal(1n);
      expect(state.held).to.be.greaterThan(0n);
      expect(state.charge).to.be.lessThan(submitted.charge);
      // Both parties sign the resolution over the batch's state now; anyone submits it.
      const domain = await f.anyone.domain();
      const resolution = await f.reader.resolutionOf(submitted.batchId, state.held);
      expect(resolution).to.deep.equal({
        batchId: submitted.batchId,
        round: state.round,
        disputed: 1n,
        held: state.held,
        payAmount: state.held,
      });
      await expectInvalid(f.reader.resolutionOf(submitted.batchId, state.held + 1n), "payAmount");
      await f.anyone.resolve(
        p.header,
        state.held,
        await signResolution(f.accounts.bobSigner, domain, resolution),
        await signResolution(f.accounts.aliceSigner, domain, resolution),
      );
      expect(await f.reader.getBatch(submitted.batchId)).to.deep.include({ held: 0n, round: state.round + 1n });
      await expectRevert(
        f.hpmnClient.dispute(p.header, multiProof(p, [0]), [11]),
        "UsageClearing_RecordAlreadyChallenged",
      );
    });

    it("should read the challenge marks: a proven and a disputed record are challenged, the others not", async function () {
      const f = await loadFixture(submittedFixture);
      const { prepared: p, submitted } = f;
      expect(await f.reader.isChallenged(submitted.batchId, LATE)).to.equal(false);
      expect(await f.reader.challengedOf(submitted.batchId, [0, 1, LATE])).to.deep.equal(new Set());
      await f.anyone.proveFraud(2, p.header, { leaf: p.leaves[LATE], proof: p.tree.proof(LATE) });
      await f.hpmnClient.dispute(p.header, multiProof(p, [0]), [10]);
      expect(await f.reader.isChallenged(submitted.batchId, LATE)).to.equal(true);
      expect(await f.reader.isChallenged(submitted.batchId, "0")).to.equal(true);
      expect(await f.reader.isChallenged(submitted.batchId, 1)).to.equal(false);
      // Several at a time, whatever the concurrency: the set of the challenged ones.
      for (const concurrency of [1, 2, 16]) {
        expect(await f.reader.challengedOf(submitted.batchId, [LATE, 1, 0, 2], concurrency)).to.deep.equal(
          new Set([BigInt(LATE), 0n]),
        );
      }
      await expectInvalid(f.reader.isChallenged(submitted.batchId, -1), "index");
      await expectInvalid(f.reader.isChallenged("0x12", 0), "batchId");
      await expectInvalid(f.reader.challengedOf(submitted.batchId, [0, 2n ** 32n]), "indexes[1]");
      await expectInvalid(f.reader.challengedOf(submitted.batchId, [0], 0), "concurrency");
    });

    it("should reject the batch whole after disputes, with no list of them, and count the rejection", async function () {
      const f = await loadFixture(submittedFixture);
      const { prepared: p, submitted } = f;
      await f.hpmnClient.dispute(p.header, multiProof(p, [2, 4]), [10, 19]);
      const before = await f.reader.batchVolumes(p.header, 4);
      expect(before.some((v) => v > 0n)).to.equal(true);
      await f.hpmnClient.reject(p.header, 102);
      expect(await f.reader.batchVolumes(p.header, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.reader.getBatch(submitted.batchId)).to.deep.include({ status: "Rejected" });
      expect(await f.reader.isFinal(submitted.batchId)).to.equal(false);
      expect(await f.reader.operatorStats(f.vpmn)).to.deep.equal({ fraudProven: 0n, batchesRejected: 1n });
    });
  });

  describe("when a voucher is redeemed", function () {
    it("should charge the increase at once, read it back, and refuse a stale voucher", async function () {
      const f = await loadFixture(clientFixture);
      const expiry = BigInt(await time.latest()) + BigInt(DAY);
      const voucher = { agreementId: f.agreementId, direction: 0, cumulativeAmount: 5n * UNIT, expiry };
      const signature = await f.hpmnClient.signVoucher(f.accounts.bobSigner, voucher);
      // Clearing is enabled once per agreement, before its first batch.
      await expectRevert(f.anyone.redeemVoucher(voucher, signature), "UsageClearing_ClearingNotEnabled");
      await f.anyone.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
      await f.anyone.redeemVoucher(voucher, signature);
      expect(await f.reader.voucherRedeemed(f.agreementId, 0)).to.equal(5n * UNIT);
      expect(await f.reader.voucherRedeemed(f.agreementId, 1)).to.equal(0n);
      expect(await f.vault.openPositionOf(f.vpmn, f.token)).to.equal(5n * UNIT);
      const stale = await expectRevert(f.anyone.redeemVoucher(voucher, signature), "UsageClearing_StaleVoucher");
      expect(stale.args).to.deep.equal({ cumulativeAmount: 5n * UNIT, redeemed: 5n * UNIT });
      // A voucher signed by the visited network's key is not the home network's.
      const higher = { ...voucher, cumulativeAmount: 6n * UNIT };
      await expectRevert(
        f.anyone.redeemVoucher(higher, await f.vpmnClient.signVoucher(f.accounts.aliceSigner, higher)),
        "UsageClearing_SignerNotAuthorized",
      );
    });
  });
});

describe("SettlementClient", function () {
  /** When period 0 of the fixture's terms may be settled: its end + submissionGrace + disputeWindow. */
  function readyAt(f: ClearingFixture): bigint {
    const t = f.terms;
    return BigInt(t.validFrom) + BigInt(t.periodLength) + BigInt(t.submissionGrace) + BigInt(t.disputeWindow);
  }

  describe("when the period is over", function () {
    it("should settle period 0 once, and decode a second settlement", async function () {
      const f = await loadFixture(submittedFixture);
      const settlement = new SettlementClient(f.settlementAddress, f.accounts.eve);
      const args: Parameters<SettlementClient["settlePeriod"]> = [
        f.agreementId,
        0,
        f.terms,
        [f.tariff, f.tariff],
        [discountTariff(), null],
      ];
      await time.increaseTo(readyAt(f) - 10n);
      await expectRevert(settlement.settlePeriod(...args), "PeriodSettlement_PeriodNotReady");
      await time.increaseTo(readyAt(f));
      expect(await settlement.isPeriodSettled(f.agreementId, 0)).to.equal(false);
      const receipt = await settlement.settlePeriod(...args);
      await expect(receipt).to.emit(f.settlement, "PeriodSettled");
      expect(await settlement.isPeriodSettled(f.agreementId, 0)).to.equal(true);
      expect(await settlement.isPeriodSettled(f.agreementId, 1)).to.equal(false);
      const again = await expectRevert(settlement.settlePeriod(...args), "PeriodSettlement_PeriodSettled");
      expect(again.args).to.deep.equal({ agreementId: f.agreementId, period: 0n });
    });

    it("should refuse to send without a signer", async function () {
      const f = await loadFixture(submittedFixture);
      const reader = new SettlementClient(f.settlementAddress, ethers.provider);
      const error = await rejection(
        reader.settlePeriod(f.agreementId, 0, f.terms, [f.tariff, f.tariff], [discountTariff(), null]),
      );
      expect(error).to.be.instanceOf(SignerRequiredError);
      expect(await reader.isPeriodSettled(f.agreementId, 0)).to.equal(false);
    });
  });

  describe("when a transaction is built", function () {
    it("should encode an empty tariff for a null discount, and refuse bad input by field", async function () {
      const f = await loadFixture(clientFixture);
      const settlement = new SettlementClient(f.settlementAddress.toLowerCase());
      expect(settlement.address).to.equal(f.settlementAddress);
      const tx = settlement.buildSettlePeriod(
        f.agreementId,
        3,
        f.terms,
        [f.tariff, f.tariff],
        [discountTariff(), null],
      );
      expect(tx.to).to.equal(f.settlementAddress);
      expect(tx.value).to.equal(0n);
      const [agreementId, period, terms, baseTariffs, discountTariffs] = decodeCall(
        settlementIface,
        "settlePeriod",
        tx.data,
      );
      expect([agreementId, period]).to.deep.equal([f.agreementId, 3n]);
      expect(terms).to.deep.equal(plain(normalizeTerms(f.terms)));
      expect(baseTariffs).to.deep.equal(plain([parseTariff(f.tariff), parseTariff(f.tariff)]));
      expect(discountTariffs).to.deep.equal(plain([parseTariff(discountTariff()), { plans: [] }]));
      const tariffs = [f.tariff, f.tariff] as [Tariff, Tariff];
      expectInvalidSync(() => settlement.buildSettlePeriod("0x", 0, f.terms, tariffs, [null, null]), "agreementId");
      const one = [f.tariff] as unknown as typeof tariffs;
      expectInvalidSync(
        () => settlement.buildSettlePeriod(f.agreementId, 0, f.terms, one, [null, null]),
        "baseTariffs",
      );
      const three = [null, null, null] as unknown as [null, null];
      expectInvalidSync(
        () => settlement.buildSettlePeriod(f.agreementId, 0, f.terms, tariffs, three),
        "discountTariffs",
      );
      expectInvalidSync(
        () => settlement.buildSettlePeriod(f.agreementId, -1, f.terms, tariffs, [null, null]),
        "period",
      );
      expectInvalidSync(
        () => settlement.buildSettlePeriod(f.agreementId, 0, f.terms, [f.tariff, { plans: [] }], [null, null]),
        "baseTariffs[1].plans",
      );
      expectInvalidSync(
        () => settlement.buildSettlePeriod(f.agreementId, 0, f.terms, tariffs, [{ plans: [] }, null]),
        "discountTariffs[0].plans",
      );
    });
  });
});
