import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { bandPlansOverlap, classIdHex, type BandPlan } from "../../../sdk/src/capacity";
import { FUNCTION_ROLES, Roles } from "../../../sdk/src/governance";
import { DEFAULT_CAPACITY_BASE_URI } from "../../../deploy/modules/RoamLedger";
import { GOVERNOR_DELAY, scheduleAndExecute } from "../../helpers/fixtures";
import {
  DAY,
  deployCapacityFixture,
  HOUR,
  instantGovernor,
  laterPlans,
  PLAN,
  USDC,
  type CapacityFixture,
} from "../../helpers/capacity";

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
      expect(await capacity.MAX_BAND_PLANS()).to.equal(64n);
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

    it("should revert with InvalidBandPlan for a zero channel width, channel count, slot length or slot count", async () => {
      const f = await loadFixture(deployCapacityFixture);
      for (const bad of [{ channelWidthKHz: 0n }, { channelCount: 0n }, { slotSeconds: 0n }, { slotCount: 0n }]) {
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
        stored.slotCount,
      ]).to.deep.equal([
        PLAN.originKHz,
        PLAN.channelWidthKHz,
        PLAN.channelCount,
        PLAN.slotSeconds,
        BigInt(f.plan.epoch),
        PLAN.slotCount,
      ]);
      for (const id of [0, 2]) {
        await expect(f.capacity.bandPlan(id))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_UnknownBandPlan")
          .withArgs(id);
      }
    });
  });

  describe("createBandPlan against the plans that exist", () => {
    /** Plan 1 covers 3,550-3,700 MHz over [E, E + 365 days), E its epoch. */
    const end = (f: CapacityFixture) => BigInt(f.plan.epoch) + PLAN.slotCount * PLAN.slotSeconds;

    describe("when the new plan overlaps plan 1 in frequency and in time", () => {
      const overlapping: [string, (f: CapacityFixture) => BandPlan][] = [
        [
          "a 10 MHz plan over the same band and time",
          (f) => ({ ...f.plan, channelWidthKHz: 10_000n, channelCount: 15n }),
        ],
        [
          "one kHz and one second shared (its top corner)",
          (f) => ({ ...f.plan, originKHz: 3_699_999n, epoch: end(f) - 1n, slotCount: 1n, slotSeconds: 60n }),
        ],
        [
          "one kHz and one second shared (its bottom corner)",
          (f) => ({
            ...f.plan,
            originKHz: 3_545_001n,
            channelCount: 1n,
            epoch: BigInt(f.plan.epoch) - 59n,
            slotSeconds: 60n,
            slotCount: 1n,
          }),
        ],
        [
          "a plan inside it",
          (f) => ({
            ...f.plan,
            originKHz: 3_600_000n,
            channelCount: 2n,
            epoch: BigInt(f.plan.epoch) + BigInt(DAY),
            slotCount: 4n,
          }),
        ],
        [
          "a plan around it",
          (f) => ({ ...f.plan, originKHz: 3_000_000n, channelCount: 300n, epoch: 0n, slotSeconds: 2n ** 20n }),
        ],
      ];
      for (const [name, make] of overlapping) {
        it(`should revert with BandPlanOverlap(1) for ${name}, and store nothing`, async () => {
          const f = await loadFixture(deployCapacityFixture);
          const governor = await instantGovernor(f);
          const plan = make(f);
          expect(bandPlansOverlap(plan, f.plan)).to.equal(true);
          await expect(f.capacity.connect(governor).createBandPlan(plan))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_BandPlanOverlap")
            .withArgs(1);
          expect(await f.capacity.bandPlanCount()).to.equal(1n);
        });
      }

      it("should name the lowest plan it overlaps", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const governor = await instantGovernor(f);
        // Plans 2 and 3: the 3,700-3,750 and 3,750-3,800 MHz bands, over plan 1's year.
        for (const originKHz of [3_700_000n, 3_750_000n]) {
          await f.capacity.connect(governor).createBandPlan({ ...f.plan, originKHz, channelCount: 10n });
        }
        for (const [originKHz, other] of [
          [3_690_000n, 1],
          [3_720_000n, 2],
          [3_760_000n, 3],
        ] as const) {
          await expect(f.capacity.connect(governor).createBandPlan({ ...f.plan, originKHz, channelCount: 4n }))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_BandPlanOverlap")
            .withArgs(other);
        }
      });
    });

    describe("when the new plan only touches plan 1", () => {
      const touching: [string, (f: CapacityFixture) => BandPlan][] = [
        ["the band just above", (f) => ({ ...f.plan, originKHz: 3_700_000n })],
        ["the band just below", (f) => ({ ...f.plan, originKHz: 3_400_000n })],
        ["the same band from its end", (f) => ({ ...f.plan, epoch: end(f) })],
        ["the same band up to its start", (f) => ({ ...f.plan, epoch: BigInt(f.plan.epoch) - 900n, slotCount: 1n })],
      ];
      for (const [name, make] of touching) {
        it(`should accept ${name} as plan 2`, async () => {
          const f = await loadFixture(deployCapacityFixture);
          const governor = await instantGovernor(f);
          const plan = make(f);
          expect(bandPlansOverlap(plan, f.plan)).to.equal(false);
          await expect(f.capacity.connect(governor).createBandPlan(plan))
            .to.emit(f.capacity, "BandPlanCreated")
            .withArgs(2, [
              plan.originKHz,
              plan.channelWidthKHz,
              plan.channelCount,
              plan.slotSeconds,
              plan.epoch,
              plan.slotCount,
            ]);
        });
      }
    });

    describe("when 64 plans exist", () => {
      it("should revert with TooManyBandPlans for the 65th, however disjoint", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const governor = await instantGovernor(f);
        const plans = laterPlans(f, 64);
        for (const plan of plans.slice(0, 63)) await f.capacity.connect(governor).createBandPlan(plan);
        expect(await f.capacity.bandPlanCount()).to.equal(64n);
        await expect(f.capacity.connect(governor).createBandPlan(plans[63]))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_TooManyBandPlans")
          .withArgs(64);
      });
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
