/** Reads from the chain that several commands share: an agreement's terms and tariffs, token decimals, headers. */
import { Contract, getAddress, isHexString, ZeroAddress, type Provider } from "ethers";

import {
  AgreementsClient,
  tariffFromResult,
  ClearingClient,
  type Tariff,
  type UsageClearing,
  UsageClearing__factory,
  type NormalizedTerms,
  type BatchHeader,
  batchIdOf,
  unpackBatchTotals,
} from "@roamledger/sdk";
import type { Context } from "./context";
import { CliUserError } from "./errors";
import { eventRange, readEvents } from "./events";

/*//////////////////////////////////////////////////////////////////////////
                               ARGUMENT PARSING
//////////////////////////////////////////////////////////////////////////*/

/** A non-negative integer argument (decimal digits only: exact, no floating point). */
export function parseUint(value: string | bigint | undefined, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (value === undefined || !/^[0-9]+$/.test(value)) {
    throw new CliUserError(`${field}: must be a non-negative integer (got ${JSON.stringify(value)})`, field);
  }
  return BigInt(value);
}

/** A bytes32 argument. */
export function parseBytes32(value: string | undefined, field: string): string {
  if (value === undefined || !isHexString(value, 32)) {
    throw new CliUserError(`${field}: must be 0x followed by 64 hex digits (got ${JSON.stringify(value)})`, field);
  }
  return value.toLowerCase();
}

/** An address argument (checksummed on return). */
export function parseAddress(value: string | undefined, field: string): string {
  try {
    return getAddress(value as string);
  } catch {
    throw new CliUserError(`${field}: not an address (got ${JSON.stringify(value)})`, field);
  }
}

/** A direction argument: 0 or 1. */
export function parseDirection(value: string | undefined, field = "direction"): 0 | 1 {
  if (value !== "0" && value !== "1")
    throw new CliUserError(`${field}: must be 0 or 1 (got ${JSON.stringify(value)})`, field);
  return Number(value) as 0 | 1;
}

/*//////////////////////////////////////////////////////////////////////////
                                    READS
//////////////////////////////////////////////////////////////////////////*/

/** A published tariff's plans, read from its `TariffPublished` event. */
export async function publishedTariff(ctx: Context, agreements: AgreementsClient, tariffId: string): Promise<Tariff> {
  const filter = agreements.contract.filters.TariffPublished(tariffId);
  const events = await readEvents(ctx, (from, to) => agreements.contract.queryFilter(filter, from, to));
  if (events.length === 0) throw new CliUserError(`tariff ${tariffId} was never published on this chain`, "tariff");
  return tariffFromResult(events[0].args.tariff);
}

/** What clearing needs of an agreement: its terms in force at `at` and the direction's base tariff. */
export interface AgreementView {
  agreementId: string;
  partyA: bigint;
  partyB: bigint;
  /** The terms version in force (the one `terms` are). */
  version: bigint;
  terms: NormalizedTerms;
  baseTariff: Tariff;
  baseTariffId: string;
}

export async function agreementView(
  ctx: Context,
  agreementId: string,
  direction: 0 | 1,
  at?: bigint,
): Promise<AgreementView> {
  const { agreements: address } = await ctx.addresses();
  const agreements = new AgreementsClient(address, await ctx.provider());
  const info = await agreements.getAgreement(agreementId);
  const version = at === undefined ? info.latestVersion : await agreements.versionAt(agreementId, at);
  const terms = await agreements.getTerms(agreementId, version, eventRange(ctx));
  const baseTariffId = terms.baseTariff[direction];
  return {
    agreementId,
    partyA: info.partyA,
    partyB: info.partyB,
    version,
    terms,
    baseTariff: await publishedTariff(ctx, agreements, baseTariffId),
    baseTariffId,
  };
}

/**
 * What reading a lane's CDR file needs of its agreement (`readCdrFile`'s ingest options): the lane, the shared secret
 * salting subscriber pseudonyms, the terms' validity and period length, and the rating tariff of the direction.
 */
export function cdrIngestOptions(view: AgreementView, direction: 0 | 1, sharedSecret: string) {
  return {
    agreementId: view.agreementId,
    direction,
    sharedSecret,
    validFrom: view.terms.validFrom,
    validUntil: view.terms.validUntil,
    periodLength: view.terms.periodLength,
    tariff: view.baseTariff,
  };
}

/**
 * Makes sure clearing knows the terms a submission needs (the contract rates batches from terms and base tariffs it
 * cached): version 0 puts the agreement in clearing (`enableClearing`), a later version is cached after its amendment
 * (`cacheTerms`). Sends nothing when they are cached already; returns the receipt's hash of what it sent, if anything.
 */
export async function ensureTermsCached(
  ctx: Context,
  client: ClearingClient,
  view: AgreementView,
  direction: 0 | 1,
): Promise<string | undefined> {
  if (await client.isTermsCached(view.terms, direction)) return undefined;
  const { agreements: address } = await ctx.addresses();
  const agreements = new AgreementsClient(address, await ctx.provider());
  const tariffs = [
    await publishedTariff(ctx, agreements, view.terms.baseTariff[0]),
    await publishedTariff(ctx, agreements, view.terms.baseTariff[1]),
  ] as const;
  const config = await UsageClearing__factory.connect(client.address, await ctx.provider()).clearingConfig(
    view.agreementId,
  );
  const receipt =
    config.token === ZeroAddress
      ? await client.enableClearing(view.agreementId, view.terms, tariffs)
      : await client.cacheTerms(view.agreementId, view.version, view.terms, tariffs);
  return receipt.hash;
}

/** An ERC-20's decimals. */
export async function tokenDecimals(provider: Provider, token: string): Promise<number> {
  const erc20 = new Contract(token, ["function decimals() view returns (uint8)"], provider);
  try {
    return Number(await erc20.getFunction("decimals").staticCall());
  } catch {
    throw new CliUserError(`token ${token} has no decimals() (not an ERC-20?)`, "token");
  }
}

/**
 * The id of the batch of lane (`agreementId`, `direction`) that used `root` (roots are unique per lane: another lane
 * may hold the same root), found by its `BatchSubmitted` event; undefined when no batch of the lane has it.
 */
export async function batchOfLaneRoot(
  ctx: Context,
  contract: UsageClearing,
  agreementId: string,
  direction: number | bigint,
  root: string,
): Promise<string | undefined> {
  if (!(await contract.isRootUsed(agreementId, direction, root))) return undefined;
  const filter = contract.filters.BatchSubmitted(undefined, agreementId, direction);
  const events = await readEvents(ctx, (from, to) => contract.queryFilter(filter, from, to));
  const found = events.find((e) => e.args.root.toLowerCase() === root.toLowerCase());
  if (found === undefined) throw new Error(`root ${root} is used on the lane but no BatchSubmitted event has it`);
  return found.args.batchId;
}

/**
 * The header of the batch of lane (`agreementId`, `direction`) that stored `root`, rebuilt from its submission
 * transaction's call data (the contract stores only hashes); undefined when no batch of the lane has that root.
 */
export async function headerOfRoot(
  ctx: Context,
  agreementId: string,
  direction: number | bigint,
  root: string,
): Promise<{ batchId: string; header: BatchHeader } | undefined> {
  const provider = await ctx.provider();
  const { clearing } = await ctx.addresses();
  const contract = UsageClearing__factory.connect(clearing, provider);
  const batchId = await batchOfLaneRoot(ctx, contract, agreementId, direction, root);
  if (batchId === undefined) return undefined;
  const submitted = contract.filters.BatchSubmitted(batchId);
  const events = await readEvents(ctx, (from, to) => contract.queryFilter(submitted, from, to));
  if (events.length === 0) throw new Error(`no BatchSubmitted event for batch ${batchId}`);
  const tx = await provider.getTransaction(events[0].transactionHash);
  const parsed = tx === null ? null : contract.interface.parseTransaction({ data: tx.data });
  if (parsed === null || parsed.name !== "submitBatch") {
    throw new CliUserError(`batch ${batchId} was not submitted by a direct submitBatch call: pass --header`, "header");
  }
  const [h, packed] = parsed.args;
  const totals = unpackBatchTotals(Array.from(packed as bigint[]));
  const header: BatchHeader = {
    agreementId: h.agreementId,
    direction: h.direction,
    sequence: h.sequence,
    periodStart: h.periodStart,
    periodEnd: h.periodEnd,
    baseTariff: h.baseTariff,
    services: totals.services,
    volumes: totals.volumes,
    recordCounts: totals.recordCounts,
    taxes: totals.taxes,
    root: h.root,
    fileHash: h.fileHash,
  };
  if (batchIdOf(header) !== batchId) throw new Error(`rebuilt header of batch ${batchId} does not hash to it`);
  return { batchId, header };
}

/** A clearing client reading through the provider. */
export async function clearingReader(ctx: Context): Promise<ClearingClient> {
  return new ClearingClient((await ctx.addresses()).clearing, await ctx.provider());
}
