/**
 * A whole month of one agreement driven through the CLI alone (issue 15's acceptance test), as operators would run it:
 * one `hardhat node` for the file (its own process, killed in `after`), the CLI in child processes, time moved with
 * `evm_increaseTime`. In order: deploy, register both operators, publish the tariff, offer and accept
 * ({@link setUpAgreement}), the payer's vault deposit, three days of usage, reconcile, reject, return, dispute (killed
 * between its proofs and its dispute call, then re-run), resolution sign and resolve, accept, finalize (killed after
 * broadcasting, and before), cycle close, period settle, the visited network's withdrawal; then the chain's state is
 * checked exactly: each batch's status, both operators' vault balances and the token's conservation, the period settled.
 * Each clearing command is also checked for a re-run that sends nothing (the block height does not move) and for a
 * refusal: a decoded contract error (exit 2) or a user error naming the flag (exit 1).
 */
import { expect } from "chai";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";

import { writeCdrCsv, type CdrRecord } from "../../sdk/src/cdr";
import { generateCdrs } from "../../sdk/src/testing";
import { unitsToDecimal } from "../../sdk/src/rating/engine";
import { Service } from "../../sdk/src/rating/types";
import { clearingDomain, signResolution, type Resolution } from "../../sdk/src/typedData/clearing";
import { ClearingClient } from "../../sdk/src/clients/clearing";
import { VaultClient } from "../../sdk/src/clients/vault";
import {
  MockStablecoin__factory,
  PeriodSettlement__factory,
  SettlementVault__factory,
  UsageClearing__factory,
} from "../../sdk/src/typechain";
import {
  cliBin,
  cliParties,
  keyOf,
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
const SECRET = keccak256(toUtf8Bytes("alpha-beta shared salt secret"));
/** The home network's (#2, the payer of direction 0) deposit, in token units (6 decimals). */
const DEPOSIT = 100_000n * 10n ** 6n;

describeUnlessCoverage("roamledger CLI: a whole month (hardhat node in its own process)", function () {
  const deploymentId = `cli-month-test-${process.pid}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
  const { alice, bob, aliceSigner, bobSigner, alicePayout } = cliParties();
  let node: NodeProcess;
  let provider: JsonRpcProvider;
  let dir: string;
  let bin: string[];
  let setup: AgreementSetup;
  /**
   * Day 0's batch: 3 duplicates (2 returned with fraud proofs, the third proved by `dispute`) and 2 phantom records
   * (disputed, then resolved); finalized once its window has passed.
   */
  let day0: { file: string; records: CdrRecord[]; duplicates: number[]; phantom: number[]; root: string };
  /** Day 1's batch: rejected whole. Day 2's: accepted by the home network, then finalized. */
  let day1Root: string;
  let day2Root: string;
  /**
   * The batches' ids and what the vault recorded for each finalized one (token units: its charge plus its taxes), filled
   * as the month goes.
   */
  const batchIds: Record<"day0" | "day1" | "day2", string> = { day0: "", day1: "", day2: "" };
  const paid: Record<"resolution" | "day0" | "day2", bigint> = { resolution: 0n, day0: 0n, day2: 0n };
  const totalPaid = () => paid.resolution + paid.day0 + paid.day2;
  let withdrawn = 0n;

  const cli = (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliRun> =>
    runCli(bin, args, {
      ROAMLEDGER_RPC_URL: node.url,
      ROAMLEDGER_DEPLOYMENT: deploymentDir,
      ROAMLEDGER_JOURNAL_DIR: path.join(dir, "journal"),
      ROAMLEDGER_SHARED_SECRET: SECRET,
      ...extra,
    });
  const ok = (run: CliRun) => {
    const result = run.json();
    expect(result.ok, `${run.stdout}\n${run.stderr}`).to.equal(true);
    expect(run.code).to.equal(0);
    return result;
  };
  /** A refusal: the exit code and the JSON error (nothing sent is checked by the callers). */
  const refused = (run: CliRun, code: number) => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(code);
    return run.json().error as Record<string, unknown> & { args?: Record<string, unknown> };
  };
  /**
   * What finalizing a batch recorded in the vault (its charge plus the header's taxes), read from the chain: exactly one
   * `BatchFinalized` and one `ObligationApplied` (payer #2, payee #1) for it, whatever crashed and re-ran.
   */
  const recorded = async (batchId: string, charge: bigint): Promise<bigint> => {
    const clearing = UsageClearing__factory.connect(setup.addresses.clearing, provider);
    const vault = SettlementVault__factory.connect(setup.addresses.vault, provider);
    const finalized = await clearing.queryFilter(clearing.filters.BatchFinalized(batchId), 0);
    const applied = (await vault.queryFilter(vault.filters.ObligationApplied(setup.token, 2, 1), 0)).filter(
      (e) => e.args.ref === batchId,
    );
    expect(finalized).to.have.length(1);
    expect(applied).to.have.length(1);
    expect(applied[0].args.amount).to.equal(finalized[0].args.amount);
    expect(finalized[0].args.amount).to.be.greaterThanOrEqual(charge);
    return finalized[0].args.amount;
  };
  /** A run killed by `ROAMLEDGER_CLI_CRASH` (a simulated crash). */
  const crashed = (run: CliRun) => expect(run.signal, `${run.stdout}\n${run.stderr}`).to.equal("SIGKILL");
  const height = async () => BigInt(await rpc<string>(node.url, "eth_blockNumber"));
  const now = async () =>
    BigInt((await rpc<{ timestamp: string }>(node.url, "eth_getBlockByNumber", ["latest", false])).timestamp);
  /** Moves the node's clock to at least `timestamp` (from the chain's time, never the wall clock) and mines a block. */
  const advanceTo = async (timestamp: bigint) => {
    const delta = timestamp - (await now());
    if (delta > 0n) await rpc(node.url, "evm_increaseTime", [Number(delta)]);
    await rpc(node.url, "evm_mine");
  };
  const cdrs = (seed: string, count: number, day: bigint, inject = {}) =>
    generateCdrs({
      seed,
      count,
      subscribers: 20,
      imsiPrefix: "26201",
      periodStart: setup.validFrom + day * DAY,
      periodEnd: setup.validFrom + (day + 1n) * DAY,
      validFrom: setup.validFrom,
      services: [
        { service: Service.VoiceMO, weight: 4 },
        { service: Service.SmsMO, weight: 2 },
        { service: Service.Data, weight: 4 },
      ],
      inject,
    });
  const writeCsv = (file: string, records: Iterable<CdrRecord>) =>
    pipeline(Readable.from(writeCdrCsv(records)), createWriteStream(file));
  const submit = async (file: string, records: Iterable<CdrRecord>): Promise<string> => {
    await writeCsv(file, records);
    const args = ["--json", "usage", "submit", file, "--agreement", setup.agreementId, "--direction", "0"];
    const run = ok(await cli([...args, "--allow-duplicates"], keyOf(alice)));
    expect(run.status).to.equal("submitted");
    return run.root as string;
  };
  /** `reconcile` and `dispute` of day 0 against the home network's records (all but the duplicates and phantoms). */
  const day0Args = () => [day0.file, "--home", path.join(dir, "home-day0.csv"), "--agreement", setup.agreementId];

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-month-"));
    bin = ["node", await cliBin(path.join(dir, "dist"))];
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    // Deploy, register both operators, publish the tariff, offer and accept: all through the CLI.
    setup = await setUpAgreement(cli, { url: node.url, dir, deploymentId });
  });

  after(async () => {
    provider?.destroy();
    await stopAllProcesses(); // the node, and any CLI child a failed test left running
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  });

  it("vault deposit, usage submit: the home network funds the vault, the visited network submits days 0 to 2", async () => {
    const deposited = ok(
      await cli(["--json", "vault", "deposit", "2", setup.token, unitsToDecimal(DEPOSIT, 6), "--approve"], keyOf(bob)),
    );
    expect(deposited).to.include({ status: "done", amount: String(DEPOSIT) });
    await advanceTo(setup.validFrom + 3n * DAY + 3600n); // days 0 to 2 are over, within the submission grace
    const generated = cdrs("month-day0", 60, 0n, { duplicates: 3, phantom: 2 });
    const records = [...generated];
    const file = path.join(dir, "day0.csv");
    day0 = {
      file,
      records,
      duplicates: generated.truth.duplicates.map((d) => d.index),
      phantom: [...generated.truth.phantom],
      root: await submit(file, records),
    };
    expect(day0.duplicates).to.have.length(3);
    day1Root = await submit(path.join(dir, "day1.csv"), cdrs("month-day1", 40, 1n));
    day2Root = await submit(path.join(dir, "day2.csv"), cdrs("month-day2", 40, 2n));
    const skip = new Set([...day0.phantom, ...day0.duplicates]);
    await writeCsv(
      path.join(dir, "home-day0.csv"),
      day0.records.filter((_r, i) => !skip.has(i)),
    );
  });

  it("reconcile: day 0 against the home records finds the 3 duplicates (provable) and the 2 phantoms (disputes)", async () => {
    const report = ok(await cli(["--json", "reconcile", ...day0Args(), "--direction", "0"]));
    expect(report).to.include({ records: day0.records.length, missing: 0, fraud: 3, disputes: 2 });
    expect(report.matched).to.equal(day0.records.length - 5);
    expect(report.fraudByKind).to.deep.equal({ Duplicate: 3 });
    batchIds.day0 = report.batchId as string;
  });

  it("batch reject: refuses a bad --reason (exit 1) and the visited network (exit 2, decoded), rejects once", async () => {
    const lane = [setup.agreementId, "0", day1Root];
    const start = await height();
    // Refusals, concurrently (they send nothing): a reason that is no reject code, and the visited network.
    const [badReason, byVisited] = await Promise.all([
      cli(["--json", "batch", "reject", ...lane, "--reason", "150"], keyOf(bob)),
      cli(["--json", "batch", "reject", ...lane, "--reason", "101"], keyOf(alice)),
    ]);
    expect(refused(badReason, 1)).to.include({ kind: "user", field: "reason" });
    const stranger = refused(byVisited, 2);
    expect(stranger).to.include({ kind: "chain", name: "UsageClearing_NotOperatorAccount" });
    expect(stranger.args).to.include({ caller: alice.address });
    expect(await height()).to.equal(start);

    const rejected = ok(await cli(["--json", "batch", "reject", ...lane, "--reason", "totalsmismatch"], keyOf(bob)));
    expect(rejected).to.include({ status: "sent", reasonCode: 102, reason: "TotalsMismatch", batchStatus: "Rejected" });
    batchIds.day1 = rejected.batchId as string;
    expect(BigInt(rejected.chargeDropped as string)).to.be.greaterThan(0n);
    expect(rejected.volumesLeft).to.have.length.greaterThan(0);
    expect(await height()).to.equal(start + 1n);
    const [json, human] = await Promise.all([
      cli(["--json", "batch", "reject", ...lane, "--reason", "109"], keyOf(bob)),
      cli(["batch", "reject", ...lane, "--reason", "109"], keyOf(bob)),
    ]);
    expect(ok(json)).to.include({ status: "already-done", reasonCode: 102, reason: "TotalsMismatch" });
    expect(human.stdout).to.contain("Rejected already (reason 102 TotalsMismatch)");
    expect(await height()).to.equal(start + 1n);
  });

  it("batch return: proves duplicates out of the batch, after a crash sends only the missing proof, refuses a genuine record (exit 1)", async () => {
    const lane = [setup.agreementId, "0", day0.root, "--file", day0.file];
    const start = await height();
    const genuine = refused(await cli(["--json", "batch", "return", ...lane, "--records", "0"], keyOf(bob)), 1);
    expect(genuine).to.include({ kind: "user", field: "records" });
    expect(genuine.args).to.deep.equal({ unproven: ["0"] });
    expect(await height()).to.equal(start);

    // A run killed right after broadcasting its first proof; the re-run sends only the missing one.
    const [first, second] = day0.duplicates;
    const records = ["--records", `${first},${second}`];
    const crashed = await cli(["--json", "batch", "return", ...lane, ...records], {
      ...keyOf(bob),
      ROAMLEDGER_CLI_CRASH: "after-send",
    });
    expect(crashed.signal, crashed.stdout + crashed.stderr).to.equal("SIGKILL");
    expect(await height()).to.equal(start + 1n);
    const resumed = ok(await cli(["--json", "batch", "return", ...lane, ...records], keyOf(bob)));
    expect(resumed).to.include({ status: "sent", proofsSent: 1, skipped: 1 });
    expect((resumed.records as { kind: string }[]).map((r) => r.kind)).to.deep.equal(["Duplicate", "Duplicate"]);
    expect(await height()).to.equal(start + 2n);
    const again = ok(await cli(["--json", "batch", "return", ...lane, ...records], keyOf(aliceSigner)));
    expect(again).to.include({ status: "already-done", proofsSent: 0, skipped: 2 });
    expect(await height()).to.equal(start + 2n);
  });

  it("dispute: killed between its fraud proof and its dispute call, the re-run sends only the dispute call", async () => {
    const args = ["--json", "dispute", ...day0Args(), "--direction", "0"];
    const start = await height();
    // `batch return` proved two of the three duplicates: the first run proves the third, then dies.
    crashed(await cli(args, { ...keyOf(bob), ROAMLEDGER_CLI_CRASH: "after-proofs" }));
    expect(await height()).to.equal(start + 1n);
    const clearing = new ClearingClient(setup.addresses.clearing, provider);
    expect(await clearing.challengedOf(batchIds.day0, day0.duplicates)).to.deep.equal(
      new Set(day0.duplicates.map(BigInt)),
    );
    const resumed = ok(await cli(args, keyOf(bob)));
    expect(resumed).to.include({ status: "sent", proofsSent: 0, disputeCalls: 1, disputedRecordsSent: 2 });
    expect(resumed.skipped).to.deep.equal({ proofs: 3, disputedRecords: 0 });
    expect((resumed.batch as Record<string, string>).disputed).to.equal("2");
    expect(BigInt((resumed.batch as { held: string }).held)).to.be.greaterThan(0n);
    expect(await height()).to.equal(start + 2n);
    expect((await clearing.operatorStats(1)).fraudProven).to.equal(3n);
  });

  it("batch resolution sign / resolve: the parties settle the held part once; a stale, tampered or same-party resolution is refused (exit 1)", async () => {
    // `dispute` held the charge of the two phantom records.
    const shown = ok(await cli(["--json", "batch", "show", setup.agreementId, "0", day0.root]));
    const held = BigInt(shown.held as string);
    const lane = [setup.agreementId, "0", day0.root];
    const pay = held / 2n;
    const file = path.join(dir, "resolution.json");
    const start = await height();

    const signed = ok(
      await cli(
        ["--json", "batch", "resolution", "sign", ...lane, "--pay", unitsToDecimal(pay, 6), "--out", file],
        keyOf(bobSigner),
      ),
    );
    expect(signed).to.include({ party: "hpmn", signer: bobSigner.address, operatorId: "2" });
    expect(signed.resolution).to.include({ round: "0", disputed: "2", held: String(held), payAmount: String(pay) });
    expect(JSON.parse(readFileSync(file, "utf8")).signature).to.equal(signed.signature);

    // Refusals, concurrently (they send nothing): more than is held, the signing party resolving with its own
    // signature, and a file whose resolution was changed after signing.
    const tampered = path.join(dir, "tampered.json");
    const json = JSON.parse(readFileSync(file, "utf8")) as { resolution: Record<string, string> };
    json.resolution.payAmount = String(held);
    writeFileSync(tampered, JSON.stringify(json));
    // A valid signature of the partner over a state the batch is not in (one record fewer disputed): stale.
    const stale = path.join(dir, "stale.json");
    const staleResolution = { ...(signed.resolution as Resolution), disputed: "1" };
    const domain = clearingDomain({ chainId: 31337n, verifyingContract: setup.addresses.clearing });
    writeFileSync(
      stale,
      JSON.stringify({
        resolution: staleResolution,
        signature: await signResolution(bobSigner, domain, staleResolution),
        signer: bobSigner.address,
      }),
    );
    const [tooMuch, sameParty, forged, outdated] = await Promise.all([
      cli(["--json", "batch", "resolution", "sign", ...lane, "--pay", unitsToDecimal(held + 1n, 6)], keyOf(bobSigner)),
      cli(["--json", "batch", "resolve", ...lane, "--signature-file", file], keyOf(bobSigner)),
      cli(["--json", "batch", "resolve", ...lane, "--signature-file", tampered], keyOf(aliceSigner)),
      cli(["--json", "batch", "resolve", ...lane, "--signature-file", stale], keyOf(aliceSigner)),
    ]);
    expect(refused(tooMuch, 1)).to.include({ field: "pay" });
    expect(refused(sameParty, 1)).to.include({ field: "signature-file" });
    expect(refused(forged, 1)).to.include({ field: "signature-file" });
    const moved = refused(outdated, 1);
    expect(moved).to.include({ field: "signature-file" });
    expect(moved.args).to.deep.equal({
      signed: { round: "0", disputed: "1", held: String(held) },
      now: { round: "0", disputed: "2", held: String(held) },
    });
    expect(await height()).to.equal(start);

    const resolved = ok(
      await cli(["--json", "batch", "resolve", ...lane, "--signature-file", file], keyOf(aliceSigner)),
    );
    expect(resolved).to.include({
      status: "sent",
      resolvedRound: "0",
      payAmount: String(pay),
      waived: String(held - pay),
      held: "0",
      round: "1",
    });
    expect(await height()).to.equal(start + 1n);
    paid.resolution = pay; // recorded in the vault by the resolution itself, before the batch is final
    const again = ok(await cli(["--json", "batch", "resolve", ...lane, "--signature-file", file], keyOf(aliceSigner)));
    expect(again).to.include({ status: "already-done", resolvedRound: "0", payAmount: String(pay), byArbiter: false });
    expect(await height()).to.equal(start + 1n);
  });

  it("batch accept / finalize: day 2 accepted, its finalize killed after broadcasting; the re-run sends nothing", async () => {
    const lane = [setup.agreementId, "0", day2Root];
    const start = await height();
    const accepted = ok(await cli(["--json", "batch", "accept", ...lane], keyOf(bob)));
    expect(accepted).to.include({ status: "sent", batchStatus: "Accepted" });
    batchIds.day2 = accepted.batchId as string;
    crashed(
      await cli(["--json", "batch", "finalize", ...lane], { ...keyOf(alice), ROAMLEDGER_CLI_CRASH: "after-send" }),
    );
    expect(await height()).to.equal(start + 2n);
    const resumed = ok(await cli(["--json", "batch", "finalize", ...lane], keyOf(alice)));
    expect(resumed).to.include({ status: "already-done", batchStatus: "Final" });
    expect(await height()).to.equal(start + 2n);
    paid.day2 = await recorded(batchIds.day2, BigInt(resumed.charge as string));
    expect(paid.day2).to.be.greaterThan(0n);
  });

  it("batch list: the lane's batches with status, charge and ISO times, the same paged by one block; refuses a bad --status or --block-range (exit 1)", async () => {
    const all = ok(await cli(["--json", "batch", "list", setup.agreementId]));
    expect(all.count).to.equal(3);
    const [b0, b1, b2] = all.batches as Record<string, unknown>[];
    expect(b0).to.include({ root: day0.root, sequence: "1", batchStatus: "Pending", held: "0", round: "1" });
    expect(b1).to.include({ root: day1Root, sequence: "2", batchStatus: "Rejected", charge: "0" });
    expect(b2).to.include({ root: day2Root, sequence: "3", batchStatus: "Final" });
    expect(b0.chargeDecimal).to.equal(unitsToDecimal(BigInt(b0.charge as string), 6));
    for (const key of ["submittedAt", "finalAt"]) expect(b0[key]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const list = (...args: string[]) => cli(["--json", "batch", "list", setup.agreementId, ...args]);
    const [paged, rejected, later, other, human, badStatus, zero, future] = await Promise.all([
      list("--block-range", "1"),
      list("--status", "rejected"),
      list("--from-block", String(b1.blockNumber)),
      list("--direction", "1"),
      cli(["batch", "list", setup.agreementId]),
      list("--status", "done"),
      list("--block-range", "0"),
      list("--from-block", "99999999"),
    ]);
    expect(ok(paged).batches).to.deep.equal(all.batches);
    expect(paged.json().requests).to.equal(Number(BigInt(all.toBlock as string) + 1n));
    expect((ok(rejected).batches as { root: string }[]).map((b) => b.root)).to.deep.equal([day1Root]);
    expect(ok(later).count).to.equal(2);
    expect(ok(other).count).to.equal(0);
    expect(human.stdout).to.contain("3 batch(es)").and.contain("Rejected");
    expect(refused(badStatus, 1)).to.include({ field: "status" });
    expect(refused(zero, 1)).to.include({ field: "block-range" });
    expect(refused(future, 1)).to.include({ field: "from-block" });
  });

  it("batch finalize: day 0, past its window, killed before broadcasting; the re-run sends that transaction, once", async () => {
    const lane = [setup.agreementId, "0", day0.root];
    const shown = ok(await cli(["--json", "batch", "show", ...lane]));
    await advanceTo(BigInt(Date.parse(shown.finalAt as string) / 1000));
    const start = await height();
    crashed(
      await cli(["--json", "batch", "finalize", ...lane], { ...keyOf(bob), ROAMLEDGER_CLI_CRASH: "before-send" }),
    );
    expect(await height()).to.equal(start);
    // The journal holds the signed transaction: the re-run broadcasts those bytes (its nonce is free) and sends no other.
    const resumed = ok(await cli(["--json", "batch", "finalize", ...lane], keyOf(bob)));
    expect(resumed).to.include({ status: "already-done", batchStatus: "Final", held: "0" });
    expect(await height()).to.equal(start + 1n);
    paid.day0 = await recorded(batchIds.day0, BigInt(resumed.charge as string));
    expect(paid.day0).to.be.greaterThan(0n);
  });

  it("vault: the payer's funds covered every obligation (nothing queued); cycle close turns positions into balances", async () => {
    const queue = ok(await cli(["--json", "vault", "process-queue", "2", setup.token], keyOf(alice)));
    expect(queue).to.include({ status: "already-done", queued: "0" });
    const closed = ok(await cli(["--json", "cycle", "close", setup.token], keyOf(bob)));
    expect(closed).to.include({ closedCycle: "1", openCycle: "2" });
    const balance = ok(await cli(["--json", "vault", "balance", "1", setup.token]));
    expect(balance).to.include({ balance: String(totalPaid()), openPosition: "0", queued: "0" });
  });

  it("period show / settle: refuses an early settlement (exit 2, decoded) and an unknown period (exit 1), settles once", async () => {
    const shown = ok(await cli(["--json", "period", "show", setup.agreementId, "0"]));
    expect(shown).to.include({
      settled: false,
      ready: false,
      start: new Date(Number(setup.validFrom) * 1000).toISOString().replace(".000Z", "Z"),
    });
    const readyAt = BigInt(Date.parse(shown.readyAt as string) / 1000);
    expect(readyAt).to.equal(setup.validFrom + 40n * DAY); // period end + grace 3 + window 7
    const start = await height();
    const [early, unknown] = await Promise.all([
      cli(["--json", "period", "settle", setup.agreementId, "0"], keyOf(alice)),
      cli(["--json", "period", "settle", setup.agreementId, "12"], keyOf(alice)),
    ]);
    expect(refused(early, 2)).to.include({ kind: "chain", name: "PeriodSettlement_PeriodNotReady" });
    expect(refused(unknown, 1)).to.include({ field: "period" });
    expect(await height()).to.equal(start);

    if ((await now()) < readyAt) await advanceTo(readyAt);
    const settled = ok(await cli(["--json", "period", "settle", setup.agreementId, "0"], keyOf(alice)));
    expect(settled).to.include({ status: "sent", settled: true });
    expect(
      (settled.directions as { difference: string; outstanding: string }[]).map((d) => d.outstanding),
    ).to.deep.equal(["0", "0"]);
    expect((settled.txHashes as string[]).length).to.equal(1);
    const after = await height();
    const [again, human] = await Promise.all([
      cli(["--json", "period", "settle", setup.agreementId, "0"], keyOf(bob)),
      cli(["period", "show", setup.agreementId, "0"]),
    ]);
    expect(ok(again)).to.include({ status: "already-done", settled: true });
    expect(human.stdout).to.contain("settled").and.contain("direction 0: difference 0");
    expect(await height()).to.equal(after);
  });

  it("vault withdraw: the visited network takes out all it was paid, to its payout address", async () => {
    const free = BigInt(ok(await cli(["--json", "vault", "balance", "1", setup.token])).free as string);
    expect(free).to.equal(totalPaid());
    const done = ok(
      await cli(["--json", "vault", "withdraw", "1", setup.token, unitsToDecimal(free, 6)], keyOf(alice)),
    );
    expect(done).to.include({ status: "done", amount: String(free) });
    withdrawn = free;
  });

  it("the chain's state: each batch's status, both vault balances to the token unit, the period settled", async () => {
    const clearing = new ClearingClient(setup.addresses.clearing, provider);
    const statuses = await Promise.all(
      [batchIds.day0, batchIds.day1, batchIds.day2].map((id) => clearing.getBatch(id)),
    );
    expect(statuses.map((b) => b.status)).to.deep.equal(["Final", "Rejected", "Final"]);
    expect(statuses.map((b) => b.held)).to.deep.equal([0n, 0n, 0n]);

    const vault = new VaultClient(setup.addresses.vault, provider);
    const [visited, home] = await Promise.all([1, 2].map((id) => vault.memberInfo(id, setup.token)));
    expect(home).to.include({ balance: DEPOSIT - totalPaid(), openPosition: 0n, queued: 0n });
    expect(visited).to.include({ balance: 0n, openPosition: 0n, queued: 0n });
    // What was deposited less what was paid is what the payee withdrew plus what the vault still holds.
    const token = MockStablecoin__factory.connect(setup.token, provider);
    const [payout, held] = await Promise.all([
      token.balanceOf(alicePayout.address),
      token.balanceOf(setup.addresses.vault),
    ]);
    expect(withdrawn).to.equal(totalPaid());
    // Every obligation of the month, #2 to #1: the resolution's payment and the two finalized batches.
    const vaultContract = SettlementVault__factory.connect(setup.addresses.vault, provider);
    const obligations = await vaultContract.queryFilter(vaultContract.filters.ObligationApplied(setup.token, 2, 1), 0);
    expect(obligations.map((e) => e.args.amount)).to.deep.equal([paid.resolution, paid.day2, paid.day0]);
    expect(payout).to.equal(withdrawn);
    expect(held).to.equal(home.balance + visited.balance);
    expect(DEPOSIT).to.equal(payout + held);

    const settlement = PeriodSettlement__factory.connect(setup.addresses.settlement, provider);
    expect(await settlement.isPeriodSettled(setup.agreementId, 0)).to.equal(true);
  });
});
