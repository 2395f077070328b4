/**
 * The `roamledger` CLI, run as a user would: a real `hardhat node` in its own process (on a port the system picks), the
 * CLI in child processes (exit codes, stdout, stderr), one clearing month end to end. Every child process is killed in
 * `after`, even when a test failed (test/helpers/processes.ts).
 */
import { expect } from "chai";
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { encryptKeystoreJsonSync, JsonRpcProvider, keccak256, toUtf8Bytes, Wallet, ZeroHash } from "ethers";

import { CapacityKind, emptySlice, emptySpectrum, encodeLabel } from "../../sdk/src/capacity/terms";
import { writeCdrCsv, type CdrRecord } from "../../sdk/src/cdr";
import { computeTariffId, parseTariff } from "../../sdk/src/rating/tariff";
import { CapacityClient } from "../../sdk/src/clients/capacity";
import { ClearingClient } from "../../sdk/src/clients/clearing";
import { VaultClient } from "../../sdk/src/clients/vault";
import { COMMAND_MODULES } from "../../cli/src";
import { buildProgram } from "../../cli/src/program";
import { unitsToDecimal } from "../../sdk/src/rating/engine";
import { Service } from "../../sdk/src/rating/types";
import { Roles } from "../../sdk/src/governance";
import { hashAgreementOffer, type AgreementOffer } from "../../sdk/src/typedData/agreements";
import { batchIdOf, hashVoucher, type BatchHeader, type Voucher } from "../../sdk/src/typedData/clearing";
import { MockStablecoin__factory, RoamLedgerManager__factory, UsageClearing__factory } from "../../sdk/src/typechain";
import {
  cliBin,
  nodeWallet,
  ROOT,
  rpc,
  runCli,
  startHardhatNode,
  stopAllProcesses,
  tariffJson,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";
import { generateCdrs } from "../../sdk/src/testing";

const DAY = 86_400n;
const UNIT = 1_000_000n; // the test token has 6 decimals
const SECRET = keccak256(toUtf8Bytes("alpha-beta shared salt secret"));

describeUnlessCoverage("roamledger CLI (hardhat node in its own process)", function () {
  const deploymentId = `cli-test-${process.pid}`;
  const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
  const [deployer, alice, bob, aliceSigner, bobSigner, alicePayout, bobPayout] = [0, 1, 2, 3, 4, 5, 6].map(nodeWallet);
  /** Holds every role on a local node (deploy/parameters/localhost.json); the deployer holds none. */
  const consortium = nodeWallet(7);
  let node: NodeProcess;
  let dir: string;
  let bin: string[];
  let provider: JsonRpcProvider;
  let token: string;
  let agreementId: string;
  let validFrom: bigint;
  let firstBatch: { file: string; records: CdrRecord[]; phantom: number[]; duplicates: number[] };

  const env = () => ({
    ROAMLEDGER_RPC_URL: node.url,
    ROAMLEDGER_DEPLOYMENT: deploymentDir,
    ROAMLEDGER_JOURNAL_DIR: path.join(dir, "journal"),
  });
  const cli = (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliRun> =>
    runCli(bin, args, { ...env(), ...extra });
  const as = (wallet: { privateKey: string }) => ({ ROAMLEDGER_PRIVATE_KEY: wallet.privateKey });
  const ok = (run: CliRun) => {
    const result = run.json();
    expect(result.ok, `${run.stdout}\n${run.stderr}`).to.equal(true);
    expect(run.code).to.equal(0);
    return result;
  };
  const blockNumber = async () => BigInt(await rpc<string>(node.url, "eth_blockNumber"));
  /** The root of a day's file submitted above, as `usage submit` reports it on a re-run (nothing sent). */
  const rootOf = async (day: string) => {
    const args = ["--json", "usage", "submit", path.join(dir, `${day}.csv`), "--agreement", agreementId];
    const run = ok(await cli([...args, "--direction", "0"], { ...as(alice), ROAMLEDGER_SHARED_SECRET: SECRET }));
    expect(run.status).to.equal("already-submitted");
    return run.root as string;
  };
  const advance = async (seconds: bigint) => {
    await rpc(node.url, "evm_increaseTime", [Number(seconds)]);
    await rpc(node.url, "evm_mine");
  };
  const writeCsv = async (file: string, records: Iterable<CdrRecord>) =>
    pipeline(Readable.from(writeCdrCsv(records)), createWriteStream(file));
  const cdrs = (seed: string, count: number, day: bigint, inject = {}) =>
    generateCdrs({
      seed,
      count,
      subscribers: 40,
      imsiPrefix: "26201",
      periodStart: validFrom + day * DAY,
      periodEnd: validFrom + (day + 1n) * DAY,
      validFrom,
      services: [
        { service: Service.VoiceMO, weight: 4 },
        { service: Service.SmsMO, weight: 2 },
        { service: Service.Data, weight: 4 },
      ],
      inject,
    });

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), "roamledger-cli-"));
    bin = ["node", await cliBin(path.join(dir, "dist"))];
    node = await startHardhatNode();
    provider = new JsonRpcProvider(node.url, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    });
  });

  after(async () => {
    provider?.destroy();
    await stopAllProcesses(); // the node, and any CLI child a failed test left running
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    rmSync(deploymentDir, { recursive: true, force: true });
  });

  it("should print --help of every command and exit 0", async () => {
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
    for (let i = 0; i < paths.length; i += 6) {
      const runs = await Promise.all(paths.slice(i, i + 6).map((p) => cli([...p, "--help"])));
      runs.forEach((run, k) => {
        expect(run.code, paths[i + k].join(" ")).to.equal(0);
        expect(run.stdout).to.match(/^Usage: roamledger/);
        expect(run.stdout).to.contain("Exit codes:");
      });
    }
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

  it("should exit 3 when the RPC is unreachable or the chain has no deployment", async () => {
    const unreachable = await cli(["--json", "report"], { ROAMLEDGER_RPC_URL: "http://127.0.0.1:1" });
    expect(unreachable.code).to.equal(3);
    expect(unreachable.json().error).to.include({ kind: "connection" });
    const none = await cli(["report"], { ROAMLEDGER_DEPLOYMENT: path.join(dir, "nothing") });
    expect(none.code).to.equal(3);
    expect(none.stderr).to.contain("no deployment");
  });

  it("should refuse to deploy without every role holder, or with the deploying key as one (exit 1, nothing sent)", async () => {
    const height = await blockNumber();
    const missing = await cli(["--json", "deploy"], as(deployer));
    expect(missing.code, missing.stdout + missing.stderr).to.equal(1);
    const local = JSON.parse(readFileSync(path.join(ROOT, "deploy", "parameters", "localhost.json"), "utf8")) as {
      RoamLedger: Record<string, unknown>;
    };
    const withoutArbiter = path.join(dir, "no-arbiter.json");
    writeFileSync(withoutArbiter, JSON.stringify({ RoamLedger: { ...local.RoamLedger, arbiter: undefined } }));
    const noArbiter = await cli(["--json", "deploy", "--parameters", withoutArbiter], as(deployer));
    expect(noArbiter.code).to.equal(1);
    expect(noArbiter.json().error).to.include({ kind: "user", field: "parameters" });
    expect((noArbiter.json().error as { message: string }).message).to.contain("RoamLedger.arbiter");
    const deployerAsAdmin = path.join(dir, "deployer-admin.json");
    writeFileSync(deployerAsAdmin, JSON.stringify({ RoamLedger: { ...local.RoamLedger, admin: deployer.address } }));
    const renouncing = await cli(["--json", "deploy", "--parameters", deployerAsAdmin], as(deployer));
    expect(renouncing.code).to.equal(1);
    expect((renouncing.json().error as { message: string }).message).to.contain("admin is the deploying key");
    expect(await blockNumber()).to.equal(height);
  });

  it("should deploy the suite, and redeploy nothing on a second run", async () => {
    const args = [
      "--json",
      "deploy",
      "--parameters",
      "deploy/parameters/localhost.json",
      "--deployment-id",
      deploymentId,
    ];
    const first = ok(await cli(args, as(deployer)));
    expect(first.changed).to.equal(true);
    const height = await blockNumber();
    const second = ok(await cli(args, as(deployer)));
    expect(second.changed).to.equal(false);
    expect(second.addresses).to.deep.equal(first.addresses);
    expect(await blockNumber()).to.equal(height); // not one transaction

    // The deployer renounced ADMIN at the end of the deployment and holds no role.
    const manager = RoamLedgerManager__factory.connect((first.addresses as Record<string, string>).manager, provider);
    for (const role of Object.values(Roles)) {
      expect((await manager.hasRole(role, deployer.address))[0], `role ${role}`).to.equal(false);
      expect((await manager.hasRole(role, consortium.address))[0], `role ${role}`).to.equal(true);
    }

    // Setup outside the CLI's scope: a 6-decimal test token, allowed by the governor (delay 0 here), minted.
    const owner = deployer.connect(provider);
    const stable = await new MockStablecoin__factory(owner).deploy("USD Coin", "USDC", 6);
    token = await stable.getAddress();
    const governor = consortium.connect(provider);
    const vault = new VaultClient((first.addresses as Record<string, string>).vault, governor);
    await (await governor.sendTransaction(vault.build.allowToken(token, 7n * DAY))).wait();
    for (const who of [alice, bob]) await (await stable.mint(who.address, 1_000_000n * UNIT)).wait();
  });

  it("should register operators and show them; a second registration of a TADIG exits 2 with the decoded error", async () => {
    const alpha = ok(
      await cli(
        [
          "--json",
          "operator",
          "register",
          "--tadig",
          "DEUD1",
          "--admin",
          alice.address,
          "--payout",
          alicePayout.address,
          "--signer",
          aliceSigner.address,
          "--metadata",
          "ipfs://alpha",
        ],
        as(consortium),
      ),
    );
    expect(alpha.operatorId).to.equal("1");
    const beta = ok(
      await cli(
        [
          "--json",
          "operator",
          "register",
          "--tadig",
          "GBRCN",
          "--admin",
          bob.address,
          "--payout",
          bobPayout.address,
          "--signer",
          bobSigner.address,
        ],
        as(consortium),
      ),
    );
    expect(beta.operatorId).to.equal("2");
    const shown = ok(await cli(["--json", "operator", "show", "DEUD1"]));
    expect(shown.operator).to.include({ id: "1", admin: alice.address, status: "active" });
    const human = await cli(["operator", "show", "2"]);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.contain("operator #2 (active)").and.contain("GBRCN");

    const height = await blockNumber();
    const taken = await cli(
      [
        "--json",
        "operator",
        "register",
        "--tadig",
        "DEUD1",
        "--admin",
        nodeWallet(9).address,
        "--signer",
        nodeWallet(10).address,
      ],
      as(consortium),
    );
    expect(taken.code, taken.stdout + taken.stderr).to.equal(2);
    const error = taken.json().error as Record<string, unknown>;
    expect(error).to.include({ kind: "chain", name: "OperatorRegistry_TadigTaken" });
    expect(error.args).to.include({ ownerId: "1" });
    expect(await blockNumber()).to.equal(height);
    const bad = await cli(["operator", "register", "--tadig", "DE", "--admin", alice.address], as(consortium));
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain("tadigs[0]");
  });

  it("should manage signer keys with a keystore, and exit 1 without a key", async () => {
    const keystore = path.join(dir, "alice.json");
    writeFileSync(
      keystore,
      encryptKeystoreJsonSync({ address: alice.address, privateKey: alice.privateKey }, "pw", { scrypt: { N: 1024 } }),
    );
    const spare = Wallet.createRandom().address;
    const added = await cli(["operator", "keys", "add", "1", spare, "--keystore", keystore], {
      ROAMLEDGER_KEYSTORE_PASSWORD: "pw",
    });
    expect(added.code, added.stderr).to.equal(0);
    expect(added.stdout + added.stderr).to.not.contain(alice.privateKey.slice(2));
    ok(await cli(["--json", "operator", "keys", "revoke", "1", spare], as(alice)));
    const noKey = await cli(["--json", "operator", "keys", "add", "1", spare]);
    expect(noKey.code).to.equal(1);
    expect(noKey.json().error).to.include({ kind: "user", field: "key" });
  });

  it("should publish a tariff (once), sign an offer and accept it", async () => {
    const tariffFile = path.join(dir, "tariff.json");
    writeFileSync(tariffFile, JSON.stringify(tariffJson()));
    const published = ok(await cli(["--json", "tariff", "publish", tariffFile], as(deployer)));
    const tariffId = computeTariffId(parseTariff(tariffJson()));
    expect(published).to.include({ tariffId, status: "published" });
    expect(ok(await cli(["--json", "tariff", "publish", tariffFile], as(deployer))).status).to.equal(
      "already-published",
    );
    writeFileSync(
      path.join(dir, "float.json"),
      '{"plans":[{"service":0,"kind":0,"increment":60,"tiers":[{"start":0,"fixedPrice":0,"linearPrice":0.05}],"unbalancedTiers":[]}]}',
    );
    const float = await cli(["tariff", "publish", path.join(dir, "float.json")], as(deployer));
    expect(float.code).to.equal(1);
    expect(float.stderr).to.contain("floating point");

    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    validFrom = (now / DAY) * DAY + DAY;
    const terms = {
      proposer: 1,
      token,
      validFrom: String(validFrom),
      validUntil: String(validFrom + 360n * DAY),
      periodLength: 30 * 86_400,
      disputeWindow: 7 * 86_400,
      submissionGrace: 3 * 86_400,
      noticePeriod: 90 * 86_400,
      baseTariff: [tariffId, tariffId],
      discountTariff: [ZeroHash, ZeroHash],
      conditions: [
        { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
        { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
      ],
      documentCommitment: keccak256(toUtf8Bytes("alpha-beta roaming agreement")),
    };
    writeFileSync(path.join(dir, "terms.json"), JSON.stringify(terms));
    const offerFile = path.join(dir, "offer.json");
    const created = ok(
      await cli(
        ["--json", "offer", "create", path.join(dir, "terms.json"), "--counterparty", "2", "--out", offerFile],
        as(aliceSigner),
      ),
    );
    expect(created.signer).to.equal(aliceSigner.address);
    const accepted = ok(await cli(["--json", "offer", "accept", offerFile], as(bob)));
    agreementId = accepted.agreementId as string;
    expect(agreementId).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("should deposit exact decimal amounts in the vault", async () => {
    const deposit = ok(await cli(["--json", "vault", "deposit", "1", token, "1000.5", "--approve"], as(alice)));
    expect(deposit.amount).to.equal(String(1000n * UNIT + UNIT / 2n));
    ok(await cli(["--json", "vault", "deposit", "2", token, "100000", "--approve"], as(bob)));
    const balance = ok(await cli(["--json", "vault", "balance", "1", token]));
    expect(balance.balance).to.equal("1000500000");
    const tooPrecise = await cli(["vault", "deposit", "1", token, "0.0000001"], as(alice));
    expect(tooPrecise.code).to.equal(1);
    expect(tooPrecise.stderr).to.contain("amount");
    await advance(validFrom + 3n * DAY + 3600n - BigInt((await provider.getBlock("latest"))!.timestamp));
  });

  it("should refuse a CDR file with an invalid record: exit 1, line and field named, nothing sent", async () => {
    const records = [...cdrs("bad", 5, 0n)];
    const file = path.join(dir, "bad.csv");
    await writeCsv(file, records);
    const lines = readFileSync(file, "utf8").split("\n");
    const fields = lines[3].split(",");
    fields[4] = "-3"; // rawVolume of the record on line 4
    lines[3] = fields.join(",");
    writeFileSync(file, lines.join("\n"));
    const height = await blockNumber();
    const run = await cli(["usage", "submit", file, "--agreement", agreementId, "--direction", "0"], {
      ...as(alice),
      ROAMLEDGER_SHARED_SECRET: SECRET,
    });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain("line 4").and.contain("rawVolume");
    const json = await cli(["--json", "usage", "submit", file, "--agreement", agreementId, "--direction", "0"], {
      ...as(alice),
      ROAMLEDGER_SHARED_SECRET: SECRET,
    });
    expect(json.code).to.equal(1);
    expect(json.json().error).to.include({ kind: "user", name: "CdrFileError", field: "rawVolume" });
    expect(await blockNumber()).to.equal(height);
  });

  it("should refuse a CDR file with duplicate record ids unless --allow-duplicates: exit 1, the first duplicate and its lines named, nothing sent (dry run too)", async () => {
    const generated = cdrs("dups", 120, 0n, { duplicates: 3 });
    const records = [...generated];
    const file = path.join(dir, "dups.csv");
    await writeCsv(file, records);
    // The first duplicate in file order, and every record with its id (same reference, subscriber, service and time).
    const first = Math.min(...generated.truth.duplicates.map((d) => d.index));
    const same = (a: CdrRecord, b: CdrRecord) =>
      a.eventRef === b.eventRef && a.imsi === b.imsi && a.service === b.service && a.eventStart === b.eventStart;
    const indexes = records.flatMap((r, i) => (same(r, records[first]) ? [i] : []));
    expect(indexes.length).to.be.greaterThan(1);
    const lines = indexes.map((i) => i + 2); // CSV: the header is line 1
    const args = ["usage", "submit", file, "--agreement", agreementId, "--direction", "0"];
    const secret = { ...as(alice), ROAMLEDGER_SHARED_SECRET: SECRET };
    const height = await blockNumber();

    const human = await cli(args, secret);
    expect(human.code, human.stdout + human.stderr).to.equal(1);
    expect(human.stderr)
      .to.contain("3 duplicate record id(s)")
      .and.contain(`lines ${lines.join(", ")}`)
      .and.contain("--allow-duplicates");
    const json = await cli(["--json", ...args], secret);
    expect(json.code).to.equal(1);
    const error = json.json().error as { args: Record<string, unknown> } & Record<string, unknown>;
    expect(error).to.include({ kind: "user", name: "DuplicateRecordsError", field: "allow-duplicates" });
    expect(error.args).to.deep.include({ count: 3, indexes, lines });
    expect(error.args.recordId).to.match(/^0x[0-9a-f]{64}$/);
    expect(error.message).to.contain(error.args.recordId as string);

    // The dry run refuses it the same way; with --allow-duplicates it reports them.
    const dryRun = await cli(["--json", ...args, "--dry-run"], { ROAMLEDGER_SHARED_SECRET: SECRET });
    expect(dryRun.code).to.equal(1);
    expect(dryRun.json().error).to.deep.include({ name: "DuplicateRecordsError", args: error.args });
    const allowed = ok(
      await cli(["--json", ...args, "--dry-run", "--allow-duplicates"], { ROAMLEDGER_SHARED_SECRET: SECRET }),
    );
    expect(allowed).to.include({ status: "dry-run", duplicateRecordIds: 3 });
    expect(allowed.duplicates).to.deep.equal(error.args);
    const allowedHuman = await cli([...args, "--dry-run", "--allow-duplicates"], { ROAMLEDGER_SHARED_SECRET: SECRET });
    expect(allowedHuman.code, allowedHuman.stderr).to.equal(0);
    expect(allowedHuman.stdout).to.contain("dry run").and.contain("3 duplicate record id(s)");
    expect(await blockNumber()).to.equal(height);
  });

  it("should submit a CSV of CDRs as a batch, and report it as already submitted on a re-run", async () => {
    const generated = cdrs("day0", 300, 0n, { duplicates: 3, phantom: 2 });
    const records = [...generated];
    const file = path.join(dir, "day0.csv");
    await writeCsv(file, records);
    firstBatch = {
      file,
      records,
      phantom: [...generated.truth.phantom],
      duplicates: generated.truth.duplicates.map((d) => d.index),
    };
    const secret = { ...as(alice), ROAMLEDGER_SHARED_SECRET: SECRET };
    const args = [
      "--json",
      "usage",
      "submit",
      file,
      "--agreement",
      agreementId,
      "--direction",
      "0",
      "--file-uri",
      "ipfs://day0",
      "--allow-duplicates", // the home network proves them below
    ];
    const submitted = ok(await cli(args, secret));
    expect(submitted).to.include({ status: "submitted", sequence: "1", records: 300, duplicateRecordIds: 3 });
    expect((submitted.duplicates as { count: number }).count).to.equal(3);
    expect(BigInt(submitted.charge as string)).to.be.greaterThan(0n);
    const height = await blockNumber();
    const again = ok(await cli(args, secret));
    expect(again).to.include({ status: "already-submitted", batchId: submitted.batchId });
    expect(await blockNumber()).to.equal(height);
  });

  it("should draw a progress bar while ingesting a large file (dry run: nothing sent)", async () => {
    const file = path.join(dir, "large.csv");
    await writeCsv(file, cdrs("large", 4000, 1n));
    const height = await blockNumber();
    const run = await cli(
      ["usage", "submit", file, "--agreement", agreementId, "--direction", "0", "--progress", "--dry-run"],
      { ROAMLEDGER_SHARED_SECRET: SECRET },
    );
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.contain("ingesting").and.contain("100%");
    expect(run.stdout).to.contain("dry run").and.contain("4000 records");
    expect(await blockNumber()).to.equal(height);
  });

  it("should stream a file larger than --in-memory-max through the general path, to the same batch; no control codes off a terminal", async () => {
    const file = path.join(dir, "large.csv");
    const args = ["--json", "usage", "submit", file, "--agreement", agreementId, "--direction", "0", "--dry-run"];
    const secret = { ROAMLEDGER_SHARED_SECRET: SECRET };
    const whole = ok(await cli(args, secret));
    // the dry run rates the batch as the contract would now (the period's volumes so far: none on this lane yet)
    expect(BigInt(whole.charge as string)).to.be.greaterThan(0n);
    expect(whole.chargeDecimal).to.match(/^\d+(\.\d+)?$/);
    const streamed = await cli([...args, "--in-memory-max", "0"], secret);
    expect(streamed.json()).to.deep.equal(whole);
    const bad = await cli([...args, "--in-memory-max", "0.5"], secret);
    expect(bad.code).to.equal(1);
    expect(bad.json().error).to.include({ field: "in-memory-max" });
    // stderr is a pipe here: notes and the bar carry no terminal control codes
    const plain = await cli(args.slice(1).concat("--progress"), secret);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stderr + plain.stdout).to.not.include("\u001b[");
  });

  it("should resume after a crash right after sending: the re-run sends nothing and finds the batch", async () => {
    const file = path.join(dir, "day1.csv");
    await writeCsv(file, cdrs("day1", 200, 1n));
    const args = ["--json", "usage", "submit", file, "--agreement", agreementId, "--direction", "0"];
    const secret = { ...as(alice), ROAMLEDGER_SHARED_SECRET: SECRET };
    const crashed = await cli(args, { ...secret, ROAMLEDGER_CLI_CRASH: "after-send" });
    expect(crashed.signal).to.equal("SIGKILL");
    const journals = readdirSync(path.join(dir, "journal", "31337")).filter((f) => f.endsWith(".json"));
    const pending = journals
      .map((f) => JSON.parse(readFileSync(path.join(dir, "journal", "31337", f), "utf8")))
      .filter((e) => e.state === "sent");
    expect(pending).to.have.length(1);
    const height = await blockNumber();
    const resumed = ok(await cli(args, secret));
    expect(resumed.status).to.equal("already-submitted");
    expect(await blockNumber()).to.equal(height); // the second run sent nothing
    const clearing = UsageClearing__factory.connect((await readAddresses()).clearing, provider);
    expect(await clearing.isRootUsed(agreementId, 0, resumed.root as string)).to.equal(true);
    const stored = await clearing.queryFilter(clearing.filters.BatchSubmitted(resumed.batchId as string));
    expect(stored.map((e) => e.args.root)).to.deep.equal([resumed.root]);
    expect((await clearing.lane(agreementId, 0)).sequence).to.equal(2n);
  });

  it("should resume after a crash before broadcasting: the same signed transaction is sent, once", async () => {
    const file = path.join(dir, "day2.csv");
    await writeCsv(file, cdrs("day2", 100, 2n));
    const args = ["--json", "usage", "submit", file, "--agreement", agreementId, "--direction", "0"];
    const secret = { ...as(alice), ROAMLEDGER_SHARED_SECRET: SECRET };
    const height = await blockNumber();
    const crashed = await cli(args, { ...secret, ROAMLEDGER_CLI_CRASH: "before-send" });
    expect(crashed.signal).to.equal("SIGKILL");
    expect(await blockNumber()).to.equal(height);
    const resumed = ok(await cli(args, secret));
    expect(resumed.status).to.equal("already-submitted");
    expect(await blockNumber()).to.equal(height + 1n);
    const journal = JSON.parse(readFileSync(path.join(dir, "journal", "31337", `${resumed.root}.json`), "utf8"));
    expect(journal.state).to.equal("done");
    expect((await provider.getTransactionReceipt(journal.tx.hash))?.status).to.equal(1);
  });

  it("should reconcile the batch against the home records", async () => {
    const { args, secret } = await disputeArgs();
    const report = ok(await cli(["--json", "reconcile", ...args], secret));
    expect(report).to.include({ records: 300, matched: 295, missing: 0, fraud: 3, disputes: 2 });
    expect(report.fraudByKind).to.deep.equal({ Duplicate: 3 });
    const human = await cli(["reconcile", ...args], secret);
    expect(human.stdout).to.contain("matched 295").and.contain("provable fraud 3");
  });

  it("should prove and dispute, and after a crash between the proofs and the dispute call send only what is missing", async () => {
    const { args, secret } = await disputeArgs();
    const signed = { ...secret, ...as(bob) };
    const height = await blockNumber();
    const crashed = await cli(["--json", "dispute", ...args], { ...signed, ROAMLEDGER_CLI_CRASH: "after-proofs" });
    expect(crashed.signal, crashed.stdout + crashed.stderr).to.equal("SIGKILL");
    expect(await blockNumber()).to.equal(height + 3n); // the three fraud proofs, not the dispute call
    const clearing = new ClearingClient((await readAddresses()).clearing, provider);
    const batchId = ok(await cli(["--json", "reconcile", ...args], secret)).batchId as string;
    expect(await clearing.challengedOf(batchId, firstBatch.duplicates)).to.deep.equal(
      new Set(firstBatch.duplicates.map(BigInt)),
    );

    // The re-run reads the challenge marks: the proofs are on chain, only the dispute call is sent.
    const resumed = ok(await cli(["--json", "dispute", ...args], signed));
    expect(resumed).to.include({ status: "sent", proofsSent: 0, disputeCalls: 1, disputedRecordsSent: 2 });
    expect(resumed.skipped).to.deep.equal({ proofs: 3, disputedRecords: 0 });
    expect(await blockNumber()).to.equal(height + 4n);
    // Only the two disputed records count: a fraud proof removes its record from the batch, it does not dispute it.
    expect((resumed.batch as Record<string, string>).disputed).to.equal("2");
    expect((await clearing.operatorStats(1)).fraudProven).to.equal(3n);
  });

  it("should send nothing and exit 0 when a dispute is re-run with nothing missing, and say what it skipped", async () => {
    const { args, secret } = await disputeArgs();
    const height = await blockNumber();
    const again = ok(await cli(["--json", "dispute", ...args], { ...secret, ...as(bob) }));
    expect(again).to.include({ status: "already-done", proofsSent: 0, disputeCalls: 0 });
    expect(again.skipped).to.deep.equal({ proofs: 3, disputedRecords: 2 });
    expect(again.txHashes).to.deep.equal([]);
    expect((again.batch as Record<string, string>).disputed).to.equal("2");
    const human = await cli(["dispute", ...args], { ...secret, ...as(bob) });
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.contain("sent 0 fraud proof(s) and 0 dispute call(s)").and.contain("skipped 3 proof(s)");
    expect(await blockNumber()).to.equal(height);
  });

  it("should sign and redeem a voucher", async () => {
    const file = path.join(dir, "voucher.json");
    ok(
      await cli(
        [
          "--json",
          "voucher",
          "sign",
          "--agreement",
          agreementId,
          "--direction",
          "0",
          "--amount",
          "12.5",
          "--out",
          file,
        ],
        as(bobSigner),
      ),
    );
    const redeemed = ok(await cli(["--json", "voucher", "redeem", file], as(alice)));
    expect(redeemed).to.include({ redeemed: "12500000", charged: "12500000" });
  });

  it("should give the SDK the JSON it writes: a dry run's header, a signed offer and a voucher, read with JSON.parse", async () => {
    const dryRun = ok(
      await cli(
        [
          "--json",
          "usage",
          "submit",
          path.join(dir, "large.csv"),
          "--agreement",
          agreementId,
          "--direction",
          "0",
          "--dry-run",
        ],
        { ROAMLEDGER_SHARED_SECRET: SECRET },
      ),
    );
    const header = dryRun.header as BatchHeader;
    expect(header.direction).to.equal("0"); // integers as decimal strings
    expect(batchIdOf(header)).to.equal(dryRun.batchId);
    const { clearing } = await readAddresses();
    expect(new ClearingClient(clearing).build.submitBatch(header).data).to.match(/^0x/);

    const offerFile = JSON.parse(readFileSync(path.join(dir, "offer.json"), "utf8")) as {
      offer: AgreementOffer;
      offerHash: string;
    };
    expect(typeof offerFile.offer.terms.validFrom).to.equal("string");
    expect(hashAgreementOffer(offerFile.offer)).to.equal(offerFile.offerHash);

    const voucherFile = JSON.parse(readFileSync(path.join(dir, "voucher.json"), "utf8")) as {
      voucher: Voucher;
      signature: string;
    };
    expect(voucherFile.voucher.cumulativeAmount).to.equal("12500000");
    expect(hashVoucher(voucherFile.voucher)).to.match(/^0x[0-9a-f]{64}$/);
    expect(new ClearingClient(clearing).build.redeemVoucher(voucherFile.voucher, voucherFile.signature).data).to.match(
      /^0x/,
    );
  });

  it("should show a pending batch by its lane and root, accept it as the home network (once), and refuse a stranger", async () => {
    const root = await rootOf("day2");
    const lane = [agreementId, "0", root];
    const shown = ok(await cli(["--json", "batch", "show", ...lane]));
    expect(shown).to.include({ batchStatus: "Pending", direction: 0, sequence: "3", disputed: "0", held: "0" });
    expect(shown.chargeDecimal).to.equal(unitsToDecimal(BigInt(shown.charge as string), 6));
    expect(Date.parse(shown.finalAt as string)).to.be.greaterThan(0);
    const human = await cli(["batch", "show", ...lane]);
    expect(human.stdout).to.contain("Pending").and.contain(`charge ${shown.chargeDecimal}`);

    const height = await blockNumber();
    const stranger = await cli(["--json", "batch", "accept", ...lane], as(alice)); // the visited network
    expect(stranger.code, stranger.stderr).to.equal(2);
    expect(stranger.json().error).to.include({ kind: "chain" });
    expect(await blockNumber()).to.equal(height);

    const accepted = ok(await cli(["--json", "batch", "accept", ...lane], as(bob)));
    expect(accepted).to.include({ status: "sent", batchStatus: "Accepted", batchId: shown.batchId });
    expect(await blockNumber()).to.equal(height + 1n);
    const again = ok(await cli(["--json", "batch", "accept", ...lane], as(bob)));
    expect(again).to.include({ status: "already-done", batchStatus: "Accepted" });
    expect(await blockNumber()).to.equal(height + 1n);

    const unknown = await cli(["--json", "batch", "show", agreementId, "1", root]);
    expect(unknown.code).to.equal(1);
    expect(unknown.json().error).to.include({ field: "root" });
    const badDirection = await cli(["--json", "batch", "show", agreementId, "2", root]);
    expect(badDirection.code).to.equal(1);
    expect(badDirection.json().error).to.include({ field: "direction" });
  });

  it("should refuse to close a cycle early (exit 2, decoded), then close it", async () => {
    const early = await cli(["--json", "cycle", "close", token], as(bob));
    expect(early.code).to.equal(2);
    expect(early.json().error).to.include({ kind: "chain", name: "SettlementVault_CycleNotEnded" });
    await advance(8n * DAY);
    const closed = ok(await cli(["--json", "cycle", "close", token], as(bob)));
    expect(closed.closedCycle).to.equal("1");
  });

  it("should not pay twice when a withdrawal crashed after sending", async () => {
    const args = ["--json", "vault", "withdraw", "1", token, "1.25"];
    const height = await blockNumber();
    const crashed = await cli(args, { ...as(alice), ROAMLEDGER_CLI_CRASH: "after-send" });
    expect(crashed.signal).to.equal("SIGKILL");
    expect(await blockNumber()).to.equal(height + 1n);
    const resumed = ok(await cli(args, as(alice)));
    expect(resumed.status).to.equal("already-done");
    expect(await blockNumber()).to.equal(height + 1n);
    const again = ok(await cli(args, as(alice))); // a new, deliberate withdrawal
    expect(again.status).to.equal("done");
    expect(await blockNumber()).to.equal(height + 2n);
  });

  it("should list capacity for sale, show the open listings and buy from one", async () => {
    const { capacity: capacityAddress } = await readAddresses();
    const capacity = new CapacityClient(capacityAddress, alice.connect(provider));
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    const { classId } = await capacity.createClass({
      issuerId: 1n,
      kind: CapacityKind.Data,
      unit: encodeLabel("GB"),
      validFrom: now + DAY,
      validUntil: now + 31n * DAY,
      maxSupply: 1000n,
      region: encodeLabel("DEUD1", "region"),
      salt: ZeroHash,
      slice: emptySlice(),
      spectrum: emptySpectrum(),
    });
    await capacity.mint(classId, alice.address, 10n);
    const listed = ok(
      await cli(["--json", "market", "list", String(classId), token, "5", "10", "--approve"], as(alice)),
    );
    expect(listed).to.include({ listingId: "1", unitPrice: "5000000", quantity: "10" });
    const open = ok(await cli(["--json", "market", "listings"]));
    expect(open.listings).to.have.length(1);
    const bought = ok(await cli(["--json", "market", "buy", "1", "2"], as(bob)));
    expect(bought).to.include({ price: "10000000", payVia: "vault" });
    expect(
      (ok(await cli(["--json", "market", "listings"])).listings as Record<string, string>[])[0].remaining,
    ).to.equal("8");
  });

  it("should report operators, tokens, positions and batches by status", async () => {
    const report = ok(await cli(["--json", "report"]));
    expect(report.operators).to.have.length(2);
    expect((report.batches as { byStatus: Record<string, number> }).byStatus).to.include({ Pending: 2, Accepted: 1 });
    const human = await cli(["report"]);
    expect(human.code).to.equal(0);
    expect(human.stdout).to.contain("operators (2)").and.contain("batches (3)");
  });

  it("should finalize an accepted batch and one past its window (anyone, once), and process the payer's queue", async () => {
    // The home network (#2) takes out all it has free first, so that what the batches owe waits in its queue.
    const info = ok(await cli(["--json", "vault", "balance", "2", token]));
    ok(await cli(["--json", "vault", "withdraw", "2", token, unitsToDecimal(BigInt(info.free as string), 6)], as(bob)));
    for (const [day, queued] of [
      ["day2", "1"],
      ["day1", "2"],
    ]) {
      const lane = [agreementId, "0", await rootOf(day)];
      const height = await blockNumber();
      const done = ok(await cli(["--json", "batch", "finalize", ...lane], as(alice)));
      expect(done).to.include({ status: "sent", batchStatus: "Final" });
      expect(await blockNumber()).to.equal(height + 1n);
      for (const step of ["finalize", "accept"]) {
        const again = ok(await cli(["--json", "batch", step, ...lane], as(bob)));
        expect(again).to.include({ status: "already-done", batchStatus: "Final" });
      }
      expect(await blockNumber()).to.equal(height + 1n);
      expect(ok(await cli(["--json", "vault", "balance", "2", token])).queued).to.equal(queued);
    }
    const uncovered = ok(await cli(["--json", "vault", "process-queue", "2", token], as(alice)));
    expect(uncovered).to.include({ status: "sent", applied: "0", queued: "2" });
    ok(await cli(["--json", "vault", "deposit", "2", token, "100000", "--approve"], as(bob)));
    const one = ok(await cli(["--json", "vault", "process-queue", "2", token, "--max", "1"], as(alice)));
    expect(one).to.include({ status: "sent", applied: "1", queued: "1" });
    const rest = ok(await cli(["--json", "vault", "process-queue", "2", token], as(alice)));
    expect(rest).to.include({ status: "sent", applied: "1", queued: "0" });
    const height = await blockNumber();
    const again = ok(await cli(["--json", "vault", "process-queue", "2", token], as(alice)));
    expect(again).to.include({ status: "already-done", applied: "0", queued: "0" });
    expect(await blockNumber()).to.equal(height);
    const zero = await cli(["--json", "vault", "process-queue", "2", token, "--max", "0"], as(alice));
    expect(zero.code).to.equal(1);
    expect(zero.json().error).to.include({ field: "max" });
  });

  it("should run from the sources through ts-node too (as `npm run roamledger` does)", async () => {
    const run = await runCli(
      ["node", "-r", "./scripts/dev/register-sources.js", "-r", "ts-node/register/transpile-only", "cli/src/bin.ts"],
      ["--json", "operator", "show", "GBRCN"],
      env(),
    );
    expect(run.code, run.stderr).to.equal(0);
    expect((run.json().operator as Record<string, string>).id).to.equal("2");
  });

  /** The `reconcile`/`dispute` arguments of the first batch, its home records written once. */
  async function disputeArgs(): Promise<{ args: string[]; secret: Record<string, string> }> {
    const homeFile = path.join(dir, "home-day0.csv");
    if (!existsSync(homeFile)) {
      const skip = new Set([...firstBatch.phantom, ...firstBatch.duplicates]);
      await writeCsv(
        homeFile,
        firstBatch.records.filter((_r, i) => !skip.has(i)),
      );
    }
    return {
      args: [firstBatch.file, "--home", homeFile, "--agreement", agreementId, "--direction", "0"],
      secret: { ROAMLEDGER_SHARED_SECRET: SECRET },
    };
  }

  async function readAddresses(): Promise<Record<string, string>> {
    const record = JSON.parse(readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(existsSync(deploymentDir)).to.equal(true);
    return { clearing: record["RoamLedger#UsageClearing"], capacity: record["RoamLedger#CapacityToken"] };
  }
});
