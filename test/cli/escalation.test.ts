/**
 * Escalation and event paging of the `roamledger` CLI, run as a user would against one `hardhat node` (its own process)
 * for the whole file. The suite is deployed with an arbiter delay of one hour (the consortium, account 7, is the
 * arbiter). A day's batch is disputed by the home network and left unresolved; `batch escalation` shows when it becomes
 * the arbiter's, `governance resolve-escalated` is refused before that (decoded contract error, exit 2), then scheduled,
 * executed after the arbiter's delay, and re-runs send nothing. `report` read in small pages of blocks, and through a
 * proxy that refuses large `eth_getLogs` ranges, gives the same result as one read.
 */
import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbiCoder, JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";

import { writeCdrCsv, type CdrRecord } from "../../sdk/src/cdr";
import { generateCdrs } from "../../sdk/src/testing";
import { unitsToDecimal } from "../../sdk/src/rating/engine";
import { Service } from "../../sdk/src/rating/types";
import { ClearingClient } from "../../sdk/src/clients/clearing";
import { RoamLedgerManager__factory, SettlementVault__factory, UsageClearing__factory } from "../../sdk/src/typechain";
import {
  advanceTime,
  blockNumberOf,
  cliBin,
  cliParties,
  expectError,
  expectOk,
  keyOf,
  localParameters,
  ROOT,
  rpc,
  runCli,
  setUpAgreement,
  startHardhatNode,
  stopAllProcesses,
  type AgreementSetup,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

const DAY = 86_400n;
const HOUR = 3_600n;
const SECRET = keccak256(toUtf8Bytes("escalation shared salt secret"));
const DEPOSIT = 100_000n * 10n ** 6n;
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

describeUnlessCoverage("roamledger CLI: escalation and event paging (hardhat node in its own process)", function () {
  const deploymentId = `cli-escalation-test-${process.pid}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
  const { alice, bob, consortium } = cliParties();
  let node: NodeProcess;
  let provider: JsonRpcProvider;
  let dir: string;
  let bin: string[];
  let setup: AgreementSetup;
  let lane: string[];
  let batchId: string;
  let held: bigint;
  let pay: bigint;

  const cli = (args: string[], extra: Record<string, string | undefined> = {}, url?: string): Promise<CliRun> =>
    runCli(bin, args, {
      ROAMLEDGER_RPC_URL: url ?? node.url,
      ROAMLEDGER_DEPLOYMENT: deploymentDir,
      ROAMLEDGER_JOURNAL_DIR: path.join(dir, "journal"),
      ROAMLEDGER_SHARED_SECRET: SECRET,
      ...extra,
    });
  const height = () => blockNumberOf(node.url);
  const now = async () =>
    BigInt((await rpc<{ timestamp: string }>(node.url, "eth_getBlockByNumber", ["latest", false])).timestamp);
  const advanceTo = async (timestamp: bigint) => {
    const delta = timestamp - (await now());
    if (delta > 0n) await rpc(node.url, "evm_increaseTime", [Number(delta)]);
    await rpc(node.url, "evm_mine");
  };
  const writeCsv = (file: string, records: Iterable<CdrRecord>) =>
    pipeline(Readable.from(writeCdrCsv(records)), createWriteStream(file));
  const resolveArgs = (step: string, amount = unitsToDecimal(pay, 6)) => [
    "--json",
    "governance",
    "resolve-escalated",
    ...lane,
    "--pay",
    amount,
    step,
  ];

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-escalation-"));
    bin = ["node", await cliBin(path.join(dir, "dist"))];
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    // The shared setup deploys with deploy/parameters/localhost.json: this suite's deploy gets an arbiter delay.
    const parameters = localParameters(path.join(dir, "parameters.json"), { arbiterDelay: Number(HOUR) });
    const withParameters = (args: string[], env?: Record<string, string | undefined>) =>
      cli(
        args.map((a) => (a === "deploy/parameters/localhost.json" ? parameters : a)),
        env,
      );
    setup = await setUpAgreement(withParameters, { url: node.url, dir, deploymentId });
    expectOk(
      await cli(["--json", "vault", "deposit", "2", setup.token, unitsToDecimal(DEPOSIT, 6), "--approve"], keyOf(bob)),
    );
    await advanceTo(setup.validFrom + DAY + HOUR);
    const generated = generateCdrs({
      seed: "escalation-day0",
      count: 30,
      subscribers: 10,
      imsiPrefix: "26201",
      periodStart: setup.validFrom,
      periodEnd: setup.validFrom + DAY,
      validFrom: setup.validFrom,
      services: [
        { service: Service.VoiceMO, weight: 4 },
        { service: Service.Data, weight: 4 },
      ],
      inject: { phantom: 2 },
    });
    const records = [...generated];
    const phantom = new Set(generated.truth.phantom);
    const file = path.join(dir, "day0.csv");
    const home = path.join(dir, "home-day0.csv");
    await writeCsv(file, records);
    await writeCsv(
      home,
      records.filter((_r, i) => !phantom.has(i)),
    );
    const submitted = expectOk(
      await cli(
        ["--json", "usage", "submit", file, "--agreement", setup.agreementId, "--direction", "0"],
        keyOf(alice),
      ),
    );
    lane = [setup.agreementId, "0", submitted.root as string];
    const disputed = expectOk(
      await cli(
        ["--json", "dispute", file, "--home", home, "--agreement", setup.agreementId, "--direction", "0"],
        keyOf(bob),
      ),
    );
    expect((disputed.batch as Record<string, string>).disputed).to.equal("2");
    batchId = disputed.batchId as string;
    held = (await new ClearingClient(setup.addresses.clearing, provider).getBatch(batchId)).held;
    expect(held).to.be.greaterThan(0n);
    pay = held / 3n;
  });

  after(async () => {
    provider?.destroy();
    await stopAllProcesses(); // the node, and any CLI child a failed test left running
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  });

  it("batch escalation: disputed, escalation due at the window's end plus the timeout, not due yet", async () => {
    const clearing = UsageClearing__factory.connect(setup.addresses.clearing, provider);
    const batch = await clearing.getBatch(batchId);
    const dueAt = batch.finalAt + (await clearing.escalationTimeout());
    const shown = expectOk(await cli(["--json", "batch", "escalation", ...lane]));
    expect(shown).to.include({
      batchId,
      batchStatus: "Pending",
      disputedNow: true,
      due: false,
      disputed: "2",
      round: "0",
      held: String(held),
      heldDecimal: unitsToDecimal(held, 6),
      escalationTimeout: String(30n * DAY),
      escalationDueAt: iso(dueAt),
      finalAt: iso(batch.finalAt),
      now: iso(await now()),
    });
    expect(shown.resolutions).to.deep.equal([]);
    const human = await cli(["batch", "escalation", ...lane]);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.contain(`escalation due at ${iso(dueAt)}`);
    expect(human.stdout).to.not.contain("\u001b[");
  });

  it("governance resolve-escalated: refused before it is due (decoded, exit 2), a bad --pay named (exit 1); nothing sent", async () => {
    const clearing = UsageClearing__factory.connect(setup.addresses.clearing, provider);
    const dueAt = (await clearing.getBatch(batchId)).finalAt + (await clearing.escalationTimeout());
    const start = await height();
    const [early, earlyExecute, tooPrecise, tooMuch] = await Promise.all([
      cli(resolveArgs("--schedule"), keyOf(consortium)),
      cli(resolveArgs("--execute"), keyOf(consortium)),
      cli(resolveArgs("--schedule", "1.0000001"), keyOf(consortium)),
      cli(resolveArgs("--schedule", unitsToDecimal(held + 1n, 6)), keyOf(consortium)),
    ]);
    for (const run of [early, earlyExecute]) {
      const error = expectError(run, 2);
      expect(error).to.include({ kind: "chain", name: "UsageClearing_EscalationNotDue" });
      expect(error.args).to.include({ batchId, dueAt: String(dueAt), escalationDueAt: iso(dueAt) });
    }
    expect(expectError(tooPrecise, 1)).to.include({ kind: "user", field: "pay" });
    const large = expectError(tooMuch, 2);
    expect(large).to.include({ name: "UsageClearing_PayAmountTooLarge" });
    expect(large.args).to.include({ payAmount: String(held + 1n), held: String(held) });
    expect(await height()).to.equal(start);
  });

  it("governance resolve-escalated: once due, the arbiter schedules, executes after its delay; re-runs send nothing", async () => {
    const clearing = UsageClearing__factory.connect(setup.addresses.clearing, provider);
    const dueAt = (await clearing.getBatch(batchId)).finalAt + (await clearing.escalationTimeout());
    await advanceTo(dueAt);
    const shown = expectOk(await cli(["--json", "batch", "escalation", ...lane]));
    expect(shown).to.include({ disputedNow: true, due: true, escalationDueAt: iso(dueAt) });

    const start = await height();
    const scheduled = expectOk(await cli(resolveArgs("--schedule"), keyOf(consortium)));
    expect(scheduled).to.include({ status: "scheduled", batchId, payAmount: String(pay), delay: String(HOUR) });
    expect(await height()).to.equal(start + 1n);
    const manager = RoamLedgerManager__factory.connect(setup.addresses.manager, provider);
    const executableAt = await manager.getSchedule(scheduled.operationId as string);
    expect(scheduled.executableAt).to.equal(iso(executableAt));
    expect(executableAt).to.equal((await now()) + HOUR);

    // Re-run of the schedule: reported, nothing sent; executing too early: refused with the time, nothing sent.
    const again = expectOk(await cli(resolveArgs("--schedule"), keyOf(consortium)));
    expect(again).to.include({ status: "already-done", executableAt: iso(executableAt) });
    const early = expectError(await cli(resolveArgs("--execute"), keyOf(consortium)), 2);
    expect(early).to.include({ name: "AccessManagerNotReady" });
    expect(early.args).to.include({ executableAt: iso(executableAt) });
    expect(await height()).to.equal(start + 1n);

    await advanceTime(node.url, HOUR);
    const executed = expectOk(await cli(resolveArgs("--execute"), keyOf(consortium)));
    expect(executed).to.include({ status: "executed", batchId, payAmount: String(pay) });
    const after = await height();

    // The chain: the held part resolved by the arbiter, the pay amount recorded in the vault for the batch.
    const batch = await clearing.getBatch(batchId);
    expect(batch.held).to.equal(0n);
    expect(batch.round).to.equal(1n);
    const resolved = await clearing.queryFilter(clearing.filters.DisputeResolved(batchId), 0);
    expect(resolved.map((e) => [e.args.round, e.args.payAmount, e.args.waived, e.args.byArbiter])).to.deep.equal([
      [0n, pay, held - pay, true],
    ]);
    const vault = SettlementVault__factory.connect(setup.addresses.vault, provider);
    // The contract's reference of a resolution's obligation: keccak256(abi.encode(batchId, round)).
    const ref = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint16"], [batchId, 0]));
    const obligations = (await vault.queryFilter(vault.filters.ObligationApplied(setup.token, 2, 1), 0)).filter(
      (e) => e.args.ref === ref,
    );
    expect(obligations.map((e) => e.args.amount)).to.deep.equal([pay]);

    // Re-runs of both steps: the decision is in effect, nothing sent.
    for (const step of ["--execute", "--schedule"]) {
      expect(expectOk(await cli(resolveArgs(step), keyOf(consortium)))).to.include({ status: "already-done" });
    }
    expect(await height()).to.equal(after);
    const shownAfter = expectOk(await cli(["--json", "batch", "escalation", ...lane]));
    expect(shownAfter).to.include({ disputedNow: false, due: false, held: "0", round: "1" });
    expect(shownAfter.resolutions).to.deep.equal([
      {
        round: "0",
        payAmount: String(pay),
        payDecimal: unitsToDecimal(pay, 6),
        waived: String(held - pay),
        waivedDecimal: unitsToDecimal(held - pay, 6),
        byArbiter: true,
        txHash: resolved[0].transactionHash,
      },
    ]);
  });

  describe("event paging", () => {
    /** A JSON-RPC proxy to the node that refuses `eth_getLogs` over more than `limit` blocks, as many RPCs do. */
    let proxy: Server;
    let proxyUrl: string;
    const limit = 5n;
    let refusedRanges = 0;

    before(async () => {
      proxy = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          void (async () => {
            const body = Buffer.concat(chunks).toString("utf8");
            const calls = JSON.parse(body) as
              | { id: number; method: string; params: { fromBlock?: string; toBlock?: string }[] }[]
              | { id: number; method: string; params: { fromBlock?: string; toBlock?: string }[] };
            const list = Array.isArray(calls) ? calls : [calls];
            const tooWide = list.find((c) => {
              if (c.method !== "eth_getLogs") return false;
              const { fromBlock, toBlock } = c.params[0] ?? {};
              if (fromBlock === undefined || toBlock === undefined || !toBlock.startsWith("0x")) return true;
              return BigInt(toBlock) - BigInt(fromBlock) + 1n > limit;
            });
            if (tooWide !== undefined) {
              refusedRanges++;
              const error = {
                jsonrpc: "2.0",
                id: tooWide.id,
                error: { code: -32005, message: `block range too large (max ${limit})` },
              };
              res.writeHead(200, { "content-type": "application/json" });
              res.end(JSON.stringify(Array.isArray(calls) ? list.map((c) => ({ ...error, id: c.id })) : error));
              return;
            }
            const forwarded = await fetch(node.url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body,
            });
            res.writeHead(forwarded.status, { "content-type": "application/json" });
            res.end(await forwarded.text());
          })().catch((error: unknown) => {
            res.writeHead(500);
            res.end(String(error));
          });
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise<void>((resolve) => (proxy === undefined ? resolve() : proxy.close(() => resolve())));
    });

    it("report: read in pages of 3 blocks, the same result as one read, in as many requests as pages", async () => {
      const latest = await height();
      expect(latest).to.be.greaterThan(20n); // the suite's events are spread over more blocks than a page
      const whole = expectOk(await cli(["--json", "report"]));
      const paged = expectOk(await cli(["--json", "--block-range", "3", "report"]));
      const from = expectOk(await cli(["--json", "report", "--from-block", "2", "--block-range", "4"]));
      const pages = (first: bigint, range: bigint) => Number((latest - first) / range + 1n);
      expect(whole.events).to.deep.equal({ fromBlock: "0", toBlock: String(latest), blockRange: "10000", requests: 2 });
      expect(paged.events).to.deep.equal({
        fromBlock: "0",
        toBlock: String(latest),
        blockRange: "3",
        requests: 2 * pages(0n, 3n),
      });
      expect(from.events).to.include({ fromBlock: "2", blockRange: "4", requests: 2 * pages(2n, 4n) });
      for (const r of [paged, from]) {
        expect(r.tokens).to.deep.equal(whole.tokens);
        expect(r.batches).to.deep.equal(whole.batches);
        expect(r.operators).to.deep.equal(whole.operators);
      }
      expect((whole.batches as { list: unknown[] }).list).to.have.length(1);
      expect(expectError(await cli(["--json", "--block-range", "0", "report"]), 1)).to.include({
        field: "block-range",
      });
    });

    it("an RPC that refuses ranges over 5 blocks: the default range fails, --block-range 5 reads everything", async () => {
      const whole = expectOk(await cli(["--json", "report"]));
      refusedRanges = 0;
      const refused = await cli(["--json", "report"], {}, proxyUrl);
      expect(refused.code, refused.stdout).to.not.equal(0);
      expect(refusedRanges).to.be.greaterThan(0);
      refusedRanges = 0;
      const [report, escalation, listed] = await Promise.all([
        cli(["--json", "--block-range", String(limit), "report"], {}, proxyUrl),
        cli(["--json", "batch", "escalation", ...lane], { ROAMLEDGER_BLOCK_RANGE: String(limit) }, proxyUrl),
        cli(["--json", "batch", "list", setup.agreementId, "--block-range", "2"], {}, proxyUrl),
      ]);
      const paged = expectOk(report);
      expect(refusedRanges).to.equal(0);
      expect(paged.batches).to.deep.equal(whole.batches);
      expect(paged.tokens).to.deep.equal(whole.tokens);
      expect((expectOk(escalation).resolutions as unknown[]).length).to.equal(1);
      expect(expectOk(listed)).to.include({ count: 1, blockRange: "2" });

      // The agreement's terms are read from their event by the SDK (`getTerms`): refused in one wide request, paged
      // by --block-range like every other read.
      const shownWhole = expectOk(await cli(["--json", "agreement", "show", setup.agreementId]));
      const wide = await cli(["--json", "agreement", "show", setup.agreementId], {}, proxyUrl);
      expect(wide.code, wide.stdout).to.not.equal(0);
      expect(refusedRanges).to.equal(1);
      const shown = expectOk(
        await cli(["--json", "--block-range", String(limit), "agreement", "show", setup.agreementId], {}, proxyUrl),
      );
      expect(refusedRanges).to.equal(1);
      expect(shown).to.deep.equal(shownWhole);
      expect(shown.token).to.equal(setup.token);
    });
  });
});
