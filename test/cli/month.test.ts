/**
 * The `roamledger` CLI against one real `hardhat node` (its own process, a port the system picks, killed in `after`),
 * the CLI in child processes (exit codes, stdout, stderr), time moved with `evm_increaseTime`. One node and one
 * deployment serve the whole file, in two parts:
 *
 * 1. The commands, one clearing flow: `deploy` (and its refusals), operators and their keys, the tariff, an offer
 *    signed and accepted; then the vault, CDR files refused and submitted (a crash after sending and one before), the
 *    progress bar and the streaming path, vouchers, the JSON the SDK reads, batch show/accept, cycle close, a withdrawal
 *    that crashed, the market, the report, finalize and the payer's queue, and the CLI run from its sources.
 * 2. A whole month of one agreement driven through the CLI alone (issue 15's acceptance test), from the chain as part 1
 *    left it when the agreement was made (`evm_snapshot` then, `evm_revert` here: deployed, both operators registered,
 *    the tariff published, the offer accepted, nothing else): the payer's vault deposit, three days of usage,
 *    reconcile, reject, return, dispute (killed between its proofs and its dispute call, then re-run, then re-run with
 *    nothing missing), resolution sign and resolve, accept, finalize (killed after broadcasting, and before), cycle
 *    close, period settle, the visited network's withdrawal; then the chain's state is checked exactly: each batch's
 *    status, both operators' vault balances and the token's conservation, the period settled. Each clearing command is
 *    also checked for a re-run that sends nothing (the block height does not move) and for a refusal: a decoded
 *    contract error (exit 2) or a user error naming the flag (exit 1).
 *
 * The help texts, `--version` and an unreachable RPC need no chain: test/cli/cli.test.ts.
 */
import { expect } from "chai";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
import { unitsToDecimal } from "../../sdk/src/rating/engine";
import { Service } from "../../sdk/src/rating/types";
import { Roles } from "../../sdk/src/governance";
import { generateCdrs } from "../../sdk/src/testing";
import { hashAgreementOffer, type AgreementOffer } from "../../sdk/src/typedData/agreements";
import {
  batchIdOf,
  clearingDomain,
  hashVoucher,
  signResolution,
  type BatchHeader,
  type Resolution,
  type Voucher,
} from "../../sdk/src/typedData/clearing";
import {
  MockStablecoin__factory,
  PeriodSettlement__factory,
  RoamLedgerManager__factory,
  SettlementVault__factory,
  UsageClearing__factory,
} from "../../sdk/src/typechain";
import {
  cliParties,
  cliSuite,
  keyOf,
  nodeWallet,
  revertTo,
  ROOT,
  rpc,
  runCli,
  snapshotOf,
  tariffJson,
  type AgreementSetup,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

const DAY = 86_400n;
const UNIT = 1_000_000n; // the test token has 6 decimals
const SECRET = keccak256(toUtf8Bytes("alpha-beta shared salt secret"));
/** The home network's (#2, the payer of direction 0) deposit in the month, in token units. */
const DEPOSIT = 100_000n * UNIT;

describeUnlessCoverage("roamledger CLI on one hardhat node (its own process)", function () {
  const suite = cliSuite("cli-month");
  /** Part 1's chain once its agreement was made (an `evm_snapshot`), where the month starts. */
  let agreed: { snapshot: string; setup: AgreementSetup } | undefined;

  describe("the commands, one clearing flow", function () {
    const { deploymentId, deploymentDir } = suite;
    const [deployer, alice, bob, aliceSigner, bobSigner, alicePayout, bobPayout] = [0, 1, 2, 3, 4, 5, 6].map(
      nodeWallet,
    );
    /** Holds every role on a local node (deploy/parameters/localhost.json); the deployer holds none. */
    const consortium = nodeWallet(7);
    let node: NodeProcess;
    let dir: string;
    let bin: string[];
    let provider: JsonRpcProvider;
    /** The deployment's addresses by the CLI's names (`clearing`, `settlement`...), as `deploy` reported them. */
    let addresses: Record<string, string>;
    let token: string;
    let agreementId: string;
    let validFrom: bigint;

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

    before(() => ({ node, dir, bin, provider } = suite));

    it("should exit 3 when the chain has no deployment", async () => {
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

    // That a second run redeploys nothing and sends nothing (same addresses, same height) is asserted by
    // test/cli/deployments.test.ts ("should report nothing deployed and nothing sent on a re-run").
    it("should deploy the suite, every role held by the consortium, none by the deployer", async () => {
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
      addresses = first.addresses as Record<string, string>;

      // The deployer renounced ADMIN at the end of the deployment and holds no role.
      const manager = RoamLedgerManager__factory.connect(addresses.manager, provider);
      for (const role of Object.values(Roles)) {
        expect((await manager.hasRole(role, deployer.address))[0], `role ${role}`).to.equal(false);
        expect((await manager.hasRole(role, consortium.address))[0], `role ${role}`).to.equal(true);
      }

      // Setup outside the CLI's scope: a 6-decimal test token, allowed by the governor (delay 0 here), minted.
      const owner = deployer.connect(provider);
      const stable = await new MockStablecoin__factory(owner).deploy("USD Coin", "USDC", 6);
      token = await stable.getAddress();
      const governor = consortium.connect(provider);
      const vault = new VaultClient(addresses.vault, governor);
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
        encryptKeystoreJsonSync({ address: alice.address, privateKey: alice.privateKey }, "pw", {
          scrypt: { N: 1024 },
        }),
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
      // The month below starts from this chain: deployed, two operators, the tariff, the agreement (nothing else).
      agreed = { snapshot: await snapshotOf(node.url), setup: { token, agreementId, validFrom, addresses } };
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
      const allowedHuman = await cli([...args, "--dry-run", "--allow-duplicates"], {
        ROAMLEDGER_SHARED_SECRET: SECRET,
      });
      expect(allowedHuman.code, allowedHuman.stderr).to.equal(0);
      expect(allowedHuman.stdout).to.contain("dry run").and.contain("3 duplicate record id(s)");
      expect(await blockNumber()).to.equal(height);
    });

    it("should submit a CSV of CDRs as a batch, and report it as already submitted on a re-run", async () => {
      const generated = cdrs("day0", 300, 0n, { duplicates: 3, phantom: 2 });
      const records = [...generated];
      const file = path.join(dir, "day0.csv");
      await writeCsv(file, records);
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

    // `reconcile` and `dispute` (a crash between the proofs and the dispute call, the re-run, a re-run with nothing
    // missing) are the month's, below: the same batch of duplicates and phantoms, the same exact counts.
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
      expect(
        new ClearingClient(clearing).build.redeemVoucher(voucherFile.voucher, voucherFile.signature).data,
      ).to.match(/^0x/);
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
      ok(
        await cli(["--json", "vault", "withdraw", "2", token, unitsToDecimal(BigInt(info.free as string), 6)], as(bob)),
      );
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

    async function readAddresses(): Promise<Record<string, string>> {
      const record = JSON.parse(readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8")) as Record<
        string,
        string
      >;
      expect(existsSync(deploymentDir)).to.equal(true);
      return { clearing: record["RoamLedger#UsageClearing"], capacity: record["RoamLedger#CapacityToken"] };
    }
  });

  describe("a whole month of one agreement, through the CLI alone", function () {
    const { deploymentDir } = suite;
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
      if (agreed === undefined) {
        throw new Error("the commands' flow above made no agreement: the month has no chain to start from");
      }
      ({ node, provider, bin } = suite);
      dir = path.join(suite.dir, "month"); // its own files and journal, beside the flow's
      mkdirSync(dir);
      // Back to the chain as it was when the agreement was made: the flow's batches, deposits and trades are gone.
      await revertTo(node.url, agreed.snapshot);
      setup = agreed.setup;
    });

    it("vault deposit, usage submit: the home network funds the vault, the visited network submits days 0 to 2", async () => {
      const deposited = ok(
        await cli(
          ["--json", "vault", "deposit", "2", setup.token, unitsToDecimal(DEPOSIT, 6), "--approve"],
          keyOf(bob),
        ),
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
      const human = await cli(["reconcile", ...day0Args(), "--direction", "0"]);
      expect(human.code, human.stderr).to.equal(0);
      expect(human.stdout)
        .to.contain(`matched ${day0.records.length - 5}`)
        .and.contain("provable fraud 3");
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
      expect(rejected).to.include({
        status: "sent",
        reasonCode: 102,
        reason: "TotalsMismatch",
        batchStatus: "Rejected",
      });
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

    it("dispute, re-run with nothing missing: sends nothing, exits 0 and says what it skipped", async () => {
      const args = ["dispute", ...day0Args(), "--direction", "0"];
      const start = await height();
      const again = ok(await cli(["--json", ...args], keyOf(bob)));
      expect(again).to.include({ status: "already-done", proofsSent: 0, disputeCalls: 0 });
      expect(again.skipped).to.deep.equal({ proofs: 3, disputedRecords: 2 });
      expect(again.txHashes).to.deep.equal([]);
      expect((again.batch as Record<string, string>).disputed).to.equal("2");
      const human = await cli(args, keyOf(bob));
      expect(human.code, human.stderr).to.equal(0);
      expect(human.stdout).to.contain("sent 0 fraud proof(s) and 0 dispute call(s)").and.contain("skipped 3 proof(s)");
      expect(await height()).to.equal(start);
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
        cli(
          ["--json", "batch", "resolution", "sign", ...lane, "--pay", unitsToDecimal(held + 1n, 6)],
          keyOf(bobSigner),
        ),
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
      const again = ok(
        await cli(["--json", "batch", "resolve", ...lane, "--signature-file", file], keyOf(aliceSigner)),
      );
      expect(again).to.include({
        status: "already-done",
        resolvedRound: "0",
        payAmount: String(pay),
        byArbiter: false,
      });
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
      const obligations = await vaultContract.queryFilter(
        vaultContract.filters.ObligationApplied(setup.token, 2, 1),
        0,
      );
      expect(obligations.map((e) => e.args.amount)).to.deep.equal([paid.resolution, paid.day2, paid.day0]);
      expect(payout).to.equal(withdrawn);
      expect(held).to.equal(home.balance + visited.balance);
      expect(DEPOSIT).to.equal(payout + held);

      const settlement = PeriodSettlement__factory.connect(setup.addresses.settlement, provider);
      expect(await settlement.isPeriodSettled(setup.agreementId, 0)).to.equal(true);
    });
  });
});
