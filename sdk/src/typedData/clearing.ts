/**
 * EIP-712 messages of usage clearing, identical to `contracts/libraries/ClearingHashes.sol`: batch headers (whose
 * struct hash is the batch id, and which a VPMN signer key signs for a relayer), vouchers (signed by the HPMN) and
 * resolutions of held disputes (signed by both parties). Pure: browser-safe.
 */
import { hashStruct, type TypedDataDomain, type TypedDataField } from "../encoding";
import { InvalidArgumentError } from "../errors";
import { SERVICE_COUNT, type Service } from "../rating/types";
import { requireObject, toBytes32, toAddress, toUint, type UintLike } from "../validation";
import type { AgreementTypedData, TypedDataSigner } from "./agreements";

/** The domain name of `UsageClearing`. */
export const CLEARING_DOMAIN_NAME = "RoamLedger UsageClearing";
/** The domain version of `UsageClearing`. */
export const CLEARING_DOMAIN_VERSION = "1";

/** EIP-712 type of a batch's per-service totals. */
export const BATCH_TOTALS_TYPES: Record<string, TypedDataField[]> = {
  BatchTotals: [
    { name: "services", type: "uint8[]" },
    { name: "volumes", type: "uint64[]" },
    { name: "recordCounts", type: "uint32[]" },
    { name: "taxes", type: "uint128[]" },
  ],
};

/**
 * EIP-712 types of a batch header: the signer sees the totals in full; on chain the header carries their struct hash
 * (`totals`), which is what the nested struct contributes to the header's hash.
 */
export const BATCH_HEADER_TYPES: Record<string, TypedDataField[]> = {
  BatchHeader: [
    { name: "agreementId", type: "bytes32" },
    { name: "direction", type: "uint8" },
    { name: "sequence", type: "uint32" },
    { name: "periodStart", type: "uint40" },
    { name: "periodEnd", type: "uint40" },
    { name: "baseTariff", type: "bytes32" },
    { name: "taxes", type: "uint128" },
    { name: "totals", type: "BatchTotals" },
    { name: "root", type: "bytes32" },
    { name: "fileHash", type: "bytes32" },
  ],
  ...BATCH_TOTALS_TYPES,
};

/** EIP-712 type of a voucher. */
export const VOUCHER_TYPES: Record<string, TypedDataField[]> = {
  Voucher: [
    { name: "agreementId", type: "bytes32" },
    { name: "direction", type: "uint8" },
    { name: "cumulativeAmount", type: "uint128" },
    { name: "expiry", type: "uint64" },
  ],
};

/**
 * EIP-712 type of a resolution of a batch's held part. It names the batch's state both parties saw: its round, how many
 * records the home network disputed and the held amount; the contract applies it only while the batch is exactly in
 * that state (a dispute after signing voids it).
 */
export const RESOLUTION_TYPES: Record<string, TypedDataField[]> = {
  Resolution: [
    { name: "batchId", type: "bytes32" },
    { name: "round", type: "uint16" },
    { name: "disputed", type: "uint16" },
    { name: "held", type: "uint128" },
    { name: "payAmount", type: "uint128" },
  ],
};

/**
 * A batch header with its per-service totals, as the SDK builds it. On chain it becomes a static `BatchHeader`
 * (`taxes` summed, the totals replaced by their struct hash) plus a `BatchTotals` argument: see {@link toOnChainBatch}.
 */
export interface BatchHeader {
  agreementId: string;
  /** 0: party A is the visited network and charges party B; 1: the reverse. */
  direction: UintLike;
  sequence: UintLike;
  periodStart: UintLike;
  periodEnd: UintLike;
  /** The id of the terms' base tariff of the direction (what rates the batch). */
  baseTariff: string;
  /** Strictly ascending service ids. */
  services: UintLike[];
  volumes: UintLike[];
  recordCounts: UintLike[];
  taxes: UintLike[];
  root: string;
  fileHash: string;
}

/** A batch header with every field checked and normalised (bigints, lower-case hex). */
export interface NormalizedBatchHeader {
  agreementId: string;
  direction: bigint;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  baseTariff: string;
  services: Service[];
  volumes: bigint[];
  recordCounts: bigint[];
  taxes: bigint[];
  root: string;
  fileHash: string;
}

/** A real-time voucher: the HPMN acknowledges the cumulative amount owed on (agreement, direction). */
export interface Voucher {
  agreementId: string;
  direction: UintLike;
  cumulativeAmount: UintLike;
  expiry: UintLike;
}

/**
 * A resolution: `payAmount` of the batch's held part is paid, the rest waived. `round`, `disputed` and `held` are the
 * batch's (`getBatch`) when both parties sign: build it with `ClearingClient.resolutionOf`.
 */
export interface Resolution {
  batchId: string;
  round: UintLike;
  disputed: UintLike;
  held: UintLike;
  payAmount: UintLike;
}

/** Validates and normalises a batch header (aligned per-service arrays, strictly ascending services). */
export function normalizeBatchHeader(header: BatchHeader, field = "header"): NormalizedBatchHeader {
  requireObject(header, field);
  const n = Array.isArray(header.services) ? header.services.length : -1;
  for (const key of ["services", "volumes", "recordCounts", "taxes"] as const) {
    if (!Array.isArray(header[key]) || header[key].length !== n || n === 0) {
      throw new InvalidArgumentError("per-service arrays must be non-empty and of one length", {
        field: `${field}.${key}`,
        value: header[key],
      });
    }
  }
  const services = header.services.map((s, i) => Number(toUint(s, 8, `${field}.services[${i}]`)) as Service);
  services.forEach((s, i) => {
    if (s >= SERVICE_COUNT || (i > 0 && s <= services[i - 1])) {
      throw new InvalidArgumentError("services must be known ids, strictly ascending", {
        field: `${field}.services[${i}]`,
        value: s,
      });
    }
  });
  const direction = toUint(header.direction, 8, `${field}.direction`);
  if (direction > 1n)
    throw new InvalidArgumentError("must be 0 or 1", { field: `${field}.direction`, value: direction });
  return {
    agreementId: toBytes32(header.agreementId, `${field}.agreementId`),
    direction,
    sequence: toUint(header.sequence, 32, `${field}.sequence`),
    periodStart: toUint(header.periodStart, 40, `${field}.periodStart`),
    periodEnd: toUint(header.periodEnd, 40, `${field}.periodEnd`),
    baseTariff: toBytes32(header.baseTariff, `${field}.baseTariff`),
    services,
    volumes: header.volumes.map((v, i) => toUint(v, 64, `${field}.volumes[${i}]`)),
    recordCounts: header.recordCounts.map((v, i) => toUint(v, 32, `${field}.recordCounts[${i}]`)),
    taxes: header.taxes.map((v, i) => toUint(v, 128, `${field}.taxes[${i}]`)),
    root: toBytes32(header.root, `${field}.root`),
    fileHash: toBytes32(header.fileHash, `${field}.fileHash`),
  };
}

function normalizeVoucher(voucher: Voucher, field = "voucher") {
  requireObject(voucher, field);
  const direction = toUint(voucher.direction, 8, `${field}.direction`);
  if (direction > 1n)
    throw new InvalidArgumentError("must be 0 or 1", { field: `${field}.direction`, value: direction });
  return {
    agreementId: toBytes32(voucher.agreementId, `${field}.agreementId`),
    direction,
    cumulativeAmount: toUint(voucher.cumulativeAmount, 128, `${field}.cumulativeAmount`),
    expiry: toUint(voucher.expiry, 64, `${field}.expiry`),
  };
}

function normalizeResolution(resolution: Resolution, field = "resolution") {
  requireObject(resolution, field);
  const held = toUint(resolution.held, 128, `${field}.held`);
  const payAmount = toUint(resolution.payAmount, 128, `${field}.payAmount`);
  if (payAmount > held) {
    throw new InvalidArgumentError(`must not exceed the held amount ${held}`, {
      field: `${field}.payAmount`,
      value: payAmount,
    });
  }
  return {
    batchId: toBytes32(resolution.batchId, `${field}.batchId`),
    round: toUint(resolution.round, 16, `${field}.round`),
    disputed: toUint(resolution.disputed, 16, `${field}.disputed`),
    held,
    payAmount,
  };
}

/** The EIP-712 domain of the `UsageClearing` at `verifyingContract` on `chainId`. */
export function clearingDomain(params: { chainId: UintLike; verifyingContract: string }): TypedDataDomain {
  requireObject(params, "domain");
  return {
    name: CLEARING_DOMAIN_NAME,
    version: CLEARING_DOMAIN_VERSION,
    chainId: toUint(params.chainId, 256, "domain.chainId"),
    verifyingContract: toAddress(params.verifyingContract, "domain.verifyingContract"),
  };
}

/** The static header the contract takes (`BatchHeader` of `contracts/types/ClearingTypes.sol`). */
export interface OnChainBatchHeader {
  agreementId: string;
  direction: bigint;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  baseTariff: string;
  /** The sum of the per-service taxes. */
  taxes: bigint;
  /** The EIP-712 struct hash of the totals. */
  totals: string;
  root: string;
  fileHash: string;
}

/** The per-service totals the contract takes (`BatchTotals`). */
export interface OnChainBatchTotals {
  services: Service[];
  volumes: bigint[];
  recordCounts: bigint[];
  taxes: bigint[];
}

/** The EIP-712 message of a header: its fields, the taxes summed and the totals as a nested struct. */
function headerMessage(h: NormalizedBatchHeader) {
  const { services, volumes, recordCounts, taxes, ...fields } = h;
  return {
    ...fields,
    taxes: taxes.reduce((sum, t) => sum + t, 0n),
    totals: { services, volumes, recordCounts, taxes },
  };
}

/** The EIP-712 struct hash of a batch's totals (the contract's `hashBatchTotals`). */
export function hashBatchTotals(totals: OnChainBatchTotals): string {
  return hashStruct("BatchTotals", BATCH_TOTALS_TYPES, totals);
}

/**
 * The totals as `submitBatch` takes them: one word per service, `service | volume << 8 | recordCount << 72 |
 * tax << 104` (the contract hashes them unpacked: {@link hashBatchTotals} of the arrays is the header's `totals`).
 * `reject` takes the arrays ({@link toOnChainBatch}'s `totals`).
 */
export function packBatchTotals(totals: OnChainBatchTotals): bigint[] {
  const { services, volumes, recordCounts, taxes } = totals;
  const n = services.length;
  if (volumes.length !== n || recordCounts.length !== n || taxes.length !== n) {
    throw new InvalidArgumentError("per-service arrays must be of one length", { field: "totals", value: totals });
  }
  return services.map((service, i) => {
    const field = (value: UintLike, bits: number, name: string) => toUint(value, bits, `totals.${name}[${i}]`);
    return (
      field(service, 8, "services") |
      (field(volumes[i], 64, "volumes") << 8n) |
      (field(recordCounts[i], 32, "recordCounts") << 72n) |
      (field(taxes[i], 128, "taxes") << 104n)
    );
  });
}

/**
 * The per-service figures of packed totals words (`service | volume << 8 | recordCount << 72 | tax << 104`), e.g.
 * read back from a `submitBatch` call: the inverse of {@link packBatchTotals}.
 */
export function unpackBatchTotals(words: readonly UintLike[]): OnChainBatchTotals {
  const totals: OnChainBatchTotals = { services: [], volumes: [], recordCounts: [], taxes: [] };
  words.forEach((value, i) => {
    const word = toUint(value, 232, `totals[${i}]`);
    totals.services.push(Number(word & 0xffn) as Service);
    totals.volumes.push((word >> 8n) & (2n ** 64n - 1n));
    totals.recordCounts.push((word >> 72n) & (2n ** 32n - 1n));
    totals.taxes.push(word >> 104n);
  });
  return totals;
}

/** The header and totals arguments the contract takes for `header`. */
export function toOnChainBatch(header: BatchHeader): { header: OnChainBatchHeader; totals: OnChainBatchTotals } {
  const message = headerMessage(normalizeBatchHeader(header));
  return { header: { ...message, totals: hashBatchTotals(message.totals) }, totals: message.totals };
}

/** The batch id: the EIP-712 struct hash of the header (the contract's `hashBatchHeader`). */
export function batchIdOf(header: BatchHeader): string {
  return hashStruct("BatchHeader", BATCH_HEADER_TYPES, headerMessage(normalizeBatchHeader(header)));
}

/** The EIP-712 struct hash of a voucher (the `ref` of its vault obligation). */
export function hashVoucher(voucher: Voucher): string {
  return hashStruct("Voucher", VOUCHER_TYPES, normalizeVoucher(voucher));
}

/** The EIP-712 request a VPMN signer key signs so that a relayer may submit `header`. */
export function batchHeaderTypedData(
  domain: TypedDataDomain,
  header: BatchHeader,
): AgreementTypedData<NormalizedBatchHeader> {
  return {
    domain,
    types: BATCH_HEADER_TYPES,
    primaryType: "BatchHeader",
    message: headerMessage(normalizeBatchHeader(header)) as unknown as NormalizedBatchHeader,
  };
}

/** Signs a batch header with a VPMN signer key (for `submitBatch` through a relayer). */
export async function signBatchHeader(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  header: BatchHeader,
): Promise<string> {
  return signer.signTypedData(
    domain,
    BATCH_HEADER_TYPES,
    headerMessage(normalizeBatchHeader(header)) as unknown as Record<string, unknown>,
  );
}

/** Signs a voucher with an HPMN signer key. */
export async function signVoucher(signer: TypedDataSigner, domain: TypedDataDomain, voucher: Voucher): Promise<string> {
  return signer.signTypedData(domain, VOUCHER_TYPES, normalizeVoucher(voucher) as unknown as Record<string, unknown>);
}

/** Signs a resolution with one party's signer key (both parties sign the same resolution). */
export async function signResolution(
  signer: TypedDataSigner,
  domain: TypedDataDomain,
  resolution: Resolution,
): Promise<string> {
  return signer.signTypedData(
    domain,
    RESOLUTION_TYPES,
    normalizeResolution(resolution) as unknown as Record<string, unknown>,
  );
}
