/**
 * Example: build unsigned transactions for a multisig or a custody system, without any key.
 *
 * The SDK's builders (`client.build.*`) validate their input and return `{ to, data, value }`; this prints a batch
 * in the JSON shape of the Safe Transaction Builder (values as decimal strings), ready to import and sign there:
 * the operator's admin adds a signer key and withdraws from the vault to its payout address.
 *
 *   ROAMLEDGER_OPERATOR_ID=1 ROAMLEDGER_NEW_SIGNER=0x... ROAMLEDGER_TOKEN=0x... ROAMLEDGER_AMOUNT=1000000 \
 *     npx ts-node examples/multisig-transaction.ts
 */
import { JsonRpcProvider } from "ethers";
import { RegistryClient, VaultClient, type BuiltTransaction } from "@roamledger/sdk";

import { deployment, env, print, RPC_URL } from "./env";

async function main(): Promise<void> {
  const { chainId } = await new JsonRpcProvider(RPC_URL).getNetwork();
  const suite = await deployment(chainId);
  const operatorId = BigInt(env("ROAMLEDGER_OPERATOR_ID"));

  // Clients without a runner: they only build (nothing is read or sent).
  const registry = new RegistryClient(suite.registry);
  const vault = new VaultClient(suite.vault);
  const transactions: BuiltTransaction[] = [
    registry.build.addSigner(operatorId, env("ROAMLEDGER_NEW_SIGNER")),
    vault.build.withdraw(operatorId, env("ROAMLEDGER_TOKEN"), BigInt(env("ROAMLEDGER_AMOUNT"))),
  ];

  print({
    version: "1.0",
    chainId: chainId.toString(),
    meta: { name: `RoamLedger: operator ${operatorId} maintenance` },
    transactions: transactions.map(({ to, data, value }) => ({ to, value: value.toString(), data })),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
