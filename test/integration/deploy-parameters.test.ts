import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ethers, ignition } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { getAddress, isAddress } from "ethers";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";

import RoamLedgerModule from "../../deploy/modules/RoamLedger";
import {
  ACCESS_MANAGER_MIN_SETBACK,
  DEFAULT_ADMIN_DELAY,
  DEFAULT_ARBITER_DELAY,
  DEFAULT_GOVERNOR_DELAY,
  DEFAULT_GRANT_DELAY,
  DEFAULT_TARGET_ADMIN_DELAY,
  GRANT_DELAYED_ROLES,
  Roles,
  type RoleName,
} from "../../sdk/src/governance";
import type { RoamLedgerManager } from "../../sdk/src/typechain";

/**
 * The parameter files of deploy/parameters/ (one per network; `*.example.json` are templates to copy and fill) are read
 * by Ignition only when a deployment runs, so a typo would surface on a real network. This checks them against the
 * module's own parameters: only known names, every role's holder named (the module has no default for them), none of
 * them the deployer, addresses that are addresses, durations that are whole seconds, the admin's delay above the
 * governor's, the production delays in the templates; then deploys each file on the embedded network and reads the
 * roles and delays back.
 */
const DIR = path.join(__dirname, "..", "..", "deploy", "parameters");
const MODULE = path.join(__dirname, "..", "..", "deploy", "modules", "RoamLedger.ts");
/** The role holders, one parameter per role (its name in lower case), all required. */
const ADDRESSES = new Set(Object.keys(Roles).map((role) => role.toLowerCase()));
/** Each delay parameter, its module default, and its production value in the templates. */
const DELAYS: Record<string, number> = {
  adminDelay: DEFAULT_ADMIN_DELAY,
  governorDelay: DEFAULT_GOVERNOR_DELAY,
  arbiterDelay: DEFAULT_ARBITER_DELAY,
  grantDelay: DEFAULT_GRANT_DELAY,
  targetAdminDelay: DEFAULT_TARGET_ADMIN_DELAY,
};
const SECONDS = new Set([...Object.keys(DELAYS), "escalationTimeout"]);
/** Account 0 of the default mnemonic of Hardhat and Anvil: the deployer on a local node. */
const LOCAL_DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

type Parameters = Record<string, unknown>;
const read = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Record<string, Parameters>;
/** A delay as the module applies it: the file's value, else the module's default. */
const delay = (parameters: Parameters, name: string) => (parameters[name] as number | undefined) ?? DELAYS[name];

describe("Deployment parameter files (deploy/parameters/*.json)", () => {
  const declared = [...readFileSync(MODULE, "utf8").matchAll(/m\.getParameter(?:<\w+>)?\("(\w+)"/g)].map((m) => m[1]);
  const files = readdirSync(DIR).filter((f) => f.endsWith(".json"));

  it("should find the module's parameters and at least the local, testnet and consortium files", () => {
    expect(declared).to.include.members([...ADDRESSES, ...SECONDS, "capacityBaseURI"]);
    expect(files).to.include.members(["localhost.json", "testnet.example.json", "consortium.example.json"]);
  });

  for (const file of files) {
    describe(`given ${file}`, () => {
      it("should hold only known parameters, of the right kinds", () => {
        const json = read(file);
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

      it("should name every role's holder, none of them a local node's deployer", () => {
        const parameters = read(file).RoamLedger;
        for (const name of ADDRESSES) {
          expect(parameters[name], `${file}: ${name} is required`).to.be.a("string");
          expect(getAddress(parameters[name] as string), `${file}: ${name}`).to.not.equal(LOCAL_DEPLOYER);
        }
      });

      it("should give the admin a longer delay than the governor", () => {
        const parameters = read(file).RoamLedger;
        expect(delay(parameters, "adminDelay")).to.be.greaterThan(delay(parameters, "governorDelay"));
      });

      if (file.endsWith(".example.json")) {
        it("should use the production delays", () => {
          const parameters = read(file).RoamLedger;
          for (const name of Object.keys(DELAYS))
            expect(delay(parameters, name), `${file}: ${name}`).to.equal(DELAYS[name]);
        });
      }
    });
  }

  describe("when each file is deployed through the module (on the embedded network)", () => {
    for (const file of files) {
      it(`should grant the roles and delays ${file} names, and leave the deployer with no role`, async () => {
        const deploy = async () => {
          const deployed = await ignition.deploy(RoamLedgerModule, {
            parameters: read(file) as DeploymentParameters,
          });
          return (await ethers.getContractAt(
            "RoamLedgerManager",
            await deployed.manager.getAddress(),
          )) as unknown as RoamLedgerManager;
        };
        const manager = await loadFixture(deploy);
        const parameters = read(file).RoamLedger;
        const [deployer] = await ethers.getSigners();
        const execution: Record<RoleName, number> = {
          ADMIN: delay(parameters, "adminDelay"),
          GOVERNOR: delay(parameters, "governorDelay"),
          REGISTRAR: 0,
          PAUSER: 0,
          ARBITER: delay(parameters, "arbiterDelay"),
        };
        for (const role of Object.keys(Roles) as RoleName[]) {
          const holder = parameters[role.toLowerCase()] as string;
          expect(await manager.hasRole(Roles[role], holder), `${file}: ${role}`).to.deep.equal([
            true,
            BigInt(execution[role]),
          ]);
          expect(await manager.hasRole(Roles[role], deployer), `${file}: deployer's ${role}`).to.deep.equal([
            false,
            0n,
          ]);
        }
        await time.increase(ACCESS_MANAGER_MIN_SETBACK);
        for (const role of GRANT_DELAYED_ROLES) {
          expect(await manager.getRoleGrantDelay(Roles[role]), `${file}: ${role}`).to.equal(
            BigInt(delay(parameters, "grantDelay")),
          );
        }
      });
    }
  });
});
