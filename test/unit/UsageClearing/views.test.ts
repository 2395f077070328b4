import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { BATCH_HEADER_TYPES, batchIdOf, hashVoucher, normalizeBatchHeader, VOUCHER_TYPES } from "../../../sdk/src";
import type { UsageChallenges } from "../../../sdk/src/typechain";
import { DAY } from "../../helpers/agreements";
import {
  BatchStatus,
  Code,
  deployClearingFixture,
  Fraud,
  multiProofOf,
  NO_RECORDS,
  proofOf,
  Reject,
  UNIT,
} from "../../helpers/clearing";
import { Svc } from "../../helpers/rating";
import { usageBatch, volumesByPosition, withHeldBatch, withPendingBatch } from "./shared";

const ESCALATION_TIMEOUT = 30n * BigInt(DAY);

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
      const clearing = await factory.deploy(f.manager, f.registry, f.agreements, f.vault, DAY);
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
  describe("registry, agreements, vault, authority, escalationTimeout and MAX_CHALLENGES", () => {
    it("should return the suite's contracts and the deployment's parameters", async () => {
      const f = await loadFixture(deployClearingFixture);
      expect(await f.clearing.registry()).to.equal(await f.registry.getAddress());
      expect(await f.clearing.agreements()).to.equal(f.agreementsAddress);
      expect(await f.clearing.vault()).to.equal(await f.vault.getAddress());
      expect(await f.clearing.authority()).to.equal(await f.manager.getAddress());
      expect(await f.clearing.escalationTimeout()).to.equal(ESCALATION_TIMEOUT);
      expect(await f.clearing.MAX_CHALLENGES()).to.equal(256n);
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
      const calls = [
        module.connect(f.accounts.bob).reject(header, Reject.Other, f.terms, f.tariff, NO_RECORDS),
        module
          .connect(f.accounts.bob)
          .dispute(header, f.terms, f.tariff, multiProofOf(f.batch, [0]), [Code.UnknownSubscriber]),
        module.connect(f.accounts.eve).proveFraud(Fraud.OutsidePeriod, header, f.terms, f.tariff, record),
        module.connect(f.accounts.eve).proveDuplicate(header, record, header, f.terms, f.tariff, proofOf(f.batch, 1)),
      ];
      for (const call of calls) {
        await expect(call).to.be.revertedWithCustomError(module, "UsageChallenges_DirectCall");
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
      await f.clearing.finalize(f.batch.header);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
    });

    it("should be true at once for an accepted batch", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).accept(f.batch.header);
      expect(await f.clearing.isFinal(f.batch.batchId)).to.equal(true);
    });

    it("should stay false for a rejected batch, even after its window", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(f.batch.header, Reject.Other, f.terms, f.tariff, NO_RECORDS);
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
      expect([stored.challenged, stored.held]).to.deep.equal([1n, f.held]);
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
      await f.clearing.connect(f.accounts.bob).reject(f.batch.header, Reject.Other, f.terms, f.tariff, NO_RECORDS);
      expect(await f.clearing.periodVolumes(f.agreementId, 0, 0, 4)).to.deep.equal([0n, 0n, 0n, 0n]);
    });
  });

  describe("lane", () => {
    it("should be empty and closed before clearing, and revert for a direction above 1", async () => {
      const f = await loadFixture(deployClearingFixture);
      const lane = await f.clearing.lane(f.agreementId, 0);
      expect([lane.sequence, lane.voucherRedeemed, lane.decimals, lane.open]).to.deep.equal([0n, 0n, 0n, false]);
      await expect(f.clearing.lane(f.agreementId, 2))
        .to.be.revertedWithCustomError(f.clearing, "UsageClearing_InvalidDirection")
        .withArgs(2);
    });

    it("should hold the last sequence and the decimals once in clearing", async () => {
      const f = await loadFixture(withPendingBatch);
      const lane = await f.clearing.lane(f.agreementId, 0);
      expect([lane.sequence, lane.voucherRedeemed, lane.decimals, lane.open]).to.deep.equal([1n, 0n, 6n, true]);
    });
  });

  describe("clearingConfig", () => {
    it("should be zero before clearing, then hold the token and the parties", async () => {
      const f = await loadFixture(deployClearingFixture);
      const before = await f.clearing.clearingConfig(f.agreementId);
      expect([before.token, before.partyA, before.partyB]).to.deep.equal([ethers.ZeroAddress, 0n, 0n]);
      await f.clearing.enableClearing(f.agreementId, f.terms);
      const after = await f.clearing.clearingConfig(f.agreementId);
      expect([after.token, after.partyA, after.partyB]).to.deep.equal([f.tokenAddress, f.alpha, f.beta]);
    });
  });

  describe("operatorStats", () => {
    it("should count a rejection against the VPMN only", async () => {
      const f = await loadFixture(withPendingBatch);
      await f.clearing.connect(f.accounts.bob).reject(f.batch.header, Reject.Other, f.terms, f.tariff, NO_RECORDS);
      const vpmn = await f.clearing.operatorStats(f.alpha);
      const hpmn = await f.clearing.operatorStats(f.beta);
      expect([vpmn.fraudProven, vpmn.batchesRejected, vpmn.enrolled]).to.deep.equal([0n, 1n, true]);
      expect([hpmn.fraudProven, hpmn.batchesRejected, hpmn.enrolled]).to.deep.equal([0n, 0n, true]);
    });
  });

  describe("batchOfRoot", () => {
    it("should return the batch that used a root, zero for an unused one, and keep it after a rejection", async () => {
      const f = await loadFixture(withPendingBatch);
      expect(await f.clearing.batchOfRoot(f.batch.header.root)).to.equal(f.batch.batchId);
      expect(await f.clearing.batchOfRoot(ethers.id("unused root"))).to.equal(ethers.ZeroHash);
      await f.clearing.connect(f.accounts.bob).reject(f.batch.header, Reject.Other, f.terms, f.tariff, NO_RECORDS);
      expect(await f.clearing.batchOfRoot(f.batch.header.root)).to.equal(f.batch.batchId);
    });
  });

  describe("hashBatchHeader, hashVoucher and hashTypedData", () => {
    it("should give the SDK's batch id for headers of both directions", async () => {
      const f = await loadFixture(deployClearingFixture);
      for (const direction of [0, 1]) {
        const { header } = usageBatch(f, { sequence: 7, direction });
        expect(await f.clearing.hashBatchHeader(header)).to.equal(batchIdOf(header));
        expect(await f.clearing.hashBatchHeader(header)).to.equal(
          ethers.TypedDataEncoder.hashStruct("BatchHeader", BATCH_HEADER_TYPES, normalizeBatchHeader(header)),
        );
      }
    });

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
        ethers.TypedDataEncoder.hash(f.clearingDomain, BATCH_HEADER_TYPES, normalizeBatchHeader(header)),
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
