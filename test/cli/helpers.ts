/**
 * Running the CLI as a user would: a real `hardhat node` in its own process, and the CLI in child processes.
 *
 * The CLI runs as the published bin would (`node cli/dist/bin.js`): the packages' own builds, `sdk/dist` and `cli/dist`,
 * when they are up to date with their sources (`npm test` builds them before the tests), else the sources transpiled
 * once into a temporary directory (seconds; ts-node would transpile it again in every one of the dozens of runs). One
 * test also runs it through `ts-node`, as `npm run roamledger` does. A child costs about half a second of CPU before it
 * does anything, so a file shares one node and one deployment ({@link cliSuite}, snapshots), and what needs no process
 * of its own (help texts) runs in this one ({@link runCliInProcess}): docs/ARCHITECTURE.md, section 13.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, keccak256, Mnemonic, toUtf8Bytes, ZeroHash } from "ethers";
import ts from "typescript";

import { VaultClient } from "../../sdk/src/clients/vault";
import { MockStablecoin__factory } from "../../sdk/src/typechain";

import { ROOT, runProcess, startHardhatNode, stopAllProcesses, type NodeProcess } from "../helpers/processes";

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

/**
 * Whether some file of `<pkg>/src` is newer than the package's build (or there is none): the package must be rebuilt.
 * The SDK's build is finished when its last file, `dist/esm/package.json`, is written (it holds only what its entry
 * points reach, so not every source has a built file); the CLI's holds one file per source.
 */
export async function distIsStale(pkg: "sdk" | "cli"): Promise<boolean> {
  const src = path.join(ROOT, pkg, "src");
  const marker =
    pkg === "sdk"
      ? await stat(path.join(ROOT, "sdk", "dist", "esm", "package.json")).catch(() => undefined)
      : undefined;
  if (pkg === "sdk" && marker === undefined) return true;
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
    const file = path.join(entry.parentPath, entry.name);
    const built = path.join(ROOT, pkg, "dist", path.relative(src, file)).replace(/\.ts$/, ".js");
    const [source, output] = await Promise.all([stat(file), marker ?? stat(built).catch(() => undefined)]);
    if (output === undefined || output.mtimeMs < source.mtimeMs) return true;
  }
  return false;
}

/** Whether the SDK's build is older than its sources. */
export const sdkDistIsStale = (): Promise<boolean> => distIsStale("sdk");

/**
 * The CLI's bin: `cli/dist/bin.js` when both packages' builds (`sdk/dist`, `cli/dist`) are up to date, else both
 * packages' sources transpiled into `outDir` (never a rebuild of a dist another suite may be reading).
 */
export async function cliBin(outDir: string): Promise<string> {
  const stale = (await distIsStale("sdk")) || (await distIsStale("cli"));
  return stale ? transpileCli(outDir) : path.join(ROOT, "cli", "dist", "bin.js");
}

/**
 * Transpiles `sdk/src` into `outDir/sdk` and `cli/src` into `outDir/cli` (no type check: `tsc` checks them
 * elsewhere), the CLI's imports of `@roamledger/sdk` pointed at the transpiled SDK; returns the bin's path.
 */
export function transpileCli(outDir: string): string {
  const sdkOut = path.join(outDir, "sdk");
  const entryPoints: Record<string, string> = {
    "@roamledger/sdk": path.join(sdkOut, "index.js"),
    "@roamledger/sdk/node": path.join(sdkOut, "node.js"),
  };
  const walk = (dir: string, out: string, rewrite: boolean) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file, path.join(out, name), rewrite);
      } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
        let js = ts.transpileModule(readFileSync(file, "utf8"), {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        if (rewrite) {
          js = js.replace(/require\("(@roamledger\/sdk(?:\/node)?)"\)/g, (_m, id: string) => {
            return `require(${JSON.stringify(entryPoints[id])})`;
          });
        }
        mkdirSync(out, { recursive: true });
        writeFileSync(path.join(out, name.replace(/\.ts$/, ".js")), js);
      }
    }
  };
  walk(path.join(ROOT, "sdk", "src"), sdkOut, false);
  walk(path.join(ROOT, "cli", "src"), path.join(outDir, "cli"), true);
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
      NODE_PATH: ["cli", "sdk", "."].map((dir) => path.join(ROOT, dir, "node_modules")).join(path.delimiter),
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
    json: () => parseJson(stdout, stderr),
  };
}

function parseJson(stdout: string, stderr: string): Record<string, unknown> & { ok: boolean } {
  try {
    return JSON.parse(stdout) as Record<string, unknown> & { ok: boolean };
  } catch {
    throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}`);
  }
}

/** The `hardhat node` accounts the CLI suites play: the consortium holds every role on a local node. */
export function cliParties() {
  const [deployer, alice, bob, aliceSigner, bobSigner, alicePayout, bobPayout] = [0, 1, 2, 3, 4, 5, 6].map(nodeWallet);
  return { deployer, alice, bob, aliceSigner, bobSigner, alicePayout, bobPayout, consortium: nodeWallet(7) };
}

/** `ROAMLEDGER_PRIVATE_KEY` of a wallet. */
export const keyOf = (wallet: { privateKey: string }) => ({ ROAMLEDGER_PRIVATE_KEY: wallet.privateKey });

/*//////////////////////////////////////////////////////////////////////////
                        THE CLI IN THIS PROCESS
//////////////////////////////////////////////////////////////////////////*/

/**
 * Runs the CLI's program in this process: `main` of cli/src (what `bin.js` runs), its stdout and stderr captured
 * (neither a terminal), its environment `env` alone (nothing of the caller's). For runs that need no chain and check only
 * what the program prints and returns (help texts, argument validation): a child process costs about 0.5 s of CPU to
 * load ethers and the SDK, this costs nothing after the first. What only a real process shows (its exit code as the
 * shell sees it, stdout/stderr separation, EPIPE, a terminal, a crash and its re-run) runs through {@link runCli}.
 */
export async function runCliInProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const { main } = await import("../../cli/src");
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "roamledger", ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
  });
  return { code, signal: null, stdout, stderr, json: () => parseJson(stdout, stderr) };
}

/*//////////////////////////////////////////////////////////////////////////
                 ONE NODE FOR A FILE, SNAPSHOTS INSTEAD OF REDEPLOYING
//////////////////////////////////////////////////////////////////////////*/

/** What {@link cliSuite} gives the tests of a `describe`: filled in by its `before` hook. */
export interface CliSuite {
  node: NodeProcess;
  /** A temporary directory of the file's (removed in `after`). */
  dir: string;
  /** The CLI's command line (`node <bin>`), see {@link cliBin}. */
  bin: string[];
  provider: JsonRpcProvider;
  /** The file's deployment id (with the test process's pid) and its record, removed in `after`. */
  deploymentId: string;
  deploymentDir: string;
}

/**
 * The setup every CLI suite repeats, as mocha hooks of the calling `describe`: `before` makes a temporary directory,
 * finds the CLI's bin and starts a `hardhat node` (its own process, a port the system picks); `after` (run even when a
 * test or `before` failed) stops every child process still running, the node included, and removes the directory and
 * the deployment record. Call it at the top of a `describe` callback; the returned object is filled in by `before`.
 */
export function cliSuite(name: string): CliSuite {
  const suite = {
    deploymentId: `${name}-${process.pid}`,
    deploymentDir: path.join(ROOT, "deploy", "deployments", `${name}-${process.pid}`),
  } as CliSuite;
  before(async function () {
    suite.dir = mkdtempSync(path.join(tmpdir(), `roamledger-${name}-`));
    suite.bin = ["node", await cliBin(path.join(suite.dir, "dist"))];
    suite.node = await startHardhatNode();
    suite.provider = new JsonRpcProvider(suite.node.url, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    });
  });
  after(async () => {
    suite.provider?.destroy();
    await stopAllProcesses(); // the node, and any CLI child a failed test left running
    if (suite.dir !== undefined) rmSync(suite.dir, { recursive: true, force: true });
    rmSync(suite.deploymentDir, { recursive: true, force: true });
  });
  return suite;
}

/**
 * Takes a snapshot of the node's state (`evm_snapshot`): the chain, its clock and every account's nonce, as they are
 * now. {@link revertTo} returns to it; a snapshot is used once.
 */
export const snapshotOf = (url: string): Promise<string> => rpc<string>(url, "evm_snapshot");

/** Returns the node to a snapshot of {@link snapshotOf} (`evm_revert`); fails if the node does not know it. */
export async function revertTo(url: string, snapshot: string): Promise<void> {
  const reverted = await rpc<boolean>(url, "evm_revert", [snapshot]);
  if (reverted !== true) throw new Error(`evm_revert ${snapshot}: the node has no such snapshot`);
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

/** What {@link setUpAgreement} leaves on the node. */
export interface AgreementSetup {
  /** The 6-decimal test token, allowed by the vault. */
  token: string;
  agreementId: string;
  /** The agreement's start (a day boundary after the node's time): periods of 30 days, window 7, grace 3. */
  validFrom: bigint;
  /** The deployment's addresses by the CLI's names (`clearing`, `settlement`...). */
  addresses: Record<string, string>;
}

/**
 * Through the CLI (as an operator would): deploys the suite under `deploymentId`, allows and mints a 6-decimal test
 * token, registers alice (#1, DEUD1, visited network of direction 0) and bob (#2, GBRCN, home network), publishes
 * {@link tariffJson} and makes an agreement between them (alice's signer offers, bob accepts). Nothing more: a suite
 * that tests these commands themselves is test/cli/cli.test.ts.
 */
export async function setUpAgreement(
  cli: (args: string[], env?: Record<string, string | undefined>) => Promise<CliRun>,
  options: { url: string; dir: string; deploymentId: string },
): Promise<AgreementSetup> {
  const { deployer, alice, bob, aliceSigner, bobSigner, alicePayout, bobPayout, consortium } = cliParties();
  const ok = (run: CliRun) => {
    const result = run.json();
    if (!result.ok || run.code !== 0) throw new Error(`setup: ${run.stdout}\n${run.stderr}`);
    return result;
  };
  const params = ["--parameters", "deploy/parameters/localhost.json", "--deployment-id", options.deploymentId];
  const deployed = ok(await cli(["--json", "deploy", ...params], keyOf(deployer)));
  const addresses = deployed.addresses as Record<string, string>;
  const provider = new JsonRpcProvider(options.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const stable = await new MockStablecoin__factory(deployer.connect(provider)).deploy("USD Coin", "USDC", 6);
    const token = await stable.getAddress();
    const governor = consortium.connect(provider);
    const vault = new VaultClient(addresses.vault, governor);
    await (await governor.sendTransaction(vault.build.allowToken(token, 7n * 86_400n))).wait();
    for (const who of [alice, bob]) await (await stable.mint(who.address, 1_000_000n * 10n ** 6n)).wait();
    const tariffFile = path.join(options.dir, "tariff.json");
    writeFileSync(tariffFile, JSON.stringify(tariffJson()));
    const register = async () => {
      for (const [tadig, admin, payout, signer] of [
        ["DEUD1", alice, alicePayout, aliceSigner],
        ["GBRCN", bob, bobPayout, bobSigner],
      ] as const) {
        const args = [
          "--tadig",
          tadig,
          "--admin",
          admin.address,
          "--payout",
          payout.address,
          "--signer",
          signer.address,
        ];
        ok(await cli(["--json", "operator", "register", ...args], keyOf(consortium)));
      }
    };
    // Different keys (the consortium registers, the deployer publishes): no nonce is shared, so both run at once.
    const [, published] = await Promise.all([
      register(),
      cli(["--json", "tariff", "publish", tariffFile], keyOf(deployer)),
    ]);
    const tariffId = ok(published).tariffId as string;
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    const validFrom = (now / 86_400n) * 86_400n + 86_400n;
    const condition = { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 };
    const terms = {
      proposer: 1,
      token,
      validFrom: String(validFrom),
      validUntil: String(validFrom + 360n * 86_400n),
      periodLength: 30 * 86_400,
      disputeWindow: 7 * 86_400,
      submissionGrace: 3 * 86_400,
      noticePeriod: 90 * 86_400,
      baseTariff: [tariffId, tariffId],
      discountTariff: [ZeroHash, ZeroHash],
      conditions: [condition, condition],
      documentCommitment: keccak256(toUtf8Bytes("alpha-beta roaming agreement")),
    };
    const termsFile = path.join(options.dir, "terms.json");
    writeFileSync(termsFile, JSON.stringify(terms));
    const offerFile = path.join(options.dir, "offer.json");
    ok(
      await cli(
        ["--json", "offer", "create", termsFile, "--counterparty", "2", "--out", offerFile],
        keyOf(aliceSigner),
      ),
    );
    const agreementId = ok(await cli(["--json", "offer", "accept", offerFile], keyOf(bob))).agreementId as string;
    return { token, agreementId, validFrom, addresses };
  } finally {
    provider.destroy();
  }
}
