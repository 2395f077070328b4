/**
 * Child processes of the tests (`hardhat node`, Anvil, the CLI, `hardhat run`, `tsc`), started so that none outlives
 * the test that started it and none is waited for with a clock:
 *
 * - a node is ready when it prints the line that says it listens (never after a delay, never by polling until a time
 *   limit); if it exits before that, the start fails at once with its output;
 * - it listens on a port the system picks (`--port 0`, the port read from that line), so that no two runs on one
 *   machine (two workers, two worktrees) ever share a port;
 * - every child runs as its own process group and is recorded here: `stop()` of a node, and {@link stopAllProcesses}
 *   (called by the suites' `after` hooks, which mocha runs even when a test or a `before` hook failed), kill the whole
 *   group (a CLI's `hardhat ignition deploy`, the `anvil` binary behind its npm wrapper) and wait until it has exited;
 *   if the test process itself exits or is interrupted, the groups still recorded are killed on the way out.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

/** Kills every recorded group synchronously (the only kind of work a process `exit` listener may do). */
function killAllNow(): void {
  for (const child of running) killGroup(child);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", killAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Kill the children, then let the signal do what it would have done (the listener is gone after `once`).
    process.once(signal, () => {
      killAllNow();
      process.kill(process.pid, signal);
    });
  }
}

/** Resolves once `child` has exited (at once if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Kills `child`'s process group and waits for `child` to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  killGroup(child);
  await exited(child);
  running.delete(child);
}

/** Kills every child process a test started that is still running, and waits for each to exit. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => stopProcess(child)));
}

/** Starts `command` as its own recorded process group, stdout and stderr piped. */
function start(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  installExitHooks();
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all. */
  error?: Error;
}

/**
 * Runs `command` to completion and returns its exit code, signal and output. It never rejects: a process that cannot
 * be started resolves with `error` set. There is no time limit: the wait ends when the process exits (or is killed by
 * {@link stopAllProcesses}).
 */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessRun> {
  return new Promise((resolve) => {
    const child = start(command, args, options);
    let stdout = "";
    let stderr = "";
    let error: Error | undefined;
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (e) => {
      error = e;
      running.delete(child);
      resolve({ code: null, signal: null, stdout, stderr, error });
    });
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, error }));
  });
}

/** A node running in a child process. */
export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** Kills the node (its whole process group) and waits until it has exited. */
  stop(): Promise<void>;
}

/** How much of a node's output is kept for error messages (it is read continuously, so its pipe never fills). */
const OUTPUT_TAIL = 16_384;

/**
 * Starts `bin args` and resolves once a line of its output matches `ready` (whose first group is the port); rejects
 * if it exits (or cannot start) first.
 */
function startNode(bin: string, args: string[], ready: RegExp, env?: NodeJS.ProcessEnv): Promise<NodeProcess> {
  const child = start(path.join(BIN, bin), args, { env });
  return new Promise((resolve, reject) => {
    let output = "";
    let settled = false;
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
      if (settled) return;
      const match = ready.exec(output);
      if (match === null) return;
      settled = true;
      resolve({ url: `http://127.0.0.1:${match[1]}`, child, stop: () => stopProcess(child) });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      reject(new Error(`${bin} ${why} before it listened:\n${output}`));
    };
    child.on("error", (e) => {
      running.delete(child);
      fail(`could not start (${e.message})`);
    });
    child.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
  });
}

/**
 * A `hardhat node` on a free port; ready when it prints "Started HTTP and WebSocket JSON-RPC server at ...".
 * @param variant Gives the node `variant` more accounts (`ROAMLEDGER_TEST_NODE_VARIANT`, read by hardhat.config.ts),
 *   hence another genesis state root: two nodes of different variants have different genesis blocks even when they
 *   start in the same second, as two real chains of one chain id would (same-variant nodes started in the same second
 *   have identical genesis blocks).
 */
export function startHardhatNode(variant = 0): Promise<NodeProcess> {
  return startNode(
    "hardhat",
    ["node", "--hostname", "127.0.0.1", "--port", "0"],
    /Started HTTP and WebSocket JSON-RPC server at http:\/\/127\.0\.0\.1:(\d+)\//,
    variant === 0 ? undefined : { ...process.env, ROAMLEDGER_TEST_NODE_VARIANT: String(variant) },
  );
}

/**
 * An Anvil node (the npm package's binary) on a free port, with Hardhat's default accounts and chain id; ready when it
 * prints "Listening on 127.0.0.1:<port>" (so it runs without `--silent`, and its request log is read and dropped).
 */
export function startAnvil(): Promise<NodeProcess> {
  return startNode(
    "anvil",
    ["--host", "127.0.0.1", "--port", "0", "--hardfork", "prague"],
    /Listening on 127\.0\.0\.1:(\d+)/,
  );
}
