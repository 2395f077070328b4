/**
 * `roamledger dev token` on a deployment whose governor has an execution delay (one hour): the first run deploys the
 * token, mints and schedules the vault's allowance through the AccessManager (printing when it becomes executable,
 * ISO-8601 UTC); a re-run before the delay sends nothing; a re-run once the delay has passed executes the allowance;
 * a last re-run sends nothing. One `hardhat node` in its own process for the file.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";

import { VaultClient } from "../../sdk/src/clients/vault";
import { MockStablecoin__factory, RoamLedgerManager__factory, SettlementVault__factory } from "../../sdk/src/typechain";
import {
  advanceTime,
  blockNumberOf,
  cliBin,
  cliParties,
  expectOk,
  keyOf,
  localParameters,
  ROOT,
  runCli,
  startHardhatNode,
  stopAllProcesses,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

const HOUR = 3_600n;
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

describeUnlessCoverage(
  "roamledger CLI: dev token with a delayed governor (hardhat node in its own process)",
  function () {
    const deploymentId = `cli-dev-token-delay-test-${process.pid}`;
    const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
    const { deployer, alice, consortium } = cliParties();
    let node: NodeProcess;
    let provider: JsonRpcProvider;
    let dir: string;
    let bin: string[];

    const cli = (args: string[], key: { privateKey: string }): Promise<CliRun> =>
      runCli(bin, ["--json", ...args], {
        ROAMLEDGER_RPC_URL: node.url,
        ROAMLEDGER_DEPLOYMENT: deploymentDir,
        ROAMLEDGER_JOURNAL_DIR: path.join(dir, "journal"),
        ...keyOf(key),
      });
    const height = () => blockNumberOf(node.url);
    const mint = ["--mint", `${alice.address}=250.5`, "--cycle-length", "86400"];

    before(async function () {
      dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-dev-token-"));
      bin = ["node", await cliBin(path.join(dir, "dist"))];
      node = await startHardhatNode();
      provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
      const parameters = localParameters(path.join(dir, "parameters.json"), { governorDelay: Number(HOUR) });
      expectOk(await cli(["deploy", "--parameters", parameters, "--deployment-id", deploymentId], deployer));
    });

    after(async () => {
      provider?.destroy();
      await stopAllProcesses();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      rmSync(deploymentDir, { recursive: true, force: true });
    });

    it("schedules the allowance, a re-run before the delay sends nothing, a re-run after it executes it once", async () => {
      const first = expectOk(await cli(["dev", "token", ...mint], consortium));
      expect(first).to.include({ created: true, allowed: false, decimals: 6, transactions: 3, changed: true });
      expect(first.minted).to.deep.equal([{ account: alice.address, amount: "250.5", balance: "250.5" }]);
      const token = first.token as string;
      const scheduled = first.scheduled as { operationId: string; executableAt: string };
      const manager = RoamLedgerManager__factory.connect((await readAddresses()).manager, provider);
      const vaultAddress = (await readAddresses()).vault;
      const executableAt = await manager.getSchedule(scheduled.operationId);
      // Executable one governor delay after the block of the schedule call.
      const events = await manager.queryFilter(manager.filters.OperationScheduled(scheduled.operationId), 0);
      expect(events).to.have.length(1);
      const scheduledIn = await provider.getBlock(events[0].blockNumber);
      expect(executableAt).to.equal(BigInt(scheduledIn!.timestamp) + HOUR);
      expect(scheduled.executableAt).to.equal(iso(executableAt));
      const vault = new VaultClient(vaultAddress, provider);
      expect((await vault.tokenConfig(token)).allowed).to.equal(false);
      expect(await MockStablecoin__factory.connect(token, provider).balanceOf(alice.address)).to.equal(250_500_000n);

      // Before the delay: the same operation, nothing sent.
      const start = await height();
      const early = expectOk(await cli(["dev", "token", ...mint], consortium));
      expect(early).to.include({ created: false, allowed: false, token, transactions: 0, changed: false });
      expect(early.scheduled).to.deep.equal(scheduled);
      expect(await height()).to.equal(start);

      await advanceTime(node.url, HOUR);
      const executed = expectOk(await cli(["dev", "token", ...mint], consortium));
      expect(executed).to.include({ created: false, allowed: true, token, transactions: 1, changed: true });
      expect(executed.scheduled).to.equal(undefined);
      const config = await vault.tokenConfig(token);
      expect(config.allowed).to.equal(true);
      expect(config.cycleLength).to.equal(86_400n);
      const allowedEvents = await SettlementVault__factory.connect(vaultAddress, provider).queryFilter(
        SettlementVault__factory.connect(vaultAddress, provider).filters.TokenAllowed(token),
        0,
      );
      expect(allowedEvents).to.have.length(1);
      expect(await manager.getSchedule(scheduled.operationId)).to.equal(0n);

      const after = await height();
      const again = expectOk(await cli(["dev", "token", ...mint], consortium));
      expect(again).to.include({ allowed: true, transactions: 0, changed: false });
      expect(await height()).to.equal(after);
    });

    function readAddresses(): Promise<{ manager: string; vault: string }> {
      const record = JSON.parse(readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8")) as Record<
        string,
        string
      >;
      return Promise.resolve({
        manager: record["RoamLedger#RoamLedgerManager"],
        vault: record["RoamLedger#SettlementVault"],
      });
    }
  },
);
