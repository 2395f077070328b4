/**
 * The CLI's clearing steps after submission (`batch list|reject|return|resolution sign|resolve`, `period show|settle`),
 * run as a user would: one `hardhat node` for the file (its own process, killed in `after`), the CLI in child
 * processes. Each command is checked for success, for a re-run that sends nothing (the block height does not move),
 * and for a refusal: a decoded contract error (exit 2) or a user error naming the flag (exit 1).
 */
import { expect } from "chai";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { keccak256, toUtf8Bytes } from "ethers";

import { writeCdrCsv, type CdrRecord } from "../../sdk/src/cdr";
import { generateCdrs } from "../../sdk/src/testing";
import { unitsToDecimal } from "../../sdk/src/rating/engine";
import { Service } from "../../sdk/src/rating/types";
import { clearingDomain, signResolution, type Resolution } from "../../sdk/src/typedData/clearing";
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

describeUnlessCoverage("roamledger CLI: clearing commands (hardhat node in its own process)", function () {
  const deploymentId = `cli-clearing-test-${process.pid}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
  const { alice, bob, aliceSigner, bobSigner } = cliParties();
  let node: NodeProcess;
  let dir: string;
  let bin: string[];
  let setup: AgreementSetup;
  /** Day 0's batch: 2 duplicates (returned with fraud proofs) and 2 phantom records (disputed, then resolved). */
  let day0: { file: string; records: CdrRecord[]; duplicates: number[]; phantom: number[]; root: string };
  /** Day 1's batch: rejected whole. */
  let day1Root: string;

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
  const height = async () => BigInt(await rpc<string>(node.url, "eth_blockNumber"));
  const now = async () =>
    BigInt((await rpc<{ timestamp: string }>(node.url, "eth_getBlockByNumber", ["latest", false])).timestamp);
  const advanceTo = async (timestamp: bigint) => {
    await rpc(node.url, "evm_setNextBlockTimestamp", [Number(timestamp)]);
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
  const submit = async (file: string, records: Iterable<CdrRecord>): Promise<string> => {
    await pipeline(Readable.from(writeCdrCsv(records)), createWriteStream(file));
    const args = ["--json", "usage", "submit", file, "--agreement", setup.agreementId, "--direction", "0"];
    const run = ok(await cli([...args, "--allow-duplicates"], keyOf(alice)));
    expect(run.status).to.equal("submitted");
    return run.root as string;
  };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-clearing-"));
    bin = ["node", await cliBin(path.join(dir, "dist"))];
    node = await startHardhatNode();
    setup = await setUpAgreement(cli, { url: node.url, dir, deploymentId });
    await advanceTo(setup.validFrom + 3n * DAY + 3600n); // days 0 and 1 are over, within the submission grace
    const generated = cdrs("clearing-day0", 60, 0n, { duplicates: 2, phantom: 2 });
    const records = [...generated];
    const file = path.join(dir, "day0.csv");
    day0 = {
      file,
      records,
      duplicates: generated.truth.duplicates.map((d) => d.index),
      phantom: [...generated.truth.phantom],
      root: await submit(file, records),
    };
    day1Root = await submit(path.join(dir, "day1.csv"), cdrs("clearing-day1", 40, 1n));
  });

  after(async () => {
    await stopAllProcesses(); // the node, and any CLI child a failed test left running
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
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

  it("batch resolution sign / resolve: the parties settle the held part once; a stale, tampered or same-party resolution is refused (exit 1)", async () => {
    // The home network disputes the two phantom records (the existing `dispute` command): their charge is held.
    const home = path.join(dir, "home-day0.csv");
    const skip = new Set([...day0.phantom, ...day0.duplicates]);
    await pipeline(Readable.from(writeCdrCsv(day0.records.filter((_r, i) => !skip.has(i)))), createWriteStream(home));
    const disputed = ok(
      await cli(
        ["--json", "dispute", day0.file, "--home", home, "--agreement", setup.agreementId, "--direction", "0"],
        keyOf(bob),
      ),
    );
    const held = BigInt((disputed.batch as { held: string }).held);
    expect(held).to.be.greaterThan(0n);
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
    const again = ok(await cli(["--json", "batch", "resolve", ...lane, "--signature-file", file], keyOf(aliceSigner)));
    expect(again).to.include({ status: "already-done", resolvedRound: "0", payAmount: String(pay), byArbiter: false });
    expect(await height()).to.equal(start + 1n);
  });

  it("batch list: the lane's batches with status, charge and ISO times, the same paged by one block; refuses a bad --status or --block-range (exit 1)", async () => {
    const all = ok(await cli(["--json", "batch", "list", setup.agreementId]));
    expect(all.count).to.equal(2);
    const [b0, b1] = all.batches as Record<string, unknown>[];
    expect(b0).to.include({ root: day0.root, sequence: "1", batchStatus: "Pending", held: "0", round: "1" });
    expect(b1).to.include({ root: day1Root, sequence: "2", batchStatus: "Rejected", charge: "0" });
    expect(b0.chargeDecimal).to.equal(unitsToDecimal(BigInt(b0.charge as string), 6));
    for (const key of ["submittedAt", "finalAt"]) expect(b0[key]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);

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
    expect(ok(later).count).to.equal(1);
    expect(ok(other).count).to.equal(0);
    expect(human.stdout).to.contain("2 batch(es)").and.contain("Rejected");
    expect(refused(badStatus, 1)).to.include({ field: "status" });
    expect(refused(zero, 1)).to.include({ field: "block-range" });
    expect(refused(future, 1)).to.include({ field: "from-block" });
  });

  it("period show / settle: refuses an early settlement (exit 2, decoded) and an unknown period (exit 1), settles once", async () => {
    const shown = ok(await cli(["--json", "period", "show", setup.agreementId, "0"]));
    expect(shown).to.include({
      settled: false,
      ready: false,
      start: new Date(Number(setup.validFrom) * 1000).toISOString(),
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
});
