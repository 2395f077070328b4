import { expect } from "chai";
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Interface, JsonRpcProvider } from "ethers";

import { OperatorRegistry__factory, SettlementVault__factory } from "../../sdk/src/typechain";
import { sdkDistIsStale } from "../cli/helpers";
import { describeUnlessCoverage } from "../helpers/gas";
import { runProcess, startHardhatNode, stopAllProcesses } from "../helpers/processes";

/**
 * Runs every script of examples/ as a user would: against a real `hardhat node` (a separate process on its own port),
 * from a throwaway project whose `node_modules/@roamledger/sdk` is this repository's built package (so the package's
 * `exports` and `typesVersions` are what resolves), type-checked once with `tsc` as a user's project would be, then each
 * example run with ts-node as a child process, its JSON output and exit code asserted. The node listens on a port the
 * system picks; it and every other child process are killed in `after`, even when a test failed.
 */

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "node_modules", ".bin");
const MNEMONIC = "test test test test test test test test test test test junk"; // the node's default accounts
const keyOf = (i: number) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to completion (never rejects: the caller asserts on the exit code and output). */
async function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const result = await runProcess(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
  const error = result.error === undefined ? "" : String(result.error);
  return { code: result.error === undefined ? result.code : -1, stdout: result.stdout, stderr: result.stderr + error };
}

function expectSuccess(result: Run, what: string): void {
  if (result.code !== 0) {
    expect.fail(`${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
}

/** A user's project: examples/ copied, and node_modules linking this repository's SDK package and its peers. */
async function makeProject(dir: string): Promise<void> {
  await mkdir(path.join(dir, "node_modules", "@roamledger"), { recursive: true });
  await mkdir(path.join(dir, "node_modules", "@types"), { recursive: true });
  await symlink(path.join(ROOT, "sdk"), path.join(dir, "node_modules", "@roamledger", "sdk"), "dir");
  for (const name of ["ethers", "viem", "@types/node"]) {
    await symlink(path.join(ROOT, "node_modules", name), path.join(dir, "node_modules", name), "dir");
  }
  await cp(path.join(ROOT, "examples"), path.join(dir, "examples"), { recursive: true });
  const compilerOptions = {
    target: "es2022",
    module: "commonjs",
    moduleResolution: "node",
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ["node"],
    noEmit: true,
  };
  await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["examples"] }));
}

describeUnlessCoverage("examples/ (run as a user would)", function () {
  let temp: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  let setup: { chainId: number; token: string; classId: string; alice: string; bob: string };
  let rpcUrl: string;

  /** Runs examples/<name>.ts in the user's project with ts-node and returns its parsed JSON output. */
  async function example(name: string, extra: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
    const register = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");
    const result = await run(process.execPath, ["-r", register, path.join("examples", `${name}.ts`)], {
      cwd: project,
      env: { ...env, ...extra },
    });
    expectSuccess(result, `examples/${name}.ts`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  before(async function () {
    temp = await mkdtemp(path.join(tmpdir(), "roamledger-examples-"));
    project = path.join(temp, "project");
    const deployments = path.join(temp, "ignition", "deployments");
    await mkdir(deployments, { recursive: true });

    // The package as published (sdk/dist), then the user's project type-checked against it; meanwhile the chain.
    const packaged = (async () => {
      // `npm test` builds the package first; a run on its own rebuilds it only when sdk/src changed since.
      if (await sdkDistIsStale()) {
        expectSuccess(await run(process.execPath, ["sdk/build.mjs"], { cwd: ROOT }), "SDK build");
      }
      await makeProject(project);
      expectSuccess(await run(path.join(BIN, "tsc"), ["-p", "tsconfig.json"], { cwd: project }), "tsc on examples/");
    })();
    const chain = (async () => {
      rpcUrl = (await startHardhatNode()).url;
      const result = await run(
        path.join(BIN, "hardhat"),
        ["run", "--no-compile", "--network", "localhost", "test/examples/setup.ts"],
        { cwd: ROOT, env: { ROAMLEDGER_LOCAL_RPC: rpcUrl, EXAMPLES_DEPLOYMENTS_DIR: deployments } },
      );
      expectSuccess(result, "test/examples/setup.ts");
      const line = result.stdout.split("\n").find((l) => l.startsWith("EXAMPLES_SETUP "));
      if (line === undefined) expect.fail(`setup printed no EXAMPLES_SETUP line:\n${result.stdout}`);
      setup = JSON.parse(line.slice("EXAMPLES_SETUP ".length)) as typeof setup;
    })();
    // Both are awaited to the end before a failure of either is reported: nothing keeps running past this hook.
    for (const outcome of await Promise.allSettled([packaged, chain])) {
      if (outcome.status === "rejected") throw outcome.reason;
    }
    env = {
      ROAMLEDGER_RPC_URL: rpcUrl,
      // The root: the examples find the chain's record by its default deployment id (chain id and genesis hash).
      ROAMLEDGER_DEPLOYMENTS_DIR: deployments,
      ROAMLEDGER_TOKEN: setup.token,
      TS_NODE_PROJECT: path.join(project, "tsconfig.json"),
    };
  });

  after(async function () {
    await stopAllProcesses();
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  });

  it("should cover every example script", async function () {
    const scripts = (await readdir(path.join(ROOT, "examples"))).filter((f) => f.endsWith(".ts") && f !== "env.ts");
    expect(scripts.sort()).to.deep.equal(
      ["market-list-buy.ts", "multisig-transaction.ts", "rate-and-net.ts", "read-ethers.ts", "read-viem.ts"].sort(),
    );
  });

  it("read-ethers: reads the registry and the vault with the ethers clients", async function () {
    const out = (await example("read-ethers")) as {
      chainId: string;
      members: { id: string; tadigs: string[]; status: string }[];
      operator: { id: string; admin: string; tadigs: string[] };
      vault: { token: string; balance: string; free: string };
    };
    expect(out.chainId).to.equal("31337");
    expect(out.members).to.deep.equal([
      { id: "1", tadigs: ["DEUD1"], status: "active" },
      { id: "2", tadigs: ["GBRCN"], status: "active" },
    ]);
    expect(out.operator).to.include({ id: "1", admin: setup.alice });
    expect(out.vault).to.deep.equal({ token: setup.token, balance: "500000000", free: "500000000" });
  });

  it("read-viem: the same reads with viem, and a revert decoded by name", async function () {
    const out = (await example("read-viem", { ROAMLEDGER_TADIG: "GBRCN" })) as {
      chainId: number;
      operatorCount: number;
      operator: { id: string; admin: string; tadigs: string[] };
      free: string;
      unknownOperatorError: string;
    };
    expect(out.chainId).to.equal(31337);
    expect(out.operatorCount).to.equal(2);
    expect(out.operator).to.deep.include({ id: "2", admin: setup.bob, tadigs: ["GBRCN"] });
    expect(out.free).to.equal("500000000");
    expect(out.unknownOperatorError).to.equal("OperatorRegistry_UnknownOperator");
  });

  it("rate-and-net: rates usage and previews the netting without a chain", async function () {
    const out = (await example("rate-and-net", { ROAMLEDGER_RPC_URL: "http://127.0.0.1:1" })) as {
      charges: { payer: number; payee: number; amount: string }[];
      positions: { member: string; position: string }[];
      payments: { from: string; to: string; amount: string }[];
      stats: { grossTransfers: number; netTransfers: number };
    };
    expect(out.charges).to.have.length(4);
    // Operator 1 (visited) charged operator 2: 7,260 + 60 + 3,600 s = 182 min at 0.02, and 2,501,235 KB-rounded
    // bytes = 2,501.235 MB at 0.001.
    expect(out.charges[0]).to.include({ payer: 2, payee: 1, amount: String(3_640_000n + 2_501_235n) });
    const sum = out.positions.reduce((s, p) => s + BigInt(p.position), 0n);
    expect(sum).to.equal(0n);
    expect(out.stats.grossTransfers).to.equal(4);
    expect(out.stats.netTransfers).to.equal(out.payments.length).and.be.lessThan(4);
  });

  it("multisig-transaction: builds unsigned transactions that a custody system can send as is", async function () {
    const newSigner = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0/9").address;
    const out = (await example("multisig-transaction", {
      ROAMLEDGER_OPERATOR_ID: "1",
      ROAMLEDGER_NEW_SIGNER: newSigner,
      ROAMLEDGER_AMOUNT: "1000000",
    })) as { chainId: string; transactions: { to: string; value: string; data: string }[] };
    expect(out.chainId).to.equal("31337");
    const [addSigner, withdraw] = out.transactions;
    const registryIface: Interface = OperatorRegistry__factory.createInterface();
    const vaultIface: Interface = SettlementVault__factory.createInterface();
    expect(registryIface.parseTransaction(addSigner)?.name).to.equal("addSigner");
    expect(vaultIface.parseTransaction(withdraw)?.args.toArray()).to.deep.equal([1n, setup.token, 1_000_000n]);

    // The operator's admin (alice, an unlocked account of the node) sends them unchanged.
    const provider = new JsonRpcProvider(rpcUrl);
    try {
      const admin = await provider.getSigner(setup.alice);
      for (const tx of out.transactions) {
        const sent = await admin.sendTransaction({ to: tx.to, data: tx.data, value: BigInt(tx.value) });
        expect((await sent.wait())?.status).to.equal(1);
      }
      const registry = OperatorRegistry__factory.connect(addSigner.to, provider);
      expect(await registry.isSigner(1, newSigner)).to.equal(true);
      const vault = SettlementVault__factory.connect(withdraw.to, provider);
      expect(await vault.freeBalanceOf(1, setup.token)).to.equal(499_000_000n);
    } finally {
      provider.destroy();
    }
  });

  it("market-list-buy: lists capacity and buys part of it through the vault", async function () {
    const out = (await example("market-list-buy", {
      ROAMLEDGER_PRIVATE_KEY: keyOf(1),
      ROAMLEDGER_BUYER_KEY: keyOf(2),
      ROAMLEDGER_CLASS_ID: setup.classId,
      ROAMLEDGER_QUANTITY: "10",
      ROAMLEDGER_BUY: "3",
      ROAMLEDGER_UNIT_PRICE: "5000000",
    })) as {
      listingId: string;
      listing: { seller: string; remaining: string; classId: string };
      buyer: { operatorId: string; units: string; paid: string };
    };
    expect(out.listingId).to.equal("1");
    expect(out.listing).to.include({ seller: setup.alice, remaining: "7", classId: setup.classId });
    expect(out.buyer).to.deep.equal({ operatorId: "2", units: "3", paid: "15000000" });
  });

  it("an example fails with a non-zero exit code and a message when its configuration is missing", async function () {
    const register = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");
    const result = await run(process.execPath, ["-r", register, path.join("examples", "read-ethers.ts")], {
      cwd: project,
      env: { ...env, ROAMLEDGER_TOKEN: "" },
    });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include("set ROAMLEDGER_TOKEN");
  });
});
