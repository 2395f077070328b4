import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Interface } from "ethers";

import { DEFAULT_ADMIN_DELAY, Roles } from "../../sdk/src/governance";
import type { MockStablecoin, RoamLedgerManager } from "../../sdk/src/typechain";
import { deployGovernedSuite, scheduleAndWait, withOperators, type RegistryFixture } from "./fixtures";
import { CYCLE, USDC } from "./vault";

/** What each fixture operator deposits in USDC (whole units), and what alpha owes beta in the open cycle. */
export const DEPOSITS = { alpha: 1_000n * USDC, beta: 500n * USDC, gamma: 200n * USDC } as const;
export const OPEN_DEBT = 300n * USDC;

export interface GovernedVaultFixture extends RegistryFixture {
  usdc: MockStablecoin;
  /** An account on the vault's suite list, standing in for the clearing contract; the admin added it after its delay. */
  suite: HardhatEthersSigner;
  /** The consortium's security council: a second ADMIN (its grant waited out the admin's delay and the grant delay). */
  council: HardhatEthersSigner;
  /** The block from which members watch the manager's `OperationScheduled` events. */
  watchFrom: number;
}

/**
 * The suite with the module's production delays, as a consortium runs it: the admin has added a second admin (the
 * council, `dave`) and a suite contract (a stand-in account) through its ten-day delay; the three fixture operators are
 * registered; the governor has allowed USDC (weekly cycles, cycle 1 just opened); alpha, beta and gamma deposited
 * {@link DEPOSITS}, and alpha owes beta {@link OPEN_DEBT} in the open cycle (so beta holds an open credit).
 */
export async function deployGovernedVault(): Promise<GovernedVaultFixture> {
  const f = await withOperators(await deployGovernedSuite());
  const { manager, vault, accounts: a } = f;
  const suite = (await ethers.getSigners())[15];
  const council = a.dave;
  const vaultAddress = await vault.getAddress();
  const managerAddress = await manager.getAddress();

  // Two admin operations, scheduled together, executed after the admin's delay; the council is then a member once its
  // grant delay has passed.
  const addSuite = vault.interface.encodeFunctionData("setSuiteContract", [suite.address, true]);
  const addCouncil = manager.interface.encodeFunctionData("grantRole", [
    Roles.ADMIN,
    council.address,
    DEFAULT_ADMIN_DELAY,
  ]);
  await manager.connect(a.admin).schedule(vaultAddress, addSuite, 0);
  await scheduleAndWait(manager, a.admin, managerAddress, addCouncil);
  await manager.connect(a.admin).execute(vaultAddress, addSuite);
  await manager.connect(a.admin).execute(managerAddress, addCouncil);
  const [since] = await manager.getAccess(Roles.ADMIN, council);
  await time.increaseTo(since);

  const usdc = (await (
    await ethers.getContractFactory("MockStablecoin")
  ).deploy("USD Coin", "USDC", 6)) as unknown as MockStablecoin;
  const allow = vault.interface.encodeFunctionData("allowToken", [await usdc.getAddress(), CYCLE]);
  await scheduleAndWait(manager, a.governor, vaultAddress, allow);
  await manager.connect(a.governor).execute(vaultAddress, allow);

  const members: [bigint, HardhatEthersSigner, bigint][] = [
    [f.alpha, a.alice, DEPOSITS.alpha],
    [f.beta, a.bob, DEPOSITS.beta],
    [f.gamma, a.carol, DEPOSITS.gamma],
  ];
  for (const [id, admin, amount] of members) {
    await usdc.mint(admin, amount);
    await usdc.connect(admin).approve(vault, amount);
    await vault.connect(admin).deposit(id, usdc, amount);
  }
  await vault.connect(suite).recordObligation(f.alpha, f.beta, usdc, OPEN_DEBT, ethers.id("clearing batch 2026-W48"));
  const watchFrom = await ethers.provider.getBlockNumber();
  return { ...f, usdc, suite, council, watchFrom };
}

/** A scheduled operation as a member's monitor reads it from the manager's `OperationScheduled` events. */
export interface ScheduledOperation {
  operationId: string;
  /** The earliest time it may execute. */
  when: bigint;
  caller: string;
  target: string;
  /** The function it calls, decoded with the target's interface. */
  call: string;
}

/**
 * Every operation scheduled on `manager` since block `fromBlock`, decoded: what a member's monitor shows. `interfaces`
 * maps target addresses to their interfaces (the manager's own is always known).
 */
export async function scheduledOperations(
  manager: RoamLedgerManager,
  fromBlock: number,
  interfaces: Record<string, Interface>,
): Promise<ScheduledOperation[]> {
  const known: Record<string, Interface> = { [await manager.getAddress()]: manager.interface, ...interfaces };
  const events = await manager.queryFilter(manager.filters.OperationScheduled(), fromBlock);
  return events.map(({ args }) => {
    const parsed = known[args.target]?.parseTransaction({ data: args.data });
    return {
      operationId: args.operationId,
      when: args.schedule,
      caller: args.caller,
      target: args.target,
      call:
        parsed === null || parsed === undefined ? args.data.slice(0, 10) : `${parsed.name}(${parsed.args.join(", ")})`,
    };
  });
}
