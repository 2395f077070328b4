import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { MockStablecoin } from "../../sdk/src/typechain";
import { deployRegistryWithOperators, scheduleAndExecute } from "./fixtures";
import type { RegistryFixture } from "./fixtures";

/** One week: the cycle length of the fixture's tokens. */
export const CYCLE = 7 * 24 * 60 * 60;
/** One whole unit of a 6-decimal stablecoin. */
export const USDC = 1_000_000n;

export interface VaultFixture extends RegistryFixture {
  usdc: MockStablecoin;
  eurc: MockStablecoin;
  /** An account on the vault's list of suite contracts, standing in for them (clearing, market). */
  suite: HardhatEthersSigner;
  /** The admin account of each fixture operator, by operator id. */
  adminOf: Record<string, HardhatEthersSigner>;
}

/**
 * The registry fixture (operators alpha=1, beta=2, gamma=3) and the suite's vault with two allowed 6-decimal stablecoins
 * (USDC and EURC, weekly cycles), 1,000,000 of each minted to every operator's admin and approved to the vault.
 */
export async function deployVault(): Promise<VaultFixture> {
  const f = await deployRegistryWithOperators();
  const { manager, vault, accounts: a } = f;
  const suite = (await ethers.getSigners())[15];
  await vault.connect(a.admin).setSuiteContract(suite, true);

  const factory = await ethers.getContractFactory("MockStablecoin");
  const usdc = (await factory.deploy("USD Coin", "USDC", 6)) as unknown as MockStablecoin;
  const eurc = (await factory.deploy("Euro Coin", "EURC", 6)) as unknown as MockStablecoin;
  for (const token of [usdc, eurc]) {
    const data = vault.interface.encodeFunctionData("allowToken", [await token.getAddress(), CYCLE]);
    await scheduleAndExecute(manager, a.governor, await vault.getAddress(), data);
    for (const holder of [a.alice, a.bob, a.carol]) {
      await token.mint(holder, 1_000_000n * USDC);
      await token.connect(holder).approve(vault, ethers.MaxUint256);
    }
  }
  const adminOf = { "1": a.alice, "2": a.bob, "3": a.carol };
  return { ...f, vault, usdc, eurc, suite, adminOf };
}
