/**
 * Deployment records by chain id and deployment id (issue 15): two `hardhat node`s on chain 31337 each get their own
 * record (`deploy/deployments/chain-31337-<genesis hash prefix>/`), every command finds its node's record and journal
 * from any working directory, a stale record is refused (exit 3), `deploy` reports what it sent, and `dev token` gives
 * a local node a settlement token in one command, safe to re-run.
 */
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Contract, JsonRpcProvider } from "ethers";

import {
  cliBin,
  nodeWallet,
  ROOT,
  rpc,
  runCli,
  startHardhatNode,
  stopAllProcesses,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

const PARAMETERS = path.join(ROOT, "deploy", "parameters", "localhost.json");
const UNIT = 1_000_000n; // the dev token's 6 decimals

describeUnlessCoverage("roamledger deployment records (two hardhat nodes on chain 31337)", function () {
  const [deployer, alice] = [0, 1].map(nodeWallet);
  /** Holds every role on a local node (deploy/parameters/localhost.json). */
  const consortium = nodeWallet(7);
  let nodes: NodeProcess[];
  let bin: string[];
  let elsewhere: string;
  let outDir: string;
  /** The deployment id, record directory and addresses `deploy` reported for each node. */
  const records: { id: string; dir: string; addresses: Record<string, string> }[] = [];

  const cli = (node: NodeProcess, args: string[], key?: { privateKey: string }, cwd: string = ROOT) =>
    runCli(
      bin,
      ["--json", ...args],
      { ROAMLEDGER_RPC_URL: node.url, ...(key === undefined ? {} : { ROAMLEDGER_PRIVATE_KEY: key.privateKey }) },
      cwd,
    );
  const ok = (run: CliRun) => {
    const result = run.json();
    expect(result.ok, `${run.stdout}\n${run.stderr}`).to.equal(true);
    expect(run.code).to.equal(0);
    return result;
  };

  before(async function () {
    elsewhere = await mkdtemp(path.join(tmpdir(), "roamledger-elsewhere-"));
    // Inside the CLI package (node_modules/ is ignored), so a transpiled CLI finds the repository from its own
    // location as the built one does, and its own dependencies (commander) before the root's.
    outDir = path.join(ROOT, "cli", "node_modules", ".cache", `deployments-test-${process.pid}`);
    const [built, ...started] = await Promise.all([cliBin(outDir), startHardhatNode(0), startHardhatNode(1)]);
    bin = [process.execPath, built];
    nodes = started;
  });

  after(async function () {
    await stopAllProcesses();
    for (const { dir } of records) await rm(dir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
    if (elsewhere !== undefined) await rm(elsewhere, { recursive: true, force: true });
  });

  it("should deploy each node into its own record, keyed by chain id and genesis hash, from any directory", async () => {
    // Node 0 from the repository, node 1 from a directory outside it: both records land in deploy/deployments.
    const runs = await Promise.all([
      cli(nodes[0], ["deploy", "--parameters", PARAMETERS], deployer),
      cli(nodes[1], ["deploy", "--parameters", PARAMETERS], deployer, elsewhere),
    ]);
    for (const [i, run] of runs.entries()) {
      const result = ok(run);
      const genesis = await rpc<{ hash: string }>(nodes[i].url, "eth_getBlockByNumber", ["0x0", false]);
      expect(result.deploymentId).to.equal(`chain-31337-${genesis.hash.slice(2, 10)}`);
      expect(result.deploymentDir).to.equal(path.join(ROOT, "deploy", "deployments", result.deploymentId as string));
      records.push({
        id: result.deploymentId as string,
        dir: result.deploymentDir as string,
        addresses: result.addresses as Record<string, string>,
      });
      // The first run reports every contract it deployed and the calls it sent.
      expect(result.changed).to.equal(true);
      const deployed = result.deployed as { contract: string; address: string }[];
      expect(deployed.map((d) => d.contract)).to.include.members([
        "RoamLedgerManager",
        "OperatorRegistry",
        "RoamingAgreements",
        "SettlementVault",
        "UsageClearing",
        "PeriodSettlement",
        "CapacityToken",
        "CapacityMarket",
      ]);
      expect(result.calls as number).to.be.greaterThan(0);
      const addresses = result.addresses as Record<string, string>;
      expect(deployed.find((d) => d.contract === "SettlementVault")?.address.toLowerCase()).to.equal(
        addresses.vault.toLowerCase(),
      );
    }
    expect(records[0].id).to.not.equal(records[1].id);
    for (const { dir } of records) expect(existsSync(path.join(dir, "deployed_addresses.json"))).to.equal(true);
  });

  it("should report nothing deployed and nothing sent on a re-run (the same addresses)", async () => {
    const height = await rpc<string>(nodes[0].url, "eth_blockNumber");
    const again = ok(await cli(nodes[0], ["deploy", "--parameters", PARAMETERS], deployer, elsewhere));
    expect(again).to.deep.include({ deploymentId: records[0].id, changed: false, deployed: [], calls: 0 });
    expect(again.transactions).to.equal(0);
    expect(again.addresses).to.deep.equal(records[0].addresses);
    expect(await rpc<string>(nodes[0].url, "eth_blockNumber")).to.equal(height);
  });

  it("should give a node a settlement token in one command (deployed once, allowed, balances topped up)", async () => {
    const mint = ["--mint", `${alice.address}=1000.5`];
    const first = ok(await cli(nodes[0], ["dev", "token", "--decimals", "6", ...mint], consortium, elsewhere));
    expect(first).to.include({ deploymentId: records[0].id, created: true, allowed: true, decimals: 6, changed: true });
    expect(first.record).to.equal(path.join(records[0].dir, "dev-token.json"));
    expect(first.minted).to.deep.equal([{ account: alice.address, amount: "1000.5", balance: "1000.5" }]);
    const token = first.token as string;
    const provider = new JsonRpcProvider(nodes[0].url, undefined, { staticNetwork: true });
    try {
      const vault = new Contract(
        (
          JSON.parse(readFileSync(path.join(records[0].dir, "deployed_addresses.json"), "utf8")) as Record<
            string,
            string
          >
        )["RoamLedger#SettlementVault"],
        ["function tokenConfig(address) view returns (bool allowed, uint8 decimals, uint32, uint40, uint32, uint32)"],
        provider,
      );
      const config = (await vault.getFunction("tokenConfig").staticCall(token)) as [boolean, bigint];
      expect(config[0]).to.equal(true);
      expect(config[1]).to.equal(6n);
      const erc20 = new Contract(token, ["function balanceOf(address) view returns (uint256)"], provider);
      expect(await erc20.getFunction("balanceOf").staticCall(alice.address)).to.equal(1000n * UNIT + UNIT / 2n);
      // The token is this node's only: node 1 has no code there.
      expect(await rpc<string>(nodes[1].url, "eth_getCode", [token, "latest"])).to.equal("0x");
    } finally {
      provider.destroy();
    }

    // A re-run finds the token from its record and sends nothing; a higher amount mints only the difference.
    const height = await rpc<string>(nodes[0].url, "eth_blockNumber");
    const again = ok(await cli(nodes[0], ["dev", "token", ...mint], consortium));
    expect(again).to.include({ token, created: false, allowed: true, changed: false, transactions: 0 });
    expect(await rpc<string>(nodes[0].url, "eth_blockNumber")).to.equal(height);
    const topUp = ok(await cli(nodes[0], ["dev", "token", "--mint", `${alice.address}=1200`], consortium));
    expect(topUp.minted).to.deep.equal([{ account: alice.address, amount: "199.5", balance: "1200" }]);

    // Bad input: a typed user error naming the flag, nothing sent.
    const bad = await cli(nodes[0], ["dev", "token", "--mint", `${alice.address}=1.0000001`], consortium);
    expect(bad.code).to.equal(1);
    expect(bad.json().error).to.include({ kind: "user", field: "mint" });
    const other = await cli(nodes[0], ["dev", "token", "--decimals", "18"], consortium);
    expect(other.code).to.equal(1);
    expect(other.json().error).to.include({ kind: "user", field: "decimals" });
    expect(await rpc<string>(nodes[0].url, "eth_blockNumber")).to.equal(
      `0x${(BigInt(height) + 1n).toString(16)}`, // the one top-up above
    );
  });

  it("should find each node's record and journal from another directory (commands never mix the nodes)", async () => {
    // Register an operator on node 0 and deposit from outside the repository: the payment journal lands beside
    // node 0's record; node 1 knows no operator.
    ok(
      await cli(
        nodes[0],
        [
          "operator",
          "register",
          "--tadig",
          "DEUD1",
          "--admin",
          alice.address,
          "--payout",
          alice.address,
          "--signer",
          alice.address,
        ],
        consortium,
        elsewhere,
      ),
    );
    const token = (JSON.parse(readFileSync(path.join(records[0].dir, "dev-token.json"), "utf8")) as { address: string })
      .address;
    ok(await cli(nodes[0], ["vault", "deposit", "1", token, "10", "--approve"], alice, elsewhere));
    const journal = path.join(records[0].dir, "cli-journal", "payments");
    expect(readdirSync(journal).length).to.be.greaterThan(0);
    expect(existsSync(path.join(records[1].dir, "cli-journal"))).to.equal(false);
    expect(existsSync(path.join(elsewhere, ".roamledger"))).to.equal(false);

    const reports = [
      ok(await cli(nodes[0], ["report"], undefined, elsewhere)),
      ok(await cli(nodes[1], ["report"], undefined, elsewhere)),
    ];
    expect(JSON.stringify(reports[0])).to.contain("DEUD1");
    expect(JSON.stringify(reports[1])).to.not.contain("DEUD1");
  });

  it("should refuse a record whose addresses hold no code on the chain (exit 3, the record named)", async () => {
    // A fresh node (as after a restart of a dev chain) given node 0's record: its addresses hold nothing there.
    const fresh = await startHardhatNode(2);
    try {
      const stale = await runCli(bin, ["--json", "report"], {
        ROAMLEDGER_RPC_URL: fresh.url,
        ROAMLEDGER_DEPLOYMENT: records[0].dir,
      });
      expect(stale.code, stale.stdout + stale.stderr).to.equal(3);
      const error = stale.json().error as { kind: string; message: string };
      expect(error.kind).to.equal("connection");
      expect(error.message).to.contain(path.join(records[0].dir, "deployed_addresses.json"));
      expect(error.message).to.contain("stale");
      expect(error.message).to.contain("roamledger deploy");
      // Its default record does not exist: exit 3 too, naming the deployment id to deploy.
      const none = await runCli(bin, ["--json", "report"], { ROAMLEDGER_RPC_URL: fresh.url });
      expect(none.code).to.equal(3);
      expect((none.json().error as { message: string }).message).to.match(/no deployment chain-31337-[0-9a-f]{8}/);
    } finally {
      await fresh.stop();
    }
  });
});
