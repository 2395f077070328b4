/** A submitted batch found by its lane (agreement, direction) and Merkle root, as every `batch` command names it. */
import { ZeroAddress } from "ethers";

import {
  ClearingClient,
  type BatchHeader,
  type BatchInfo,
  unitsToDecimal,
  type UsageClearing,
  UsageClearing__factory,
} from "@roamledger/sdk";
import { headerOfRoot, parseBytes32, parseDirection, tokenDecimals } from "./chain";
import type { Context } from "./context";
import { CliUserError } from "./errors";
import { isoTime } from "./format";

/**
 * The batch of lane (`agreementArg`, `directionArg`) whose Merkle root is `rootArg` (the arguments parsed and named on
 * error): its id and header (rebuilt from its submission). No batch of the lane with that root: a user error (`root`).
 */
export async function findLaneBatch(
  ctx: Context,
  agreementArg: string,
  directionArg: string,
  rootArg: string,
): Promise<{ batchId: string; header: BatchHeader }> {
  const agreementId = parseBytes32(agreementArg, "agreementId");
  const direction = parseDirection(directionArg);
  const root = parseBytes32(rootArg, "root");
  const found = await headerOfRoot(ctx, agreementId, direction, root);
  if (found === undefined) {
    throw new CliUserError(`no batch of agreement ${agreementId}, direction ${direction} has root ${root}`, "root");
  }
  return found;
}

/** A lane's batch with what the clearing commands need: its state, the clearing contract and the lane's token. */
export interface LaneBatch {
  batchId: string;
  header: BatchHeader;
  address: string;
  reader: ClearingClient;
  contract: UsageClearing;
  before: BatchInfo;
  token: string;
  decimals: number;
}

/** The batch of (agreement, direction) with `root`, its state, and the lane's token. */
export async function laneBatch(
  ctx: Context,
  agreementArg: string,
  directionArg: string,
  rootArg: string,
): Promise<LaneBatch> {
  const found = await findLaneBatch(ctx, agreementArg, directionArg, rootArg);
  const address = (await ctx.addresses()).clearing;
  const provider = await ctx.provider();
  const reader = new ClearingClient(address, provider);
  const contract = UsageClearing__factory.connect(address, provider);
  const { token, decimals } = await laneToken(ctx, contract, found.header.agreementId);
  const before = await reader.getBatch(found.batchId);
  return { ...found, address, reader, contract, before, token, decimals };
}

/** The token an agreement clears in, and its decimals; an agreement not in clearing is a user error. */
export async function laneToken(
  ctx: Context,
  contract: UsageClearing,
  agreementId: string,
): Promise<{ token: string; decimals: number }> {
  const config = await contract.clearingConfig(agreementId);
  if (config.token === ZeroAddress) {
    throw new CliUserError(`agreement ${agreementId} is not in clearing on this chain`, "agreementId");
  }
  return { token: config.token, decimals: await tokenDecimals(await ctx.provider(), config.token) };
}

/** A batch's state as the commands print it (amounts in token units and as decimals). */
export function stateOf(b: BatchInfo, decimals: number) {
  return {
    batchStatus: b.status,
    charge: b.charge,
    chargeDecimal: unitsToDecimal(b.charge, decimals),
    held: b.held,
    heldDecimal: unitsToDecimal(b.held, decimals),
    disputed: b.disputed,
    round: b.round,
    finalAt: isoTime(b.finalAt),
  };
}
