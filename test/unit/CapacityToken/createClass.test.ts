import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  CAPACITY_LIMITS,
  CapacityKind,
  classIdOf,
  encodeLabel,
  maxSlaCredit,
  slaCredit,
  type ClassTerms,
} from "../../../sdk/src/capacity";
import {
  dataTerms,
  deployCapacityFixture,
  sliceTerms,
  spectrumTerms,
  DAY,
  USDC,
  type CapacityFixture,
} from "../../helpers/capacity";

const salted = (terms: ClassTerms, n: number): ClassTerms => ({ ...terms, salt: ethers.toBeHex(n, 32) });

/** Reads the terms of the ClassCreated event of `receipt` back as plain values. */
async function createdTerms(f: CapacityFixture, hash: string) {
  const receipt = await ethers.provider.getTransactionReceipt(hash);
  const log = receipt!.logs.map((l) => f.capacity.interface.parseLog(l)).find((l) => l?.name === "ClassCreated");
  return log!.args;
}

describe("CapacityToken.createClass", () => {
  describe("when the token is paused", () => {
    it("should revert with EnforcedPause", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await f.capacity.connect(f.accounts.pauser).pause();
      await expect(
        f.capacity.connect(f.accounts.alice).createClass(salted(f.data, 1), ""),
      ).to.be.revertedWithCustomError(f.capacity, "EnforcedPause");
    });
  });

  describe("when the caller is not the admin of the active issuer", () => {
    it("should revert for an attacker, another operator's admin and the issuer's signer key", async () => {
      const f = await loadFixture(deployCapacityFixture);
      const a = f.accounts;
      for (const who of [a.eve, a.bob, a.aliceSigner]) {
        await expect(f.capacity.connect(who).createClass(salted(f.data, 1), ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
          .withArgs(f.alpha, who.address);
      }
    });

    it("should revert for an unknown issuer id", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await expect(f.capacity.connect(f.accounts.alice).createClass({ ...f.data, issuerId: 99n }, ""))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
        .withArgs(99n, f.accounts.alice.address);
    });

    it("should revert when the issuer is suspended", async () => {
      const f = await loadFixture(deployCapacityFixture);
      await f.registry.connect(f.accounts.pauser).suspendOperator(f.alpha, ethers.ZeroHash);
      await expect(f.capacity.connect(f.accounts.alice).createClass(salted(f.data, 1), ""))
        .to.be.revertedWithCustomError(f.capacity, "CapacityToken_NotIssuer")
        .withArgs(f.alpha, f.accounts.alice.address);
    });
  });

  describe("when the caller is the issuer's admin", () => {
    describe("when a class with these terms exists", () => {
      it("should revert with ClassExists", async () => {
        const f = await loadFixture(deployCapacityFixture);
        await expect(f.capacity.connect(f.accounts.alice).createClass(f.data, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_ClassExists")
          .withArgs(f.dataId);
      });
    });

    describe("when the validity is empty or over", () => {
      it("should revert with InvalidValidity", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const now = BigInt(await time.latest());
        for (const [from, until] of [
          [f.now + 100n, f.now + 100n],
          [f.now + 100n, f.now + 99n],
          [now - 100n, now], // already over
        ]) {
          await expect(
            f.capacity
              .connect(f.accounts.alice)
              .createClass({ ...salted(f.data, 1), validFrom: from, validUntil: until }, ""),
          )
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidValidity")
            .withArgs(from, until);
        }
      });

      it("should accept a class already valid that ends after the next block", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const now = BigInt(await time.latest());
        // Pin the block's time: after a snapshot revert, the clock may run ahead of the last block.
        await time.setNextBlockTimestamp(now + 1n);
        await expect(
          f.capacity
            .connect(f.accounts.alice)
            .createClass({ ...salted(f.data, 1), validFrom: 0n, validUntil: now + 2n }, ""),
        ).to.emit(f.capacity, "ClassCreated");
      });
    });

    describe("when the maximum supply is zero", () => {
      it("should revert with InvalidMaxSupply(0)", async () => {
        const f = await loadFixture(deployCapacityFixture);
        await expect(f.capacity.connect(f.accounts.alice).createClass({ ...salted(f.data, 1), maxSupply: 0n }, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidMaxSupply")
          .withArgs(0n);
      });
    });

    describe("when a class that is not a slice carries slice terms", () => {
      const fields = [
        ["snssai", 1],
        ["throughputKbps", 1],
        ["latencyMs", 1],
        ["availabilityBp", 1],
        ["creditToken", "0x0000000000000000000000000000000000000001"],
        ["creditPerUnitHour", 1n],
      ] as const;
      for (const [field, value] of fields) {
        it(`should revert with TermsOfOtherKind for a non-zero slice.${field}`, async () => {
          const f = await loadFixture(deployCapacityFixture);
          const terms = { ...salted(f.data, 1), slice: { ...f.data.slice, [field]: value } };
          await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_TermsOfOtherKind")
            .withArgs(CapacityKind.Data);
        });
      }
    });

    describe("when a class that is not spectrum carries spectrum terms", () => {
      const fields = [
        ["bandPlanId", 1],
        ["areaId", 1],
        ["firstChannel", 1],
        ["channelCount", 1],
        ["firstSlot", 1],
        ["slotCount", 1],
        ["exclusive", true],
      ] as const;
      for (const [field, value] of fields) {
        it(`should revert with TermsOfOtherKind for a non-zero spectrum.${field}`, async () => {
          const f = await loadFixture(deployCapacityFixture);
          const terms = { ...salted(f.data, 1), kind: CapacityKind.Voice, spectrum: { ...f.data.spectrum } };
          (terms.spectrum as Record<string, unknown>)[field] = value;
          await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_TermsOfOtherKind")
            .withArgs(CapacityKind.Voice);
        });
      }

      it("should revert with TermsOfOtherKind for a slice carrying spectrum terms", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = { ...salted(f.slice, 1), spectrum: { ...f.slice.spectrum, areaId: 3 } };
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_TermsOfOtherKind")
          .withArgs(CapacityKind.Slice);
      });
    });

    describe("when the class is a slice", () => {
      it("should revert with InvalidAvailability above 10,000 bp", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = { ...salted(f.slice, 1), slice: { ...f.slice.slice, availabilityBp: 10_001 } };
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_InvalidAvailability")
          .withArgs(10_001);
      });

      it("should accept 10,000 bp (100%)", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = { ...salted(f.slice, 1), slice: { ...f.slice.slice, availabilityBp: 10_000 } };
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, "")).to.emit(f.capacity, "ClassCreated");
      });

      it("should revert with CreditTokenNotAllowed when credits are paid in a token the vault does not allow", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const stranger = ethers.Wallet.createRandom().address;
        const terms = sliceTerms(f, stranger, 1n, { salt: ethers.toBeHex(1, 32) });
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
          .to.be.revertedWithCustomError(f.capacity, "CapacityToken_CreditTokenNotAllowed")
          .withArgs(stranger);
      });

      describe("when its largest credit to one holder exceeds one vault obligation (2^96 - 1)", () => {
        // The fixture's slice: 100 units valid for 30 days (720 h), so the largest credit is 72,000 x the rate.
        const MAX = CAPACITY_LIMITS.maxSlaCredit;
        const largestRate = MAX / 72_000n;

        it("should revert with CreditTooLarge, naming the figure and the maximum", async () => {
          const f = await loadFixture(deployCapacityFixture);
          const usdc = await f.usdc.getAddress();
          for (const rate of [largestRate + 1n, 2n ** 128n - 1n]) {
            const terms = sliceTerms(f, usdc, rate, { salt: ethers.toBeHex(1, 32) });
            expect(maxSlaCredit(terms)).to.equal((rate * 100n * BigInt(30 * DAY) + 1_800n) / 3_600n);
            await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
              .to.be.revertedWithCustomError(f.capacity, "CapacityToken_CreditTooLarge")
              .withArgs(maxSlaCredit(terms), MAX);
          }
          expect(await f.capacity.MAX_SLA_CREDIT()).to.equal(MAX);
        });

        it("should check the figure before the credit token", async () => {
          const f = await loadFixture(deployCapacityFixture);
          const terms = sliceTerms(f, ethers.Wallet.createRandom().address, largestRate + 1n);
          await expect(f.capacity.connect(f.accounts.alice).createClass(terms, ""))
            .to.be.revertedWithCustomError(f.capacity, "CapacityToken_CreditTooLarge")
            .withArgs(maxSlaCredit(terms), MAX);
        });

        it("should accept the largest rate, whose breach over every unit and the whole validity is recorded", async () => {
          const f = await loadFixture(deployCapacityFixture);
          const a = f.accounts;
          const terms = sliceTerms(f, await f.usdc.getAddress(), largestRate, { salt: ethers.toBeHex(1, 32) });
          const id = classIdOf(terms);
          expect(maxSlaCredit(terms) <= MAX).to.equal(true);
          expect(maxSlaCredit(terms) + 72_000n > MAX).to.equal(true);
          await f.capacity.connect(a.alice).createClass(terms, "");
          await f.capacity.connect(a.alice).mint(id, a.bob, 100n, "0x");
          const [from, to] = [BigInt(terms.validFrom), BigInt(terms.validUntil)];
          await time.increaseTo(to);
          const credit = slaCredit(100n, largestRate, from, to);
          expect(credit).to.equal(maxSlaCredit(terms));
          // Alpha cannot pay it at once: the vault queues it, whole.
          await expect(f.capacity.connect(a.alice).recordSlaBreach(terms, from, to, ethers.ZeroHash, [a.bob]))
            .to.emit(f.capacity, "SlaCredited")
            .withArgs(() => true, f.beta, 100n, credit, 0n)
            .and.to.emit(f.vault, "ObligationQueued");
        });
      });

      it("should accept a slice without credits and without a credit token", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = sliceTerms(f, ethers.ZeroAddress, 0n, { salt: ethers.toBeHex(1, 32) });
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, "")).to.emit(f.capacity, "ClassCreated");
      });
    });

    describe("when the terms are valid", () => {
      it("should store the class record with nothing minted", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = dataTerms(f, { kind: CapacityKind.Iot, unit: encodeLabel("device-month"), maxSupply: 5_000n });
        await f.capacity.connect(f.accounts.alice).createClass(terms, "");
        const info = await f.capacity.classInfo(classIdOf(terms));
        expect(info.issuerId).to.equal(f.alpha);
        expect(info.kind).to.equal(BigInt(CapacityKind.Iot));
        expect(info.validFrom).to.equal(terms.validFrom);
        expect(info.validUntil).to.equal(terms.validUntil);
        expect(info.maxSupply).to.equal(5_000n);
        expect(info.minted).to.equal(0n);
        expect(await f.capacity["totalSupply(uint256)"](classIdOf(terms))).to.equal(0n);
      });

      it("should return the id of classIdOf and emit ClassCreated with the full terms", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = sliceTerms(f, await f.usdc.getAddress(), 3n * USDC, { salt: ethers.toBeHex(7, 32) });
        const id = classIdOf(terms);
        expect(await f.capacity.connect(f.accounts.alice).createClass.staticCall(terms, "")).to.equal(id);
        expect(await f.capacity.classIdOf(terms)).to.equal(id);
        const tx = await f.capacity.connect(f.accounts.alice).createClass(terms, "");
        await expect(tx).to.emit(f.capacity, "ClassCreated");
        const args = await createdTerms(f, tx.hash);
        expect(args.classId).to.equal(id);
        expect(args.issuerId).to.equal(f.alpha);
        expect(args.kind).to.equal(BigInt(CapacityKind.Slice));
        expect(args.terms.unit).to.equal(terms.unit);
        expect(args.terms.region).to.equal(terms.region);
        // `slice` is also an Array method of ethers' Result: read the nested struct by position.
        const slice = args.terms[8];
        expect(slice.creditPerUnitHour).to.equal(3n * USDC);
        expect(slice.snssai).to.equal(BigInt(terms.slice.snssai));
        expect(slice.creditToken).to.equal(await f.usdc.getAddress());
      });

      it("should let anyone issue the same terms under another issuer (another id)", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const theirs = { ...f.data, issuerId: f.beta };
        await expect(f.capacity.connect(f.accounts.bob).createClass(theirs, ""))
          .to.emit(f.capacity, "ClassCreated")
          .withArgs(classIdOf(theirs), f.beta, CapacityKind.Data, () => true);
        expect(classIdOf(theirs)).to.not.equal(f.dataId);
      });

      it("should store a class URI and emit URI when one is given, and none otherwise", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const terms = salted(f.data, 2);
        await expect(f.capacity.connect(f.accounts.alice).createClass(terms, "ipfs://class-2"))
          .to.emit(f.capacity, "URI")
          .withArgs("ipfs://class-2", classIdOf(terms));
        expect(await f.capacity.uri(classIdOf(terms))).to.equal("ipfs://class-2");
        await expect(f.capacity.connect(f.accounts.alice).createClass(salted(f.data, 3), "")).to.not.emit(
          f.capacity,
          "URI",
        );
      });

      it("should accept a spectrum class and a shared (non-exclusive) block with a larger supply", async () => {
        const f = await loadFixture(deployCapacityFixture);
        const exclusive = spectrumTerms(f, { firstChannel: 0, channelCount: 2, firstSlot: 0, slotCount: 4 });
        const shared = spectrumTerms(f, {
          firstChannel: 0,
          channelCount: 2,
          firstSlot: 0,
          slotCount: 4,
          exclusive: false,
        });
        await expect(f.capacity.connect(f.accounts.alice).createClass(exclusive, "")).to.emit(
          f.capacity,
          "ClassCreated",
        );
        await expect(f.capacity.connect(f.accounts.alice).createClass(shared, "")).to.emit(f.capacity, "ClassCreated");
        expect((await f.capacity.classInfo(classIdOf(shared))).maxSupply).to.equal(10n);
      });
    });
  });
});
