/**
 * The one step of the user guide's local month that the CLI does not do (docs/USER_GUIDE.md, "A month on a local
 * node"): a 6-decimal test stablecoin, allowed by the governor in the settlement vault, and minted to the two
 * operators' admin accounts. Run it once after `roamledger deploy`, from the repository's root (it reads the compiled
 * artifacts and the deployment record there):
 *
 *     npx ts-node --transpile-only examples/operator/local-token.ts
 *
 * Accounts are the node's default ones: #9 deploys the token (its first transaction, so the token's address is the
 * one `examples/operator/terms.json` names), #7 holds the governor role of `deploy/parameters/localhost.json`
 * (delay 0), #1 and #2 are the admins of the two operators. Safe to re-run: what is done already is skipped.
 * Environment: `ROAMLEDGER_RPC_URL` (default `http://127.0.0.1:8545`).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  Contract,
  ContractFactory,
  HDNodeWallet,
  JsonRpcProvider,
  Mnemonic,
  NonceManager,
  type InterfaceAbi,
} from "ethers";

const RPC_URL = process.env.ROAMLEDGER_RPC_URL ?? "http://127.0.0.1:8545";
/** The node's default accounts (public test keys: never use them on a real network). */
const MNEMONIC = "test test test test test test test test test test test junk";
/** The token `terms.json` names: the first contract account #9 creates. */
const TOKEN = "0x700b6A60ce7EaaEA56F065753d8dcB9653dbAD35";
const WEEK = 7 * 86_400;
const MINT = 1_000_000n * 1_000_000n; // 1,000,000 tokens of 6 decimals

interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

function artifact(source: string, name: string): Artifact {
  return JSON.parse(readFileSync(path.join("artifacts", "contracts", source, `${name}.json`), "utf8")) as Artifact;
}

async function main(): Promise<void> {
  const provider = new JsonRpcProvider(RPC_URL);
  const chainId = (await provider.getNetwork()).chainId;
  const record = path.join("deploy", "deployments", `chain-${chainId}`, "deployed_addresses.json");
  const addresses = JSON.parse(readFileSync(record, "utf8")) as Record<string, string>;
  const account = (i: number) =>
    new NonceManager(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${i}`).connect(provider));
  const [alice, bob, governor, tokenOwner] = [account(1), account(2), account(7), account(9)];

  const stablecoin = artifact("mocks/MockStablecoin.sol", "MockStablecoin");
  if ((await provider.getCode(TOKEN)) === "0x") {
    const factory = new ContractFactory(stablecoin.abi, stablecoin.bytecode, tokenOwner);
    const deployed = await factory.deploy("USD Coin", "USDC", 6);
    await deployed.waitForDeployment();
    const address = await deployed.getAddress();
    if (address !== TOKEN) throw new Error(`token at ${address}, not ${TOKEN}: start from a fresh node`);
  }
  const vaultAbi = artifact("SettlementVault.sol", "SettlementVault").abi;
  const vault = new Contract(addresses["RoamLedger#SettlementVault"], vaultAbi, governor);
  if (!((await vault.getFunction("tokenConfig")(TOKEN)) as { allowed: boolean }).allowed) {
    await (await vault.getFunction("allowToken")(TOKEN, WEEK)).wait();
  }
  const token = new Contract(TOKEN, stablecoin.abi, tokenOwner);
  for (const who of [alice, bob]) {
    const address = await who.getAddress();
    if ((await token.getFunction("balanceOf")(address)) < MINT) {
      await (await token.getFunction("mint")(address, MINT)).wait();
    }
  }
  console.log(`token ${TOKEN} (USDC, 6 decimals) allowed in the vault, weekly cycles; 1,000,000 minted to #1 and #2`);
  provider.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
