/**
 * The `roamledger` program without a chain: the help of every command (in this process, through the program `bin.js`
 * runs, and two of them in a child process too), `--version` and an unreachable RPC (exit 3) in child processes, as a
 * shell sees them. Every command against a real node, and a whole clearing month: test/cli/month.test.ts.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { COMMAND_MODULES } from "../../cli/src";
import { buildProgram } from "../../cli/src/program";
import { cliBin, ROOT, runCli, runCliInProcess, stopAllProcesses, type CliRun } from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

describeUnlessCoverage("roamledger CLI: help, version, exit codes (no chain)", function () {
  let dir: string;
  let bin: string[];
  const cli = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> => runCli(bin, args, env);

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-"));
    bin = ["node", await cliBin(path.join(dir, "dist"))];
  });

  after(async () => {
    await stopAllProcesses(); // any CLI child a failed test left running
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("should print --help of every command and exit 0 (in this process; two of them in a child process too)", async () => {
    const program = buildProgram(
      { stdout: process.stdout, stderr: process.stderr, env: {} },
      COMMAND_MODULES,
      () => undefined,
    );
    const paths: string[][] = [[]];
    const walk = (command: ReturnType<typeof buildProgram>, prefix: string[]) => {
      for (const sub of command.commands) {
        paths.push([...prefix, sub.name()]);
        walk(sub, [...prefix, sub.name()]);
      }
    };
    walk(program, []);
    expect(paths.length).to.be.greaterThan(20);
    // The program `bin.js` runs, in this process: the same help, exit code and streams, without a child's start-up.
    for (const p of paths) {
      const run = await runCliInProcess([...p, "--help"]);
      expect(run.code, p.join(" ")).to.equal(0);
      expect(run.stdout, p.join(" ")).to.match(/^Usage: roamledger/);
      expect(run.stdout, p.join(" ")).to.contain("Exit codes:");
      expect(run.stderr, p.join(" ")).to.equal("");
    }
    // The executable itself, as a shell sees it: the root's help and a nested command's, on stdout, exit 0.
    const real = await Promise.all([cli(["--help"]), cli(["batch", "resolution", "sign", "--help"])]);
    for (const run of real) {
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^Usage: roamledger/);
      expect(run.stdout).to.contain("Exit codes:");
      expect(run.stderr).to.equal("");
    }
    expect(real[1].stdout).to.match(/^Usage: roamledger batch resolution sign /);
  });

  it("should print the CLI package's version with --version (and -V) and exit 0", async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "cli", "package.json"), "utf8")) as { version: string };
    expect(version).to.match(/^\d+\.\d+\.\d+/);
    for (const flag of ["--version", "-V"]) {
      const run = await cli([flag]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(`${version}\n`);
    }
  });

  it("should exit 3 when the RPC is unreachable", async () => {
    const unreachable = await cli(["--json", "report"], { ROAMLEDGER_RPC_URL: "http://127.0.0.1:1" });
    expect(unreachable.code).to.equal(3);
    expect(unreachable.json().error).to.include({ kind: "connection" });
  });
});
