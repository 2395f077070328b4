/**
 * `npm run test:all` (the last step of `npm test`): every test file, on the two cores of the CI machine, in two streams
 * that run side by side.
 *
 * - Campaigns: each invariant campaign (test/invariant) runs in a `hardhat test` process of its own, the longest first,
 *   then the gas suite in one process (its stale-scenario check needs every gas scenario measured there). A campaign
 *   shares no worker, chain, nonce or pending promise with any other test: whatever it leaves behind, even if it fails
 *   or is interrupted, ends with its process.
 * - Suites: every other file with `hardhat test --parallel` (two mocha workers, the `mocha.jobs` of hardhat.config.ts),
 *   the longest first (`LONGEST_FIRST`) so that both workers finish together. Mocha hands each worker the next file
 *   when it is done with one, so the files share two processes (and their fixtures' snapshots).
 *
 * Three processes share two cores while the campaigns run; the campaigns' reports are printed after the suites' (their
 * output is kept until then, so that the two never interleave). Nothing has a time limit: each stream ends when its
 * last process exits, and an interrupted run kills both streams' process groups (docs/ARCHITECTURE.md, section 13).
 *
 *   node -r ts-node/register/transpile-only scripts/test-all.ts [--no-compile]
 *
 * `--no-compile`: the contracts are built already (`npm test` compiles them first). One file: `npx hardhat test <file>`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

/**
 * Files that take long, longest first (CPU time of each file run alone: see docs/ARCHITECTURE.md, section 13); the
 * others follow in path order. A file missing here only runs later than it could.
 */
const LONGEST_FIRST = [
  "test/cli/month.test.ts",
  "test/cli/ops-commands.test.ts",
  "test/integration/real-nodes.test.ts",
  "test/cli/deployments.test.ts",
  "test/cli/escalation.test.ts",
  "test/sdk/package.test.ts",
  "test/examples/examples.test.ts",
  "test/cli/cli.test.ts",
  "test/cli/dev-token-delay.test.ts",
  "test/sdk/batch-rating.differential.test.ts",
  "test/sdk/netting.differential.test.ts",
  "test/sdk/cdr.test.ts",
  "test/sdk/fastCsv.test.ts",
  "test/integration/demo.test.ts",
  "test/sdk/merkle.test.ts",
  "test/sdk/rating.differential.test.ts",
  "test/sdk/registry-client.test.ts",
];

/** Campaigns, longest first. */
const CAMPAIGNS_FIRST = [
  "test/invariant/vault.invariant.test.ts",
  "test/invariant/clearing.invariant.test.ts",
  "test/invariant/registry.invariant.test.ts",
  "test/invariant/suite.invariant.test.ts",
];

/** The `*.test.ts` files under `dir` (relative to the repository), in path order. */
function testFiles(dir: string): string[] {
  const entries = readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

/** `known` first (those that exist), then the rest of `files` in their order. */
function ordered(files: string[], known: string[]): string[] {
  const first = known.filter((f) => files.includes(f));
  return [...first, ...files.filter((f) => !first.includes(f))];
}

const children = new Set<ChildProcess>();

/** Runs hardhat with `args` as its own process group; resolves with its exit status (never rejects). */
function hardhat(args: string[], output: "inherit" | string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(HARDHAT, args, {
      cwd: ROOT,
      detached: true,
      stdio: output === "inherit" ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    if (output !== "inherit") {
      child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    }
    child.on("error", (error) => {
      children.delete(child);
      if (output !== "inherit") output.push(`${HARDHAT}: ${error.message}\n`);
      else console.error(`${HARDHAT}: ${error.message}`);
      resolve(1);
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

/** On an interruption, both streams' process groups go too (they run detached, so the terminal does not reach them). */
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    for (const child of children) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    process.kill(process.pid, signal);
  });
}

async function main(): Promise<number> {
  if (!process.argv.includes("--no-compile")) {
    const compiled = await hardhat(["compile", "--quiet"], "inherit");
    if (compiled !== 0) return compiled;
  }
  const campaigns = ordered(testFiles("test/invariant"), CAMPAIGNS_FIRST);
  const gas = testFiles("test/gas");
  const skip = new Set([...campaigns, ...gas]);
  const suites = ordered(
    testFiles("test").filter((f) => !skip.has(f)),
    LONGEST_FIRST,
  );

  console.log(
    `${suites.length} files with hardhat test --parallel; meanwhile ${campaigns.length} invariant campaigns, one ` +
      `process each, then the gas suite (${gas.length} files): their reports follow the suites'.`,
  );
  const campaignOutput: string[] = [];
  const campaignStream = (async () => {
    let status = 0;
    for (const file of campaigns) {
      if ((await hardhat(["test", "--no-compile", file], campaignOutput)) !== 0) status = 1;
    }
    if ((await hardhat(["test", "--no-compile", ...gas], campaignOutput)) !== 0) status = 1;
    return status;
  })();
  const suiteStatus = await hardhat(["test", "--no-compile", "--parallel", ...suites], "inherit");
  const campaignStatus = await campaignStream;
  process.stdout.write(campaignOutput.join(""));
  return suiteStatus !== 0 || campaignStatus !== 0 ? 1 : 0;
}

main().then(
  (status) => (process.exitCode = status),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
