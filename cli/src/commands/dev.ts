/**
 * `roamledger dev token`: a settlement token for a local node in one command. It deploys the test stablecoin
 * (`contracts/mocks/MockStablecoin.sol`, from the repository's compiled artifacts: like `deploy`, it needs the clone),
 * allows it in the vault through the governor (the sending key), and tops balances up with `--mint`.
 *
 * Safe to re-run: the token is recorded in `dev-token.json` beside the deployment's record and found there again;
 * an allowed token is not allowed again; `--mint account=amount` mints only what brings the balance up to `amount`.
 * When the governor has an execution delay, the allowance is scheduled through the AccessManager and executed by a
 * re-run once the delay has passed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { Contract, ContractFactory, getAddress, type InterfaceAbi } from "ethers";

import { decimalToUnits, unitsToDecimal, VaultClient } from "@roamledger/sdk";
import { parseAddress, parseUint } from "../chain";
import type { Context } from "../context";
import { CliConnectionError, CliUserError } from "../errors";
import { isoTime } from "../format";
import type { Action } from "../program";

/** The compiled test stablecoin, relative to the repository's root. */
export const TOKEN_ARTIFACT = path.join("artifacts", "contracts", "mocks", "MockStablecoin.sol", "MockStablecoin.json");
/** The token's record, beside the deployment's `deployed_addresses.json`. */
export const TOKEN_RECORD = "dev-token.json";

const MANAGER_ABI = [
  "function canCall(address caller, address target, bytes4 selector) view returns (bool immediate, uint32 delay)",
  "function hashOperation(address caller, address target, bytes data) view returns (bytes32)",
  "function getSchedule(bytes32 id) view returns (uint48)",
  "function schedule(address target, bytes data, uint48 when) returns (bytes32 operationId, uint32 nonce)",
  "function execute(address target, bytes data) payable returns (uint32)",
];
const TOKEN_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function mint(address to, uint256 amount)",
];

interface TokenRecord {
  address: string;
  name: string;
  symbol: string;
  decimals: number;
  deployTx: string;
}

export function register(program: Command, action: Action): void {
  const dev = program
    .command("dev")
    .description("helpers for local development nodes (need a clone of the repository)");
  dev
    .command("token")
    .description(
      "deploy the test stablecoin for this deployment (once: recorded beside the deployment record), allow it in the " +
        "vault with the sending key as governor, and top balances up to --mint amounts; safe to re-run",
    )
    .option("--decimals <n>", "the new token's decimals, 0-36 (default 6; a recorded token keeps its own)")
    .option("--name <name>", "the token's name", "Test USD")
    .option("--symbol <symbol>", "the token's symbol", "TUSD")
    .option("--cycle-length <seconds>", "the vault's settlement cycle length for the token", "604800")
    .option(
      "--mint <account=amount>",
      "bring account's balance up to amount (exact decimal, e.g. 1000.25); repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(action(token));
}

/** `account=amount` pairs, amounts in base units (exact). */
function parseMints(values: readonly string[], decimals: number): { account: string; amount: bigint }[] {
  return values.map((value) => {
    const at = value.indexOf("=");
    if (at < 0) throw new CliUserError(`--mint: expected <account>=<amount> (got ${JSON.stringify(value)})`, "mint");
    const account = parseAddress(value.slice(0, at), "mint");
    let amount: bigint;
    try {
      amount = decimalToUnits(value.slice(at + 1), decimals, "mint");
    } catch {
      throw new CliUserError(
        `--mint: ${JSON.stringify(value.slice(at + 1))} is not an amount with at most ${decimals} decimals`,
        "mint",
      );
    }
    if (amount < 0n) throw new CliUserError("--mint: the amount must not be negative", "mint");
    return { account, amount };
  });
}

function readRecord(file: string): TokenRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as TokenRecord;
  } catch {
    throw new CliConnectionError(`the token record ${file} is not valid JSON: remove it to deploy a new token`);
  }
}

async function token(
  ctx: Context,
  opts: { decimals?: string; name: string; symbol: string; cycleLength: string; mint: string[] },
): Promise<void> {
  const wanted = opts.decimals === undefined ? undefined : Number(parseUint(opts.decimals, "decimals"));
  if (wanted !== undefined && wanted > 36) throw new CliUserError("--decimals: at most 36", "decimals");
  parseMints(opts.mint, 36); // the flags' shape checked before any request; amounts again with the token's decimals
  const cycleLength = parseUint(opts.cycleLength, "cycle-length");
  if (cycleLength < 1n || cycleLength >= 2n ** 32n) {
    throw new CliUserError("--cycle-length: a positive number of seconds below 2^32", "cycle-length");
  }
  const root = ctx.projectRoot();
  const artifactFile = root === undefined ? undefined : path.join(root, TOKEN_ARTIFACT);
  if (artifactFile === undefined || !existsSync(artifactFile)) {
    throw new CliUserError(
      `the test stablecoin's artifact (${TOKEN_ARTIFACT}) is missing: run the CLI from a clone (or pass --project) ` +
        "after `npx hardhat compile`",
      "project",
    );
  }
  const addresses = await ctx.addresses(); // the deployment, checked live on this chain
  const { dir, deploymentId } = await ctx.deployment();
  const provider = await ctx.provider();
  const signer = await ctx.signer();
  const sent: string[] = [];
  const recordFile = path.join(dir, TOKEN_RECORD);

  // The token: the recorded one if it is live on this chain, else a new one.
  let record = readRecord(recordFile);
  let created = false;
  if (record !== undefined && (await provider.getCode(record.address)) === "0x") {
    ctx.out.note(`the recorded token ${record.address} has no code on this chain: deploying a new one`);
    record = undefined;
  }
  if (record !== undefined && wanted !== undefined && record.decimals !== wanted) {
    throw new CliUserError(
      `--decimals: this deployment's token ${record.address} has ${record.decimals} decimals (remove ${recordFile} ` +
        "for a new token)",
      "decimals",
    );
  }
  const decimals = record?.decimals ?? wanted ?? 6;
  const amounts = parseMints(opts.mint, decimals); // before anything is sent
  if (record === undefined) {
    const artifact = JSON.parse(readFileSync(artifactFile, "utf8")) as { abi: InterfaceAbi; bytecode: string };
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
    const contract = await factory.deploy(opts.name, opts.symbol, decimals);
    const deployTx = contract.deploymentTransaction();
    await contract.waitForDeployment();
    record = {
      address: getAddress(await contract.getAddress()),
      name: opts.name,
      symbol: opts.symbol,
      decimals,
      deployTx: deployTx?.hash ?? "",
    };
    sent.push(record.deployTx);
    const tmp = `${recordFile}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, recordFile);
    created = true;
    ctx.out.note(`deployed ${record.symbol} (${record.decimals} decimals) at ${record.address}`);
  }
  const tokenDecimals = record.decimals;

  // The vault's allowance, through the governor (scheduled first if the governor has a delay).
  const vault = new VaultClient(addresses.vault, signer);
  let allowed = (await vault.tokenConfig(record.address)).allowed;
  let scheduled: { operationId: string; executableAt: string } | undefined;
  if (!allowed) {
    const call = vault.build.allowToken(record.address, cycleLength);
    const manager = new Contract(addresses.manager, MANAGER_ABI, signer);
    const selector = call.data.slice(0, 10);
    const [immediate, delay] = (await manager
      .getFunction("canCall")
      .staticCall(signer.address, addresses.vault, selector)) as [boolean, bigint];
    if (immediate) {
      const receipt = await (await signer.sendTransaction(call)).wait();
      sent.push(receipt?.hash ?? "");
      allowed = true;
    } else if (delay > 0n) {
      const operationId = (await manager
        .getFunction("hashOperation")
        .staticCall(signer.address, addresses.vault, call.data)) as string;
      let when = BigInt((await manager.getFunction("getSchedule").staticCall(operationId)) as bigint);
      if (when === 0n) {
        const receipt = await (await manager.getFunction("schedule")(addresses.vault, call.data, 0)).wait();
        sent.push((receipt as { hash: string }).hash);
        when = BigInt((await manager.getFunction("getSchedule").staticCall(operationId)) as bigint);
      }
      const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
      if (when <= now) {
        const receipt = await (await manager.getFunction("execute")(addresses.vault, call.data)).wait();
        sent.push((receipt as { hash: string }).hash);
        allowed = true;
      } else {
        scheduled = { operationId, executableAt: isoTime(when) };
        ctx.out.note(`allowToken is scheduled (governor delay ${delay}s): re-run after ${isoTime(when)} to execute it`);
      }
    } else {
      throw new CliUserError(
        `the sending key ${signer.address} cannot call the vault's allowToken: use the governor's key`,
        "key",
      );
    }
  }

  // Balances topped up to the --mint amounts.
  const erc20 = new Contract(record.address, TOKEN_ABI, signer);
  const minted: { account: string; amount: string; balance: string }[] = [];
  for (const { account, amount } of amounts) {
    const balance = BigInt((await erc20.getFunction("balanceOf").staticCall(account)) as bigint);
    const missing = amount > balance ? amount - balance : 0n;
    if (missing > 0n) {
      const receipt = await (await erc20.getFunction("mint")(account, missing)).wait();
      sent.push((receipt as { hash: string }).hash);
    }
    minted.push({
      account,
      amount: unitsToDecimal(missing, tokenDecimals),
      balance: unitsToDecimal(balance + missing, tokenDecimals),
    });
  }

  const changed = sent.length > 0;
  ctx.out.result(
    {
      deploymentId,
      token: record.address,
      symbol: record.symbol,
      decimals: tokenDecimals,
      record: recordFile,
      created,
      allowed,
      ...(scheduled === undefined ? {} : { scheduled }),
      minted,
      transactions: sent.length,
      changed,
    },
    [
      `${created ? "deployed" : "found"} ${record.symbol} (${tokenDecimals} decimals) at ${record.address}`,
      allowed
        ? "allowed in the vault"
        : `allowToken scheduled (executable at ${scheduled?.executableAt ?? "?"}): re-run then`,
      ...minted.map((m) => `  ${m.account} +${m.amount} (balance ${m.balance})`),
      `  record ${recordFile}`,
    ],
  );
}
