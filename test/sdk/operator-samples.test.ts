/**
 * The operator samples of the user guide (`examples/operator/`), loaded as the CLI loads them: the tariff and the terms
 * through the CLI's exact JSON reader and the validation `tariff publish` and `offer create` run, the CDR files through
 * the CLI's CDR file reader with the options `usage submit` and `reconcile` give it. Then the CDRs are rated under the
 * tariff and the charge is compared with the one `docs/USER_GUIDE.md` states, read from the guide's text, so the guide
 * and the samples cannot drift apart.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getCreateAddress, HDNodeWallet, Mnemonic, ZeroHash } from "ethers";

import {
  computeTariffId,
  decimalToUnits,
  firstDuplicateRecordId,
  hashAgreementOffer,
  isBaseTariff,
  normalizeTerms,
  prepareBatch,
  rate,
  reconcileBatches,
  unitsToDecimal,
  validateTariff,
  parseTariff,
  tariffToJson,
  type Tariff,
  type AgreementTerms,
} from "../../sdk/src";
// The CLI's own readers (the @roamledger/cli package).
import { readCdrBatchFile, readCdrFile } from "../../cli/src/cdrfile";
import { Context } from "../../cli/src/context";
import { readJsonFile } from "../../cli/src/json";
import { Output } from "../../cli/src/output";
import { DEFAULT_RPC } from "../../cli/src/program";

const ROOT = path.join(__dirname, "..", "..");
const SAMPLES = path.join(ROOT, "examples", "operator");
const GUIDE = path.join(ROOT, "docs", "USER_GUIDE.md");
/** The sample token's decimals (the 6-decimal test stablecoin of `local-token.ts`). */
const DECIMALS = 6;
/** Any agreement id and shared secret: they change pseudonyms and record ids, never volumes or charges. */
const AGREEMENT_ID = `0x${"12".repeat(32)}`;
const SECRET = `0x${"aa".repeat(32)}`;

/** A CLI context that writes nothing (no terminal: no progress bar). */
function quietContext(): Context {
  const sink = { write: () => true };
  const io = { stdout: sink, stderr: sink, env: {} };
  return new Context({ rpc: DEFAULT_RPC, json: true, quiet: true }, new Output(io, true, true), {});
}

function loadTariff(): Tariff {
  return parseTariff(readJsonFile(path.join(SAMPLES, "tariff.json"), "tariff"));
}

function loadTerms(): AgreementTerms {
  return readJsonFile(path.join(SAMPLES, "terms.json"), "terms") as AgreementTerms;
}

/** The ingestion options `usage submit` builds from the agreement's terms and base tariff. */
function ingestOptions() {
  const terms = normalizeTerms(loadTerms());
  return {
    agreementId: AGREEMENT_ID,
    direction: 0 as const,
    sharedSecret: SECRET,
    validFrom: terms.validFrom,
    validUntil: terms.validUntil,
    periodLength: terms.periodLength,
    tariff: loadTariff(),
  };
}

/** The guide's statement of the sample's figures: `**Charge: <decimal> USDC** (<units> base units)`, and taxes. */
function guideFigures(): { charge: string; chargeUnits: bigint; taxes: string; taxUnits: bigint } {
  const text = readFileSync(GUIDE, "utf8");
  const charge = /\*\*Charge: ([0-9]+\.[0-9]+) USDC\*\* \(([0-9]+) base units\)/.exec(text);
  const taxes = /\*\*Taxes: ([0-9]+\.[0-9]+) USDC\*\* \(([0-9]+) base units\)/.exec(text);
  expect(charge, "docs/USER_GUIDE.md states **Charge: <decimal> USDC** (<n> base units)").to.not.equal(null);
  expect(taxes, "docs/USER_GUIDE.md states **Taxes: <decimal> USDC** (<n> base units)").to.not.equal(null);
  return {
    charge: charge![1],
    chargeUnits: BigInt(charge![2]),
    taxes: taxes![1],
    taxUnits: BigInt(taxes![2]),
  };
}

describe("operator samples (examples/operator, docs/USER_GUIDE.md)", function () {
  describe("tariff.json", function () {
    it("should be read exactly and pass the checks of `tariff publish` and of the rating engine", function () {
      const json: unknown = readJsonFile(path.join(SAMPLES, "tariff.json"), "tariff");
      const tariff = parseTariff(json);
      // The documented file format round-trips: parse -> tariffToJson -> parse gives the same tariff and id.
      expect(parseTariff(JSON.parse(JSON.stringify(tariffToJson(tariff))))).to.deep.equal(tariff);
      expect(computeTariffId(parseTariff(tariffToJson(tariff)))).to.equal(computeTariffId(tariff));
      expect(isBaseTariff(tariff)).to.equal(true);
      expect(() => validateTariff(tariff)).to.not.throw();
      // Prices above 2^53 are written as strings and read as exact bigints.
      expect(tariff.plans[0].tiers[0].linearPrice).to.equal(120_000_000_000_000_000n);
    });
  });

  describe("terms.json", function () {
    it("should name the sample tariff as base tariff of both directions and no discount tariff", function () {
      const terms = normalizeTerms(loadTerms());
      const tariffId = computeTariffId(loadTariff());
      expect(terms.baseTariff).to.deep.equal([tariffId, tariffId]);
      expect(terms.discountTariff).to.deep.equal([ZeroHash, ZeroHash]);
    });

    it("should hold sane terms, signable as an offer", function () {
      const terms = normalizeTerms(loadTerms());
      expect(terms.proposer).to.equal(1n);
      expect(terms.validFrom < terms.validUntil).to.equal(true);
      expect(terms.periodLength > 0n && terms.disputeWindow > 0n).to.equal(true);
      for (const condition of terms.conditions) expect(condition.kind).to.equal(0n); // Unconditional
      expect(() => hashAgreementOffer({ terms: loadTerms(), counterparty: 2, expiry: 1, nonce: 1 })).to.not.throw();
    });

    it("should name the token local-token.ts deploys (the first contract of the node's account #9)", function () {
      const mnemonic = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
      const account9 = HDNodeWallet.fromMnemonic(mnemonic, "m/44'/60'/0'/0/9").address;
      expect(normalizeTerms(loadTerms()).token).to.equal(getCreateAddress({ from: account9, nonce: 0 }));
      expect(readFileSync(path.join(SAMPLES, "local-token.ts"), "utf8")).to.contain(normalizeTerms(loadTerms()).token);
    });
  });

  describe("cdrs.csv", function () {
    it("should be valid (fast path and streaming reader alike) with unique record ids", async function () {
      const ctx = quietContext();
      const file = path.join(SAMPLES, "cdrs.csv");
      const batch = (await readCdrBatchFile(ctx, file, ingestOptions())).result;
      expect(batch.ok).to.equal(true);
      expect(batch.stats.records).to.equal(10);
      expect(batch.stats.uncoveredService).to.equal(0);
      expect(batch.stats.periods).to.deep.equal([0n]);
      expect(firstDuplicateRecordId(batch.leaves)).to.equal(undefined);
      const streamed = (await readCdrFile(ctx, file, ingestOptions())).result;
      expect(streamed.totals).to.deep.equal(batch.totals);
    });

    it("should rate under tariff.json to the charge and taxes the guide states", async function () {
      const batch = (await readCdrBatchFile(quietContext(), path.join(SAMPLES, "cdrs.csv"), ingestOptions())).result;
      const tariff = loadTariff();
      // The first batch of a period is charged Σ_s R_s(V_s): each service's plan on its summed charged volume.
      let charge = 0n;
      batch.totals.services.forEach((service, i) => {
        const plan = tariff.plans.find((p) => p.service === service);
        expect(plan, `a plan for service ${service}`).to.not.equal(undefined);
        charge += rate(plan!, batch.totals.volumes[i], 0n, DECIMALS);
      });
      const taxes = batch.totals.taxes.reduce((sum, tax) => sum + tax, 0n);

      const guide = guideFigures();
      expect(decimalToUnits(guide.charge, DECIMALS)).to.equal(charge);
      expect(guide.chargeUnits).to.equal(charge);
      expect(unitsToDecimal(charge, DECIMALS)).to.equal(guide.charge);
      expect(decimalToUnits(guide.taxes, DECIMALS)).to.equal(taxes);
      expect(guide.taxUnits).to.equal(taxes);
    });

    it("should be refused as holding a duplicate once a row is copied (same IMSI, service, start and eventRef)", async function () {
      const dir = mkdtempSync(path.join(tmpdir(), "operator-samples-"));
      try {
        const lines = readFileSync(path.join(SAMPLES, "cdrs.csv"), "utf8").trimEnd().split("\n");
        const copy = path.join(dir, "copy.csv");
        writeFileSync(copy, [...lines, lines[1]].join("\n") + "\n");
        const copied = (await readCdrBatchFile(quietContext(), copy, ingestOptions())).result;
        expect(copied.ok).to.equal(true); // valid, but usage submit refuses it without --allow-duplicates
        expect(copied.stats.duplicateRecordIds).to.equal(1);
        expect(firstDuplicateRecordId(copied.leaves)?.indexes).to.deep.equal([0, 10]);

        const renamed = path.join(dir, "renamed.csv");
        writeFileSync(renamed, [...lines, lines[1].replace("DEUD1-0001", "DEUD1-0011")].join("\n") + "\n");
        const other = (await readCdrBatchFile(quietContext(), renamed, ingestOptions())).result;
        expect(firstDuplicateRecordId(other.leaves)).to.equal(undefined);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("home-cdrs.csv", function () {
    it("should reconcile against cdrs.csv as the guide says: 9 matched, 1 mismatched and disputed", async function () {
      const ctx = quietContext();
      const options = ingestOptions();
      const visited = (await readCdrFile(ctx, path.join(SAMPLES, "cdrs.csv"), options)).result;
      const home = (await readCdrFile(ctx, path.join(SAMPLES, "home-cdrs.csv"), options)).result;
      const prepared = prepareBatch(visited, {
        agreementId: AGREEMENT_ID,
        direction: 0,
        sequence: 1n,
        periodStart: visited.stats.firstEventStart!,
        periodEnd: visited.stats.lastEventStart! + 1n,
        baseTariff: computeTariffId(loadTariff()),
        fileHash: ZeroHash,
      });
      const report = reconcileBatches({
        home: { subscribers: new Set(home.records.map((r) => r.subscriberHash)), records: home.leaves },
        batches: [
          {
            batchId: ZeroHash,
            sequence: 1n,
            periodStart: prepared.header.periodStart as bigint,
            periodEnd: prepared.header.periodEnd as bigint,
            leaves: prepared.leaves,
            tree: prepared.tree,
            final: false,
          },
        ],
        increments: new Map(loadTariff().plans.map((p) => [p.service, p.increment])),
        validity: { from: options.validFrom, until: options.validUntil },
      });
      expect(report.matched.length).to.equal(9);
      expect(report.mismatched.length).to.equal(1);
      expect(report.extra.length + report.missing.length + report.fraud.length).to.equal(0);
      expect(report.disputes.length).to.equal(1);
      expect(visited.records[report.disputes[0].position].eventRef).to.equal("DEUD1-0007");
    });
  });
});
