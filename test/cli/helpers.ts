/**
 * Running the CLI as a user would: a real `hardhat node` in its own process, and the CLI in child processes.
 *
 * The CLI runs as the published bin would (`node cli/dist/bin.js`): the packages' own builds, `sdk/dist` and `cli/dist`,
 * when they are up to date with their sources (`npm test` builds them before the tests), else the sources transpiled
 * once into a temporary directory (seconds; ts-node would transpile it again in every one of the dozens of runs). One test also runs it
 * through `ts-node`, as `npm run roamledger` does.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { HDNodeWallet, Mnemonic } from "ethers";
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
      // The CLI package's own dependencies first (its commander is not the root's), for a CLI transpiled elsewhere.
      NODE_PATH: [
        path.join(ROOT, "cli", "node_modules"),
        path.join(ROOT, "sdk", "node_modules"),
        path.join(ROOT, "node_modules"),
      ].join(path.delimiter),
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
