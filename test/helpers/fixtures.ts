import hre, { ethers, ignition } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import RoamLedgerModule from "../../deploy/modules/RoamLedger";
import "./ignition-cache"; // each build-info file read once per process, not once per contract and deployment
import { encodeTadig } from "../../sdk/src/tadig";
import type {
  CapacityMarket,
  CapacityToken,
  OperatorRegistry,
  PeriodSettlement,
  RoamingAgreements,
  RoamLedgerManager,
  SettlementVault,
  UsageClearing,
} from "../../sdk/src/typechain";

/** The governor's execution delay in the test deployment (as in production: two days). */
export const GOVERNOR_DELAY = 2 * 24 * 60 * 60;

/** Named accounts: each test says who acts, and `eve` is the attacker who holds nothing. */
export interface Accounts {
  /** Account 0: sends the deployment, then renounces ADMIN and holds no role (and the default sender of tests). */
  deployer: HardhatEthersSigner;
  /** The consortium's root account, which the deployment makes ADMIN. */
  admin: HardhatEthersSigner;
  governor: HardhatEthersSigner;
  registrar: HardhatEthersSigner;
  pauser: HardhatEthersSigner;
  arbiter: HardhatEthersSigner;
  eve: HardhatEthersSigner;
  /** Admin accounts of operators 1, 2 and 3 of the registry fixture. */
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  carol: HardhatEthersSigner;
  /** Signer keys (hot keys for EIP-712 messages). */
  aliceSigner: HardhatEthersSigner;
  bobSigner: HardhatEthersSigner;
  spareSigner: HardhatEthersSigner;
  /** Payout addresses. */
  alicePayout: HardhatEthersSigner;
  bobPayout: HardhatEthersSigner;
  /** Someone with no role who will become an admin. */
  dave: HardhatEthersSigner;
}

/** Signer index of the consortium's admin: past the 20 accounts the tests already give other parts (hardhat.config.ts). */
const ADMIN_INDEX = 20;

export async function namedAccounts(): Promise<Accounts> {
  const s = await ethers.getSigners();
  const names = [
    "deployer",
    "governor",
    "registrar",
    "pauser",
    "arbiter",
    "eve",
    "alice",
    "bob",
    "carol",
    "aliceSigner",
    "bobSigner",
    "spareSigner",
    "alicePayout",
    "bobPayout",
    "dave",
  ] as const;
  return { ...Object.fromEntries(names.map((n, i) => [n, s[i]])), admin: s[ADMIN_INDEX] } as unknown as Accounts;
}

export interface SuiteFixture {
  accounts: Accounts;
  manager: RoamLedgerManager;
  registry: OperatorRegistry;
  agreements: RoamingAgreements;
  vault: SettlementVault;
  clearing: UsageClearing;
  settlement: PeriodSettlement;
  capacity: CapacityToken;
  market: CapacityMarket;
}

/** Parameters of the deploy module (see deploy/modules/RoamLedger.ts): the role accounts are required. */
export interface SuiteParameters {
  admin: string;
  governor: string;
  registrar: string;
  pauser: string;
  arbiter: string;
  adminDelay?: number;
  governorDelay?: number;
  arbiterDelay?: number;
  grantDelay?: number;
  targetAdminDelay?: number;
}

/** Deploys the suite through the deploy module, as an operator would, with the given parameters. */
export async function deployWith(parameters: SuiteParameters): Promise<Omit<SuiteFixture, "accounts">> {
  const deployed = await ignition.deploy(RoamLedgerModule, {
    parameters: { RoamLedger: { ...parameters } },
  });
  const manager = (await ethers.getContractAt(
    "RoamLedgerManager",
    await deployed.manager.getAddress(),
  )) as unknown as RoamLedgerManager;
  const registry = (await ethers.getContractAt(
    "OperatorRegistry",
    await deployed.registry.getAddress(),
  )) as unknown as OperatorRegistry;
  const agreements = (await ethers.getContractAt(
    "RoamingAgreements",
    await deployed.agreements.getAddress(),
  )) as unknown as RoamingAgreements;
  const vault = (await ethers.getContractAt(
    "SettlementVault",
    await deployed.vault.getAddress(),
  )) as unknown as SettlementVault;
  const clearing = (await ethers.getContractAt(
    "UsageClearing",
    await deployed.clearing.getAddress(),
  )) as unknown as UsageClearing;
  const settlement = (await ethers.getContractAt(
    "PeriodSettlement",
    await deployed.settlement.getAddress(),
  )) as unknown as PeriodSettlement;
  const capacity = (await ethers.getContractAt(
    "CapacityToken",
    await deployed.capacity.getAddress(),
  )) as unknown as CapacityToken;
  const market = (await ethers.getContractAt(
    "CapacityMarket",
    await deployed.market.getAddress(),
  )) as unknown as CapacityMarket;
  return { manager, registry, agreements, vault, clearing, settlement, capacity, market };
}

/** The role parameters of the named accounts: each role held by its own account. */
export function roleHolders(
  accounts: Accounts,
): Pick<SuiteParameters, "admin" | "governor" | "registrar" | "pauser" | "arbiter"> {
  return {
    admin: accounts.admin.address,
    governor: accounts.governor.address,
    registrar: accounts.registrar.address,
    pauser: accounts.pauser.address,
    arbiter: accounts.arbiter.address,
  };
}

/**
 * The suite as the deploy module builds it, with each role held by its own account, for tests about the contracts:
 * the governor acts after its production delay (two days), but the admin and the arbiter act at once and no grant or
 * target-admin delay is set, so that a test about something else need not schedule their calls. The module's delayed
 * defaults are those of {@link deployGovernedSuite}.
 */
export async function deploySuite(): Promise<SuiteFixture> {
  const accounts = await namedAccounts();
  const deployed = await deployWith({
    ...roleHolders(accounts),
    governorDelay: GOVERNOR_DELAY,
    adminDelay: 0,
    arbiterDelay: 0,
    grantDelay: 0,
    targetAdminDelay: 0,
  });
  return { accounts, ...deployed };
}

/** The suite as production deploys it: each role held by its own account, every delay the module's default. */
export async function deployGovernedSuite(): Promise<SuiteFixture> {
  const accounts = await namedAccounts();
  return { accounts, ...(await deployWith(roleHolders(accounts))) };
}

/** Gamma's signer key: a plain address, since it never sends a transaction. */
export const GAMMA_SIGNER = ethers.getAddress("0x000000000000000000000000000000000000c0de");

/** TADIG codes of the fixture's operators. */
export const TADIGS = {
  alpha: ["DEUD1", "DEUD2"],
  beta: ["GBRCN"],
  gamma: ["KENCN"],
} as const;

export interface RegistryFixture extends SuiteFixture {
  /** Operator ids: alpha (admin alice, signer aliceSigner), beta (admin bob, signer bobSigner), gamma (carol, signer GAMMA_SIGNER). */
  alpha: bigint;
  beta: bigint;
  gamma: bigint;
}

/** The suite with three active operators. */
export async function deployRegistryWithOperators(): Promise<RegistryFixture> {
  return withOperators(await deploySuite());
}

/** Has the registrar of `suite` register the three fixture operators (alpha=1, beta=2, gamma=3). */
export async function withOperators(suite: SuiteFixture): Promise<RegistryFixture> {
  const { registry, accounts: a } = suite;
  const operators: [
    readonly string[],
    HardhatEthersSigner,
    HardhatEthersSigner,
    (HardhatEthersSigner | string)[],
    string,
  ][] = [
    [TADIGS.alpha, a.alice, a.alicePayout, [a.aliceSigner], "ipfs://alpha"],
    [TADIGS.beta, a.bob, a.bobPayout, [a.bobSigner], "ipfs://beta"],
    [TADIGS.gamma, a.carol, a.carol, [GAMMA_SIGNER], ""],
  ];
  for (const [codes, admin, payout, keys, uri] of operators) {
    await registry.connect(a.registrar).registerOperator(
      codes.map((t) => encodeTadig(t)),
      admin,
      payout,
      keys,
      uri,
    );
  }
  return { ...suite, alpha: 1n, beta: 2n, gamma: 3n };
}

/**
 * Schedules `data` on `target` as `caller` through the AccessManager and moves time to the first moment it may run (the
 * caller's execution delay, or the target-admin delay where it applies, after the scheduling). Returns the operation id.
 */
export async function scheduleAndWait(
  manager: RoamLedgerManager,
  caller: HardhatEthersSigner,
  target: string,
  data: string,
): Promise<string> {
  await manager.connect(caller).schedule(target, data, 0);
  const id = await manager.hashOperation(caller, target, data);
  const wait = (await manager.getSchedule(id)) - BigInt(await time.latest());
  // Without mining a block: the next transaction is the first that may run it.
  if (wait > 0n) await hre.network.provider.send("evm_increaseTime", [Number(wait)]);
  return id;
}

/**
 * Runs `data` on `target` as `caller` through the AccessManager: schedules it, waits out the delay, then executes it.
 * This is how a delayed role (the governor, the arbiter, the admin) acts.
 */
export async function scheduleAndExecute(
  manager: RoamLedgerManager,
  caller: HardhatEthersSigner,
  target: string,
  data: string,
): Promise<void> {
  await scheduleAndWait(manager, caller, target, data);
  await manager.connect(caller).execute(target, data);
}

/** Random addresses that are no account of the node (for keys that never send transactions). */
export function randomAddresses(n: number): string[] {
  return Array.from({ length: n }, () => ethers.Wallet.createRandom().address);
}
