import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { hashVoucher, signVoucher, type Voucher } from "../../../sdk/src";
import { VOUCHER_TYPES } from "../../../sdk/src/typedData/clearing";
import { DAY } from "../../helpers/agreements";
import { deployClearingFixture, UNIT, type ClearingFixture } from "../../helpers/clearing";
import { enabled, openCycle, UINT96_MAX } from "./shared";

/** A voucher of direction `direction` (default 0: beta owes alpha) for `cumulativeAmount`, valid for a day. */
async function voucherOf(f: ClearingFixture, cumulativeAmount: bigint, direction = 0): Promise<Voucher> {
  return { agreementId: f.agreementId, direction, cumulativeAmount, expiry: BigInt(await time.latest()) + BigInt(DAY) };
}

/** {@link enabled}, with beta's voucher for 5 units redeemed on direction 0. */
async function withRedeemedVoucher(): Promise<ClearingFixture & { voucher: Voucher; signature: string }> {
  const f = await loadFixture(enabled);
  const voucher = await voucherOf(f, 5n * UNIT);
  const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
  await f.clearing.redeemVoucher(voucher, signature);
  return { ...f, voucher, signature };
}

describe("UsageClearing.redeemVoucher", () => {
  describe("when the contract is paused", () => {
    it("should revert", async () => {
      const f = await loadFixture(enabled);
      const voucher = await voucherOf(f, UNIT);
      const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
      await f.clearing.connect(f.accounts.pauser).pause();
      await expect(f.clearing.redeemVoucher(voucher, signature)).to.be.revertedWithCustomError(
        f.clearing,
        "EnforcedPause",
      );
    });
  });

  describe("when the contract is not paused", () => {
    describe("when the direction is above 1", () => {
      it("should revert", async () => {
        const f = await loadFixture(enabled);
        const voucher = { ...(await voucherOf(f, UNIT)), direction: 2 };
        // The SDK refuses to sign direction 2: sign the raw struct.
        const signature = await f.accounts.bobSigner.signTypedData(f.clearingDomain, VOUCHER_TYPES, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidDirection")
          .withArgs(2);
      });
    });

    describe("when the agreement is not in clearing", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployClearingFixture);
        const voucher = await voucherOf(f, UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_ClearingNotEnabled")
          .withArgs(f.agreementId);
      });
    });

    describe("when the voucher has expired", () => {
      it("should revert from the second after its expiry", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await time.setNextBlockTimestamp(BigInt(voucher.expiry) + 1n);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_VoucherExpired")
          .withArgs(voucher.expiry);
      });

      it("should still redeem it at its expiry", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await time.setNextBlockTimestamp(voucher.expiry);
        await expect(f.clearing.redeemVoucher(voucher, signature)).to.emit(f.clearing, "VoucherRedeemed");
      });
    });

    describe("when the signature is not by an active signer key of the HPMN", () => {
      it("should revert for the VPMN's key, an attacker and the HPMN's admin", async () => {
        const f = await loadFixture(enabled);
        const a = f.accounts;
        const voucher = await voucherOf(f, UNIT);
        for (const signer of [a.aliceSigner, a.eve, a.bob]) {
          const signature = await signVoucher(signer, f.clearingDomain, voucher);
          await expect(f.clearing.redeemVoucher(voucher, signature))
            .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
            .withArgs(f.beta, signer.address);
        }
      });

      it("should revert for party B's key on direction 1 (party A pays there)", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UNIT, 1);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
          .withArgs(f.alpha, f.accounts.bobSigner.address);
      });

      it("should revert for a key revoked after it signed (signatures are judged when used)", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await f.registry.connect(f.accounts.bob).revokeSigner(f.beta, f.accounts.bobSigner);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
          .withArgs(f.beta, f.accounts.bobSigner.address);
      });

      it("should revert for a signature of another amount (it recovers another address)", async () => {
        const f = await loadFixture(enabled);
        const signed = await voucherOf(f, UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, signed);
        const sent = { ...signed, cumulativeAmount: 100n * UNIT };
        const recovered = ethers.verifyTypedData(f.clearingDomain, VOUCHER_TYPES, sent, signature);
        await expect(f.clearing.redeemVoucher(sent, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_SignerNotAuthorized")
          .withArgs(f.beta, recovered);
      });
    });

    describe("when the cumulative amount does not exceed what was redeemed", () => {
      it("should revert for a zero first voucher", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, 0n);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_StaleVoucher")
          .withArgs(0n, 0n);
      });

      it("should revert for a replayed voucher", async () => {
        const f = await loadFixture(withRedeemedVoucher);
        await expect(f.clearing.connect(f.accounts.eve).redeemVoucher(f.voucher, f.signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_StaleVoucher")
          .withArgs(5n * UNIT, 5n * UNIT);
      });

      it("should revert for an older (lower) voucher, even with a later expiry", async () => {
        const f = await loadFixture(withRedeemedVoucher);
        const older = { ...f.voucher, cumulativeAmount: 4n * UNIT, expiry: BigInt(f.voucher.expiry) + 1n };
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, older);
        await expect(f.clearing.redeemVoucher(older, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_StaleVoucher")
          .withArgs(4n * UNIT, 5n * UNIT);
      });
    });

    describe("when the increase exceeds uint96", () => {
      it("should revert", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UINT96_MAX + 1n);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.be.revertedWithCustomError(f.clearing, "UsageClearing_AmountTooLarge")
          .withArgs(UINT96_MAX + 1n);
      });
    });

    describe("when every requirement holds", () => {
      it("should let anyone redeem it and record the increase in the vault (ref = the voucher's hash)", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, 5n * UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.connect(f.accounts.eve).redeemVoucher(voucher, signature))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), 5n * UNIT, hashVoucher(voucher));
        expect((await f.clearing.lane(f.agreementId, 0)).voucherRedeemed).to.equal(5n * UNIT);
        expect((await f.clearing.lane(f.agreementId, 1)).voucherRedeemed).to.equal(0n);
        expect(await f.vault.openPositionOf(f.beta, f.token)).to.equal(-5n * UNIT);
      });

      it("should charge only the increase over the latest voucher redeemed", async () => {
        const f = await loadFixture(withRedeemedVoucher);
        const next = { ...f.voucher, cumulativeAmount: 9n * UNIT };
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, next);
        // Redeemed by the signing key itself, so that the event's `signer` is unambiguous (see below).
        const tx = f.clearing.connect(f.accounts.bobSigner).redeemVoucher(next, signature);
        await expect(tx)
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.beta, f.alpha, await openCycle(f), 4n * UNIT, hashVoucher(next));
        await expect(tx)
          .to.emit(f.clearing, "VoucherRedeemed")
          .withArgs(f.agreementId, 0, f.accounts.bobSigner.address, 9n * UNIT, 4n * UNIT);
        expect((await f.clearing.lane(f.agreementId, 0)).voucherRedeemed).to.equal(9n * UNIT);
        expect(await f.vault.openPositionOf(f.beta, f.token)).to.equal(-9n * UNIT);
      });

      it("should name the voucher's signer key in VoucherRedeemed when someone else redeems it", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, 5n * UNIT);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.connect(f.accounts.eve).redeemVoucher(voucher, signature))
          .to.emit(f.clearing, "VoucherRedeemed")
          .withArgs(f.agreementId, 0, f.accounts.bobSigner.address, 5n * UNIT, 5n * UNIT);
      });

      it("should keep each direction's vouchers apart (direction 1: party A pays)", async () => {
        const f = await loadFixture(withRedeemedVoucher);
        const voucher = await voucherOf(f, 2n * UNIT, 1);
        const signature = await signVoucher(f.accounts.aliceSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.emit(f.vault, "ObligationApplied")
          .withArgs(f.tokenAddress, f.alpha, f.beta, await openCycle(f), 2n * UNIT, hashVoucher(voucher));
        expect((await f.clearing.lane(f.agreementId, 1)).voucherRedeemed).to.equal(2n * UNIT);
        expect((await f.clearing.lane(f.agreementId, 0)).voucherRedeemed).to.equal(5n * UNIT);
      });

      it("should accept an increase of exactly uint96 (the vault queues what the payer cannot cover)", async () => {
        const f = await loadFixture(enabled);
        const voucher = await voucherOf(f, UINT96_MAX);
        const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher);
        await expect(f.clearing.redeemVoucher(voucher, signature))
          .to.emit(f.vault, "ObligationQueued")
          .withArgs(f.tokenAddress, f.beta, f.alpha, 0, UINT96_MAX, hashVoucher(voucher));
        expect((await f.clearing.lane(f.agreementId, 0)).voucherRedeemed).to.equal(UINT96_MAX);
      });
    });
  });
});
