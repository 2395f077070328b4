/**
 * Example (ethers v6): read the operator registry and the settlement vault with the SDK's clients.
 *
 * Finds the operator holding a TADIG code, lists every member, and reads the operator's free balance of a token in
 * the vault. Read-only: no key needed.
 *
 *   ROAMLEDGER_RPC_URL=http://127.0.0.1:8545 ROAMLEDGER_TOKEN=0x... [ROAMLEDGER_TADIG=DEUD1] \
 *     npx ts-node examples/read-ethers.ts
 */
import { JsonRpcProvider } from "ethers";
import { RegistryClient, VaultClient } from "@roamledger/sdk";

import { deployment, env, print, RPC_URL } from "./env";

async function main(): Promise<void> {
  const provider = new JsonRpcProvider(RPC_URL);
  const { chainId } = await provider.getNetwork();
  const suite = await deployment(chainId);
  const tadig = process.env.ROAMLEDGER_TADIG ?? "DEUD1";
  const token = env("ROAMLEDGER_TOKEN");

  const registry = new RegistryClient(suite.registry, provider);
  const vault = new VaultClient(suite.vault, provider);

  const operator = await registry.findByTadig(tadig);
  if (operator === undefined) throw new Error(`no operator holds ${tadig}`);
  const members = await registry.listAll();

  print({
    chainId,
    registry: suite.registry,
    members: members.map((m) => ({ id: m.id, tadigs: m.tadigs, status: m.status })),
    operator,
    vault: {
      token,
      balance: await vault.balanceOf(operator.id, token),
      free: await vault.freeBalanceOf(operator.id, token),
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
