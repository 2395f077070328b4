import { expect } from "chai";
import { ethers } from "hardhat";
import { getAddress, toBeHex, zeroPadValue } from "ethers";

import { deployWith } from "../helpers/fixtures";

/**
 * The suite as the SDK tests need it: deployed through the deploy module by the first signer (which keeps no role),
 * with the admin (and arbiter), registrar, pauser and governor roles held by their own accounts, the governor without
 * delay.
 */
export async function deployRegistryFixture() {
  const signers = await ethers.getSigners();
  const [, registrar, pauser, governor, alice, bob, carol, eve] = signers;
  const admin = signers[20];
  const { manager, registry } = await deployWith({
    admin: admin.address,
    arbiter: admin.address,
    registrar: registrar.address,
    pauser: pauser.address,
    governor: governor.address,
    governorDelay: 0,
  });
  const registryAddress = await registry.getAddress();
  return { manager, registry, registryAddress, admin, registrar, pauser, governor, alice, bob, carol, eve };
}

/** A random address never registered before, for signer keys of operators registered in a test. */
export function freshKey(): string {
  return ethers.Wallet.createRandom().address;
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
