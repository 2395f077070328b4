import { expect } from "chai";
import { ethers } from "hardhat";
import { getAddress, toBeHex, zeroPadValue } from "ethers";

import { FUNCTION_ROLES, Roles } from "../../sdk/src/governance";
import { OperatorRegistry__factory, RoamLedgerManager__factory } from "../../sdk/src/typechain";

/**
 * The suite as the SDK tests need it: a `RoamLedgerManager` administered by the first signer and an
 * `OperatorRegistry` governed by it, with every restricted function mapped to its role (per `FUNCTION_ROLES`) and
 * the registrar, pauser and governor roles granted without delay.
 */
export async function deployRegistryFixture() {
  const [admin, registrar, pauser, governor, alice, bob, carol, eve] = await ethers.getSigners();
  const manager = await new RoamLedgerManager__factory(admin).deploy(admin.address);
  const registry = await new OperatorRegistry__factory(admin).deploy(await manager.getAddress());
  const registryAddress = await registry.getAddress();

  const selectorsByRole = new Map<bigint, string[]>();
  for (const [name, role] of Object.entries(FUNCTION_ROLES.OperatorRegistry)) {
    const fn = name as keyof typeof FUNCTION_ROLES.OperatorRegistry;
    const selectors = selectorsByRole.get(Roles[role]) ?? [];
    selectors.push(registry.interface.getFunction(fn).selector);
    selectorsByRole.set(Roles[role], selectors);
  }
  for (const [role, selectors] of selectorsByRole) {
    await manager.setTargetFunctionRole(registryAddress, selectors, role);
  }
  await manager.grantRole(Roles.REGISTRAR, registrar.address, 0);
  await manager.grantRole(Roles.PAUSER, pauser.address, 0);
  await manager.grantRole(Roles.GOVERNOR, governor.address, 0);

  return { manager, registry, registryAddress, admin, registrar, pauser, governor, alice, bob, carol, eve };
}

/** A deterministic non-zero address, for signer keys and payouts that never send anything. */
export function addr(n: number): string {
  return getAddress(zeroPadValue(toBeHex(n), 20));
}

/** Awaits `promise`, fails the test if it resolves, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected the promise to reject");
}
