/**
 * Typed reads of the suite through a viem client, returning the same shapes as the ethers clients
 * (`OperatorInfo`, `CapacityListing`, `BatchInfo`) and throwing the same typed errors
 * ({@link RoamLedgerContractError}, {@link InvalidArgumentError}).
 */
import { zeroAddress, type Client } from "viem";
import { readContract } from "viem/actions";

import { isRoamLedgerContractError } from "../errors";
import type { RoamLedgerAddresses } from "../deployments";
import { decodeTadig, encodeTadig } from "../tadig";
import { toAddress, toBytes32, toInteger, toOperatorId, type UintLike } from "../validation";
import type { OperatorInfo, OperatorStatusName } from "../clients/registry";
import type { CapacityListing } from "../clients/market";
import type { BatchInfo } from "../clients/clearing";
import { capacityMarketAbi, operatorRegistryAbi, settlementVaultAbi, usageClearingAbi } from "./abis";
import { withDecodedRevert } from "./errors";

/** A viem client that can read (a `PublicClient`, or a `WalletClient` whose transport answers reads) and the suite. */
export interface RoamLedgerReadContext {
  client: Client;
  /** The deployment's addresses; each read uses only the contract it needs. */
  addresses: Partial<RoamLedgerAddresses>;
}

const OPERATOR_STATUS: Readonly<Record<number, OperatorStatusName>> = { 1: "active", 2: "suspended", 3: "exited" };
const BATCH_STATUS_NAMES = ["None", "Pending", "Final", "Rejected", "Accepted"] as const;

/** The status name of a `BatchStatus` value, as `getBatch` returns it. */
export type BatchStatusName = BatchInfo["status"];

function addressOf(context: RoamLedgerReadContext, key: keyof RoamLedgerAddresses): `0x${string}` {
  return toAddress(context.addresses?.[key] as string, `addresses.${key}`) as `0x${string}`;
}

/**
 * One operator by id.
 * @throws RoamLedgerContractError `OperatorRegistry_UnknownOperator` for an id never registered.
 */
export async function readOperator(context: RoamLedgerReadContext, operatorId: UintLike): Promise<OperatorInfo> {
  const id = Number(toOperatorId(operatorId));
  const view = await withDecodedRevert(() =>
    readContract(context.client, {
      address: addressOf(context, "registry"),
      abi: operatorRegistryAbi,
      functionName: "getOperator",
      args: [id],
    }),
  );
  const status = OPERATOR_STATUS[view.status];
  if (status === undefined) throw new Error(`OperatorRegistry returned operator ${view.id} with status ${view.status}`);
  return {
    id: BigInt(view.id),
    status,
    admin: view.admin,
    pendingAdmin: view.pendingAdmin === zeroAddress ? undefined : view.pendingAdmin,
    payout: view.payout,
    joinedAt: BigInt(view.joinedAt),
    activeSigners: view.activeSigners,
    tadigs: view.tadigs.map((tadig) => decodeTadig(tadig, "tadigs")),
    metadataURI: view.metadataURI,
  };
}

/** The operator that holds `tadig` (e.g. `"DEUD1"`), or undefined if none does. */
export async function readOperatorByTadig(
  context: RoamLedgerReadContext,
  tadig: string,
): Promise<OperatorInfo | undefined> {
  const encoded = encodeTadig(tadig, "tadig") as `0x${string}`;
  let id: number;
  try {
    id = await withDecodedRevert(() =>
      readContract(context.client, {
        address: addressOf(context, "registry"),
        abi: operatorRegistryAbi,
        functionName: "operatorOfTadig",
        args: [encoded],
      }),
    );
  } catch (error) {
    if (isRoamLedgerContractError(error, "OperatorRegistry_UnknownTadig")) return undefined;
    throw error;
  }
  return readOperator(context, id);
}

/** An operator's free balance of `token` in the vault: what it may withdraw or spend now (`freeBalanceOf`). */
export async function readFreeBalance(
  context: RoamLedgerReadContext,
  operatorId: UintLike,
  token: string,
): Promise<bigint> {
  const id = Number(toOperatorId(operatorId));
  const t = toAddress(token, "token") as `0x${string}`;
  return withDecodedRevert(() =>
    readContract(context.client, {
      address: addressOf(context, "vault"),
      abi: settlementVaultAbi,
      functionName: "freeBalanceOf",
      args: [id, t],
    }),
  );
}

/** A usage batch's record (`getBatch`); an unknown batch id reads as status `"None"`. */
export async function readBatch(context: RoamLedgerReadContext, batchId: string): Promise<BatchInfo> {
  const id = toBytes32(batchId, "batchId") as `0x${string}`;
  const b = await withDecodedRevert(() =>
    readContract(context.client, {
      address: addressOf(context, "clearing"),
      abi: usageClearingAbi,
      functionName: "getBatch",
      args: [id],
    }),
  );
  const status = BATCH_STATUS_NAMES[b.status];
  if (status === undefined) throw new Error(`UsageClearing returned batch ${id} with status ${b.status}`);
  return {
    finalAt: BigInt(b.finalAt),
    status,
    charge: b.charge,
    held: b.held,
    round: BigInt(b.round),
    disputed: BigInt(b.disputed),
  };
}

/** A usage batch's status name (`"None"` for an unknown id, `"Pending"`, `"Final"`, `"Rejected"`, `"Accepted"`). */
export async function readBatchStatus(context: RoamLedgerReadContext, batchId: string): Promise<BatchStatusName> {
  return (await readBatch(context, batchId)).status;
}

/**
 * One listing of the capacity market.
 * @throws RoamLedgerContractError `CapacityMarket_UnknownListing` for an id never used.
 */
export async function readListing(context: RoamLedgerReadContext, listingId: UintLike): Promise<CapacityListing> {
  const id = toInteger(listingId, "listingId", 1n, 2n ** 256n - 1n, "must be an id, from 1");
  const l = await withDecodedRevert(() =>
    readContract(context.client, {
      address: addressOf(context, "market"),
      abi: capacityMarketAbi,
      functionName: "getListing",
      args: [id],
    }),
  );
  return {
    listingId: id,
    classId: l.classId,
    seller: l.seller,
    sellerId: BigInt(l.sellerId),
    expiry: BigInt(l.expiry),
    token: l.token,
    remaining: l.remaining,
    unitPrice: l.unitPrice,
  };
}
