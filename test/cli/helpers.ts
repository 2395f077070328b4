/**
 * Running the CLI as a user would: a real `hardhat node` in its own process, and the CLI in child processes.
 *
 * The CLI runs as the published bin would (`node <dist>/cli/bin.js`): the package's own build, `sdk/dist`, when it is up
 * to date with `sdk/src` (`npm test` builds it before the tests), else `sdk/src` transpiled once into a temporary
 * directory (seconds; ts-node would transpile it again in every one of the dozens of runs). One test also runs it
 * through `ts-node`, as `npm run roamledger` does.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { HDNodeWallet, keccak256, Mnemonic, toUtf8Bytes, ZeroHash } from "ethers";
import ts from "typescript";

import { ROOT, runProcess } from "../helpers/processes";

export { ROOT };

const WAD = 10n ** 18n;

/** A 4-service IOT tariff as the JSON file `roamledger tariff publish` reads (prices as decimal strings). */
export const tariffJson = (variant = 0n) => ({
  plans: [
    {
      service: 0,
      kind: 0,
      increment: 60,
      tiers: [{ start: 0, fixedPrice: 0, linearPrice: String(WAD / 20n + variant) }],
      unbalancedTiers: [],
    },
    {
      service: 2,
      kind: 0,
      increment: 1,
      tiers: [{ start: 0, fixedPrice: 0, linearPrice: String(WAD / 100n) }],
      unbalancedTiers: [],
    },
    {
      service: 4,
      kind: 0,
      increment: 1024,
      tiers: [{ start: 0, fixedPrice: 0, linearPrice: String(WAD / 500n) }],
      unbalancedTiers: [],
    },
    {
      service: 5,
      kind: 0,
      increment: 60,
      tiers: [{ start: 0, fixedPrice: 0, linearPrice: String((WAD * 45n) / 1000n) }],
      unbalancedTiers: [],
    },
  ],
});

/** The accounts of `hardhat node` (its default mnemonic). */
export function nodeWallet(index: number): HDNodeWallet {
  const mnemonic = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
  return HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`);
}

/** JSON-RPC call to the node. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export { startAnvil, startHardhatNode, stopAllProcesses, type NodeProcess } from "../helpers/processes";

/** Whether some file of sdk/src is newer than its build in sdk/dist (or has none): the package must be rebuilt. */
export async function sdkDistIsStale(): Promise<boolean> {
  const src = path.join(ROOT, "sdk", "src");
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
    const file = path.join(entry.parentPath, entry.name);
    const built = path.join(ROOT, "sdk", "dist", path.relative(src, file)).replace(/\.ts$/, ".js");
    const [source, output] = await Promise.all([stat(file), stat(built).catch(() => undefined)]);
    if (output === undefined || output.mtimeMs < source.mtimeMs) return true;
  }
  return false;
}

/**
 * The CLI's bin: `sdk/dist/cli/bin.js` when the package's build is up to date, else `sdk/src` transpiled into `outDir`
 * (never a rebuild of sdk/dist, which another suite may be reading).
 */
export async function cliBin(outDir: string): Promise<string> {
  return (await sdkDistIsStale()) ? transpileSdk(outDir) : path.join(ROOT, "sdk", "dist", "cli", "bin.js");
}

/** Transpiles `sdk/src` (no type check: `tsc` checks it elsewhere) into `outDir`; returns the bin's path. */
export function transpileSdk(outDir: string): string {
  const walk = (dir: string, out: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file, path.join(out, name));
      } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
        const js = ts.transpileModule(readFileSync(file, "utf8"), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        mkdirSync(out, { recursive: true });
        writeFileSync(path.join(out, name.replace(/\.ts$/, ".js")), js);
      }
    }
  };
  walk(path.join(ROOT, "sdk", "src"), outDir);
  return path.join(outDir, "cli", "bin.js");
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document `--json` prints. */
  json(): Record<string, unknown> & { ok: boolean };
}

/**
 * Runs the CLI in a child process with `env` added to a clean environment (no ROAMLEDGER_* of the caller). The child is
 * its own process group, killed by `stopAllProcesses` (the suites' `after` hooks) if it is still running then.
 */
export async function runCli(
  command: string[],
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd: string = ROOT,
): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ROAMLEDGER_")));
  const run = await runProcess(command[0], [...command.slice(1), ...args], {
    cwd,
    env: {
      ...base,
      NODE_PATH: [path.join(ROOT, "sdk", "node_modules"), path.join(ROOT, "node_modules")].join(path.delimiter),
      ...env,
    },
  });
  if (run.error !== undefined) throw run.error;
  const { code, signal, stdout, stderr } = run;
  return {
    code,
    signal,
    stdout,
    stderr,
    json: () => {
      try {
        return JSON.parse(stdout) as Record<string, unknown> & { ok: boolean };
      } catch {
        throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/*//////////////////////////////////////////////////////////////////////////
                       SHARED SETUP OF THE CLI SUITES
//////////////////////////////////////////////////////////////////////////*/

const DAY_SECONDS = 86_400;

/** The result of a run that must have succeeded with `--json` (exit 0, `ok: true`), else a failure showing both streams. */
export function expectOk(run: CliRun): Record<string, unknown> & { ok: boolean } {
  const result = run.json();
  expect(result.ok, `${run.stdout}\n${run.stderr}`).to.equal(true);
  expect(run.code, run.stderr).to.equal(0);
  return result;
}

/** The `--json` error of a run that must have failed with exit `code` (1 user, 2 chain). */
export function expectError(run: CliRun, code: 1 | 2): Record<string, unknown> {
  expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(code);
  const result = run.json();
  expect(result.ok).to.equal(false);
  return result.error as Record<string, unknown>;
}

/** The node's block height. */
export async function blockNumberOf(url: string): Promise<bigint> {
  return BigInt(await rpc<string>(url, "eth_blockNumber"));
}

/** Moves the node's clock forward by `seconds` and mines a block there. */
export async function advanceTime(url: string, seconds: bigint | number): Promise<void> {
  await rpc(url, "evm_increaseTime", [Number(seconds)]);
  await rpc(url, "evm_mine");
}

/**
 * Writes `roamledger deploy` parameters to `file`: deploy/parameters/localhost.json (every role held by account 7 of
 * the node) with `overrides` (e.g. `{ governorDelay: 3600 }`). Returns `file`.
 */
export function localParameters(file: string, overrides: Record<string, unknown> = {}): string {
  const local = JSON.parse(readFileSync(path.join(ROOT, "deploy", "parameters", "localhost.json"), "utf8")) as {
    RoamLedger: Record<string, unknown>;
  };
  writeFileSync(file, JSON.stringify({ RoamLedger: { ...local.RoamLedger, ...overrides } }));
  return file;
}

/** AgreementTerms as the JSON file `roamledger offer create` reads: a year of 30-day periods, one base tariff. */
export const agreementTermsJson = (p: { proposer: number; token: string; validFrom: bigint; tariffId: string }) => ({
  proposer: p.proposer,
  token: p.token,
  validFrom: String(p.validFrom),
  validUntil: String(p.validFrom + 360n * BigInt(DAY_SECONDS)),
  periodLength: 30 * DAY_SECONDS,
  disputeWindow: 7 * DAY_SECONDS,
  submissionGrace: 3 * DAY_SECONDS,
  noticePeriod: 90 * DAY_SECONDS,
  baseTariff: [p.tariffId, p.tariffId],
  discountTariff: [ZeroHash, ZeroHash],
  conditions: [
    { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
    { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
  ],
  documentCommitment: keccak256(toUtf8Bytes("alpha-beta roaming agreement")),
});
