import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import type { Tariff, AgreementTerms } from "../../../sdk/src";
import { discountTariff, PERIOD } from "../../helpers/agreements";
import { deployClearingFixture, type ClearingFixture } from "../../helpers/clearing";

const EMPTY: Tariff = { plans: [] };

function readyAt(terms: AgreementTerms, period: number): bigint {
  const end = BigInt(terms.validFrom) + BigInt((period + 1) * PERIOD);
  return end + BigInt(terms.submissionGrace) + BigInt(terms.disputeWindow);
}

/** The clearing fixture with the agreement in clearing and the clock past period 1's readiness. */
async function readyToSettle(): Promise<ClearingFixture> {
  const f = await loadFixture(deployClearingFixture);
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  await time.increaseTo(readyAt(f.terms, 1));
  return f;
}

function settle(f: ClearingFixture, period: number) {
  return f.settlement.settlePeriod(f.agreementId, period, f.terms, [f.tariff, f.tariff], [discountTariff(), EMPTY]);
}

describe("PeriodSettlement views and deployment", () => {
  describe("constructor", () => {
    describe("when the clearing contract is the zero address", () => {
      it("should revert", async () => {
        const factory = await ethers.getContractFactory("PeriodSettlement");
        await expect(factory.deploy(ethers.ZeroAddress))
          .to.be.revertedWithCustomError(factory, "PeriodSettlement_ZeroAddress")
          .withArgs("clearing");
      });
    });

    describe("when the clearing contract is given", () => {
      it("should take the agreements contract and the vault from it", async () => {
        const f = await loadFixture(deployClearingFixture);
        const settlement = await (await ethers.getContractFactory("PeriodSettlement")).deploy(f.clearing);
        expect(await settlement.clearing()).to.equal(f.clearingAddress);
        expect(await settlement.agreements()).to.equal(await f.clearing.agreements());
        expect(await settlement.vault()).to.equal(await f.clearing.vault());
      });
    });
  });

  describe("clearing, agreements, vault", () => {
    it("should return the suite's contracts", async () => {
      const f = await loadFixture(deployClearingFixture);
      expect(await f.settlement.clearing()).to.equal(f.clearingAddress);
      expect(await f.settlement.agreements()).to.equal(f.agreementsAddress);
      expect(await f.settlement.vault()).to.equal(await f.vault.getAddress());
    });
  });

  describe("isPeriodSettled", () => {
    describe("given nothing was settled", () => {
      it("should return false for any period, known or not", async () => {
        const f = await loadFixture(readyToSettle);
        for (const period of [0n, 1n, 11n, 12n, 255n, 256n, ethers.MaxUint256]) {
          expect(await f.settlement.isPeriodSettled(f.agreementId, period)).to.equal(false);
        }
      });
    });

    describe("given periods were settled", () => {
      it("should return true for exactly those periods of that agreement", async () => {
        const f = await loadFixture(readyToSettle);
        await settle(f, 1);
        expect(await f.settlement.isPeriodSettled(f.agreementId, 1)).to.equal(true);
        expect(await f.settlement.isPeriodSettled(f.agreementId, 0)).to.equal(false);
        await settle(f, 0);
        for (const period of [0n, 1n]) {
          expect(await f.settlement.isPeriodSettled(f.agreementId, period)).to.equal(true);
        }
        // Same bit, other word; same period, other agreement.
        expect(await f.settlement.isPeriodSettled(f.agreementId, 257n)).to.equal(false);
        expect(await f.settlement.isPeriodSettled(ethers.id("another agreement"), 0)).to.equal(false);
      });
    });
  });
});
