/**
 * Client of `RoamingAgreements` for ethers v6: tariffs (with the content id computed locally, equal to the
 * contract's), offers, nonce revocation, amendments, termination and reads; pure transaction builders
 * (`client.build.*`) for multisigs and custody systems.
 *
 * Every input is validated before anything is sent, and an invalid one throws an {@link InvalidArgumentError} naming
 * the field. Reverts surface as {@link RoamLedgerContractError} (e.g. `RoamingAgreements_OfferExpired`).
 */
import {
  type ContractRunner,
  type Overrides,
  type Result,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";

import { InvalidArgumentError, withDecodedErrors } from "../errors";
import { sendBuilt } from "./send";
import type {
  AgreementTermsStructOutput,
  RoamingAgreements,
  TariffStruct,
} from "../typechain/contracts/RoamingAgreements";
import { computeTariffId, parseTariff } from "../rating/tariff";
import type { Tariff } from "../rating/types";
import { RoamingAgreements__factory } from "../typechain/factories/contracts/RoamingAgreements__factory";
import {
  hashAgreementTerms,
  nonceBitmapPosition,
  normalizeAmendment,
  normalizeOffer,
  normalizeTerms,
  signAmendment as signAmendmentTypedData,
  signOffer as signOfferTypedData,
  type AgreementAmendment,
  type AgreementOffer,
  type AgreementTerms,
  type NormalizedTerms,
  type TypedDataSigner,
} from "../typedData/agreements";
import { readEventRange, type EventRange } from "../paging";
import { requireObject, toBytes32, toSignature, toUint, type UintLike } from "../validation";
import { lazyInterface, SuiteClient, TransactionBuilder } from "./base";
import type { BuiltTransaction } from "./registry";

/*//////////////////////////////////////////////////////////////////////////
                                    TYPES
//////////////////////////////////////////////////////////////////////////*/

/** Whether an agreement is running (`"active"`) or a party gave notice (`"terminated"`; it runs until `validUntil`). */
export type AgreementStatusName = "active" | "terminated";

/** One agreement's record, decoded. */
export interface AgreementInfo {
  id: string;
  partyA: bigint;
  partyB: bigint;
  validFrom: bigint;
  validUntil: bigint;
  acceptedAt: bigint;
  status: AgreementStatusName;
  latestVersion: bigint;
  periodLength: bigint;
}

/** A published tariff's record. */
export interface TariffRecordInfo {
  /** When it was published (Unix seconds; 0 if never). */
  publishedAt: bigint;
  /** Whether every plan is Threshold or Access, so that it can be a base tariff. */
  usableAsBase: boolean;
}

/** The arguments of `amend`. */
export interface AmendParams {
  amendment: AgreementAmendment;
  /** The terms of `amendment.baseVersion` (the latest version). */
  currentTerms: AgreementTerms;
  /** The new terms; they must hash to `amendment.newTermsHash`. */
  newTerms: AgreementTerms;
  /** Party A's signer key's signature of the amendment. */
  signatureA: string;
  /** Party B's signer key's signature of the amendment. */
  signatureB: string;
}

const STATUS_NAMES: Readonly<Record<string, AgreementStatusName>> = { 1: "active", 2: "terminated" };

const iface = lazyInterface(RoamingAgreements__factory);

/** A checked tariff as the TypeChain binding types it (mutable arrays). */
function tariffStruct(tariff: Tariff): TariffStruct {
  const tiers = (list: Tariff["plans"][number]["tiers"]) => list.map((t) => ({ ...t }));
  return {
    plans: tariff.plans.map((p) => ({ ...p, tiers: tiers(p.tiers), unbalancedTiers: tiers(p.unbalancedTiers) })),
  };
}

/*//////////////////////////////////////////////////////////////////////////
                                  BUILDERS
//////////////////////////////////////////////////////////////////////////*/

function toOperatorId(value: UintLike, field = "operatorId"): bigint {
  const id = toUint(value, 32, field);
  if (id === 0n) throw new InvalidArgumentError("must be an operator id, 1 or more", { field, value });
  return id;
}

/**
 * Pure builders of the agreements contract's write transactions: each validates its input, encodes the call and
 * returns `{ to, data, value: 0n }`, without touching the network.
 */
export class AgreementsTransactionBuilder extends TransactionBuilder {
  /** `publishTariff` (anyone). */
  publishTariff(tariff: Tariff): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("publishTariff", [tariffStruct(parseTariff(tariff))]));
  }

  /** `acceptOffer` (the acceptor's admin or one of its active signer keys). */
  acceptOffer(offer: AgreementOffer, signature: string): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("acceptOffer", [normalizeOffer(offer), toSignature(signature, "signature")]),
    );
  }

  /** `invalidateNonces` (the operator's admin or one of its active signer keys). */
  invalidateNonces(operatorId: UintLike, wordIndex: UintLike, mask: UintLike): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("invalidateNonces", [
        toOperatorId(operatorId),
        toUint(wordIndex, 256, "wordIndex"),
        toUint(mask, 256, "mask"),
      ]),
    );
  }

  /** `invalidateNonces` for the single nonce `nonce`. */
  revokeNonce(operatorId: UintLike, nonce: UintLike): BuiltTransaction {
    const { wordIndex, mask } = nonceBitmapPosition(nonce);
    return this.invalidateNonces(operatorId, wordIndex, mask);
  }

  /** `amend` (anyone, with both parties' signatures). Checks that the new terms hash to the signed hash. */
  amend(params: AmendParams): BuiltTransaction {
    requireObject(params, "params");
    const amendment = normalizeAmendment(params.amendment);
    const currentTerms = normalizeTerms(params.currentTerms, "currentTerms");
    const newTerms = normalizeTerms(params.newTerms, "newTerms");
    if (hashAgreementTerms(newTerms) !== amendment.newTermsHash) {
      throw new InvalidArgumentError("does not hash to amendment.newTermsHash", { field: "newTerms", value: newTerms });
    }
    return this.tx(
      iface().encodeFunctionData("amend", [
        amendment,
        currentTerms,
        newTerms,
        toSignature(params.signatureA, "signatureA"),
        toSignature(params.signatureB, "signatureB"),
      ]),
    );
  }

  /** `terminate` (either party's admin). `terms` are the terms in force now; `endAt` the new end (Unix seconds). */
  terminate(agreementId: string, terms: AgreementTerms, endAt: UintLike): BuiltTransaction {
    return this.tx(
      iface().encodeFunctionData("terminate", [
        toBytes32(agreementId, "agreementId"),
        normalizeTerms(terms),
        toUint(endAt, 40, "endAt"),
      ]),
    );
  }

  /** `pause` (restricted: pauser). */
  pause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("pause"));
  }

  /** `unpause` (restricted: governor). */
  unpause(): BuiltTransaction {
    return this.tx(iface().encodeFunctionData("unpause"));
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                   CLIENT
//////////////////////////////////////////////////////////////////////////*/

/** Terms as an event or a call returns them (e.g. `AgreementCreated`'s `terms`), normalised like {@link normalizeTerms}. */
export function termsFromResult(terms: AgreementTermsStructOutput | Result): NormalizedTerms {
  const t = terms as AgreementTermsStructOutput;
  const condition = (c: AgreementTermsStructOutput["conditions"][number]) => ({
    kind: c.kind,
    includingTaxes: c.includingTaxes,
    includedServices: c.includedServices,
    commitment: c.commitment,
  });
  return normalizeTerms({
    proposer: t.proposer,
    token: t.token,
    validFrom: t.validFrom,
    validUntil: t.validUntil,
    periodLength: t.periodLength,
    disputeWindow: t.disputeWindow,
    submissionGrace: t.submissionGrace,
    noticePeriod: t.noticePeriod,
    baseTariff: [t.baseTariff[0], t.baseTariff[1]],
    discountTariff: [t.discountTariff[0], t.discountTariff[1]],
    conditions: [condition(t.conditions[0]), condition(t.conditions[1])],
    documentCommitment: t.documentCommitment,
  });
}

/** Reads and writes the `RoamingAgreements` at one address. */
export class AgreementsClient extends SuiteClient<RoamingAgreements, AgreementsTransactionBuilder> {
  /** The client of the contract at `address`, reading (and, with a signer, writing) through `runner`. */
  constructor(address: string, runner: ContractRunner | null = null) {
    super(new AgreementsTransactionBuilder(address), runner, RoamingAgreements__factory);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     READS
  //////////////////////////////////////////////////////////////////////////*/

  /** The contract's EIP-712 domain, read from the chain (ERC-5267 `eip712Domain`). */
  async domain(): Promise<TypedDataDomain> {
    const d = await withDecodedErrors(() => this.contract.eip712Domain());
    return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
  }

  /** The operator registry the contract reads. */
  async registry(): Promise<string> {
    return withDecodedErrors(() => this.contract.registry());
  }

  /** Whether the contract is paused (publishing, accepting and amending stopped). */
  async paused(): Promise<boolean> {
    return withDecodedErrors(() => this.contract.paused());
  }

  /** Whether the tariff `tariffId` was published. */
  async isTariffPublished(tariffId: string): Promise<boolean> {
    const id = toBytes32(tariffId, "tariffId");
    return withDecodedErrors(() => this.contract.isTariffPublished(id));
  }

  /** When `tariffId` was published (0 if never) and whether it can be a base tariff. */
  async getTariffRecord(tariffId: string): Promise<TariffRecordInfo> {
    const id = toBytes32(tariffId, "tariffId");
    const record = await withDecodedErrors(() => this.contract.getTariffRecord(id));
    return { publishedAt: record.publishedAt, usableAsBase: record.usableAsBase };
  }

  /**
   * One agreement.
   * @throws RoamLedgerContractError `RoamingAgreements_UnknownAgreement` for an id that was never created.
   */
  async getAgreement(agreementId: string): Promise<AgreementInfo> {
    const id = toBytes32(agreementId, "agreementId");
    const a = await withDecodedErrors(() => this.contract.getAgreement(id));
    const status = STATUS_NAMES[a.status.toString()];
    if (status === undefined) throw new Error(`RoamingAgreements returned agreement ${id} with status ${a.status}`);
    return {
      id,
      partyA: a.partyA,
      partyB: a.partyB,
      validFrom: a.validFrom,
      validUntil: a.validUntil,
      acceptedAt: a.acceptedAt,
      status,
      latestVersion: a.latestVersion,
      periodLength: a.periodLength,
    };
  }

  /** The terms hash of `version` of an agreement. */
  async termsHash(agreementId: string, version: UintLike): Promise<string> {
    const id = toBytes32(agreementId, "agreementId");
    const v = toUint(version, 32, "version");
    return withDecodedErrors(() => this.contract.termsHash(id, v));
  }

  /** The terms version in force at `timestamp` (Unix seconds). */
  async versionAt(agreementId: string, timestamp: UintLike): Promise<bigint> {
    const id = toBytes32(agreementId, "agreementId");
    const t = toUint(timestamp, 256, "timestamp");
    return withDecodedErrors(() => this.contract.versionAt(id, t));
  }

  /** The period index `timestamp` falls in. */
  async periodOf(agreementId: string, timestamp: UintLike): Promise<bigint> {
    const id = toBytes32(agreementId, "agreementId");
    const t = toUint(timestamp, 256, "timestamp");
    return withDecodedErrors(() => this.contract.periodOf(id, t));
  }

  /** The bounds `[start, end)` of period `period`, clipped to the validity window. */
  async periodBounds(agreementId: string, period: UintLike): Promise<{ start: bigint; end: bigint }> {
    const id = toBytes32(agreementId, "agreementId");
    const p = toUint(period, 256, "period");
    const [start, end] = await withDecodedErrors(() => this.contract.periodBounds(id, p));
    return { start, end };
  }

  /** Whether the agreement exists and `timestamp` is inside its validity window. */
  async isActive(agreementId: string, timestamp: UintLike): Promise<boolean> {
    const id = toBytes32(agreementId, "agreementId");
    const t = toUint(timestamp, 256, "timestamp");
    return withDecodedErrors(() => this.contract.isActive(id, t));
  }

  /** Whether the agreement exists and its validity window is over. */
  async isExpired(agreementId: string): Promise<boolean> {
    const id = toBytes32(agreementId, "agreementId");
    return withDecodedErrors(() => this.contract.isExpired(id));
  }

  /** Whether operator `operatorId` revoked `nonce`. */
  async isNonceRevoked(operatorId: UintLike, nonce: UintLike): Promise<boolean> {
    const op = toOperatorId(operatorId);
    const n = toUint(nonce, 256, "nonce");
    return withDecodedErrors(() => this.contract.isNonceRevoked(op, n));
  }

  /**
   * The full terms of `version` of an agreement, read from its `AgreementCreated` (version 0) or `AgreementAmended`
   * event (the contract stores only their hash), and checked against the stored hash.
   * @param range Where to search for the event: from `fromBlock` (default 0) to `toBlock` (default the latest), in
   * requests of at most `blockRange` blocks for RPCs that limit `eth_getLogs` ranges (default one request). A number
   * is the `fromBlock`.
   */
  async getTerms(agreementId: string, version: UintLike, range: EventRange | number = {}): Promise<NormalizedTerms> {
    const id = toBytes32(agreementId, "agreementId");
    const v = toUint(version, 32, "version");
    const search: EventRange = typeof range === "number" ? { fromBlock: range } : range;
    const expected = await this.termsHash(id, v);
    const filter =
      v === 0n ? this.contract.filters.AgreementCreated(id) : this.contract.filters.AgreementAmended(id, v);
    const { events } = await readEventRange(
      (from, to) => this.contract.queryFilter(filter, from, to),
      search,
      () => this.provider().getBlockNumber(),
    );
    for (const event of events) {
      const terms = termsFromResult(event.args.terms);
      if (hashAgreementTerms(terms) === expected) return terms;
    }
    throw new Error(`no event with the terms of version ${v} of agreement ${id} from block ${search.fromBlock ?? 0}`);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                    SIGNING
  //////////////////////////////////////////////////////////////////////////*/

  /** Signs `offer` with a proposer's signer key, in this contract's domain (read from the chain). */
  async signOffer(signer: TypedDataSigner, offer: AgreementOffer): Promise<string> {
    return signOfferTypedData(signer, await this.domain(), offer);
  }

  /** Signs `amendment` with a party's signer key, in this contract's domain (read from the chain). */
  async signAmendment(signer: TypedDataSigner, amendment: AgreementAmendment): Promise<string> {
    return signAmendmentTypedData(signer, await this.domain(), amendment);
  }

  /*//////////////////////////////////////////////////////////////////////////
                                     WRITES
  //////////////////////////////////////////////////////////////////////////*/

  /**
   * Publishes a tariff.
   * @returns Its id (computed locally; equal to the `TariffPublished` event's) and the receipt.
   */
  async publishTariff(
    tariff: Tariff,
    overrides?: Overrides,
  ): Promise<{ tariffId: string; receipt: TransactionReceipt }> {
    const tariffId = computeTariffId(tariff);
    const receipt = await this.#send("publishTariff", this.build.publishTariff(tariff), overrides);
    return { tariffId, receipt };
  }

  /**
   * Accepts an offer for the runner's operator.
   * @returns The new agreement's id, read from the `AgreementCreated` event, and the receipt.
   */
  async acceptOffer(
    offer: AgreementOffer,
    signature: string,
    overrides?: Overrides,
  ): Promise<{ agreementId: string; receipt: TransactionReceipt }> {
    const receipt = await this.#send("acceptOffer", this.build.acceptOffer(offer, signature), overrides);
    const created = this.#event(receipt, "AgreementCreated");
    return { agreementId: created.agreementId as string, receipt };
  }

  /** Revokes the nonces set in `mask` in word `wordIndex` of the operator's bitmap. */
  async invalidateNonces(
    operatorId: UintLike,
    wordIndex: UintLike,
    mask: UintLike,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("invalidateNonces", this.build.invalidateNonces(operatorId, wordIndex, mask), overrides);
  }

  /** Revokes one nonce: every offer of the operator with that nonce can no longer be accepted. */
  async revokeNonce(operatorId: UintLike, nonce: UintLike, overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("revokeNonce", this.build.revokeNonce(operatorId, nonce), overrides);
  }

  /**
   * Records an amendment signed by both parties.
   * @returns The new version, read from the `AgreementAmended` event, and the receipt.
   */
  async amend(params: AmendParams, overrides?: Overrides): Promise<{ version: bigint; receipt: TransactionReceipt }> {
    const receipt = await this.#send("amend", this.build.amend(params), overrides);
    return { version: this.#event(receipt, "AgreementAmended").version as bigint, receipt };
  }

  /** Gives notice on an agreement (either party's admin): it ends at `endAt`. */
  async terminate(
    agreementId: string,
    terms: AgreementTerms,
    endAt: UintLike,
    overrides?: Overrides,
  ): Promise<TransactionReceipt> {
    return this.#send("terminate", this.build.terminate(agreementId, terms, endAt), overrides);
  }

  /** Pauses publishing, accepting and amending (pauser). */
  async pause(overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("pause", this.build.pause(), overrides);
  }

  /** Lets them resume (governor, after its delay). */
  async unpause(overrides?: Overrides): Promise<TransactionReceipt> {
    return this.#send("unpause", this.build.unpause(), overrides);
  }

  #event(receipt: TransactionReceipt, name: "AgreementCreated" | "AgreementAmended"): Result {
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.address.toLowerCase()) continue;
      const parsed = iface().parseLog(log);
      if (parsed?.name === name) return parsed.args;
    }
    throw new Error(`transaction ${receipt.hash} emitted no ${name} event`);
  }

  /** Sends a built transaction through the runner and waits for its receipt, decoding any revert. */
  async #send(action: string, tx: BuiltTransaction, overrides: Overrides = {}): Promise<TransactionReceipt> {
    return sendBuilt(this.runner, action, tx, overrides);
  }
}
