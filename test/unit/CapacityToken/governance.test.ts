import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { classIdHex, type BandPlan } from "../../../sdk/src/capacity";
import { FUNCTION_ROLES, Roles } from "../../../sdk/src/governance";
import { DEFAULT_CAPACITY_BASE_URI } from "../../../deploy/modules/RoamLedger";
import { GOVERNOR_DELAY, scheduleAndExecute } from "../../helpers/fixtures";
import { deployCapacityFixture, HOUR, PLAN, USDC } from "../../helpers/capacity";

describe("CapacityToken governance, metadata URIs and views", () => {
  describe("the deploy module's wiring", () => {
    it("should map every restricted function of the token and the market to its FUNCTION_ROLES role", async () => {
      const { capacity, market, manager } = await loadFixture(deployCapacityFixture);
      for (const [name, role] of Object.entries(FUNCTION_ROLES.CapacityToken)) {
        const selector = capacity.interface.getFunction(name as keyof typeof FUNCTION_ROLES.CapacityToken).selector;
        expect(await manager.getTargetFunctionRole(capacity, selector), name).to.equal(Roles[role]);
      }
      for (const [name, role] of Object.entries(FUNCTION_ROLES.CapacityMarket)) {
        const selector = market.interface.getFunction(name as keyof typeof FUNCTION_ROLES.CapacityMarket).selector;
        expect(await manager.getTargetFunctionRole(market, selector), name).to.equal(Roles[role]);
      }
    });

    it("should classify every state-changing function of the token: a role, or checked by the contract", async () => {
      const { capacity } = await loadFixture(deployCapacityFixture);
      const unrestricted = [
        "createClass", // the issuer's admin (registry)
        "mint",
        "setClassURI",
        "recordSlaBreach",
        "redeem", // any operator's admin holding units
        "safeTransferFrom", // ERC-1155: holder or approved operator, to members only
        "safeBatchTransferFrom",
        "setApprovalForAll",
        "setAuthority", // AccessManaged: only the manager itself
      ];
      const stateChanging: string[] = [];
      capacity.interface.forEachFunction((fn) => {
        if (fn.stateMutability !== "view" && fn.stateMutability !== "pure") stateChanging.push(fn.name);
      });
      expect(stateChanging.sort()).to.deep.equal(
        [...Object.keys(FUNCTION_ROLES.CapacityToken), ...unrestricted].sort(),
      );
    });

    it("should put the token and the market on the vault's suite list, with the default base URI", async () => {
      const { capacity, market, vault } = await loadFixture(deployCapacityFixture);
      expect(await vault.isSuiteContract(capacity)).to.equal(true);
      expect(await vault.isSuiteContract(market)).to.equal(true);
      expect(await capacity.uri(1n)).to.equal(DEFAULT_CAPACITY_BASE_URI);
      expect(await capacity.registry()).to.equal(await market.registry());
      expect(await capacity.vault()).to.equal(await vault.getAddress());
      expect(await market.capacityToken()).to.equal(await capacity.getAddress());
      expect(await capacity.MAX_BLOCK_WORDS()).to.equal(64n);
      expect(await capacity.MAX_BREACH_HOLDERS()).to.equal(32n);
    });
  });

  describe("createBandPlan", () => {
    const plan = (epoch: bigint, overrides: Partial<BandPlan> = {}): BandPlan => ({ ...PLAN, epoch, ...overrides });

    it("should revert with AccessManagedUnauthorized for an attacker and a member", async () => {
      const f = await loadFixture(deployCapacityFixture);
      for (const who of [f.accounts.eve, f.accounts.alice]) {
        await expect(f.capacity.connect(who).createBandPlan(plan(0n)))
          .to.be.revertedWithCustomError(f.capacity, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });

    it("should make the governor wait out its delay", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const data = f.capacity.interface.encodeFunctionData("createBandPlan", [plan(0n)]);
      await expect(f.capacity.connect(f.accounts.governor).createBandPlan(plan(0n))).to.be.revertedWithCustomError(
        f.manager,
        "AccessManagerNotScheduled",
      );
      await f.manager.connect(f.accounts.governor).schedule(f.capacity, data, 0);
      await expect(f.manager.connect(f.accounts.governor).execute(f.capacity, data)).to.be.revertedWithCustomError(
        f.manager,
        "AccessManagerNotReady",
      );
      await time.increase(GOVERNOR_DELAY);
      await expect(f.manager.connect(f.accounts.governor).execute(f.capacity, data))
        .to.emit(f.capacity, "BandPlanCreated")
        .withArgs(2, () => true);
      expect(await f.capacity.bandPlanCount()).to.equal(2n);
    });

    it("should revert with InvalidBandPlan for a zero channel width, channel count or slot length", async () => {
      const f = await loadFixture(deployCapacityFixture);
      for (const bad of [{ channelWidthKHz: 0n }, { channelCount: 0n }, { slotSeconds: 0n }]) {
        const data = f.capacity.interface.encodeFunctionData("createBandPlan", [plan(0n, bad)]);
        await f.manager.connect(f.accounts.governor).schedule(f.capacity, data, 0);
        await time.increase(GOVERNOR_DELAY);
        await expect(f.manager.connect(f.accounts.governor).execute(f.capacity, data)).to.be.revertedWithCustomError(
          f.capacity,
          "CapacityToken_InvalidBandPlan",
        );
      }
    });

    it("should store the plan, readable by id, and refuse reading an unknown id", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const stored = await f.capacity.bandPlan(1);
      expect([
        stored.originKHz,
        stored.channelWidthKHz,
        stored.channelCount,
        stored.slotSeconds,
        stored.epoch,
      ]).to.deep.equal([
        PLAN.originKHz,
        PLAN.channelWidthKHz,
        PLAN.channelCount,
        PLAN.slotSeconds,
        BigInt(f.plan.epoch),
      ]);
      for (const id of [0, 2]) {
        await expect(f.capacity.bandPlan(id))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownBandPlan")
          .withArgs(id);
      }
    });
  });

  describe("setBaseURI and setClassURI", () => {
    it("should let only the governor change the base URI, with BaseURISet", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.eve).setBaseURI("ipfs://evil/{id}"))
        .to.be.revertedWithCustomError(f.capacity, "AccessManagedUnauthorized")
        .withArgs(f.accounts.eve.address);
      const data = f.capacity.interface.encodeFunctionData("setBaseURI", ["ipfs://capacity/{id}.json"]);
      await f.manager.connect(f.accounts.governor).schedule(f.capacity, data, 0);
      await time.increase(GOVERNOR_DELAY);
      await expect(f.manager.connect(f.accounts.governor).execute(f.capacity, data))
        .to.emit(f.capacity, "BaseURISet")
        .withArgs("ipfs://capacity/{id}.json");
      expect(await f.capacity.uri(f.dataId)).to.equal("ipfs://capacity/{id}.json");
    });

    it("should let the issuer set and clear a class's own URI, with URI", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const own = `ipfs://bafy/${classIdHex(f.dataId)}.json`;
      await expect(f.capacity.connect(f.accounts.alice).setClassURI(f.dataId, own))
        .to.emit(f.capacity, "URI")
        .withArgs(own, f.dataId);
      expect(await f.capacity.uri(f.dataId)).to.equal(own);
      expect(await f.capacity.uri(f.sliceId)).to.equal(DEFAULT_CAPACITY_BASE_URI);
      await expect(f.capacity.connect(f.accounts.alice).setClassURI(f.dataId, ""))
        .to.emit(f.capacity, "URI")
        .withArgs(DEFAULT_CAPACITY_BASE_URI, f.dataId);
      expect(await f.capacity.uri(f.dataId)).to.equal(DEFAULT_CAPACITY_BASE_URI);
    });

    it("should refuse a class URI from anyone but the active issuer, and for an unknown class", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.bob).setClassURI(f.dataId, "x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
        .withArgs(f.alpha, f.accounts.bob.address);
      await expect(f.capacity.connect(f.accounts.alice).setClassURI(3n, "x"))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownClass")
        .withArgs(3n);
    });
  });

  describe("pause and unpause", () => {
    it("should let the pauser pause at once and only the delayed governor unpause", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await expect(f.capacity.connect(a.eve).pause())
        .to.be.revertedWithCustomError(f.capacity, "AccessManagedUnauthorized")
        .withArgs(a.eve.address);
      await expect(f.capacity.connect(a.pauser).pause()).to.emit(f.capacity, "Paused").withArgs(a.pauser.address);
      await expect(f.capacity.connect(a.pauser).unpause())
        .to.be.revertedWithCustomError(f.capacity, "AccessManagedUnauthorized")
        .withArgs(a.pauser.address);
      await scheduleAndExecute(
        f.manager,
        a.governor,
        await f.capacity.getAddress(),
        f.capacity.interface.encodeFunctionData("unpause"),
      );
      expect(await f.capacity.paused()).to.equal(false);
      await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.dataId, 1n, "0x");
    });

    it("should not stop SLA credits, approvals or reads", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      await f.capacity.connect(a.alice).safeTransferFrom(a.alice, a.bob, f.sliceId, 2n, "0x");
      await f.capacity.connect(a.pauser).pause();
      await f.capacity.connect(a.bob).setApprovalForAll(a.carol, true);
      expect(await f.capacity.balanceOf(a.alice, f.dataId)).to.equal(100n);
      const from = BigInt(f.slice.validFrom);
      await time.increaseTo(from + BigInt(HOUR));
      await expect(
        f.capacity.connect(a.alice).recordSlaBreach(f.slice, from, from + BigInt(HOUR), ethers.ZeroHash, [a.bob]),
      )
        .to.emit(f.capacity, "SlaCredited")
        .withArgs(() => true, f.beta, 2n, 4n * USDC, 0n);
    });
  });
});
