/**
 * The agreement, tariff, capacity, market-bid and governance commands of the `roamledger` CLI, run as a user would
 * against one `hardhat node` (its own process) for the whole file. Each command: it does its work (checked on chain),
 * a re-run sends nothing (the block height does not move), and a refusal is decoded (exit 2) or a bad flag is named
 * (exit 1). The suite is deployed with a governor delay of one hour, passed with `evm_increaseTime`.
 */
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider } from "ethers";

import { AgreementsClient } from "../../sdk/src/clients/agreements";
import { computeTariffId, parseTariff } from "../../sdk/src/rating/tariff";
import { CapacityClient } from "../../sdk/src/clients/capacity";
import { MarketClient } from "../../sdk/src/clients/market";
import { RegistryClient } from "../../sdk/src/clients/registry";
import { VaultClient } from "../../sdk/src/clients/vault";
import type { SuiteAddresses } from "../../cli/src/context";
import { DEPLOYMENT_KEYS } from "../../cli/src/context";
import { MockStablecoin__factory } from "../../sdk/src/typechain";
import { hashAgreementTerms, type AgreementOffer } from "../../sdk/src/typedData/agreements";
import {
  advanceTime,
  agreementTermsJson,
  blockNumberOf,
  cliSuite,
  expectError,
  expectOk,
  localParameters,
  nodeWallet,
  runCli,
  tariffJson,
  type CliRun,
  type NodeProcess,
} from "./helpers";
import { describeUnlessCoverage } from "../helpers/gas";

const DAY = 86_400n;
const HOUR = 3_600n;
const UNIT = 1_000_000n; // the test token has 6 decimals
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

describeUnlessCoverage("roamledger CLI: agreements, capacity, bids and governance", function () {
  const suite = cliSuite("cli-ops-test");
  const { deploymentId, deploymentDir } = suite;
  const [deployer, alice, bob, aliceSigner, bobSigner] = [0, 1, 2, 3, 4].map(nodeWallet);
  const consortium = nodeWallet(7); // every role (deploy/parameters/localhost.json)
  const carol = nodeWallet(8);
  let node: NodeProcess;
  let dir: string;
  let bin: string[];
  let provider: JsonRpcProvider;
  let addresses: SuiteAddresses;
  let token: string;
  let tariffId: string;
  let agreementId: string;
  let classId: string;
  let classFrom: bigint;

  /** Runs the CLI as the holder of `key`, with `--json` unless `json: false`, with `env` added. */
  const cli = (
    args: string[],
    key?: { privateKey: string },
    { json = true, env = {} }: { json?: boolean; env?: Record<string, string> } = {},
  ): Promise<CliRun> =>
    runCli(bin, json ? ["--json", ...args] : args, {
      ROAMLEDGER_RPC_URL: node.url,
      ROAMLEDGER_DEPLOYMENT: deploymentDir,
      ROAMLEDGER_JOURNAL_DIR: path.join(dir, "journal"),
      ROAMLEDGER_PRIVATE_KEY: key?.privateKey,
      ...env,
    });
  const height = () => blockNumberOf(node.url);
  const now = async () => BigInt((await provider.getBlock("latest"))!.timestamp);
  /** Runs `args` again and checks it reports `already-done` without sending anything. */
  const rerunSendsNothing = async (args: string[], key?: { privateKey: string }) => {
    const before = await height();
    const again = expectOk(await cli(args, key));
    expect(again.status).to.equal("already-done");
    expect(await height()).to.equal(before);
    return again;
  };

  before(async function () {
    ({ node, dir, bin, provider } = suite); // a node, a directory and the CLI's bin, from cliSuite's `before`
    const parameters = localParameters(path.join(dir, "parameters.json"), { governorDelay: Number(HOUR) });
    expectOk(await cli(["deploy", "--parameters", parameters, "--deployment-id", deploymentId], deployer));
    const record = JSON.parse(readFileSync(path.join(deploymentDir, "deployed_addresses.json"), "utf8")) as Record<
      string,
      string
    >;
    addresses = Object.fromEntries(
      Object.entries(DEPLOYMENT_KEYS).map(([name, id]) => [name, record[id]]),
    ) as unknown as SuiteAddresses;

    // Setup outside the scope of these commands, through the SDK: a 6-decimal token, three operators, a tariff and
    // an agreement between operators 1 and 2.
    const stable = await new MockStablecoin__factory(deployer.connect(provider)).deploy("USD Coin", "USDC", 6);
    token = await stable.getAddress();
    for (const who of [alice, bob]) await (await stable.mint(who.address, 1_000_000n * UNIT)).wait();
    const registry = new RegistryClient(addresses.registry, consortium.connect(provider));
    for (const [tadig, admin, signer] of [
      ["DEUD1", alice, aliceSigner],
      ["GBRCN", bob, bobSigner],
      ["FRAF1", carol, nodeWallet(9)],
    ] as const) {
      await registry.register({
        tadigs: [tadig],
        admin: admin.address,
        payout: admin.address,
        signers: [signer.address],
        metadataURI: "",
      });
    }
    const agreements = new AgreementsClient(addresses.agreements, deployer.connect(provider));
    tariffId = (await agreements.publishTariff(parseTariff(tariffJson()))).tariffId;
    const validFrom = ((await now()) / DAY) * DAY + DAY;
    const offer: AgreementOffer = {
      terms: agreementTermsJson({ proposer: 1, token, validFrom, tariffId }) as never,
      counterparty: 2n,
      expiry: validFrom + DAY,
      nonce: 1n,
    };
    const signature = await agreements.signOffer(aliceSigner, offer);
    agreementId = (await agreements.connect(bob.connect(provider)).acceptOffer(offer, signature)).agreementId;
  });

  it("governance allow-token: schedules, refuses to execute early (exit 2, the time named), executes after the delay, once", async () => {
    const vault = new VaultClient(addresses.vault, provider);
    const args = ["governance", "allow-token", token, "--cycle", String(7n * DAY)];
    const [neither, scheduled] = await Promise.all([cli(args, consortium), cli([...args, "--schedule"], consortium)]);
    expect(expectError(neither, 1)).to.include({ field: "schedule" }); // neither step given
    const executableAt = (await now()) + HOUR;
    expect(expectOk(scheduled)).to.include({ status: "scheduled", executableAt: iso(executableAt), delay: "3600" });
    const operationId = scheduled.json().operationId;
    expect(operationId).to.match(/^0x[0-9a-f]{64}$/);

    const [, early] = await Promise.all([
      rerunSendsNothing([...args, "--schedule"], consortium),
      cli([...args, "--execute"], consortium),
    ]);
    expect(expectError(early, 2)).to.include({ kind: "chain", name: "AccessManagerNotReady" });
    expect(early.json().error).to.have.nested.include({ "args.operationId": operationId });
    expect(early.json().error).to.have.nested.include({ "args.executableAt": iso(executableAt) });
    expect((await vault.tokenConfig(token)).allowed).to.equal(false);

    await advanceTime(node.url, HOUR);
    expect(expectOk(await cli([...args, "--execute"], consortium)).status).to.equal("executed");
    expect(await vault.tokenConfig(token)).to.include({ allowed: true, cycleLength: 7n * DAY });
    await rerunSendsNothing([...args, "--execute"], consortium);
  });

  it("tariff show: the published plans, prices in the token's decimals; an unknown tariff names the argument (exit 1)", async () => {
    const unknown = computeTariffId(parseTariff(tariffJson(1n)));
    const [found, missing] = await Promise.all([
      cli(["tariff", "show", tariffId, "--token", token]),
      cli(["tariff", "show", unknown]),
    ]);
    const shown = expectOk(found);
    expect(shown).to.include({ tariffId, usableAsBase: true, decimals: 6 });
    const plans = shown.plans as { service: string; tiers: { linearPrice: string; linearPriceDecimal: string }[] }[];
    expect(plans.map((p) => p.service)).to.deep.equal(["0", "2", "4", "5"]);
    expect(plans[0].tiers[0]).to.include({ linearPrice: String(10n ** 18n / 20n), linearPriceDecimal: "50000000000" });
    expect(shown.publishedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(expectError(missing, 1)).to.include({ field: "tariffId" });
  });

  it("agreement show: parties as TADIG, dates in UTC, amounts in decimals; an unknown agreement is decoded (exit 2)", async () => {
    const [found, human, unknown, malformed] = await Promise.all([
      cli(["agreement", "show", agreementId]),
      cli(["agreement", "show", agreementId], undefined, { json: false }),
      cli(["agreement", "show", `0x${"ab".repeat(32)}`]),
      cli(["agreement", "show", "42"]),
    ]);
    const shown = expectOk(found);
    expect(shown.partyA).to.deep.equal({ operatorId: "1", tadigs: ["DEUD1"] });
    expect(shown.partyB).to.deep.equal({ operatorId: "2", tadigs: ["GBRCN"] });
    const info = await new AgreementsClient(addresses.agreements, provider).getAgreement(agreementId);
    expect(shown).to.include({
      status: "active",
      validFrom: iso(info.validFrom),
      validUntil: iso(info.validUntil),
      latestVersion: "0",
      decimals: 6,
      token,
    });
    const terms = shown.terms as { conditions: { commitmentDecimal: string }[]; validFromIso: string };
    expect(terms.conditions[0].commitmentDecimal).to.equal("0");
    expect(terms.validFromIso).to.equal(iso(info.validFrom));
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout)
      .to.contain("party A     #1 DEUD1")
      .and.contain(`valid       ${iso(info.validFrom)} to`);
    expect(expectError(unknown, 2)).to.include({ name: "RoamingAgreements_UnknownAgreement" });
    expect(expectError(malformed, 1)).to.include({ field: "agreementId" });
  });

  it("agreement amend: each party signs (once), anyone submits both signatures (once); a missing signature is named", async () => {
    const file = path.join(dir, "amendment.json");
    const sign = ["agreement", "amend", "sign", agreementId, "--file", file];
    const submit = ["agreement", "amend", "submit", file];
    const byA = expectOk(await cli([...sign, "--terms", `{"disputeWindow": ${5n * DAY}}`], aliceSigner));
    expect(byA).to.include({ status: "signed", party: "A", signedByA: true, signedByB: false, baseVersion: "0" });
    const before = await height();
    const [again, stranger, early] = await Promise.all([
      cli(sign, aliceSigner),
      cli(sign, carol), // no signer key of either party
      cli(submit, carol),
    ]);
    expect(expectOk(again).status).to.equal("already-done");
    expect(expectError(stranger, 1)).to.include({ field: "key" });
    expect(expectError(early, 1)).to.include({ field: "signatureB" });
    expect(expectOk(await cli(sign, bobSigner))).to.include({ party: "B", signedByA: true, signedByB: true });
    expect(await height()).to.equal(before); // signing sends nothing

    const done = expectOk(await cli(submit, carol)); // anyone may submit
    expect(done).to.include({ status: "done", version: "1", effectiveFrom: byA.effectiveFrom });
    const agreements = new AgreementsClient(addresses.agreements, provider);
    expect((await agreements.getAgreement(agreementId)).latestVersion).to.equal(1n);
    const newTerms = await agreements.getTerms(agreementId, 1n);
    expect(newTerms.disputeWindow).to.equal(5n * DAY);
    expect(await agreements.termsHash(agreementId, 1n)).to.equal(hashAgreementTerms(newTerms));
    await rerunSendsNothing(submit, carol);
  });

  it("agreement terminate: a stranger is refused (exit 2, decoded); a party gives notice to a period boundary, once", async () => {
    const args = ["agreement", "terminate", agreementId];
    expect(expectError(await cli(args, carol), 2)).to.include({ name: "RoamingAgreements_NotPartyAdmin" });
    const done = expectOk(await cli(args, bob));
    const info = await new AgreementsClient(addresses.agreements, provider).getAgreement(agreementId);
    expect(info.status).to.equal("terminated");
    expect(done).to.include({ status: "done", endAt: iso(info.validUntil) });
    expect((info.validUntil - info.validFrom) % info.periodLength).to.equal(0n);
    expect(info.validUntil).to.be.greaterThanOrEqual((await now()) + 90n * DAY);
    await rerunSendsNothing(args, alice);
  });

  it("capacity class create: the class of the terms, found again on a re-run; a bad field is named, a stranger decoded", async () => {
    classFrom = (await now()) - DAY;
    const terms = {
      kind: "Slice",
      unit: "slice-hour",
      region: "DEUD1",
      validFrom: iso(classFrom),
      validUntil: iso(classFrom + 31n * DAY),
      maxSupply: 100,
      slice: {
        snssai: 1,
        throughputKbps: 100_000,
        latencyMs: 20,
        availabilityBp: 9990,
        creditToken: token,
        creditPerUnitHour: "1000",
      },
    };
    const termsFile = path.join(dir, "class.json");
    writeFileSync(termsFile, JSON.stringify(terms));
    const args = ["capacity", "class", "create", "--terms", termsFile];
    const created = expectOk(await cli(args, alice));
    classId = created.classId as string;
    expect(created).to.include({ status: "done", issuerId: "1", validFrom: iso(classFrom) });
    const info = await new CapacityClient(addresses.capacity, provider).classInfo(classId);
    expect(info).to.include({ issuerId: 1n, kind: 3, maxSupply: 100n, minted: 0n });

    const tooLong = JSON.stringify({ ...terms, unit: "x".repeat(32) });
    const foreign = JSON.stringify({ ...terms, issuerId: 1, salt: "other" });
    const [, bad, stranger] = await Promise.all([
      rerunSendsNothing(args, alice),
      cli(["capacity", "class", "create", "--terms", tooLong], alice),
      cli(["capacity", "class", "create", "--terms", foreign], bob),
    ]);
    expect(expectError(bad, 1)).to.include({ field: "terms.unit" });
    expect(expectError(stranger, 2)).to.include({ name: "CapacityToken_NotIssuer" });
  });

  it("capacity mint: mints once per --ref (journaled); a holder that is not the issuer is decoded (exit 2)", async () => {
    const capacity = new CapacityClient(addresses.capacity, provider);
    const args = ["capacity", "mint", classId, "10"];
    expect(expectOk(await cli(args, alice))).to.include({ status: "done", balance: "10" });
    const [, stranger, zero] = await Promise.all([
      rerunSendsNothing(args, alice),
      cli(args, bob),
      cli(["capacity", "mint", classId, "0"], alice),
    ]);
    expect(expectError(stranger, 2)).to.include({ name: "CapacityToken_NotIssuer" });
    expect(expectError(zero, 1)).to.include({ field: "units" });
    expect(await capacity.balanceOf(alice.address, classId)).to.equal(10n);
    expect(expectOk(await cli([...args, "--ref", "second"], alice))).to.include({ status: "done", balance: "20" });
  });

  it("market bid: places a bid once (journaled); a price finer than the token's decimals names the argument", async () => {
    await new VaultClient(addresses.vault, bob.connect(provider)).deposit(2n, token, 1000n * UNIT, {
      approve: "exact",
    });
    const args = ["market", "bid", classId, token, "2.5", "3"];
    const placed = expectOk(await cli(args, bob));
    expect(placed).to.include({ status: "done", bidId: "1", unitPrice: "2500000", remaining: "3" });
    const bid = await new MarketClient(addresses.market, provider).getBid(1n);
    expect(bid).to.include({ classId: BigInt(classId), remaining: 3n, unitPrice: 2_500_000n });
    const [again, tooFine] = await Promise.all([
      rerunSendsNothing(args, bob),
      cli(["market", "bid", classId, token, "0.0000001", "3"], bob),
    ]);
    expect(again.bidId).to.equal("1");
    expect(expectError(tooFine, 1)).to.include({ field: "unitPrice" });
  });

  it("market fill: after a crash right after sending, the re-run sends nothing; filling one's own bid is decoded", async () => {
    const capacity = new CapacityClient(addresses.capacity, provider);
    const args = ["market", "fill", "1", "2", "--approve"];
    const before = await height();
    const crashed = await cli(args, alice, { env: { ROAMLEDGER_CLI_CRASH: "after-send" } });
    expect(crashed.signal).to.equal("SIGKILL");
    expect(await height()).to.equal(before + 2n); // the approval, then the fill
    const [resumed, own] = await Promise.all([rerunSendsNothing(args, alice), cli(["market", "fill", "1", "1"], bob)]);
    expect(resumed).to.include({ bidId: "1", quantity: "2", remaining: "1", price: "5000000" });
    expect(expectError(own, 2)).to.include({ name: "CapacityMarket_SelfTrade" });
    expect(await capacity.balanceOf(bob.address, classId)).to.equal(2n);
    expect(await capacity.balanceOf(alice.address, classId)).to.equal(18n);
  });

  it("capacity redeem: burns once per --ref (journaled); more than held is decoded (exit 2)", async () => {
    const capacity = new CapacityClient(addresses.capacity, provider);
    const args = ["capacity", "redeem", classId, "1", "--provisioning-ref", "order 7"];
    expect(expectOk(await cli(args, bob))).to.include({ status: "done", balance: "1" });
    const [, tooMany] = await Promise.all([
      rerunSendsNothing(args, bob),
      cli(["capacity", "redeem", classId, "5"], bob),
    ]);
    expect(expectError(tooMany, 2)).to.include({ name: "ERC1155InsufficientBalance" });
    expect(await capacity.balanceOf(bob.address, classId)).to.equal(1n);
  });

  it("capacity sla-breach: records the breach crediting today's holders, once; an empty window names --to", async () => {
    const capacity = new CapacityClient(addresses.capacity, provider);
    const args = ["capacity", "sla-breach", classId, "--from", iso(classFrom), "--to", iso(classFrom + HOUR)];
    const recorded = expectOk(await cli([...args, "--evidence", "probe report 12"], alice));
    expect(recorded).to.include({ status: "done", creditable: "1" }); // bob's unit; alice is the issuer
    expect(recorded.credits).to.deep.equal([{ holderId: "2", units: "1", credit: "1000", remaining: "0" }]);
    expect(await capacity.slaBreach(recorded.breachId as string)).to.deep.equal({ recorded: true, remaining: 0n });
    const empty = ["capacity", "sla-breach", classId, "--from", iso(classFrom + HOUR), "--to", iso(classFrom + HOUR)];
    const [, refused] = await Promise.all([rerunSendsNothing(args, alice), cli(empty, alice)]);
    expect(expectError(refused, 1)).to.include({ field: "to" });
  });

  it("governance suspend and reinstate: the pauser acts at once (--schedule named), the governor waits its delay", async () => {
    const registry = new RegistryClient(addresses.registry, provider);
    const suspend = ["governance", "suspend", "3", "--reason", "unpaid fees"];
    const reinstate = ["governance", "reinstate", "3", "--reason", "fees paid"];
    const [scheduling, malformed, stranger] = await Promise.all([
      cli([...suspend, "--schedule"], consortium),
      cli(["governance", "suspend", "x", "--execute"], consortium),
      cli([...suspend, "--schedule"], carol), // no role
    ]);
    expect(expectError(scheduling, 1)).to.include({ field: "schedule" }); // the pauser has no delay
    expect(expectError(malformed, 1)).to.include({ field: "operatorId" });
    expect(expectError(stranger, 2)).to.include({ name: "AccessManagerUnauthorizedCall" });
    expect(expectOk(await cli([...suspend, "--execute"], consortium)).status).to.equal("executed");
    expect((await registry.getOperator(3n)).status).to.equal("suspended");

    await rerunSendsNothing([...suspend, "--execute"], consortium);
    const scheduled = await cli([...reinstate, "--schedule"], consortium);
    const executableAt = (await now()) + HOUR;
    expect(expectOk(scheduled).executableAt).to.equal(iso(executableAt));
    const early = expectError(await cli([...reinstate, "--execute"], consortium), 2);
    expect(early).to.include({ name: "AccessManagerNotReady" });
    expect(early.message).to.contain(iso(executableAt));
    await advanceTime(node.url, HOUR);
    expect(expectOk(await cli([...reinstate, "--execute"], consortium)).status).to.equal("executed");
    expect((await registry.getOperator(3n)).status).to.equal("active");
    await rerunSendsNothing([...reinstate, "--execute"], consortium);
  });
});
