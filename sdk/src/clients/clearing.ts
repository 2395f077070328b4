/**
 * Clients of usage clearing: `UsageClearing` (batches, acceptance, rejection, disputes, fraud proofs, resolutions,
 * vouchers) and `PeriodSettlement` (period-end discount settlement). Each has transaction builders returning
 * `{ to, data, value }` (for multisigs and custody systems) and methods that validate their input, send through the
 * client's signer and decode reverts into {@link RoamLedgerContractError}s.
 */
import {
  Contract,
  Interface,
  ZeroAddress,
  type ContractRunner,
  type Overrides,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";

import { InvalidArgumentError, withDecodedErrors } from "../errors";
import { leafTuple, type RecordLeaf } from "../merkle/leaf";
import { PeriodSettlement__factory } from "../typechain/factories/contracts/PeriodSettlement__factory";
import { UsageClearing__factory } from "../typechain/factories/contracts/UsageClearing__factory";
import { hashAgreementTerms, normalizeTerms, type AgreementTerms } from "../typedData/agreements";
import {
  batchIdOf,
  clearingDomain,
  packBatchTotals,
  signVoucher,
  toOnChainBatch,
  type BatchHeader,
  type NormalizedBatchHeader,
  type Resolution,
  type Voucher,
} from "../typedData/clearing";
import type { TypedDataSigner } from "../typedData/agreements";
import { toAddress, toBytes32, toSignature, toUint, type UintLike } from "../validation";
import { parseTariff } from "../rating/tariff";
import type { Tariff } from "../rating/types";
import { SuiteClient, TransactionBuilder } from "./base";
import type { BuiltTransaction } from "./registry";
import { sendBuilt } from "./send";

/** Fraud kinds judged on chain (`FraudKind` of `contracts/types/ClearingTypes.sol`). */
export const FRAUD_KINDS = { Duplicate: 1, OutsidePeriod: 2, BadIncrement: 3, ServiceNotCovered: 4 } as const;
/** RAP-like reason codes of a record dispute. */
export const DISPUTE_CODES = [10, 11, 12, 19] as const;
/** Fatal reason codes of a batch rejection. */
export const REJECT_CODES = [100, 101, 102, 109] as const;
/** `BatchStatus` of the contract, by number. */
export const BATCH_STATUS = ["None", "Pending", "Final", "Rejected", "Accepted"] as const;

/** A leaf with its Merkle proof. */
export interface RecordProofArg {
  leaf: RecordLeaf;
  proof: readonly string[];
}

/** A multi-proof of leaves of one batch (leaves in the multi-proof's order). */
export interface RecordMultiProofArg {
  leaves: readonly RecordLeaf[];
  proof: readonly string[];
  proofFlags: readonly boolean[];
}

/** A batch's record, as `getBatch` returns it. */
export interface BatchInfo {
  finalAt: bigint;
  status: (typeof BATCH_STATUS)[number];
  charge: bigint;
  held: bigint;
  round: bigint;
  /** How many records the home network disputed (fraud proofs are not counted). */
  disputed: bigint;
}

/** The outcome of {@link ClearingClient.submitBatch}. */
export interface SubmittedBatch {
  batchId: string;
  /** What the base tariff charged for the batch (taxes excluded). */
  charge: bigint;
  /** When its dispute window ends (Unix seconds). */
  finalAt: bigint;
  receipt: TransactionReceipt;
}

const clearingIface = (): Interface => UsageClearing__factory.createInterface();
const settlementIface = (): Interface => PeriodSettlement__factory.createInterface();

function leafArg(leaf: RecordLeaf, field: string) {
  const [recordId, subscriberHash, service, eventStart, chargedVolume, index] = leafTuple(leaf);
  return {
    recordId: toBytes32(recordId, `${field}.recordId`),
    subscriberHash: toBytes32(subscriberHash, `${field}.subscriberHash`),
    service: toUint(service, 8, `${field}.service`),
    eventStart: toUint(eventStart, 64, `${field}.eventStart`),
    chargedVolume: toUint(chargedVolume, 64, `${field}.chargedVolume`),
    index: toUint(index, 32, `${field}.index`),
  };
}

function proofArg(record: RecordProofArg, field: string) {
  return {
    leaf: leafArg(record.leaf, `${field}.leaf`),
    proof: record.proof.map((p, i) => toBytes32(p, `${field}.proof[${i}]`)),
  };
}

function multiProofArg(records: RecordMultiProofArg, field: string) {
  if (records.proofFlags.length + 1 !== records.leaves.length + records.proof.length && records.leaves.length !== 0) {
    throw new InvalidArgumentError("proofFlags must have leaves + proof - 1 entries", { field, value: records });
  }
  return {
    leaves: records.leaves.map((leaf, i) => leafArg(leaf, `${field}.leaves[${i}]`)),
    proof: records.proof.map((p, i) => toBytes32(p, `${field}.proof[${i}]`)),
    proofFlags: [...records.proofFlags],
  };
}

function codeArg(value: UintLike, allowed: readonly number[], field: string): bigint {
  const code = toUint(value, 16, field);
  if (!allowed.includes(Number(code))) {
    throw new InvalidArgumentError(`must be one of ${allowed.join(", ")}`, { field, value });
  }
  return code;
}

function directionArg(value: UintLike, field: string): bigint {
  const direction = toUint(value, 8, field);
  if (direction > 1n) throw new InvalidArgumentError("must be 0 or 1", { field, value });
  return direction;
}

function baseTariffsArg(baseTariffs: readonly [Tariff, Tariff]) {
  if (!Array.isArray(baseTariffs) || baseTariffs.length !== 2) {
    throw new InvalidArgumentError("must hold 2 tariffs (direction 0, direction 1)", {
      field: "baseTariffs",
      value: baseTariffs,
    });
  }
  return baseTariffs.map((t, i) => parseTariff(t, `baseTariffs[${i}]`));
}

function voucherArg(voucher: Voucher) {
  return {
    agreementId: toBytes32(voucher.agreementId, "voucher.agreementId"),
    direction: directionArg(voucher.direction, "voucher.direction"),
    cumulativeAmount: toUint(voucher.cumulativeAmount, 128, "voucher.cumulativeAmount"),
    expiry: toUint(voucher.expiry, 64, "voucher.expiry"),
  };
}

/** Builds `UsageClearing` transactions, validating every argument first (nothing touches the network). */
export class ClearingTransactionBuilder extends TransactionBuilder {
  #encode(name: string, args: unknown[]): BuiltTransaction {
    return this.tx(clearingIface().encodeFunctionData(name, args));
  }

  /**
   * `enableClearing` (anyone, once per agreement, before its first batch): `terms` = version 0, `baseTariffs` = their
   * base tariffs of direction 0 and 1. Also caches what submissions need of those terms (see {@link cacheTerms}).
   */
  enableClearing(agreementId: string, terms: AgreementTerms, baseTariffs: readonly [Tariff, Tariff]): BuiltTransaction {
    return this.#encode("enableClearing", [
      toBytes32(agreementId, "agreementId"),
      normalizeTerms(terms),
      baseTariffsArg(baseTariffs),
    ]);
  }

  /**
   * `cacheTerms` (anyone, once per terms version after an amendment): `terms` = version `version` of the agreement,
   * `baseTariffs` = their base tariffs of direction 0 and 1. Batches whose period starts under that version can be
   * submitted once it is cached.
   */
  cacheTerms(
    agreementId: string,
    version: UintLike,
    terms: AgreementTerms,
    baseTariffs: readonly [Tariff, Tariff],
  ): BuiltTransaction {
    return this.#encode("cacheTerms", [
      toBytes32(agreementId, "agreementId"),
      toUint(version, 32, "version"),
      normalizeTerms(terms),
      baseTariffsArg(baseTariffs),
    ]);
  }

  /**
   * `submitBatch` by a VPMN account, or by anyone with `signature` of a VPMN signer key (relayed). The terms in force
   * at the batch's start must be cached ({@link enableClearing}, {@link cacheTerms}).
   */
  submitBatch(header: BatchHeader, fileURI = "", signature = "0x"): BuiltTransaction {
    const batch = toOnChainBatch(header);
    return this.#encode("submitBatch", [
      batch.header,
      packBatchTotals(batch.totals),
      String(fileURI),
      toSignature(signature, "signature", true),
    ]);
  }

  /** `accept` (an HPMN account). */
  accept(header: BatchHeader): BuiltTransaction {
    return this.#encode("accept", [toOnChainBatch(header).header]);
  }

  /** `finalize` (anyone, once the window has ended). */
  finalize(header: BatchHeader): BuiltTransaction {
    return this.#encode("finalize", [toOnChainBatch(header).header]);
  }

  /**
   * `reject` (an HPMN account): the batch leaves its period whole. Nothing about earlier disputes or fraud proofs is
   * needed: the contract keeps what each batch still counts.
   */
  reject(header: BatchHeader, reasonCode: UintLike): BuiltTransaction {
    const batch = toOnChainBatch(header);
    return this.#encode("reject", [batch.header, batch.totals, codeArg(reasonCode, REJECT_CODES, "reasonCode")]);
  }

  /**
   * `dispute` (an HPMN account): records with RAP-like codes aligned with `records.leaves`. The contract rates the
   * removals with the base tariff's rate card: no tariff is passed.
   */
  dispute(header: BatchHeader, records: RecordMultiProofArg, codes: readonly UintLike[]): BuiltTransaction {
    if (codes.length !== records.leaves.length || codes.length === 0) {
      throw new InvalidArgumentError("one code per record, at least one record", { field: "codes", value: codes });
    }
    return this.#encode("dispute", [
      toOnChainBatch(header).header,
      multiProofArg(records, "records"),
      codes.map((c, i) => codeArg(c, DISPUTE_CODES, `codes[${i}]`)),
    ]);
  }

  /** `proveFraud` (anyone): OutsidePeriod, BadIncrement or ServiceNotCovered. */
  proveFraud(kind: UintLike, header: BatchHeader, record: RecordProofArg): BuiltTransaction {
    const k = codeArg(kind, [2, 3, 4], "kind");
    return this.#encode("proveFraud", [k, toOnChainBatch(header).header, proofArg(record, "record")]);
  }

  /** `proveDuplicate` (anyone): `record` of `header` repeats `kept` of `keptHeader`. */
  proveDuplicate(
    keptHeader: BatchHeader,
    kept: RecordProofArg,
    header: BatchHeader,
    record: RecordProofArg,
  ): BuiltTransaction {
    return this.#encode("proveDuplicate", [
      toOnChainBatch(keptHeader).header,
      proofArg(kept, "kept"),
      toOnChainBatch(header).header,
      proofArg(record, "record"),
    ]);
  }

  /** `resolve` (anyone, with both parties' signatures of the resolution). */
  resolve(header: BatchHeader, payAmount: UintLike, hpmnSignature: string, vpmnSignature: string): BuiltTransaction {
    return this.#encode("resolve", [
      toOnChainBatch(header).header,
      toUint(payAmount, 128, "payAmount"),
      toSignature(hpmnSignature, "hpmnSignature"),
      toSignature(vpmnSignature, "vpmnSignature"),
    ]);
  }

  /** `resolveEscalated` (the arbiter role). */
  resolveEscalated(header: BatchHeader, payAmount: UintLike): BuiltTransaction {
    return this.#encode("resolveEscalated", [toOnChainBatch(header).header, toUint(payAmount, 128, "payAmount")]);
  }

  /** `redeemVoucher` (anyone). */
  redeemVoucher(voucher: Voucher, signature: string): BuiltTransaction {
    return this.#encode("redeemVoucher", [voucherArg(voucher), toSignature(signature, "signature")]);
  }

  /** `pause` (the pauser role). */
  pause(): BuiltTransaction {
    return this.#encode("pause", []);
  }

  /** `unpause` (the governor role, after its delay). */
  unpause(): BuiltTransaction {
    return this.#encode("unpause", []);
  }

  /** `setEscalationTimeout` (the governor role, after its delay). */
  setEscalationTimeout(timeout: UintLike): BuiltTransaction {
    const seconds = toUint(timeout, 32, "timeout");
    if (seconds === 0n) throw new InvalidArgumentError("must be above zero", { field: "timeout", value: timeout });
    return this.#encode("setEscalationTimeout", [seconds]);
  }
}

/** Reads and writes `UsageClearing`. */
export class ClearingClient extends SuiteClient<Contract, ClearingTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new ClearingTransactionBuilder(address), runner, (a, r) => new Contract(a, clearingIface(), r));
  }

  async #send(action: string, tx: BuiltTransaction, overrides?: Overrides): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides);
  }

  async #call<T>(name: string, ...args: unknown[]): Promise<T> {
    return withDecodedErrors(() => this.contract.getFunction(name).staticCall(...args)) as Promise<T>;
  }

  /** The contract's EIP-712 domain (for vouchers, resolutions and relayed headers). */
  async domain(): Promise<TypedDataDomain> {
    const { chainId } = await this.provider().getNetwork();
    return clearingDomain({ chainId, verifyingContract: this.address });
  }

  /** A batch's record. */
  async getBatch(batchId: string): Promise<BatchInfo> {
    const b = await this.#call<[bigint, bigint, bigint, bigint, bigint, bigint]>(
      "getBatch",
      toBytes32(batchId, "batchId"),
    );
    return {
      finalAt: b[0],
      status: BATCH_STATUS[Number(b[1])],
      charge: b[2],
      held: b[3],
      round: b[4],
      disputed: b[5],
    };
  }

  /**
   * The resolution both parties sign to pay `payAmount` of a batch's held part now: the batch's current round,
   * disputed count and held amount (a dispute after signing voids it; sign again).
   * @throws InvalidArgumentError when `payAmount` exceeds the held amount.
   */
  async resolutionOf(batchId: string, payAmount: UintLike): Promise<Resolution> {
    const b = await this.getBatch(batchId);
    const pay = toUint(payAmount, 128, "payAmount");
    if (pay > b.held) {
      throw new InvalidArgumentError(`must not exceed the held amount ${b.held}`, { field: "payAmount", value: pay });
    }
    return {
      batchId: toBytes32(batchId, "batchId"),
      round: b.round,
      disputed: b.disputed,
      held: b.held,
      payAmount: pay,
    };
  }

  /** Whether a batch of (agreement, direction) used `root` (roots are unique per lane). */
  async isRootUsed(agreementId: string, direction: UintLike, root: string): Promise<boolean> {
    return this.#call<boolean>(
      "isRootUsed",
      toBytes32(agreementId, "agreementId"),
      toUint(direction, 8, "direction"),
      toBytes32(root, "root"),
    );
  }

  /** What a batch still counts in its period, per base-tariff plan position (`count` positions). */
  async batchVolumes(header: BatchHeader, count: UintLike): Promise<bigint[]> {
    const volumes = await this.#call<bigint[]>(
      "batchVolumes",
      toOnChainBatch(header).header,
      toUint(count, 8, "count"),
    );
    return [...volumes];
  }

  /** Whether a batch's charge is final (accepted, recorded, or its window is over and it was not rejected). */
  async isFinal(batchId: string): Promise<boolean> {
    return this.#call<boolean>("isFinal", toBytes32(batchId, "batchId"));
  }

  /**
   * Whether a batch's record was challenged: disputed, or proven as fraud (a record is challenged at most once, so a
   * dispute or fraud proof naming it again reverts with `UsageClearing_RecordAlreadyChallenged`).
   * @param index The record's position in the batch (`RecordLeaf.index`, `uint32`).
   */
  async isChallenged(batchId: string, index: UintLike): Promise<boolean> {
    return this.#call<boolean>("isChallenged", toBytes32(batchId, "batchId"), toUint(index, 32, "index"));
  }

  /**
   * Which of a batch's records at `indexes` were challenged already (see {@link ClearingClient.isChallenged}): what a
   * re-run of a dispute must not send again. One call per index, `concurrency` at a time.
   * @throws InvalidArgumentError naming `batchId`, `indexes[i]` or `concurrency` (a positive integer).
   */
  async challengedOf(batchId: string, indexes: Iterable<UintLike>, concurrency = 16): Promise<Set<bigint>> {
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError("must be a positive integer", { field: "concurrency", value: concurrency });
    }
    const id = toBytes32(batchId, "batchId");
    const list = [...indexes].map((index, i) => toUint(index, 32, `indexes[${i}]`));
    const challenged = new Set<bigint>();
    for (let start = 0; start < list.length; start += concurrency) {
      const part = list.slice(start, start + concurrency);
      const marks = await Promise.all(part.map((index) => this.#call<boolean>("isChallenged", id, index)));
      part.forEach((index, k) => {
        if (marks[k]) challenged.add(index);
      });
    }
    return challenged;
  }

  /** The state of (agreement, direction): the last sequence used and the cumulative voucher amount redeemed. */
  async lane(agreementId: string, direction: UintLike): Promise<{ sequence: bigint; voucherRedeemed: bigint }> {
    const lane = await this.#call<[bigint, bigint]>(
      "lane",
      toBytes32(agreementId, "agreementId"),
      directionArg(direction, "direction"),
    );
    return { sequence: lane[0], voucherRedeemed: lane[1] };
  }

  /** The last sequence used on (agreement, direction): the next batch takes this plus one. */
  async lastSequence(agreementId: string, direction: UintLike): Promise<bigint> {
    return (await this.lane(agreementId, direction)).sequence;
  }

  /** The cumulative voucher amount redeemed on (agreement, direction). */
  async voucherRedeemed(agreementId: string, direction: UintLike): Promise<bigint> {
    return (await this.lane(agreementId, direction)).voucherRedeemed;
  }

  /** Fraud proven against a member's batches, and its batches rejected. */
  async operatorStats(operatorId: UintLike): Promise<{ fraudProven: bigint; batchesRejected: bigint }> {
    const s = await this.#call<[bigint, bigint, boolean]>("operatorStats", toUint(operatorId, 32, "operatorId"));
    return { fraudProven: s[0], batchesRejected: s[1] };
  }

  /**
   * Whether what submissions need of `terms` for `direction` is cached (by {@link enableClearing} or
   * {@link cacheTerms}): batches of that direction whose period starts while those terms are in force can be
   * submitted.
   */
  async isTermsCached(terms: AgreementTerms, direction: UintLike): Promise<boolean> {
    const d = directionArg(direction, "direction");
    const normalized = normalizeTerms(terms);
    const cached = await this.#call<[string]>(
      "submissionTerms",
      hashAgreementTerms(terms),
      d,
      normalized.baseTariff[Number(d)],
    );
    return cached[0] !== ZeroAddress;
  }

  /**
   * Puts an agreement in clearing (one-time, before its first batch), caching what submissions need of its terms
   * (version 0, with their base tariffs of direction 0 and 1).
   */
  async enableClearing(
    agreementId: string,
    terms: AgreementTerms,
    baseTariffs: readonly [Tariff, Tariff],
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("enableClearing", this.build.enableClearing(agreementId, terms, baseTariffs), overrides);
  }

  /** Caches what submissions need of version `version` of an agreement's terms (one-time, after an amendment). */
  async cacheTerms(
    agreementId: string,
    version: UintLike,
    terms: AgreementTerms,
    baseTariffs: readonly [Tariff, Tariff],
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("cacheTerms", this.build.cacheTerms(agreementId, version, terms, baseTariffs), overrides);
  }

  /**
   * Submits a batch (the terms in force at its start must be cached); returns its id, charge and window end from the
   * `BatchSubmitted` event.
   */
  async submitBatch(
    header: BatchHeader,
    options: { fileURI?: string; signature?: string; overrides?: Overrides } = {},
  ): Promise<SubmittedBatch> {
    const tx = this.build.submitBatch(header, options.fileURI, options.signature);
    const receipt = await this.#send("submitBatch", tx, options.overrides);
    const batchId = batchIdOf(header);
    for (const log of receipt.logs) {
      const parsed = log.address === this.address ? clearingIface().parseLog(log) : null;
      if (parsed?.name === "BatchSubmitted" && parsed.args.batchId === batchId) {
        return { batchId, charge: parsed.args.charge, finalAt: parsed.args.finalAt, receipt };
      }
    }
    throw new Error(`submitBatch: no BatchSubmitted event for ${batchId} in ${receipt.hash}`);
  }

  /** Accepts a batch (HPMN): final at once; {@link finalize} then records it in the vault (anyone, at once). */
  async accept(header: BatchHeader, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("accept", this.build.accept(header), overrides);
  }

  /** Records an accepted batch, or one whose window has ended, in the vault. */
  async finalize(header: BatchHeader, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("finalize", this.build.finalize(header), overrides);
  }

  /** Rejects a batch whole (HPMN). */
  async reject(header: BatchHeader, reasonCode: UintLike, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("reject", this.build.reject(header, reasonCode), overrides);
  }

  /** Disputes records (HPMN). */
  async dispute(
    header: BatchHeader,
    records: RecordMultiProofArg,
    codes: readonly UintLike[],
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("dispute", this.build.dispute(header, records, codes), overrides);
  }

  /** Proves a record fraudulent (anyone). */
  async proveFraud(
    kind: UintLike,
    header: BatchHeader,
    record: RecordProofArg,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("proveFraud", this.build.proveFraud(kind, header, record), overrides);
  }

  /** Proves a record is a duplicate of an earlier one (anyone). */
  async proveDuplicate(
    keptHeader: BatchHeader,
    kept: RecordProofArg,
    header: BatchHeader,
    record: RecordProofArg,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    const tx = this.build.proveDuplicate(keptHeader, kept, header, record);
    return this.#send("proveDuplicate", tx, overrides);
  }

  /** Settles a held part with both parties' signatures. */
  async resolve(
    header: BatchHeader,
    payAmount: UintLike,
    hpmnSignature: string,
    vpmnSignature: string,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("resolve", this.build.resolve(header, payAmount, hpmnSignature, vpmnSignature), overrides);
  }

  /** Signs a voucher with an HPMN signer key, in this contract's domain. */
  async signVoucher(signer: TypedDataSigner, voucher: Voucher): Promise<string> {
    return signVoucher(signer, await this.domain(), voucher);
  }

  /** Redeems a voucher; the increase over what was redeemed is charged at once. */
  async redeemVoucher(voucher: Voucher, signature: string, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("redeemVoucher", this.build.redeemVoucher(voucher, signature), overrides);
  }
}

/** Builds and sends `PeriodSettlement.settlePeriod`. */
export class SettlementClient {
  readonly address: string;
  readonly runner: ContractRunner | null;
  readonly #contract: Contract;

  constructor(address: string, runner: ContractRunner | null = null) {
    this.address = toAddress(address, "address");
    this.runner = runner;
    this.#contract = new Contract(this.address, settlementIface(), runner);
  }

  /** The same client with another runner. */
  connect(runner: ContractRunner | null): SettlementClient {
    return new SettlementClient(this.address, runner);
  }

  /** `settlePeriod` (anyone): tariffs per direction; an empty discount tariff where the terms have none. */
  buildSettlePeriod(
    agreementId: string,
    period: UintLike,
    terms: AgreementTerms,
    baseTariffs: readonly [Tariff, Tariff],
    discountTariffs: readonly [Tariff | null, Tariff | null],
  ): BuiltTransaction {
    const empty = { plans: [] };
    for (const [field, list] of [
      ["baseTariffs", baseTariffs],
      ["discountTariffs", discountTariffs],
    ] as const) {
      if (!Array.isArray(list) || list.length !== 2) {
        throw new InvalidArgumentError("must hold 2 tariffs (direction 0, direction 1)", { field, value: list });
      }
    }
    const data = settlementIface().encodeFunctionData("settlePeriod", [
      toBytes32(agreementId, "agreementId"),
      toUint(period, 256, "period"),
      normalizeTerms(terms),
      baseTariffs.map((t, i) => parseTariff(t, `baseTariffs[${i}]`)),
      discountTariffs.map((t, i) => (t === null ? empty : parseTariff(t, `discountTariffs[${i}]`))),
    ]);
    return { to: this.address, data, value: 0n };
  }

  /** Settles a period (both directions, once). */
  async settlePeriod(
    agreementId: string,
    period: UintLike,
    terms: AgreementTerms,
    baseTariffs: readonly [Tariff, Tariff],
    discountTariffs: readonly [Tariff | null, Tariff | null],
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    const tx = this.buildSettlePeriod(agreementId, period, terms, baseTariffs, discountTariffs);
    return sendBuilt(this.runner, "settlePeriod", tx, overrides);
  }

  /** Whether the period was settled. */
  async isPeriodSettled(agreementId: string, period: UintLike): Promise<boolean> {
    return withDecodedErrors(() =>
      this.#contract
        .getFunction("isPeriodSettled")
        .staticCall(toBytes32(agreementId, "agreementId"), toUint(period, 256, "period")),
    ) as Promise<boolean>;
  }
}

export type { NormalizedBatchHeader };
