/**
 * Start-up of the built `roamledger` bin (`cli/dist/bin.js`, `cli/src/lazy.ts`): `--version` and `--help` load neither
 * the SDK nor ethers (most of a run's start-up CPU), a refused flag neither; a command that reaches the chain loads
 * them at first use; and the deferred loading changes no output (`--help` of the bin equals the program's own).
 * Needs the packages' builds (`npm test` builds them first); skipped, saying so, when they are older than the sources.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { distIsStale, ROOT, runCli } from "./helpers";

describe("roamledger CLI: start-up loads the SDK only when a command needs it", function () {
  const bin = path.join(ROOT, "cli", "dist", "bin.js");
  let dir: string;
  let probe: string;

  before(async function () {
    if ((await distIsStale("sdk")) || (await distIsStale("cli"))) {
      console.warn("    (skipped: cli/dist or sdk/dist is older than its sources: run npm run build first)");
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-startup-"));
    probe = path.join(dir, "probe.js");
    // Preloaded: at exit, says on stderr whether the SDK's build and ethers were loaded.
    writeFileSync(
      probe,
      `process.on("exit", () => {
        const files = Object.keys(require.cache);
        const sdk = files.some((f) => f.includes(${JSON.stringify(path.join("sdk", "dist") + path.sep)}));
        const ethers = files.some((f) => f.includes(${JSON.stringify(path.join("node_modules", "ethers") + path.sep)}));
        process.stderr.write("\\nLOADED " + JSON.stringify({ sdk, ethers }) + "\\n");
      });\n`,
    );
  });

  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]) => {
    const result = await runCli(["node", "--require", probe, bin], args, { ROAMLEDGER_RPC_URL: "http://127.0.0.1:1" });
    const match = /LOADED (\{.*\})/.exec(result.stderr);
    expect(match, result.stderr).to.not.equal(null);
    return { ...result, loaded: JSON.parse(match![1]) as { sdk: boolean; ethers: boolean } };
  };

  it("--version, -V, --help, a command's --help and a refused flag load neither the SDK nor ethers", async () => {
    for (const args of [["--version"], ["-V"], ["--help"], ["batch", "escalation", "--help"], ["report", "--nope"]]) {
      const result = await run(args);
      expect(result.loaded, args.join(" ")).to.deep.equal({ sdk: false, ethers: false });
    }
  });

  it("a command that reaches the chain loads them at first use (and fails as before: exit 3, RPC unreachable)", async () => {
    const result = await run(["--json", "report"]);
    expect(result.code).to.equal(3);
    expect(result.json().error).to.include({ kind: "connection", name: "CliConnectionError" });
    expect(result.loaded).to.deep.equal({ sdk: true, ethers: true });
  });

  it("the bin's --help is the program's own (as main() prints it with everything loaded)", async () => {
    const direct = await runCli(
      [
        "node",
        "-e",
        `require(${JSON.stringify(path.join(ROOT, "cli", "dist", "index.js"))}).main(["node", "roamledger", "--help"])`,
      ],
      [],
    );
    const viaBin = await runCli(["node", bin], ["--help"]);
    expect(viaBin.code).to.equal(0);
    expect(viaBin.stdout).to.equal(direct.stdout);
    expect(viaBin.stdout).to.contain("governance").and.to.contain("--block-range");
  });
});
