import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { signVoucher } from "../../sdk/src";
import { DAY } from "../helpers/agreements";
import {
  submitArgs,
  onChain,
  agreementWithTariff,
  buildBatch,
  deployClearingFixture,
  eightServiceTariff,
  Fraud,
  makeRecord,
  makeRecords,
  UNIT,
  type ClearingFixture,
} from "../helpers/clearing";
import { checkGas, gasUsed } from "../helpers/gas";
import { Svc } from "../helpers/rating";

/**
 * Gas of usage clearing's user-facing operations, one named scenario each, checked against the committed snapshot and
 * against the budgets of issue 5: submitting a batch as the first of its period with 4 services <= 150,000 and with
 * 8 services <= 200,000 (any record count: only the root goes on chain); accepting or finalizing <= 70,000; a fraud
 * proof for one record of a 2^20-leaf tree <= 120,000; redeeming a voucher <= 100,000.
 *
 * Every budget is met and asserted. Submissions are measured on an agreement already in clearing (`enableClearing`, a
 * one-time step per agreement that the SDK takes right after acceptance, is its own scenario: it also caches what
 * submissions need of the terms and creates the base tariff's rate card, so that a submission carries neither the
 * terms nor the tariff; see docs/ARCHITECTURE.md section 7). Acceptance makes a batch final at once; `finalize`
 * (anyone) then records it in the vault. Finalize is measured when the payer already owes the payee in the vault's open
 * cycle (the steady state; the vault's first obligation of a pair in a cycle writes its bilateral gross from zero, see
 * the vault's scenarios).
 */

const BUDGET = {
  submit4: 150_000n,
  submit8: 200_000n,
  acceptOrFinalize: 70_000n,
  fraudProof: 120_000n,
  voucher: 100_000n,
};

const FOUR = [Svc.VoiceMO, Svc.SmsMO, Svc.Data, Svc.VoLTE];

/** The clearing fixture with the agreement in clearing. */
async function enabled(): Promise<ClearingFixture> {
  const f = await deployClearingFixture();
  await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
  return f;
}

function periodBounds(f: ClearingFixture): [bigint, bigint] {
  const start = BigInt(f.terms.validFrom);
  return [start, start + BigInt(DAY)];
}

/** Batch `sequence` of 4 services covering the first day of the first period. */
function fourServiceBatch(f: ClearingFixture, sequence: number, perService = 25) {
  const [start, end] = periodBounds(f);
  return buildBatch({
    agreementId: f.agreementId,
    sequence,
    periodStart: start,
    periodEnd: end,
    leaves: makeRecords(FOUR, perService, start, end).map((l) => ({
      ...l,
      recordId: ethers.id(`${sequence}/${l.index}`),
    })),
    taxes: { [Svc.Data]: 3n * UNIT },
  });
}

async function submitted(f: ClearingFixture, sequence: number) {
  const batch = fourServiceBatch(f, sequence);
  await f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(batch.header), "ipfs://batch", "0x");
  return batch;
}

/** Beta already owes alpha in the open cycle (a first batch accepted and recorded). */
async function owing(): Promise<ClearingFixture> {
  const f = await enabled();
  const first = await submitted(f, 1);
  await f.clearing.connect(f.accounts.bob).accept(onChain(first.header));
  await f.clearing.finalize(onChain(first.header));
  return f;
}

const scenarios: { name: string; budget?: bigint; run: () => Promise<bigint> }[] = [
  {
    name: "clearing.enableClearing",
    run: async () => {
      const f = await loadFixture(deployClearingFixture);
      return gasUsed(f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]));
    },
  },
  {
    name: "clearing.submitBatch (4 services, first batch of a period)",
    budget: BUDGET.submit4,
    run: async () => {
      const f = await loadFixture(enabled);
      const batch = fourServiceBatch(f, 1);
      return gasUsed(
        f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(batch.header), "ipfs://batch", "0x"),
      );
    },
  },
  {
    name: "clearing.submitBatch (4 services, later batch of a period)",
    run: async () => {
      const f = await loadFixture(enabled);
      await submitted(f, 1);
      const batch = fourServiceBatch(f, 2);
      return gasUsed(
        f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(batch.header), "ipfs://batch", "0x"),
      );
    },
  },
  {
    name: "clearing.submitBatch (4 services, relayed with the VPMN key's signature)",
    run: async () => {
      const f = await loadFixture(enabled);
      const batch = fourServiceBatch(f, 1);
      const { signBatchHeader } = await import("../../sdk/src");
      const signature = await signBatchHeader(f.accounts.aliceSigner, f.clearingDomain, batch.header);
      return gasUsed(
        f.clearing.connect(f.accounts.dave).submitBatch(...submitArgs(batch.header), "ipfs://batch", signature),
      );
    },
  },
  {
    name: "clearing.submitBatch (8 services, first batch of a period)",
    budget: BUDGET.submit8,
    run: async () => {
      const f = await loadFixture(enabled);
      const tariff = eightServiceTariff();
      const { agreementId, terms } = await agreementWithTariff(f, tariff);
      await f.clearing.enableClearing(agreementId, terms, [tariff, tariff]);
      const [start, end] = periodBounds(f);
      const services = tariff.plans.map((p) => Number(p.service));
      const batch = buildBatch({
        agreementId,
        sequence: 1,
        periodStart: start,
        periodEnd: end,
        leaves: makeRecords(services, 10, start, end),
        baseTariff: terms.baseTariff[0],
      });
      return gasUsed(f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(batch.header), "ipfs://b", "0x"));
    },
  },
  {
    name: "clearing.accept",
    budget: BUDGET.acceptOrFinalize,
    run: async () => {
      const f = await loadFixture(owing);
      const batch = await submitted(f, 2);
      return gasUsed(f.clearing.connect(f.accounts.bob).accept(onChain(batch.header)));
    },
  },
  {
    name: "clearing.finalize (accepted batch)",
    budget: BUDGET.acceptOrFinalize,
    run: async () => {
      const f = await loadFixture(owing);
      const batch = await submitted(f, 2);
      await f.clearing.connect(f.accounts.bob).accept(onChain(batch.header));
      return gasUsed(f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header)));
    },
  },
  {
    name: "clearing.finalize (window over)",
    budget: BUDGET.acceptOrFinalize,
    run: async () => {
      const f = await loadFixture(owing);
      const batch = await submitted(f, 2);
      await time.increase(8 * DAY);
      return gasUsed(f.clearing.connect(f.accounts.eve).finalize(onChain(batch.header)));
    },
  },
  {
    name: "clearing.proveFraud (OutsidePeriod, 2^20-leaf tree)",
    budget: BUDGET.fraudProof,
    run: async () => {
      const f = await loadFixture(enabled);
      // A 2^20-leaf tree: the proof has 20 siblings. Only the path matters on chain, so the other leaves are stood
      // in for by random sibling hashes (the root is computed from the leaf and its path).
      const [start, end] = periodBounds(f);
      const leaf = makeRecord(7, Svc.VoiceMO, end, end + 100n, 120n, 7);
      const { hashRecordLeaf } = await import("../../sdk/src/merkle/leaf");
      let node = hashRecordLeaf(leaf);
      const proof: string[] = [];
      for (let level = 0; level < 20; level++) {
        const sibling = ethers.id(`sibling ${level}`);
        proof.push(sibling);
        node = ethers.keccak256(ethers.concat(node < sibling ? [node, sibling] : [sibling, node]));
      }
      const header = { ...fourServiceBatch(f, 1).header, root: node };
      await f.clearing.connect(f.accounts.alice).submitBatch(...submitArgs(header), "ipfs://big", "0x");
      expect(start).to.be.lessThan(end);
      return gasUsed(
        f.clearing.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, onChain(header), { leaf, proof }),
      );
    },
  },
  {
    name: "clearing.redeemVoucher",
    budget: BUDGET.voucher,
    run: async () => {
      const f = await loadFixture(owing);
      const expiry = (await time.latest()) + DAY;
      const voucher = { agreementId: f.agreementId, direction: 0, cumulativeAmount: 5n * UNIT, expiry };
      await f.clearing.redeemVoucher(voucher, await signVoucher(f.accounts.bobSigner, f.clearingDomain, voucher));
      const next = { ...voucher, cumulativeAmount: 9n * UNIT };
      const signature = await signVoucher(f.accounts.bobSigner, f.clearingDomain, next);
      return gasUsed(f.clearing.connect(f.accounts.alice).redeemVoucher(next, signature));
    },
  },
];

describe("Gas: UsageClearing", () => {
  for (const { name, budget: bound, run } of scenarios) {
    const within = bound === undefined ? "" : ` and within its budget of ${bound.toLocaleString("en")}`;
    it(`should keep "${name}" within 1% of the snapshot${within}`, async () => {
      const failure = checkGas(name, await run(), bound);
      expect(failure, failure).to.equal(undefined);
    });
  }
});
