import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { batchHeaderTypedData, batchIdOf, hashBatchTotals, hashVoucher, type BatchHeader } from "../../../sdk/src";
import { BATCH_HEADER_TYPES, BATCH_TOTALS_TYPES, VOUCHER_TYPES } from "../../../sdk/src/typedData/clearing";
import type { UsageChallenges } from "../../../sdk/src/typechain";
import { DAY } from "../../helpers/agreements";
import { coverageRunning } from "../../helpers/gas";
import {
  batchArgs,
  onChain,
  BatchStatus,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  proofOf,
  Reject,
  UNIT,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import { USAGE, usageBatch, volumesByPosition, withHeldBatch, withPendingBatch } from "./shared";

const ESCALATION_TIMEOUT = 30n * BigInt(DAY);

/** The EIP-712 types of a batch header, as IUsageClearing documents them. */
const BATCH_TOTALS_TYPE = "BatchTotals(uint8[] services,uint64[] volumes,uint32[] recordCounts,uint128[] taxes)";
const BATCH_HEADER_TYPE =
  "BatchHeader(bytes32 agreementId,uint8 direction,uint32 sequence,uint40 periodStart,uint40 periodEnd," +
  "bytes32 baseTariff,uint128 taxes,BatchTotals totals,bytes32 root,bytes32 fileHash)" +
  BATCH_TOTALS_TYPE;

/** EIP-712 `hashStruct` of a header's totals, computed by hand: each array the hash of its 32-byte words. */
function totalsHashByHand(h: BatchHeader): string {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const words = (type: string, values: readonly unknown[]) =>
    ethers.keccak256(
      coder.encode(
        values.map(() => type),
        values,
      ),
    );
  return ethers.keccak256(
    coder.encode(
      ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32"],
      [
        ethers.id(BATCH_TOTALS_TYPE),
        words("uint8", h.services),
        words("uint64", h.volumes),
        words("uint32", h.recordCounts),
        words("uint128", h.taxes),
      ],
    ),
  );
}

/** EIP-712 `hashStruct` of a header, computed by hand: the totals nested as their struct hash, the taxes summed. */
function headerHashByHand(h: BatchHeader): string {
  const taxes = h.taxes.reduce<bigint>((sum, t) => sum + BigInt(t), 0n);
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      [
        "bytes32",
        "bytes32",
        "uint8",
        "uint32",
        "uint40",
        "uint40",
        "bytes32",
        "uint128",
        "bytes32",
        "bytes32",
        "bytes32",
      ],
      [
        ethers.id(BATCH_HEADER_TYPE),
        h.agreementId,
        h.direction,
        h.sequence,
        h.periodStart,
        h.periodEnd,
        h.baseTariff,
        taxes,
        totalsHashByHand(h),
        h.root,
        h.fileHash,
      ],
    ),
  );
}

describe("UsageClearing.constructor", () => {
  describe("when an address is zero or the escalation timeout is zero", () => {
    it("should revert naming the field", async () => {
      const f = await loadFixture(deployClearingFixture);
      const factory = await ethers.getContractFactory("UsageClearing");
      const [manager, registry, agreements, vault] = [f.manager, f.registry, f.agreements, f.vault];
      const zero = ethers.ZeroAddress;
      const cases: [unknown[], string][] = [
        [[manager, zero, agreements, vault, DAY], "registry"],
        [[manager, registry, zero, vault, DAY], "agreements"],
        [[manager, registry, agreements, zero, DAY], "vault"],
      ];
      for (const [args, field] of cases) {
        await expect(factory.deploy(...(args as Parameters<typeof factory.deploy>)))
          .to.be.revertedWithCustomError(factory, "UsageClearing_ZeroAddress")
          .withArgs(field);
      }
      await expect(factory.deploy(manager, registry, agreements, vault, 0)).to.be.revertedWithCustomError(
        factory,
        "UsageClearing_ZeroEscalationTimeout",
      );
    });
  });

  describe("when the arguments are valid", () => {
    it("should wire the suite, deploy its challenge module and emit EscalationTimeoutSet", async () => {
      const f = await loadFixture(deployClearingFixture);
      const factory = await ethers.getContractFactory("UsageClearing");
      // Under coverage the instrumented code of both contracts is deployed at once: more than an estimate allows.
      const overrides = coverageRunning ? { gasLimit: 1_000_000_000n } : {};
      const clearing = await factory.deploy(f.manager, f.registry, f.agreements, f.vault, DAY, overrides);
      await expect(clearing.deploymentTransaction()).to.emit(clearing, "EscalationTimeoutSet").withArgs(DAY);
      expect(await clearing.registry()).to.equal(await f.registry.getAddress());
      expect(await clearing.escalationTimeout()).to.equal(BigInt(DAY));
      const module = await clearing.challenges();
      expect(module).to.not.equal(await f.clearing.challenges());
      expect(await ethers.provider.getCode(module)).to.not.equal("0x");
    });
  });
});

describe("UsageClearing views", () => {
  describe("registry, agreements, vault, authority, escalationTimeout and MAX_DISPUTES", () => {
    it("should return the suite's contracts and the deployment's parameters", async () => {
      const f = await loadFixture(deployClearingFixture);
      expect(await f.clearing.registry()).to.equal(await f.registry.getAddress());
      expect(await f.clearing.agreements()).to.equal(f.agreementsAddress);
      expect(await f.clearing.vault()).to.equal(await f.vault.getAddress());
      expect(await f.clearing.authority()).to.equal(await f.manager.getAddress());
      expect(await f.clearing.escalationTimeout()).to.equal(ESCALATION_TIMEOUT);
      expect(await f.clearing.MAX_DISPUTES()).to.equal(65_535n);
      expect(await f.vault.isSuiteContract(f.clearing)).to.equal(true);
    });
  });

  describe("challenges", () => {
    it("should be a deployed module distinct from the clearing contract", async () => {
      const f = await loadFixture(deployClearingFixture);
      const module = await f.clearing.challenges();
      expect(module).to.not.equal(ethers.ZeroAddress);
      expect(module).to.not.equal(f.clearingAddress);
      expect(await ethers.provider.getCode(module)).to.not.equal("0x");
    });

    it("should refuse every call made to the module directly", async () => {
      const f = await loadFixture(withPendingBatch);
      const module = (await ethers.getContractAt(
        "UsageChallenges",
        await f.clearing.challenges(),
      )) as unknown as UsageChallenges;
      const { header } = f.batch;
      const record = proofOf(f.batch, 0);
      // Each call is made when it is awaited: a call sent early would reject before anyone listens.
      const calls = [
        () => module.connect(f.accounts.bob).reject(...batchArgs(header), Reject.Other),
        () =>
          module.connect(f.accounts.bob).dispute(onChain(header), multiProofOf(f.batch, [0]), [Code.UnknownSubscriber]),
        () => module.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, onChain(header), record),
        () =>
          module.connect(f.accounts.eve).proveDuplicate(onChain(header), record, onChain(header), proofOf(f.batch, 1)),
      ];
      for (const call of calls) {
        await expect(call()).to.be.revertedWithCustomError(module, "UsageChallenges_DirectCall");
      }
    });
  });

  describe("getBatch", () => {
    it("should return an all-zero record for an unknown id", async () => {
      const f = await loadFixture(withPendingBatch);
      const unknown = await f.clearing.getBatch(ethers.id("unknown"));
      expect([unknown.finalAt, unknown.status, unknown.charge, unknown.held]).to.deep.equal([
        0n,
        BatchStatus.None,
        0n,
        0n,
      ]);
    });
  });

  describe("isFinal", () => {
    it("should be false for an unknown batch", async () => {
      const f = await loadFixture(withPendingBatch);
      expect(await f.clearing.isFinal(ethers.id("unknown"))).to.equal(false);
    });

    it("should turn true when the window ends, without a transaction, and stay true once recorded", async () => {
      const f = await loadFixture(withPendingBatch);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(false);
      await time.increaseTo(f.finalAt - 1n);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(false);
      await time.increaseTo(f.finalAt);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
      expect((await f.clearing.getBatch(f.batch.batchId)).status).to.equal(BatchStatus.Pending);
      await f.clearing.finalize(onChain(f.batch.header));
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
    });

    it("should be true at once for an accepted batch", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(onChain(f.batch.header));
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
    });

    it("should stay false for a rejected batch, even after its window", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      await time.increaseTo(f.finalAt + 1n);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(false);
    });
  });

  describe("isChallenged", () => {
    it("should be true only for the disputed records", async () => {
      const f = await loadFixture(withHeldBatch);
      expect(await f.clearing.isChallenged(f.batch.batchId, 0)).to.equal(true);
      for (const index of [1, 2, 255, 256, 300]) {
        expect(await f.clearing.isChallenged(f.batch.batchId, index)).to.equal(false);
      }
      expect(await f.clearing.isChallenged(ethers.id("unknown"), 0)).to.equal(false);
      const stored = await f.clearing.getBatch(f.batch.batchId);
      expect([stored.disputed, stored.held]).to.deep.equal([1n, f.held]);
    });
  });

  describe("periodVolumes", () => {
    it("should list the running volume of each base-tariff plan position, zeros past them", async () => {
      const f = await loadFixture(withPendingBatch);
      const running = { [Svc.VoiceMO]: 420n, [Svc.SmsMO]: 3n, [Svc.Data]: 819_200n };
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal(
        volumesByPosition(f.tariff, running),
      );
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 6)).to.deep.equal([
        ...volumesByPosition(f.tariff, running),
        0n,
        0n,
      ]);
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 0)).to.deep.equal([]);
      // Another direction, another period: nothing.
      expect(await f.clearing.periodVolumes(f.agreementId, 1, 0, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 1, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    it("should lower a service's volume by a disputed record's volume", async () => {
      const f = await loadFixture(withHeldBatch);
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal(
        volumesByPosition(f.tariff, { [Svc.VoiceMO]: 300n, [Svc.SmsMO]: 3n, [Svc.Data]: 819_200n }),
      );
    });

    it("should drop a rejected batch's volumes", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
    });
  });

  describe("lane", () => {
    it("should be empty and closed before clearing, and revert for a direction above 1", async () => {
      const f = await loadFixture(deployClearingFixture);
      const lane = await f.clearing.lane(f.agreementId, 0);
      expect([
        lane.sequence,
        lane.voucherRedeemed,
        lane.decimals,
        lane.open,
        lane.validFrom,
        lane.periodLength,
      ]).to.deep.equal([0n, 0n, 0n, false, 0n, 0n]);
      await expect(f.clearing.lane(f.agreementId, 2))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidDirection")
        .withArgs(2);
    });

    it("should hold the last sequence, the decimals and the agreement's period grid once in clearing", async () => {
      const f = await loadFixture(withPendingBatch);
      const grid = [BigInt(f.terms.validFrom), BigInt(f.terms.periodLength)];
      const lane = await f.clearing.lane(f.agreementId, 0);
      expect([
        lane.sequence,
        lane.voucherRedeemed,
        lane.decimals,
        lane.open,
        lane.validFrom,
        lane.periodLength,
      ]).to.deep.equal([1n, 0n, 6n, true, ...grid]);
      const other = await f.clearing.lane(f.agreementId, 1);
      expect([other.sequence, other.open, other.validFrom, other.periodLength]).to.deep.equal([0n, true, ...grid]);
    });
  });

  describe("clearingConfig", () => {
    it("should be zero before clearing, then hold the token and the parties", async () => {
      const f = await loadFixture(deployClearingFixture);
      const before = await f.clearing.clearingConfig(f.agreementId);
      expect([before.token, before.partyA, before.partyB]).to.deep.equal([ethers.ZeroAddress, 0n, 0n]);
      await f.clearing.enableClearing(f.agreementId, f.terms, [f.tariff, f.tariff]);
      const after = await f.clearing.clearingConfig(f.agreementId);
      expect([after.token, after.partyA, after.partyB]).to.deep.equal([f.tokenAddress, f.alpha, f.beta]);
    });
  });

  describe("operatorStats", () => {
    it("should count a rejection against the VPMN only", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      const vpmn = await f.clearing.operatorStats(f.alpha);
      const hpmn = await f.clearing.operatorStats(f.beta);
      expect([vpmn.fraudProven, vpmn.batchesRejected, vpmn.enrolled]).to.deep.equal([0n, 1n, true]);
      expect([hpmn.fraudProven, hpmn.batchesRejected, hpmn.enrolled]).to.deep.equal([0n, 0n, true]);
    });
  });

  describe("isRootUsed", () => {
    it("should be true for the lane that used a root only, and stay true after a rejection", async () => {
      const f = await loadFixture(withPendingBatch);
      const root = f.batch.header.root;
      expect(await f.clearing.isRootUsed(f.agreementId, 0, root)).to.equal(true);
      expect(await f.clearing.isRootUsed(f.agreementId, 1, root)).to.equal(false);
      expect(await f.clearing.isRootUsed(ethers.id("another agreement"), 0, root)).to.equal(false);
      expect(await f.clearing.isRootUsed(f.agreementId, 0, ethers.id("unused root"))).to.equal(false);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      expect(await f.clearing.isRootUsed(f.agreementId, 0, root)).to.equal(true);
    });
  });

  describe("batchVolumes", () => {
    it("should give what a batch still counts per plan position: its totals, less removals, zero once rejected", async () => {
      const f = await loadFixture(withHeldBatch);
      const header = onChain(f.batch.header);
      const voice = (USAGE[Svc.VoiceMO] ?? []).reduce((sum, v) => sum + v, 0n);
      const sms = (USAGE[Svc.SmsMO] ?? []).reduce((sum, v) => sum + v, 0n);
      const data = (USAGE[Svc.Data] ?? []).reduce((sum, v) => sum + v, 0n);
      const first = (USAGE[Svc.VoiceMO] ?? [])[0];
      // Record 0 (voice) was disputed: its volume left the batch's count.
      expect(await f.clearing.batchVolumes(header, 6)).to.deep.equal([voice - first, sms, data, 0n, 0n, 0n]);
      await f.clearing.connect(f.accounts.bob).reject(...batchArgs(f.batch.header), Reject.Other);
      expect(await f.clearing.batchVolumes(header, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
      const never = usageBatch(f, { sequence: 2 });
      expect(await f.clearing.batchVolumes(onChain(never.header), 4)).to.deep.equal([0n, 0n, 0n, 0n]);
    });
  });

  describe("hashBatchHeader", () => {
    it("should give the SDK's batch id for headers of both directions", async () => {
      const f = await loadFixture(deployClearingFixture);
      for (const direction of [0, 1]) {
        const { header } = usageBatch(f, { sequence: 7, direction });
        const id = await f.clearing.hashBatchHeader(onChain(header));
        expect(id).to.equal(batchIdOf(header));
        expect(id).to.equal(headerHashByHand(header));
        expect(id).to.equal(
          ethers.TypedDataEncoder.hashStruct(
            "BatchHeader",
            BATCH_HEADER_TYPES,
            batchHeaderTypedData(f.clearingDomain, header).message,
          ),
        );
        expect(ethers.TypedDataEncoder.from(BATCH_HEADER_TYPES).encodeType("BatchHeader")).to.equal(BATCH_HEADER_TYPE);
      }
    });

    it("should change the batch id with the header's tariff, taxes or totals", async () => {
      const f = await loadFixture(deployClearingFixture);
      const { header } = usageBatch(f, { sequence: 1 });
      const h = onChain(header);
      const id = await f.clearing.hashBatchHeader(h);
      for (const other of [
        { ...h, baseTariff: f.discountTariffId },
        { ...h, taxes: h.taxes + 1n },
        { ...h, totals: ethers.id("other totals") },
      ]) {
        expect(await f.clearing.hashBatchHeader(other)).to.not.equal(id);
      }
    });
  });

  describe("hashBatchTotals", () => {
    it("should give the SDK's totals hash, what a header's totals field holds", async () => {
      const f = await loadFixture(deployClearingFixture);
      for (const direction of [0, 1]) {
        const [h, totals] = batchArgs(usageBatch(f, { sequence: 3, direction }).header);
        const hash = await f.clearing.hashBatchTotals(totals);
        expect(hash).to.equal(hashBatchTotals(totals));
        expect(hash).to.equal(ethers.TypedDataEncoder.hashStruct("BatchTotals", BATCH_TOTALS_TYPES, totals));
        expect(hash).to.equal(h.totals);
      }
    });

    it("should hash each array's elements, so that any change of a figure changes it", async () => {
      const f = await loadFixture(deployClearingFixture);
      const { header } = usageBatch(f, { sequence: 1 });
      const [, t] = batchArgs(header);
      expect(await f.clearing.hashBatchTotals(t)).to.equal(totalsHashByHand(header));
      const bump = (values: bigint[]) => [values[0] + 1n, ...values.slice(1)];
      const hash = hashBatchTotals(t);
      for (const other of [
        { ...t, volumes: bump(t.volumes) },
        { ...t, recordCounts: bump(t.recordCounts) },
        { ...t, taxes: bump(t.taxes) },
        { ...t, services: t.services.slice(0, 1), volumes: t.volumes.slice(0, 1) },
      ]) {
        expect(await f.clearing.hashBatchTotals(other)).to.not.equal(hash);
      }
    });
  });

  describe("hashVoucher and hashTypedData", () => {
    it("should give the SDK's voucher hash", async () => {
      const f = await loadFixture(deployClearingFixture);
      const voucher = {
        agreementId: f.agreementId,
        direction: 1,
        cumulativeAmount: 123n * UNIT,
        expiry: 1_900_000_000n,
      };
      expect(await f.clearing.hashVoucher(voucher)).to.equal(hashVoucher(voucher));
      expect(await f.clearing.hashVoucher(voucher)).to.equal(
        ethers.TypedDataEncoder.hashStruct("Voucher", VOUCHER_TYPES, voucher),
      );
    });

    it("should give the EIP-712 digest in the contract's domain", async () => {
      const f = await loadFixture(deployClearingFixture);
      const { header } = usageBatch(f, { sequence: 1 });
      const voucher = { agreementId: f.agreementId, direction: 0, cumulativeAmount: UNIT, expiry: 1_900_000_000n };
      expect(await f.clearing.hashTypedData(batchIdOf(header))).to.equal(
        ethers.TypedDataEncoder.hash(
          f.clearingDomain,
          BATCH_HEADER_TYPES,
          batchHeaderTypedData(f.clearingDomain, header).message,
        ),
      );
      expect(await f.clearing.hashTypedData(hashVoucher(voucher))).to.equal(
        ethers.TypedDataEncoder.hash(f.clearingDomain, VOUCHER_TYPES, voucher),
      );
      const separator = ethers.TypedDataEncoder.hashDomain({
        name: "RoamLedger UsageClearing",
        version: "1",
        chainId: f.chainId,
        verifyingContract: f.clearingAddress,
      });
      const structHash = ethers.id("any struct");
      expect(await f.clearing.hashTypedData(structHash)).to.equal(
        ethers.keccak256(ethers.concat(["0x1901", separator, structHash])),
      );
    });
  });
});
