/**
 * Example (viem): the same reads as read-ethers.ts, with a viem public client and the `as const` ABIs.
 *
 * Typed contract instances (`getRoamLedgerContracts`), the SDK's typed reads (`readOperatorByTadig`,
 * `readFreeBalance`, `readListing`), and a revert decoded into the SDK's typed error. Read-only: no key needed.
 *
 *   ROAMLEDGER_RPC_URL=http://127.0.0.1:8545 ROAMLEDGER_TOKEN=0x... [ROAMLEDGER_TADIG=DEUD1] \
 *     npx ts-node examples/read-viem.ts
 */
import { createPublicClient, http, type Address } from "viem";
import {
  decodeRoamLedgerRevert,
  getRoamLedgerContracts,
  readFreeBalance,
  readListing,
  readOperatorByTadig,
} from "@roamledger/sdk/viem";

import { deployment, env, print, RPC_URL } from "./env";

async function main(): Promise<void> {
  const client = createPublicClient({ transport: http(RPC_URL) });
  const chainId = await client.getChainId();
  const addresses = await deployment(chainId);
  const tadig = process.env.ROAMLEDGER_TADIG ?? "DEUD1";
  const token = env("ROAMLEDGER_TOKEN") as Address;

  const contracts = getRoamLedgerContracts({ client, addresses });
  const context = { client, addresses };
  const operator = await readOperatorByTadig(context, tadig);
  if (operator === undefined) throw new Error(`no operator holds ${tadig}`);

  const listingCount = await contracts.market.read.listingCount();
  const listings = [];
  for (let id = 1n; id <= listingCount; id++) listings.push(await readListing(context, id));

  // A revert, decoded by error name: operator ids start at 1 and this one was never registered.
  const unknown = await contracts.registry.read.getOperator([4_000_000_000]).catch(decodeRoamLedgerRevert);

  print({
    chainId,
    operatorCount: await contracts.registry.read.operatorCount(),
    operator,
    free: await readFreeBalance(context, operator.id, token),
    listings,
    unknownOperatorError: unknown instanceof Error ? unknown.name : undefined,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
