import { expect } from "chai";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress } from "ethers";

import RoamLedgerModule from "../../deploy/modules/RoamLedger";
import {
  COMMITTED_DEPLOYMENTS,
  deploymentFor,
  deploymentIdOf,
  toDeploymentId,
  InvalidArgumentError,
  knownDeployments,
  parseIgnitionAddresses,
  registerDeployment,
  unregisterDeployment,
  type RoamLedgerDeployment,
} from "../../sdk/src";
import { DEPLOYMENT_CONTRACTS, IGNITION_FUTURE_IDS } from "../../sdk/src/deployments";
import { deploymentDirPath, deploymentFilePath, loadDeployment, readDeploymentFile } from "../../sdk/src/node";

/** A deterministic lower-case address per contract. */
const lower = (n: number) => `0x${n.toString(16).padStart(2, "0").repeat(20)}`;

/** Ignition's deployed_addresses.json of a complete deployment (plus a key of another module, ignored). */
const SAMPLE: Record<string, string> = {
  "RoamLedger#RoamLedgerManager": lower(0x11),
  "RoamLedger#OperatorRegistry": lower(0x12),
  "RoamLedger#RoamingAgreements": lower(0x13),
  "RoamLedger#SettlementVault": lower(0x14),
  "RoamLedger#UsageClearing": lower(0x15),
  "RoamLedger#PeriodSettlement": lower(0x16),
  "RoamLedger#CapacityToken": lower(0x17),
  "RoamLedger#CapacityMarket": lower(0x18),
  "Tokens#MockStablecoin": lower(0x19),
};

const EXPECTED: RoamLedgerDeployment = {
  chainId: 31337,
  manager: getAddress(lower(0x11)) as `0x${string}`,
  registry: getAddress(lower(0x12)) as `0x${string}`,
  agreements: getAddress(lower(0x13)) as `0x${string}`,
  vault: getAddress(lower(0x14)) as `0x${string}`,
  clearing: getAddress(lower(0x15)) as `0x${string}`,
  settlement: getAddress(lower(0x16)) as `0x${string}`,
  capacity: getAddress(lower(0x17)) as `0x${string}`,
  market: getAddress(lower(0x18)) as `0x${string}`,
};

function expectInvalid(fn: () => unknown, field: string, message?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).to.be.instanceOf(InvalidArgumentError);
  expect((thrown as InvalidArgumentError).field).to.equal(field);
  if (message !== undefined) expect((thrown as Error).message).to.include(message);
}

describe("SDK deployments", function () {
  describe("parseIgnitionAddresses", function () {
    it("should map Ignition's future ids to a deployment with checksummed addresses", function () {
      const deployment = parseIgnitionAddresses(SAMPLE, 31337);
      expect(deployment).to.deep.equal(EXPECTED);
      expect(Object.isFrozen(deployment)).to.equal(true);
    });

    it("should use the future ids of the deploy module", function () {
      const results = RoamLedgerModule.results as Record<string, { id: string }>;
      expect(Object.keys(results).sort()).to.deep.equal([...DEPLOYMENT_CONTRACTS].sort());
      for (const key of DEPLOYMENT_CONTRACTS) expect(results[key].id, key).to.equal(IGNITION_FUTURE_IDS[key]);
    });

    it("should name a missing key", function () {
      for (const key of DEPLOYMENT_CONTRACTS) {
        const json = { ...SAMPLE };
        delete json[IGNITION_FUTURE_IDS[key]];
        expectInvalid(() => parseIgnitionAddresses(json, 31337), "json", IGNITION_FUTURE_IDS[key]);
      }
    });

    it("should name a malformed address by its key", function () {
      const json = { ...SAMPLE, "RoamLedger#CapacityMarket": "0x1234" };
      expectInvalid(() => parseIgnitionAddresses(json, 31337), "RoamLedger#CapacityMarket", "must be an address");
    });

    it("should reject a chain id that is not a positive integer, and JSON that is not an object", function () {
      for (const chainId of [0, -1, 1.5, Number.NaN])
        expectInvalid(() => parseIgnitionAddresses(SAMPLE, chainId), "chainId");
      for (const json of [null, [], "addresses", 7]) expectInvalid(() => parseIgnitionAddresses(json, 1), "json");
    });
  });

  describe("deploymentFor / registerDeployment", function () {
    afterEach(function () {
      unregisterDeployment(31337);
    });

    it("should know exactly the committed deployments (none public yet), by chain id", function () {
      const committed = Object.values(COMMITTED_DEPLOYMENTS);
      expect(knownDeployments()).to.deep.equal(committed.sort((a, b) => a.chainId - b.chainId));
      for (const deployment of committed) expect(deploymentFor(deployment.chainId)).to.deep.equal(deployment);
      expect(deploymentFor(31337)).to.equal(undefined);
    });

    it("should return a registered deployment by chain id (number or bigint), normalized", function () {
      const lowerCase = { ...EXPECTED, vault: lower(0x14) as `0x${string}` };
      const registered = registerDeployment(lowerCase);
      expect(registered).to.deep.equal(EXPECTED);
      expect(deploymentFor(31337)).to.deep.equal(EXPECTED);
      expect(deploymentFor(31337n)).to.deep.equal(EXPECTED);
      expect(knownDeployments()).to.deep.equal([EXPECTED]);
      expect(unregisterDeployment(31337)).to.equal(true);
      expect(deploymentFor(31337)).to.equal(undefined);
    });

    it("should refuse to register a deployment with a malformed address, naming it", function () {
      expectInvalid(() => registerDeployment({ ...EXPECTED, market: "0xnope" as `0x${string}` }), "market");
      expect(deploymentFor(31337)).to.equal(undefined);
    });
  });

  describe("deploymentIdOf", function () {
    const GENESIS = `0xAbCdEf01${"23".repeat(28)}`;

    it("should be chain-<chainId>-<first 8 hex digits of the genesis hash, lower case>", function () {
      expect(deploymentIdOf({ chainId: 31337, genesisHash: GENESIS })).to.equal("chain-31337-abcdef01");
      expect(deploymentIdOf({ chainId: 31337n, genesisHash: GENESIS })).to.equal("chain-31337-abcdef01");
      expect(deploymentIdOf({ chainId: 1, genesisHash: `0x${"d4".repeat(32)}` })).to.equal("chain-1-d4d4d4d4");
    });

    it("should give two nodes of one chain id different ids when their genesis blocks differ", function () {
      const a = deploymentIdOf({ chainId: 31337, genesisHash: `0x${"01".repeat(32)}` });
      const b = deploymentIdOf({ chainId: 31337, genesisHash: `0x${"02".repeat(32)}` });
      expect(a).to.not.equal(b);
    });

    it("should be a valid deployment id (Ignition's letters, digits, - and _)", function () {
      expect(toDeploymentId(deploymentIdOf({ chainId: 10, genesisHash: GENESIS }))).to.equal("chain-10-abcdef01");
    });

    it("should reject a bad chain id or genesis hash, naming the field", function () {
      expectInvalid(() => deploymentIdOf({ chainId: 0, genesisHash: GENESIS }), "chainId");
      expectInvalid(() => deploymentIdOf({ chainId: 1.5, genesisHash: GENESIS }), "chainId");
      expectInvalid(() => deploymentIdOf({ chainId: -1n, genesisHash: GENESIS }), "chainId");
      expectInvalid(() => deploymentIdOf({ chainId: 1, genesisHash: "0x1234" }), "genesisHash");
      expectInvalid(() => deploymentIdOf({ chainId: 1, genesisHash: `0x${"zz".repeat(32)}` }), "genesisHash");
    });

    it("should reject a deployment id that is not a plain directory name", function () {
      for (const bad of ["", "../x", "a/b", "a b"]) expectInvalid(() => toDeploymentId(bad), "deploymentId");
    });
  });

  describe("loadDeployment (Node)", function () {
    const GENESIS = `0x1234abcd${"00".repeat(28)}`;
    let dir: string;

    before(async function () {
      dir = await mkdtemp(path.join(tmpdir(), "roamledger-deployments-"));
      await mkdir(path.join(dir, "chain-31337-1234abcd"));
      await writeFile(
        path.join(dir, "chain-31337-1234abcd", "deployed_addresses.json"),
        JSON.stringify(SAMPLE, null, 2),
      );
      await mkdir(path.join(dir, "mine"));
      await writeFile(path.join(dir, "mine", "deployed_addresses.json"), JSON.stringify(SAMPLE, null, 2));
      await mkdir(path.join(dir, "broken"));
      await writeFile(path.join(dir, "broken", "deployed_addresses.json"), "{ not json");
    });

    after(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("should read <dir>/<deploymentIdOf(chain)>/deployed_addresses.json by default", async function () {
      const file = path.join(dir, "chain-31337-1234abcd", "deployed_addresses.json");
      expect(deploymentFilePath({ chainId: 31337, genesisHash: GENESIS, dir })).to.equal(file);
      expect(await loadDeployment({ chainId: 31337, genesisHash: GENESIS, dir })).to.deep.equal(EXPECTED);
      expect(await loadDeployment({ chainId: 31337n, genesisHash: GENESIS, dir })).to.deep.equal(EXPECTED);
      expect(await readDeploymentFile(file, 31337)).to.deep.equal(EXPECTED);
    });

    it("should read the record of a given deployment id, and a record given by its directory", async function () {
      expect(await loadDeployment({ chainId: 31337, deploymentId: "mine", dir })).to.deep.equal(EXPECTED);
      expect(await readDeploymentFile(path.join(dir, "mine"), 31337)).to.deep.equal(EXPECTED);
    });

    it("should default to deploy/deployments, and need a deployment id or a genesis hash", function () {
      expect(deploymentDirPath({ chainId: 10, deploymentId: "x" })).to.equal(path.join("deploy", "deployments", "x"));
      expectInvalid(() => deploymentDirPath({ chainId: 10 }), "deploymentId");
      expectInvalid(() => deploymentDirPath({ chainId: 10, deploymentId: "../up" }), "deploymentId");
    });

    it("should name the file it cannot read, and reject a file that is not JSON", async function () {
      let thrown: unknown;
      await loadDeployment({ chainId: 1, genesisHash: GENESIS, dir }).catch((error: unknown) => (thrown = error));
      expect((thrown as Error).message).to.include(path.join(dir, "chain-1-1234abcd", "deployed_addresses.json"));
      thrown = undefined;
      await loadDeployment({ chainId: 5, deploymentId: "broken", dir }).catch((error: unknown) => (thrown = error));
      expect(thrown).to.be.instanceOf(InvalidArgumentError);
      expect((thrown as Error).message).to.include("is not JSON");
    });
  });
});
