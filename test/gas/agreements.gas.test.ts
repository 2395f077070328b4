import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { hashAgreementTerms, type AgreementTerms } from "../../sdk/src";
import {
  DAY,
  PERIOD,
  deployAgreementFixture,
  deployAgreementsFixture,
  iotTariff,
  signedAmendment,
  signedOffer,
} from "../helpers/agreements";
import { deploySuite } from "../helpers/fixtures";
import { checkGas, gasUsed } from "../helpers/gas";

/** Issue 3's budget: accepting an offer whose tariffs are already published. */
const ACCEPT_BUDGET = 120_000n;

/**
 * Gas of every user-facing operation of RoamingAgreements, one named scenario each, checked against the committed
 * snapshot (test/gas/gas-snapshot.json) by test/helpers/gas.ts. The offers carry the fixture's realistic terms: IOT
 * base tariffs both ways, a discount tariff and a send-or-pay condition in direction 0.
 */
describe("Gas snapshot: RoamingAgreements", () => {
  const scenarios: [string, () => Promise<bigint>, bigint?][] = [
    [
      "agreements.publishTariff (4 services)",
      async () => {
        const { agreements, accounts: a } = await loadFixture(deploySuite);
        return gasUsed(agreements.connect(a.dave).publishTariff(iotTariff()));
      },
    ],
    [
      "agreements.acceptOffer (bilateral, by the acceptor's admin)",
      async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f);
        return gasUsed(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature));
      },
      ACCEPT_BUDGET,
    ],
    [
      "agreements.acceptOffer (bilateral, by a signer key of the acceptor)",
      async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f);
        return gasUsed(f.agreements.connect(f.accounts.bobSigner).acceptOffer(offer, signature));
      },
      ACCEPT_BUDGET,
    ],
    [
      "agreements.acceptOffer (open offer, by a signer key of the acceptor)",
      async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f, { counterparty: 0 });
        return gasUsed(f.agreements.connect(f.accounts.bobSigner).acceptOffer(offer, signature));
      },
      ACCEPT_BUDGET,
    ],
    [
      "agreements.acceptOffer (open offer, by the acceptor's admin)",
      async () => {
        const f = await loadFixture(deployAgreementsFixture);
        const { offer, signature } = await signedOffer(f, { counterparty: 0 });
        return gasUsed(f.agreements.connect(f.accounts.bob).acceptOffer(offer, signature));
      },
      ACCEPT_BUDGET,
    ],
    [
      "agreements.amend",
      async () => {
        const f = await loadFixture(deployAgreementFixture);
        const newTerms: AgreementTerms = { ...f.terms, noticePeriod: 60 * DAY };
        const amendment = {
          agreementId: f.agreementId,
          baseVersion: 0,
          newTermsHash: hashAgreementTerms(newTerms),
          effectiveFrom: BigInt(f.terms.validFrom) + 2n * BigInt(PERIOD),
        };
        const { signatureA, signatureB } = await signedAmendment(f, amendment);
        return gasUsed(
          f.agreements.connect(f.accounts.eve).amend(amendment, f.terms, newTerms, signatureA, signatureB),
        );
      },
    ],
    [
      "agreements.terminate",
      async () => {
        const f = await loadFixture(deployAgreementFixture);
        return gasUsed(f.agreements.connect(f.accounts.alice).terminate(f.agreementId, f.terms, f.terms.validUntil));
      },
    ],
    [
      "agreements.invalidateNonces",
      async () => {
        const f = await loadFixture(deployAgreementsFixture);
        return gasUsed(f.agreements.connect(f.accounts.aliceSigner).invalidateNonces(f.alpha, 0, 0b1010));
      },
    ],
  ];

  for (const [name, run, budget] of scenarios) {
    const within = budget === undefined ? "" : ` and its budget of ${budget}`;
    it(`should keep "${name}" within 1% of the snapshot${within}`, async () => {
      const failure = checkGas(name, await run(), budget);
      expect(failure, failure).to.equal(undefined);
    });
  }
});
