import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { getAddress, isAddress } from "ethers";

/**
 * The parameter files of deploy/parameters/ (one per network; `*.example.json` are templates to copy and fill) are read
 * by Ignition only when a deployment runs, so a typo would surface on a real network. This checks them against the
 * module's own parameters: only known names, addresses that are addresses, durations that are whole seconds.
 */
const DIR = path.join(__dirname, "..", "..", "deploy", "parameters");
const MODULE = path.join(__dirname, "..", "..", "deploy", "modules", "RoamLedger.ts");
const ADDRESSES = new Set(["admin", "governor", "registrar", "pauser", "arbiter"]);
const SECONDS = new Set(["governorDelay", "targetAdminDelay", "escalationTimeout"]);

describe("Deployment parameter files (deploy/parameters/*.json)", () => {
  const declared = [...readFileSync(MODULE, "utf8").matchAll(/m\.getParameter\("(\w+)"/g)].map((m) => m[1]);
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

  it("should find the module's parameters and at least the local, testnet and consortium files", () => {
    expect(declared).to.include.members([...ADDRESSES, ...SECONDS, "capacityBaseURI"]);
    expect(files).to.include.members(["localhost.json", "testnet.example.json", "consortium.example.json"]);
  });

  for (const file of files) {
    it(`should give ${file} only known parameters, of the right kinds`, () => {
      const json = JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Record<string, Record<string, unknown>>;
      expect(Object.keys(json)).to.deep.equal(["RoamLedger"]);
      for (const [name, value] of Object.entries(json.RoamLedger)) {
        expect(declared, `${file}: unknown parameter ${name}`).to.include(name);
        if (ADDRESSES.has(name)) {
          expect(isAddress(value), `${file}: ${name}`).to.equal(true);
          expect(getAddress(value as string), `${file}: ${name} is the zero address`).to.not.equal(
            "0x0000000000000000000000000000000000000000",
          );
        }
        if (SECONDS.has(name))
          expect(Number.isSafeInteger(value) && (value as number) >= 0, `${file}: ${name}`).to.equal(true);
        if (name === "capacityBaseURI") expect(value as string, file).to.contain("{id}");
      }
    });
  }
});
