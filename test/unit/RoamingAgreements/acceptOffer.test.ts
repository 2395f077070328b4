import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  agreementIdOf,
  agreementsDomain,
  hashAgreementTerms,
  nonceBitmapPosition,
  recoverOfferSigner,
  signOffer,
  termsFromResult,
  normalizeTerms,
} from "../../../sdk/src";
import {
  AgreementStatus,
  DAY,
  OperatorStatus,
  PERIOD,
  deployAgreementsFixture,
  makeTerms,
  rawSignedOffer,
  signedOffer,
  type AgreementsFixture,
} from "../../helpers/agreements";
import { scheduleAndExecute } from "../../helpers/fixtures";

const REASON = ethers.id("decision record");

async function suspend(f: AgreementsFixture, id: bigint) {
  await f.registry.connect(f.accounts.pauser).suspendOperator(id, REASON);
}

async function exit(f: AgreementsFixture, id: bigint) {
  const data = f.registry.interface.encodeFunctionData("exitOperator", [id, REASON]);
  await scheduleAndExecute(f.manager, f.accounts.governor, await f.registry.getAddress(), data);
}

describe("RoamingAgreements.acceptOffer", () => {
  describe("when the contract is paused", () => {
    it("should revert", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      await f.agreements.connect(f.accounts.pauser).pause();
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature)).to.be.revertedWithCustomError(
        f.agreements,
        "EnforcedPause",
      );
    });
  });

  describe("when the offer has expired", () => {
    it("should revert one second after its expiry", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const expiry = (await time.latest()) + DAY;
      const { offer, signature } = await signedOffer(f, { expiry });
      await time.setNextBlockTimestamp(expiry + 1);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_OfferExpired")
        .withArgs(expiry);
    });
  });

  describe("when the signature is not an active key's signature of this offer", () => {
    it("should revert for a malformed signature", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature.slice(0, 130)))
        .to.be.revertedWithCustomError(f.agreements, "ECDSAInvalidSignatureLength")
        .withArgs(64);
    });

    it("should revert for another operator's key, an unknown key and the proposer's admin (not a key)", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      for (const signer of [a.bobSigner, a.eve, a.alice]) {
        const { offer, signature } = await signedOffer(f, { signer });
        await expect(f.agreements.connect(a.bob).acceptOffer(offer, signature))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
          .withArgs(f.alpha, signer.address);
      }
    });

    it("should revert for an offer signed for another chain, another contract, or another domain name", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const foreign = [
        agreementsDomain({ chainId: 1, verifyingContract: f.agreementsAddress }),
        agreementsDomain({ chainId: f.chainId, verifyingContract: await f.registry.getAddress() }),
        { ...f.domain, name: "RoamLedger" },
        { ...f.domain, version: "2" },
      ];
      for (const domain of foreign) {
        const { offer, signature } = await signedOffer(f, { domain });
        // The contract recovers in its own domain, which yields some address that is nobody's key.
        const recovered = recoverOfferSigner(f.domain, offer, signature);
        expect(recovered).to.not.equal(f.accounts.aliceSigner.address);
        await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
          .withArgs(f.alpha, recovered);
      }
    });

    it("should revert for an offer altered after signing", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      const altered = { ...offer, terms: { ...offer.terms, noticePeriod: 0 } };
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(altered, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.alpha, recoverOfferSigner(f.domain, altered, signature));
    });

    it("should revert when the key was revoked after signing", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      await f.registry.connect(f.accounts.alice).revokeSigner(f.alpha, f.accounts.aliceSigner);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SignerNotAuthorized")
        .withArgs(f.alpha, f.accounts.aliceSigner.address);
    });
  });

  describe("when the proposer revoked the nonce", () => {
    it("should revert, and leave the other nonces of the word usable", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const nonce = 300n;
      const { wordIndex, mask } = nonceBitmapPosition(nonce);
      await f.agreements.connect(f.accounts.aliceSigner).invalidateNonces(f.alpha, wordIndex, mask);
      const revoked = await signedOffer(f, { nonce });
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(revoked.offer, revoked.signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NonceRevoked")
        .withArgs(f.alpha, nonce);
      const sibling = await signedOffer(f, { nonce: nonce + 1n });
      await f.agreements.connect(f.accounts.bob).acceptOffer(sibling.offer, sibling.signature);
    });
  });

  describe("when the offer names a counterparty", () => {
    describe("when the caller is neither its admin nor one of its active keys", () => {
      it("should revert for an attacker, another operator's admin and a revoked key of the counterparty", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const a = f.accounts;
        const { offer, signature } = await signedOffer(f);
        await f.registry.connect(a.bob).revokeSigner(f.beta, a.bobSigner);
        for (const who of [a.eve, a.carol, a.bobSigner, a.alicePayout]) {
          await expect(f.agreements.connect(who).acceptOffer(offer, signature))
            .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotCounterparty")
            .withArgs(f.beta, who.address);
        }
      });
    });

    describe("when the counterparty is the proposer itself", () => {
      it("should revert", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f, { counterparty: f.alpha });
        await expect(f.agreements.connect(f.accounts.alice).acceptOffer(offer, signature))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SelfAcceptance")
          .withArgs(f.alpha);
      });
    });
  });

  describe("when the offer is open (counterparty 0)", () => {
    describe("when the caller is no operator's admin or active key", () => {
      it("should revert for an attacker and for a revoked key", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const a = f.accounts;
        const { offer, signature } = await signedOffer(f, { counterparty: 0 });
        await f.registry.connect(a.bob).revokeSigner(f.beta, a.bobSigner);
        for (const who of [a.eve, a.bobSigner]) {
          await expect(f.agreements.connect(who).acceptOffer(offer, signature))
            .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_UnknownCaller")
            .withArgs(who.address);
        }
      });
    });

    describe("when the caller acts for the proposer", () => {
      it("should revert for its admin and for its key", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f, { counterparty: 0 });
        for (const who of [f.accounts.alice, f.accounts.aliceSigner]) {
          await expect(f.agreements.connect(who).acceptOffer(offer, signature))
            .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_SelfAcceptance")
            .withArgs(f.alpha);
        }
      });
    });

    describe("when two members accept it", () => {
      it("should create one agreement each, with the same offer hash", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const a = f.accounts;
        const { offer, signature, offerHash } = await signedOffer(f, { counterparty: 0 });
        const betaId = agreementIdOf(offerHash, f.beta);
        const gammaId = agreementIdOf(offerHash, f.gamma);
        await expect(f.agreements.connect(a.bobSigner).acceptOffer(offer, signature))
          .to.emit(f.agreements, "AgreementCreated")
          .withArgs(betaId, f.alpha, f.beta, offerHash, (t: unknown) => t !== undefined);
        await expect(f.agreements.connect(a.carol).acceptOffer(offer, signature))
          .to.emit(f.agreements, "AgreementCreated")
          .withArgs(gammaId, f.alpha, f.gamma, offerHash, (t: unknown) => t !== undefined);
        const [withBeta, withGamma] = [
          await f.agreements.getAgreement(betaId),
          await f.agreements.getAgreement(gammaId),
        ];
        expect([withBeta.partyA, withBeta.partyB, withGamma.partyA, withGamma.partyB]).to.deep.equal([
          f.alpha,
          f.beta,
          f.alpha,
          f.gamma,
        ]);
        expect(await f.agreements.isNonceRevoked(f.alpha, offer.nonce)).to.equal(false);
      });

      it("should refuse the same member a second time, through its admin or its key", async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature, offerHash } = await signedOffer(f, { counterparty: 0 });
        await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
        for (const who of [f.accounts.bob, f.accounts.bobSigner]) {
          await expect(f.agreements.connect(who).acceptOffer(offer, signature))
            .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_AlreadyAccepted")
            .withArgs(agreementIdOf(offerHash, f.beta));
        }
      });
    });
  });

  describe("when a party is not active", () => {
    it("should revert when the acceptor is suspended or has exited", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f, { counterparty: 0 });
      await suspend(f, f.beta);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotActive")
        .withArgs(f.beta, OperatorStatus.Suspended);
      await exit(f, f.gamma);
      await expect(f.agreements.connect(f.accounts.carol).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotActive")
        .withArgs(f.gamma, OperatorStatus.Exited);
    });

    it("should revert when the proposer is suspended, and accept again once it is reinstated", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      await suspend(f, f.alpha);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotActive")
        .withArgs(f.alpha, OperatorStatus.Suspended);
      const data = f.registry.interface.encodeFunctionData("reinstateOperator", [f.alpha, REASON]);
      await scheduleAndExecute(f.manager, f.accounts.governor, await f.registry.getAddress(), data);
      await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
    });

    it("should revert when the proposer has exited", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      await exit(f, f.alpha);
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_NotActive")
        .withArgs(f.alpha, OperatorStatus.Exited);
    });
  });

  describe("when the counterparty accepted this offer before", () => {
    it("should revert: a bilateral offer cannot be replayed", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature, offerHash } = await signedOffer(f);
      await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
      await expect(f.agreements.connect(f.accounts.bobSigner).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_AlreadyAccepted")
        .withArgs(agreementIdOf(offerHash, f.beta));
    });
  });

  describe("when the terms are not sane", () => {
    async function expectTermsRevert(
      f: AgreementsFixture,
      overrides: Parameters<typeof makeTerms>[1],
      error: string,
      args: unknown[],
    ) {
      const { offer, signature } = await signedOffer(f, { terms: await makeTerms(f, overrides) });
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature))
        .to.be.revertedWithCustomError(f.agreements, error)
        .withArgs(...args);
    }

    it("should revert for an empty or past validity window", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const now = BigInt(await time.latest());
      for (const [validFrom, validUntil] of [
        [now + 100n, now + 100n],
        [now + 100n, now + 50n],
        [now - 1000n, now + 1n], // ends at the acceptance block's timestamp
        [now - 1000n, now - 1n],
      ]) {
        await expectTermsRevert(f, { validFrom, validUntil }, "RoamingAgreements_InvalidValidity", [
          validFrom,
          validUntil,
        ]);
      }
    });

    it("should revert for a zero period length or dispute window", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await expectTermsRevert(f, { periodLength: 0 }, "RoamingAgreements_ZeroDuration", ["periodLength"]);
      await expectTermsRevert(f, { disputeWindow: 0 }, "RoamingAgreements_ZeroDuration", ["disputeWindow"]);
    });

    it("should revert for a condition naming a service that does not exist", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      for (const [bitmaps, direction, value] of [
        [[1, 1 << 9], 1, 1 << 9],
        [[0xffff, 1 << 9], 0, 0xffff],
      ] as [[number, number], number, number][]) {
        const { offer, signature } = await rawSignedOffer(f, { includedServices: bitmaps });
        await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer as never, signature))
          .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidCondition")
          .withArgs(direction, value);
      }
    });

    it("should revert for a token that is not a contract, or the zero address", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await expectTermsRevert(f, { token: f.accounts.eve.address }, "RoamingAgreements_InvalidToken", [
        f.accounts.eve.address,
      ]);
      const { offer, signature } = await rawSignedOffer(f, { token: ethers.ZeroAddress });
      await expect(f.agreements.connect(f.accounts.bob).acceptOffer(offer as never, signature))
        .to.be.revertedWithCustomError(f.agreements, "RoamingAgreements_InvalidToken")
        .withArgs(ethers.ZeroAddress);
    });

    it("should revert for an unpublished or zero base tariff, and an unpublished discount tariff", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const unknown = ethers.id("unpublished tariff");
      await expectTermsRevert(f, { baseTariff: [unknown, f.iotTariffId] }, "RoamingAgreements_TariffNotPublished", [
        unknown,
      ]);
      await expectTermsRevert(
        f,
        { baseTariff: [f.iotTariffId, ethers.ZeroHash] },
        "RoamingAgreements_TariffNotPublished",
        [ethers.ZeroHash],
      );
      await expectTermsRevert(
        f,
        { discountTariff: [ethers.ZeroHash, unknown] },
        "RoamingAgreements_TariffNotPublished",
        [unknown],
      );
    });

    it("should revert for a base tariff with Back-to-first or Ratio plans", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      await expectTermsRevert(
        f,
        { baseTariff: [f.iotTariffId, f.discountTariffId] },
        "RoamingAgreements_TariffNotBase",
        [f.discountTariffId],
      );
    });

    it("should revert without data for a field that does not fit its type (hand-made calldata)", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      const data = f.agreements.interface.encodeFunctionData("acceptOffer", [offer, signature]);
      // Words of the call after the selector: 0-20 the terms (7 noticePeriod, 12 kind, 13 includingTaxes, 15
      // commitment of condition 0), then counterparty, expiry, nonce.
      const patch = (word: number, value: bigint) =>
        data.slice(0, 10 + word * 64) + value.toString(16).padStart(64, "0") + data.slice(10 + (word + 1) * 64);
      for (const [word, value] of [
        [7, 1n << 32n],
        [12, 3n],
        [13, 2n],
        [15, 1n << 128n],
        [17, 5n],
      ] as [number, bigint][]) {
        await expect(
          f.accounts.bob.sendTransaction({ to: f.agreementsAddress, data: patch(word, value) }),
        ).to.be.revertedWithoutReason();
      }
    });
  });

  describe("when every check passes", () => {
    it("should create the agreement, active from validFrom, with the terms as version 0", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature, offerHash } = await signedOffer(f);
      const id = agreementIdOf(offerHash, f.beta);
      expect(await f.agreements.connect(f.accounts.bob).acceptOffer.staticCall(offer, signature)).to.equal(id);

      const tx = f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
      await expect(tx)
        .to.emit(f.agreements, "AgreementCreated")
        .withArgs(id, f.alpha, f.beta, offerHash, (t: unknown) => t !== undefined);
      const receipt = await (await tx).wait();
      const created = f.agreements.interface.parseLog(receipt!.logs[0])!;
      expect(termsFromResult(created.args.terms)).to.deep.equal(normalizeTerms(offer.terms));

      const terms = offer.terms;
      const stored = await f.agreements.getAgreement(id);
      expect({
        partyA: stored.partyA,
        partyB: stored.partyB,
        validFrom: stored.validFrom,
        validUntil: stored.validUntil,
        acceptedAt: stored.acceptedAt,
        status: stored.status,
        latestVersion: stored.latestVersion,
        periodLength: stored.periodLength,
      }).to.deep.equal({
        partyA: f.alpha,
        partyB: f.beta,
        validFrom: BigInt(terms.validFrom),
        validUntil: BigInt(terms.validUntil),
        acceptedAt: BigInt(await time.latest()),
        status: AgreementStatus.Active,
        latestVersion: 0n,
        periodLength: BigInt(PERIOD),
      });
      expect(await f.agreements.termsHash(id, 0)).to.equal(hashAgreementTerms(terms));
      const v0 = await f.agreements.termsVersion(id, 0);
      expect([v0.termsHash, v0.effectiveFrom]).to.deep.equal([hashAgreementTerms(terms), 0n]);
      expect(await f.agreements.isActive(id, terms.validFrom)).to.equal(true);
      expect(await f.agreements.isActive(id, BigInt(terms.validFrom) - 1n)).to.equal(false);
      expect(await f.agreements.isNonceRevoked(f.alpha, offer.nonce)).to.equal(false);
    });

    it("should accept through the counterparty's active signer key, at the expiry second", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const expiry = (await time.latest()) + DAY;
      const { offer, signature, offerHash } = await signedOffer(f, { expiry });
      await time.setNextBlockTimestamp(expiry);
      await expect(f.agreements.connect(f.accounts.bobSigner).acceptOffer(offer, signature))
        .to.emit(f.agreements, "AgreementCreated")
        .withArgs(agreementIdOf(offerHash, f.beta), f.alpha, f.beta, offerHash, (t: unknown) => t !== undefined);
    });

    it("should accept an offer signed by a key added after a rotation", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const a = f.accounts;
      await f.registry.connect(a.alice).rotateSigner(f.alpha, a.aliceSigner, a.spareSigner);
      const { offer, signature } = await signedOffer(f, { signer: a.spareSigner });
      await f.agreements.connect(a.bob).acceptOffer(offer, signature);
    });

    it("should accept terms without discount tariffs, with an Access base tariff, already started", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const now = BigInt(await time.latest());
      const terms = await makeTerms(f, {
        validFrom: now - 10n * BigInt(DAY),
        validUntil: now + BigInt(PERIOD),
        baseTariff: [f.accessTariffId, f.iotTariffId],
        discountTariff: [ethers.ZeroHash, ethers.ZeroHash],
        noticePeriod: 0,
        submissionGrace: 0,
      });
      const { offer, signature, offerHash } = await signedOffer(f, { terms });
      await f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature);
      expect(await f.agreements.isActive(agreementIdOf(offerHash, f.beta), now + 1n)).to.equal(true);
    });

    it("should let the proposer make the same terms into a new agreement with a new nonce", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const terms = await makeTerms(f);
      const first = await signedOffer(f, { terms, nonce: 1 });
      const second = await signedOffer(f, { terms, nonce: 2 });
      await f.agreements.connect(f.accounts.bob).acceptOffer(first.offer, first.signature);
      await f.agreements.connect(f.accounts.bob).acceptOffer(second.offer, second.signature);
      expect(first.offerHash).to.not.equal(second.offerHash);
      expect((await f.agreements.getAgreement(agreementIdOf(second.offerHash, f.beta))).partyB).to.equal(f.beta);
    });

    it("should sign the same as ethers' signer for the SDK's typed data", async () => {
      const f = await loadFixture(deployAgreementsFixture);
      const { offer, signature } = await signedOffer(f);
      expect(await signOffer(f.accounts.aliceSigner, f.domain, offer)).to.equal(signature);
      expect(recoverOfferSigner(f.domain, offer, signature)).to.equal(f.accounts.aliceSigner.address);
    });
  });
});
