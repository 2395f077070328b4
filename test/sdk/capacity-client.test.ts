import { expect } from "chai";
import { suiteErrorDecoder } from "../../sdk/src/errors";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { MaxUint256, ZeroHash, id as keccakText, type ContractRunner, type TransactionRequest } from "ethers";

import { DEFAULT_CAPACITY_BASE_URI } from "../../deploy/modules/RoamLedger";
import {
  CapacityKind,
  classIdHex,
  classIdOf,
  maxSlaCredit,
  PayVia,
  saltOf,
  slaCredit,
  type ClassTerms,
} from "../../sdk/src/capacity";
import {
  CapacityClient,
  CapacityTransactionBuilder,
  slaBreachIdOf,
  slaCreditRef,
} from "../../sdk/src/clients/capacity";
import { MARKET_LIMITS, MarketClient, MarketTransactionBuilder, marketPrice } from "../../sdk/src/clients/market";
import { InvalidArgumentError, RoamLedgerContractError, SignerRequiredError } from "../../sdk/src/errors";
import * as sdk from "../../sdk/src";
import {
  DAY,
  HOUR,
  AREA,
  dataTerms,
  deployCapacityFixture,
  instantGovernor,
  sliceTerms,
  spectrumTerms,
  USDC,
} from "../helpers/capacity";
import { scheduleAndExecute } from "../helpers/fixtures";
import { addr, rejection } from "./fixture";

const REF = keccakText("provisioning request #1");
const EVIDENCE = keccakText("outage report 17");

/** The capacity fixture plus clients of the token and the market for alpha's, beta's and gamma's admins. */
async function clientFixture() {
  const f = await deployCapacityFixture();
  const { alice, bob, carol, arbiter } = f.accounts;
  const capacityAddress = await f.capacity.getAddress();
  const marketAddress = await f.market.getAddress();
  const usdcAddress = await f.usdc.getAddress();
  const token = new CapacityClient(capacityAddress, alice);
  const market = new MarketClient(marketAddress, alice);
  return {
    ...f,
    capacityAddress,
    marketAddress,
    usdcAddress,
    /** The token through alice (alpha's admin, the fixture's issuer), bob, carol, the arbiter and a provider. */
    cap: { alice: token, bob: token.connect(bob), carol: token.connect(carol), arbiter: token.connect(arbiter) },
    capReader: token.connect(ethers.provider),
    mkt: { alice: market, bob: market.connect(bob), carol: market.connect(carol) },
    mktReader: market.connect(ethers.provider),
    /** A listing expiry well inside the data class's validity. */
    expiry: f.now + 20n * BigInt(DAY),
  };
}

/** A runner that records what it is asked to send, and sends nothing (nor reads). */
function recordingRunner(): ContractRunner & { sent: TransactionRequest[] } {
  const runner = {
    provider: null,
    sent: [] as TransactionRequest[],
    getAddress: async () => addr(7),
    sendTransaction: async (tx: TransactionRequest) => {
      runner.sent.push(tx);
      throw new Error("the recording runner sends nothing");
    },
  };
  return runner as unknown as ContractRunner & { sent: TransactionRequest[] };
}

/** A read-only runner over the Hardhat provider that records every `eth_call`. */
function countingRunner(): ContractRunner & { calls: TransactionRequest[] } {
  const calls: TransactionRequest[] = [];
  const runner = {
    provider: ethers.provider,
    calls,
    call: async (tx: TransactionRequest) => {
      calls.push(tx);
      return ethers.provider.call(tx);
    },
  };
  return runner as unknown as ContractRunner & { calls: TransactionRequest[] };
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<InvalidArgumentError> {
  const error = await rejection(promise);
  expect(error, `expected an InvalidArgumentError naming ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).field).to.equal(field);
  return error as InvalidArgumentError;
}

function expectInvalidSync(call: () => unknown, field: string): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError naming ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
}

/** A raw contract call's revert, decoded as the clients decode theirs. */
async function expectDecodedRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = suiteErrorDecoder().decode(await rejection(promise));
  expect(error, String(error)).to.be.instanceOf(RoamLedgerContractError);
  expect(error!.name).to.equal(name);
  return error!;
}

async function expectRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = await rejection(promise);
  expect(error, String(error)).to.be.instanceOf(RoamLedgerContractError);
  expect((error as RoamLedgerContractError).name).to.equal(name);
  return error as RoamLedgerContractError;
}

describe("CapacityClient", function () {
  describe("when constructed", function () {
    it("should checksum the address, build with the same address, and connect other runners", async function () {
      const { capacityAddress, accounts } = await loadFixture(clientFixture);
      const client = new CapacityClient(capacityAddress.toLowerCase(), accounts.alice);
      expect(client.address).to.equal(capacityAddress);
      expect(client.build.address).to.equal(capacityAddress);
      expect(client.runner).to.equal(accounts.alice);
      expect(await client.contract.getAddress()).to.equal(capacityAddress);
      const other = client.connect(accounts.bob);
      expect([other.runner, other.address]).to.deep.equal([accounts.bob, capacityAddress]);
      expectInvalidSync(() => new CapacityClient("0x1234"), "address");
      expectInvalidSync(() => new CapacityTransactionBuilder(ethers.ZeroAddress), "address");
    });

    it("should be exported from the SDK's entry point, with the TypeChain factories", function () {
      expect(sdk.CapacityClient).to.equal(CapacityClient);
      expect(sdk.MarketClient).to.equal(MarketClient);
      expect(sdk.buildClassMetadata).to.be.a("function");
      expect(sdk.CapacityToken__factory.abi).to.be.an("array").that.is.not.empty;
      expect(sdk.CapacityMarket__factory.abi).to.be.an("array").that.is.not.empty;
    });
  });

  describe("reads", function () {
    it("should read a class's record, balances, supply, approvals and band plans", async function () {
      const f = await loadFixture(clientFixture);
      const { capReader: r, accounts, marketAddress } = f;
      expect(await r.classInfo(f.dataId)).to.deep.equal({
        classId: f.dataId,
        issuerId: 1n,
        kind: CapacityKind.Data,
        validFrom: BigInt(f.data.validFrom),
        validUntil: BigInt(f.data.validUntil),
        maxSupply: 1_000n,
        minted: 100n,
      });
      expect(await r.classInfo(f.sliceId)).to.deep.include({ kind: CapacityKind.Slice, maxSupply: 100n, minted: 10n });
      expect(await r.classInfo(12345n)).to.equal(undefined);
      expect(r.classIdOf(f.slice)).to.equal(f.sliceId);
      expect(r.classIdOf(f.data)).to.equal(await f.capacity.classIdOf(f.data));
      expect(await r.balanceOf(accounts.alice.address, f.dataId)).to.equal(100n);
      expect(await r.balanceOf(accounts.bob.address.toLowerCase(), f.dataId)).to.equal(0n);
      expect(await r.totalSupply(f.dataId)).to.equal(100n);
      expect(await r.totalSupply(12345n)).to.equal(0n);
      expect(await r.isApprovedForAll(accounts.alice.address, marketAddress)).to.equal(true);
      expect(await r.isApprovedForAll(accounts.bob.address, marketAddress)).to.equal(false);
      expect(await r.bandPlanCount()).to.equal(1n);
      expect(await r.bandPlan(1)).to.deep.equal({ ...f.plan });
      const unknown = await expectRevert(r.bandPlan(2), "CapacityToken_UnknownBandPlan");
      expect(unknown.args).to.deep.equal({ bandPlanId: 2n });
    });

    it("should read many holdings in one balanceOfBatch call", async function () {
      const f = await loadFixture(clientFixture);
      const runner = countingRunner();
      const client = new CapacityClient(f.capacityAddress, runner);
      const alice = f.accounts.alice.address;
      const holdings = await client.holdings(alice, [f.dataId, f.sliceId, f.dataId, 7n]);
      expect([...holdings]).to.deep.equal([
        [f.dataId, 100n],
        [f.sliceId, 10n],
        [7n, 0n],
      ]);
      expect(runner.calls).to.have.length(1);
      const selector = f.capacity.interface.getFunction("balanceOfBatch").selector;
      expect(String(runner.calls[0].data).slice(0, 10)).to.equal(selector);
      expect((await client.holdings(alice, [])).size).to.equal(0);
      expect(runner.calls).to.have.length(1); // nothing to read, no call
    });

    it("should expand {id} in the base URI and in a class's own URI", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r } = f;
      const hex = classIdHex(f.dataId);
      expect(await r.uri(f.dataId)).to.equal(DEFAULT_CAPACITY_BASE_URI.replace("{id}", hex));
      expect(await f.capacity.uri(f.dataId)).to.equal(DEFAULT_CAPACITY_BASE_URI); // the raw template
      const receipt = await cap.alice.setClassURI(f.dataId, "ipfs://bafy/{id}.json");
      expect(receipt.status).to.equal(1);
      expect(await r.uri(f.dataId)).to.equal(`ipfs://bafy/${hex}.json`);
      expect(await r.uri(f.sliceId)).to.equal(DEFAULT_CAPACITY_BASE_URI.replace("{id}", classIdHex(f.sliceId)));
      await cap.alice.setClassURI(f.dataId, "");
      expect(await r.uri(f.dataId)).to.equal(DEFAULT_CAPACITY_BASE_URI.replace("{id}", hex));
      const notIssuer = await expectRevert(cap.bob.setClassURI(f.dataId, "x"), "CapacityToken_NotIssuer");
      expect(notIssuer.args).to.deep.equal({ issuerId: 1n, caller: f.accounts.bob.address });
      await expectRevert(cap.alice.setClassURI(1n, "x"), "CapacityToken_UnknownClass");
    });
  });

  describe("spectrum", function () {
    it("should preflight a block against its band plan, create it, and read its reservation", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r } = f;
      const terms = spectrumTerms(f, { firstChannel: 4, channelCount: 2, firstSlot: 8, slotCount: 4 });
      const preflight = await r.preflightSpectrum(terms);
      expect(preflight).to.deep.equal({
        plan: { ...f.plan },
        words: 1n,
        validFrom: terms.validFrom,
        validUntil: terms.validUntil,
        lowKHz: 3_570_000n,
        highKHz: 3_580_000n,
      });
      const { classId } = await cap.alice.createClass(terms);
      expect(classId).to.equal(classIdOf(terms));
      expect(await r.isReserved(1, AREA, 4, 8)).to.equal(true);
      expect(await r.isReserved(1, AREA, 5, 11)).to.equal(true);
      expect(await r.isReserved(1, AREA, 6, 8)).to.equal(false); // the next channel
      expect(await r.isReserved(1, AREA, 4, 12)).to.equal(false); // the next slot
      expect(await r.isReserved(1, AREA + 1n, 4, 8)).to.equal(false); // another area
      // The contract refuses an overlap, decoded.
      const overlap = spectrumTerms(
        f,
        { firstChannel: 5, channelCount: 2, firstSlot: 11, slotCount: 1 },
        { issuerId: 2 },
      );
      const error = await expectRevert(cap.bob.createClass(overlap), "CapacityToken_SpectrumOverlap");
      expect(error.args).to.deep.equal({ channel: 5n, slot: 11n });
    });

    it("should read every band plan, and preflight a new one as createBandPlan checks it", async function () {
      const f = await loadFixture(clientFixture);
      const { capReader: r, manager, accounts, capacityAddress } = f;
      expect(await r.bandPlans()).to.deep.equal([{ bandPlanId: 1n, ...f.plan }]);
      // A 10 MHz plan over plan 1's band and year is refused before sending, naming plan 1, as the contract does.
      const tenMHz = { ...f.plan, channelWidthKHz: 10_000n, channelCount: 15n };
      const error = await expectInvalid(r.preflightBandPlan(tenMHz), "plan");
      expect(error.message).to.contain("overlaps band plan 1");
      const governor = await instantGovernor(f);
      const refused = await expectDecodedRevert(
        r.connect(governor).contract.createBandPlan(tenMHz),
        "CapacityToken_BandPlanOverlap",
      );
      expect(refused.args).to.deep.equal({ otherBandPlanId: 1n });
      await expectInvalid(r.preflightBandPlan({ ...f.plan, slotCount: 2n ** 32n }), "plan.slotCount");
      // The band just above is free: plan 2.
      const above = { ...f.plan, originKHz: 3_700_000n };
      expect(await r.preflightBandPlan(above)).to.equal(2n);
      await scheduleAndExecute(
        manager,
        accounts.governor,
        capacityAddress,
        f.cap.alice.build.createBandPlan(above).data,
      );
      expect(await r.bandPlans()).to.deep.equal([
        { bandPlanId: 1n, ...f.plan },
        { bandPlanId: 2n, ...above },
      ]);
      // A block must lie inside its plan's slots.
      const last = spectrumTerms(f, { firstChannel: 0, channelCount: 1, firstSlot: 35_039, slotCount: 2 });
      await expectInvalid(r.preflightSpectrum(last), "spectrum.slotCount");
      const outside = await expectRevert(f.cap.alice.createClass(last), "CapacityToken_SlotsOutsidePlan");
      expect(outside.args).to.deep.equal({ firstSlot: 35_039n, slotCount: 2n, planSlotCount: 35_040n });
    });

    it("should refuse in the preflight what the contract would refuse, before sending", async function () {
      const f = await loadFixture(clientFixture);
      const { capReader: r, cap } = f;
      const block = { firstChannel: 4, channelCount: 2, firstSlot: 8, slotCount: 4 };
      const terms = spectrumTerms(f, block);
      await expectInvalid(r.preflightSpectrum({ ...terms, validFrom: BigInt(terms.validFrom) + 1n }), "validFrom");
      await expectInvalid(r.preflightSpectrum({ ...terms, validUntil: BigInt(terms.validUntil) + 900n }), "validUntil");
      await expectInvalid(
        r.preflightSpectrum(spectrumTerms(f, { ...block, firstChannel: 29 })),
        "spectrum.channelCount",
      );
      const huge = spectrumTerms(f, { firstChannel: 0, channelCount: 30, firstSlot: 0, slotCount: 768 });
      await expectInvalid(r.preflightSpectrum(huge), "spectrum");
      await expectInvalid(r.preflightSpectrum(f.data), "kind");
      await expectInvalid(r.preflightSpectrum(spectrumTerms(f, block, { maxSupply: 2 })), "maxSupply");
      const unknownPlan = spectrumTerms(f, { ...block, bandPlanId: 9n });
      await expectRevert(r.preflightSpectrum(unknownPlan), "CapacityToken_UnknownBandPlan");
      // Sent without the preflight, the contract's refusals come back decoded.
      const shifted = { ...terms, validFrom: BigInt(terms.validFrom) + 1n };
      const mismatch = await expectRevert(cap.alice.createClass(shifted), "CapacityToken_SpectrumWindowMismatch");
      expect(mismatch.args).to.deep.equal({ expectedFrom: terms.validFrom, expectedUntil: terms.validUntil });
      await expectRevert(cap.alice.createClass(unknownPlan), "CapacityToken_UnknownBandPlan");
      const outside = spectrumTerms(f, { ...block, firstChannel: 29 });
      await expectRevert(cap.alice.createClass(outside), "CapacityToken_InvalidBlock");
    });
  });

  describe("writes", function () {
    it("should create a class with its own URI and return its id, and decode the refusals", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r, accounts } = f;
      const terms = dataTerms(f, { salt: saltOf(7) });
      const { classId, receipt } = await cap.alice.createClass(terms, "ipfs://bafy/{id}");
      expect(receipt.status).to.equal(1);
      expect(classId).to.equal(classIdOf(terms));
      expect(await r.classInfo(classId)).to.deep.include({ issuerId: 1n, minted: 0n });
      expect(await r.uri(classId)).to.equal(`ipfs://bafy/${classIdHex(classId)}`);

      const exists = await expectRevert(cap.alice.createClass(f.data), "CapacityToken_ClassExists");
      expect(exists.args).to.deep.equal({ classId: f.dataId });
      const notIssuer = await expectRevert(
        cap.bob.createClass(dataTerms(f, { salt: saltOf(8) })),
        "CapacityToken_NotIssuer",
      );
      expect(notIssuer.args).to.deep.equal({ issuerId: 1n, caller: accounts.bob.address });
      const past = await expectRevert(
        cap.alice.createClass(dataTerms(f, { validFrom: 1, validUntil: 2 })),
        "CapacityToken_InvalidValidity",
      );
      expect(past.args).to.deep.equal({ validFrom: 1n, validUntil: 2n });
      const badToken = await expectRevert(
        cap.alice.createClass(sliceTerms(f, addr(77), 1n)),
        "CapacityToken_CreditTokenNotAllowed",
      );
      expect(badToken.args).to.deep.equal({ token: addr(77) });
      // Sent without the builder's check, a credit one vault obligation could not hold comes back decoded.
      const huge = sliceTerms(f, f.usdcAddress, 2n ** 100n);
      const tooLarge = await expectDecodedRevert(
        f.capacity.connect(accounts.alice).createClass(huge, ""),
        "CapacityToken_CreditTooLarge",
      );
      expect(tooLarge.args).to.deep.equal({ maxCredit: maxSlaCredit(huge), max: 2n ** 96n - 1n });
      await f.capacity.connect(accounts.pauser).pause();
      await expectRevert(cap.alice.createClass(dataTerms(f, { salt: saltOf(9) })), "EnforcedPause");
    });

    it("should mint within the maximum supply, to members only", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r, accounts } = f;
      const receipt = await cap.alice.mint(f.dataId, accounts.bob.address, 5n);
      expect(receipt.status).to.equal(1);
      await cap.alice.mint(f.dataId, accounts.bob.address, 1, "0x1234");
      expect(await r.balanceOf(accounts.bob.address, f.dataId)).to.equal(6n);
      expect((await r.classInfo(f.dataId))!.minted).to.equal(106n);
      const over = await expectRevert(
        cap.alice.mint(f.dataId, accounts.bob.address, 1_000n),
        "CapacityToken_ExceedsMaxSupply",
      );
      expect(over.args).to.deep.equal({ classId: f.dataId, minted: 106n, amount: 1_000n, maxSupply: 1_000n });
      await expectRevert(cap.bob.mint(f.dataId, accounts.bob.address, 1n), "CapacityToken_NotIssuer");
      const notMember = await expectRevert(
        cap.alice.mint(f.dataId, accounts.eve.address, 1n),
        "CapacityToken_NotMember",
      );
      expect(notMember.args).to.deep.equal({ account: accounts.eve.address });
      await expectRevert(cap.alice.mint(99n, accounts.bob.address, 1n), "CapacityToken_UnknownClass");
    });

    it("should transfer units, with approvals, to members only, until the class expires", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r, accounts } = f;
      const [alice, bob, carol] = [accounts.alice.address, accounts.bob.address, accounts.carol.address];
      await cap.alice.safeTransferFrom(alice, bob, f.dataId, 7n);
      expect(await r.balanceOf(bob, f.dataId)).to.equal(7n);
      const missing = await expectRevert(
        cap.bob.safeTransferFrom(alice, bob, f.dataId, 1n),
        "ERC1155MissingApprovalForAll",
      );
      expect(missing.args).to.deep.equal({ operator: bob, owner: alice });
      await expectRevert(
        cap.alice.safeTransferFrom(alice, accounts.eve.address, f.dataId, 1n),
        "CapacityToken_NotMember",
      );
      const short = await expectRevert(
        cap.bob.safeTransferFrom(bob, carol, f.dataId, 8n),
        "ERC1155InsufficientBalance",
      );
      expect(short.args).to.deep.equal({ sender: bob, balance: 7n, needed: 8n, tokenId: f.dataId });
      await cap.alice.setApprovalForAll(bob, true);
      expect(await r.isApprovedForAll(alice, bob)).to.equal(true);
      await cap.bob.safeTransferFrom(alice, carol, f.dataId, 2n, "0xabcd");
      expect(await r.balanceOf(carol, f.dataId)).to.equal(2n);
      await cap.alice.setApprovalForAll(bob, false);
      expect(await r.isApprovedForAll(alice, bob)).to.equal(false);
      await time.increaseTo(f.data.validUntil);
      const expired = await expectRevert(
        cap.alice.safeTransferFrom(alice, bob, f.dataId, 1n),
        "CapacityToken_ClassExpired",
      );
      expect(expired.args).to.deep.equal({ classId: f.dataId, validUntil: BigInt(f.data.validUntil) });
    });

    it("should redeem inside the validity only, also while paused", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r, accounts } = f;
      const early = await expectRevert(cap.alice.redeem(f.dataId, 1n, REF), "CapacityToken_NotYetValid");
      expect(early.args).to.deep.equal({ classId: f.dataId, validFrom: BigInt(f.data.validFrom) });
      await time.increaseTo(f.data.validFrom);
      await f.capacity.connect(accounts.pauser).pause();
      const receipt = await cap.alice.redeem(f.dataId, 10n, REF);
      const redeemed = receipt.logs
        .map((log) => f.capacity.interface.parseLog(log))
        .find((parsed) => parsed?.name === "Redeemed");
      expect(redeemed!.args.toObject()).to.deep.equal({
        classId: f.dataId,
        holderId: 1n,
        issuerId: 1n,
        holder: accounts.alice.address,
        amount: 10n,
        provisioningRef: REF,
      });
      expect(await r.totalSupply(f.dataId)).to.equal(90n);
      expect(await r.balanceOf(accounts.alice.address, f.dataId)).to.equal(90n);
      await expectRevert(cap.alice.redeem(f.dataId, 91n, REF), "ERC1155InsufficientBalance");
      await expectRevert(
        cap.alice.safeTransferFrom(accounts.alice.address, accounts.bob.address, f.dataId, 1n),
        "EnforcedPause",
      );
      await time.increaseTo(f.data.validUntil);
      await expectRevert(cap.alice.redeem(f.dataId, 1n, REF), "CapacityToken_ClassExpired");
    });

    it("should record an SLA breach and return the credits, as slaCredit computes them", async function () {
      const f = await loadFixture(clientFixture);
      const { cap, capReader: r, accounts, vault } = f;
      const [alice, bob, carol] = [accounts.alice.address, accounts.bob.address, accounts.carol.address];
      await cap.alice.safeTransferFrom(alice, bob, f.sliceId, 4n);
      await cap.alice.safeTransferFrom(alice, carol, f.sliceId, 3n);
      const from = BigInt(f.slice.validFrom);
      const to = from + BigInt(HOUR) + 1_800n;
      const notOver = await expectRevert(
        cap.alice.recordSlaBreach(f.slice, from, to, EVIDENCE, [bob]),
        "CapacityToken_InvalidBreachWindow",
      );
      expect(notOver.args).to.deep.equal({ from, to });
      await time.increaseTo(to + 60n);

      const breachId = slaBreachIdOf(f.sliceId, from, to);
      expect(breachId).to.equal(await f.capacity.slaBreachIdOf(f.sliceId, from, to));
      expect(await r.slaBreach(breachId)).to.deep.equal({ recorded: false, remaining: 0n });
      const result = await cap.alice.recordSlaBreach(f.slice, from, to, EVIDENCE, [bob, carol]);
      expect(result.breachId).to.equal(breachId);
      expect(result.classId).to.equal(f.sliceId);
      // The units outside alpha's admin account when the breach is first recorded: bob's 4 and carol's 3.
      expect([result.evidence, result.byArbiter, result.creditable]).to.deep.equal([EVIDENCE, false, 7n]);
      expect(result.credits).to.deep.equal([
        { holderId: 2n, units: 4n, credit: 12n * USDC, remaining: 3n },
        { holderId: 3n, units: 3n, credit: 9n * USDC, remaining: 0n },
      ]);
      expect(await r.slaBreach(breachId)).to.deep.equal({ recorded: true, remaining: 0n });
      expect(result.credits[0].credit).to.equal(slaCredit(4n, 2n * USDC, from, to));
      expect(await r.isCredited(breachId, 2)).to.equal(true);
      expect(await r.isCredited(breachId, 3)).to.equal(true);
      expect(await r.isCredited(breachId, 1)).to.equal(false);
      // The vault records each credit as an obligation alpha -> holder, with the documented reference.
      const applied = result.receipt.logs
        .map((log) => vault.interface.parseLog(log))
        .filter((parsed) => parsed?.name === "ObligationApplied")
        .map((parsed) => [parsed!.args.payer, parsed!.args.payee, parsed!.args.amount, parsed!.args.ref]);
      expect(applied).to.deep.equal([
        [1n, 2n, 12n * USDC, slaCreditRef(breachId, 2)],
        [1n, 3n, 9n * USDC, slaCreditRef(breachId, 3)],
      ]);

      const again = await expectRevert(
        cap.alice.recordSlaBreach(f.slice, from, to, EVIDENCE, [bob]),
        "CapacityToken_AlreadyCredited",
      );
      expect(again.args).to.deep.equal({ breachId, holderId: 2n });
      const own = await expectRevert(
        cap.alice.recordSlaBreach(f.slice, from, to, keccakText("other"), [alice]),
        "CapacityToken_NothingToCredit",
      );
      expect(own.args).to.deep.equal({ holder: alice });
      await expectRevert(cap.bob.recordSlaBreach(f.slice, from, to, EVIDENCE, [carol]), "CapacityToken_NotIssuer");
      const unknown = await expectRevert(
        cap.alice.recordSlaBreach({ ...f.slice, salt: saltOf(1) }, from, to, EVIDENCE, [bob]),
        "CapacityToken_UnknownClass",
      );
      expect(unknown.args).to.deep.equal({ classId: classIdOf({ ...f.slice, salt: saltOf(1) }) });

      // The arbiter records a breach the same way (and only the arbiter may).
      const arbitrated = await cap.arbiter.arbitrateSlaBreach(f.slice, from, from + 3_600n, EVIDENCE, [bob]);
      expect(arbitrated.credits).to.deep.equal([{ holderId: 2n, units: 4n, credit: 8n * USDC, remaining: 3n }]);
      // The arbiter's record of the issuer's window, with other evidence, is the same breach.
      const same = await expectRevert(
        cap.arbiter.arbitrateSlaBreach(f.slice, from, to, keccakText("arbiter's report"), [bob]),
        "CapacityToken_AlreadyCredited",
      );
      expect(same.args).to.deep.equal({ breachId, holderId: 2n });
      const recorded = arbitrated.receipt.logs
        .map((log) => f.capacity.interface.parseLog(log))
        .find((parsed) => parsed?.name === "SlaBreachRecorded");
      expect(recorded!.args.byArbiter).to.equal(true);
      await expectRevert(cap.bob.arbitrateSlaBreach(f.slice, from, to, EVIDENCE, [carol]), "AccessManagedUnauthorized");
    });
  });

  describe("validation before sending", function () {
    it("should refuse bad input, naming the field, without sending anything", async function () {
      const f = await loadFixture(clientFixture);
      const runner = recordingRunner();
      const c = new CapacityClient(f.capacityAddress, runner);
      const who = f.accounts.bob.address;
      const slice = f.slice;
      const data = f.data;
      const from = BigInt(slice.validFrom);
      const spectrum = spectrumTerms(f, { firstChannel: 0, channelCount: 1, firstSlot: 0, slotCount: 1 });
      const cases: [Promise<unknown>, string][] = [
        // createClass: the terms' types, then the rules that need no chain state.
        [c.createClass({ ...data, kind: 7 as CapacityKind }), "kind"],
        [c.createClass({ ...data, issuerId: 0 }), "issuerId"],
        [c.createClass(null as unknown as ClassTerms), "terms"],
        [c.createClass({ ...data, slice: undefined } as unknown as ClassTerms), "slice"],
        [c.createClass({ ...data, validUntil: data.validFrom }), "validUntil"],
        [c.createClass({ ...data, maxSupply: 0 }), "maxSupply"],
        [c.createClass({ ...data, slice: slice.slice }), "slice"],
        [c.createClass({ ...data, spectrum: spectrum.spectrum }), "spectrum"],
        [c.createClass({ ...slice, slice: { ...slice.slice, availabilityBp: 10_001 } }), "slice.availabilityBp"],
        [c.createClass({ ...slice, slice: { ...slice.slice, creditToken: ethers.ZeroAddress } }), "slice.creditToken"],
        // A credit that one vault obligation could not hold (the contract's CreditTooLarge).
        [
          c.createClass({ ...slice, slice: { ...slice.slice, creditPerUnitHour: 2n ** 100n } }),
          "slice.creditPerUnitHour",
        ],
        [c.createClass({ ...slice, spectrum: spectrum.spectrum }), "spectrum"],
        [c.createClass({ ...spectrum, spectrum: { ...spectrum.spectrum, bandPlanId: 0 } }), "spectrum.bandPlanId"],
        [c.createClass({ ...spectrum, spectrum: { ...spectrum.spectrum, channelCount: 0 } }), "spectrum.channelCount"],
        [c.createClass({ ...spectrum, spectrum: { ...spectrum.spectrum, slotCount: 0 } }), "spectrum.slotCount"],
        [c.createClass({ ...spectrum, spectrum: { ...spectrum.spectrum, channelCount: 300 } }), "spectrum"],
        [c.createClass({ ...spectrum, maxSupply: 2 }), "maxSupply"],
        [c.createClass({ ...spectrum, slice: slice.slice }), "slice"],
        [c.createClass(data, 5 as unknown as string), "classURI"],
        // mint, redeem, URIs, approvals, transfers.
        [c.mint(-1n, who, 1n), "classId"],
        [c.mint(2n ** 256n, who, 1n), "classId"],
        [c.mint(f.dataId, "0x12", 1n), "to"],
        [c.mint(f.dataId, ethers.ZeroAddress, 1n), "to"],
        [c.mint(f.dataId, who, 0n), "amount"],
        [c.mint(f.dataId, who, 2n ** 64n), "amount"],
        [c.mint(f.dataId, who, 1.5), "amount"],
        [c.mint(f.dataId, who, 1n, "0x123"), "data"],
        [c.mint(f.dataId, who, 1n, "zz"), "data"],
        [c.redeem(f.dataId, 0n, REF), "amount"],
        [c.redeem(f.dataId, 1n, "0x"), "provisioningRef"],
        [c.setClassURI(f.dataId, 5 as unknown as string), "classURI"],
        [c.setClassURI(-1, "x"), "classId"],
        [c.setApprovalForAll("market", true), "operator"],
        [c.setApprovalForAll(who, "yes" as unknown as boolean), "approved"],
        [c.safeTransferFrom("0x12", who, f.dataId, 1n), "from"],
        [c.safeTransferFrom(who, who.toLowerCase(), f.dataId, 1n), "to"],
        [c.safeTransferFrom(who, addr(3), f.dataId, 0n), "amount"],
        [c.safeTransferFrom(who, addr(3), f.dataId, 1n, "0x1"), "data"],
        // SLA breaches: the slice's validity, the holders (at most 32, distinct, non-zero).
        [c.recordSlaBreach(data, from, from + 1n, EVIDENCE, [who]), "kind"],
        [c.recordSlaBreach(slice, from - 1n, from + 1n, EVIDENCE, [who]), "from"],
        [c.recordSlaBreach(slice, 2n ** 40n, from + 1n, EVIDENCE, [who]), "from"],
        [c.recordSlaBreach(slice, from, from, EVIDENCE, [who]), "to"],
        [c.recordSlaBreach(slice, from, BigInt(slice.validUntil) + 1n, EVIDENCE, [who]), "to"],
        [c.recordSlaBreach(slice, from, from + 1n, "0x12", [who]), "evidence"],
        [c.recordSlaBreach(slice, from, from + 1n, EVIDENCE, who as unknown as string[]), "holders"],
        [
          c.recordSlaBreach(
            slice,
            from,
            from + 1n,
            EVIDENCE,
            Array.from({ length: 33 }, (_, i) => addr(i + 1)),
          ),
          "holders",
        ],
        [c.recordSlaBreach(slice, from, from + 1n, EVIDENCE, [who, who.toLowerCase()]), "holders[1]"],
        [c.recordSlaBreach(slice, from, from + 1n, EVIDENCE, [ethers.ZeroAddress]), "holders[0]"],
        [c.arbitrateSlaBreach(slice, from, from, EVIDENCE, [who]), "to"],
        // Reads.
        [c.classInfo(-1), "classId"],
        [c.balanceOf("x", f.dataId), "account"],
        [c.balanceOf(who, -1), "classId"],
        [c.holdings(who, "x" as unknown as bigint[]), "classIds"],
        [c.holdings(who, [1n, -1n]), "classIds[1]"],
        [c.holdings("x", [1n]), "account"],
        [c.totalSupply(2n ** 256n), "classId"],
        [c.uri(-1), "classId"],
        [c.bandPlan(0), "bandPlanId"],
        [c.isReserved(2n ** 32n, 0, 0, 0), "bandPlanId"],
        [c.isReserved(1, -1, 0, 0), "areaId"],
        [c.isReserved(1, 0, 2 ** 16, 0), "channel"],
        [c.isReserved(1, 0, 0, 2n ** 32n), "slot"],
        [c.isCredited("0x", 1), "breachId"],
        [c.isCredited(ZeroHash, 0), "holderId"],
        [c.slaBreach("0x"), "breachId"],
        [c.isApprovedForAll(who, "x"), "operator"],
        [c.preflightSpectrum(data), "kind"],
      ];
      for (const [promise, field] of cases) await expectInvalid(promise, field);
      expectInvalidSync(() => c.classIdOf({ ...data, maxSupply: -1 }), "maxSupply");
      expectInvalidSync(() => slaBreachIdOf(f.sliceId, 2n ** 40n, 1), "from");
      expectInvalidSync(() => slaBreachIdOf(-1, 0, 1), "classId");
      expectInvalidSync(() => slaCreditRef(ZeroHash, 0), "holderId");
      expectInvalidSync(() => c.build.createBandPlan({ ...f.plan, channelWidthKHz: 0 }), "plan.channelWidthKHz");
      expectInvalidSync(() => c.build.createBandPlan({ ...f.plan, slotSeconds: 2n ** 32n }), "plan.slotSeconds");
      expectInvalidSync(() => c.build.createBandPlan({ ...f.plan, slotCount: 0 }), "plan.slotCount");
      expectInvalidSync(() => c.build.setBaseURI(1 as unknown as string), "baseURI");
      expect(runner.sent).to.deep.equal([]);
    });

    it("should require a signer to send", async function () {
      const f = await loadFixture(clientFixture);
      const e1 = await rejection(f.capReader.mint(f.dataId, f.accounts.bob.address, 1n));
      expect(e1).to.be.instanceOf(SignerRequiredError);
      const e2 = await rejection(new CapacityClient(f.capacityAddress).redeem(f.dataId, 1n, REF));
      expect(e2).to.be.instanceOf(SignerRequiredError);
    });
  });

  describe("builders", function () {
    it("should encode every call, with value 0", async function () {
      const f = await loadFixture(clientFixture);
      const b = f.cap.alice.build;
      const bob = f.accounts.bob.address;
      const decode = (tx: { to: string; data: string; value: bigint }, name: string) => {
        expect(tx.to).to.equal(f.capacityAddress);
        expect(tx.value).to.equal(0n);
        return f.capacity.interface.decodeFunctionData(name, tx.data).toArray(true);
      };
      expect(decode(b.mint(f.dataId, bob.toLowerCase(), 3), "mint")).to.deep.equal([f.dataId, bob, 3n, "0x"]);
      expect(decode(b.redeem(f.dataId, 2n, REF), "redeem")).to.deep.equal([f.dataId, 2n, REF]);
      expect(decode(b.setClassURI(f.dataId, "u"), "setClassURI")).to.deep.equal([f.dataId, "u"]);
      expect(decode(b.setApprovalForAll(bob, true), "setApprovalForAll")).to.deep.equal([bob, true]);
      expect(decode(b.safeTransferFrom(bob, addr(3), 1n, 2n, "0xab"), "safeTransferFrom")).to.deep.equal([
        bob,
        addr(3),
        1n,
        2n,
        "0xab",
      ]);
      const created = b.createClass(f.data, "x");
      expect(decode(created, "createClass")[1]).to.equal("x");
      const [terms] = f.capacity.interface.decodeFunctionData("createClass", created.data);
      expect(classIdOf(terms.toObject(true) as ClassTerms)).to.equal(f.dataId);
      expect(decode(b.pause(), "pause")).to.deep.equal([]);
      expect(decode(b.unpause(), "unpause")).to.deep.equal([]);
    });

    it("should build transactions that the fixture's accounts send through their own wallets", async function () {
      const f = await loadFixture(clientFixture);
      const { accounts, capReader: r, manager, capacityAddress } = f;
      const b = f.cap.alice.build;
      const [bob, carol] = [accounts.bob.address, accounts.carol.address];
      const terms = dataTerms(f, { salt: saltOf(3) });
      const id = classIdOf(terms);
      await accounts.alice.sendTransaction(b.createClass(terms, "ipfs://c/{id}"));
      await accounts.alice.sendTransaction(b.mint(id, bob, 5n));
      await accounts.bob.sendTransaction(b.setApprovalForAll(carol, true));
      await accounts.carol.sendTransaction(b.safeTransferFrom(bob, carol, id, 2n));
      await accounts.alice.sendTransaction(b.setClassURI(id, "ipfs://d/{id}"));
      expect(await r.uri(id)).to.equal(`ipfs://d/${classIdHex(id)}`);
      await time.increaseTo(terms.validFrom);
      await accounts.bob.sendTransaction(b.redeem(id, 1n, REF));
      expect([await r.balanceOf(bob, id), await r.balanceOf(carol, id), await r.totalSupply(id)]).to.deep.equal([
        2n,
        2n,
        4n,
      ]);
      // SLA breaches, by the issuer and by the arbiter.
      await accounts.alice.sendTransaction(b.safeTransferFrom(accounts.alice.address, bob, f.sliceId, 1n));
      const from = BigInt(f.slice.validFrom);
      await time.increase(2 * HOUR);
      await accounts.alice.sendTransaction(b.recordSlaBreach(f.slice, from, from + 3_600n, EVIDENCE, [bob]));
      expect(await r.isCredited(slaBreachIdOf(f.sliceId, from, from + 3_600n), 2)).to.equal(true);
      await accounts.arbiter.sendTransaction(b.arbitrateSlaBreach(f.slice, from, from + 60n, EVIDENCE, [bob]));
      expect(await r.isCredited(slaBreachIdOf(f.sliceId, from, from + 60n), 2)).to.equal(true);
      // Governance: the governor through the AccessManager (with its delay), the pauser at once.
      const plan = {
        originKHz: 1_000n,
        channelWidthKHz: 100n,
        channelCount: 8n,
        slotSeconds: 60n,
        epoch: 0n,
        slotCount: 10n,
      };
      await scheduleAndExecute(manager, accounts.governor, capacityAddress, b.createBandPlan(plan).data);
      expect(await r.bandPlan(2)).to.deep.equal(plan);
      await scheduleAndExecute(manager, accounts.governor, capacityAddress, b.setBaseURI("https://new/{id}").data);
      expect(await r.uri(f.dataId)).to.equal(`https://new/${classIdHex(f.dataId)}`);
      await accounts.pauser.sendTransaction(b.pause());
      expect(await f.capacity.paused()).to.equal(true);
      await scheduleAndExecute(manager, accounts.governor, capacityAddress, b.unpause().data);
      expect(await f.capacity.paused()).to.equal(false);
    });
  });

  describe("error decoding", function () {
    it("should know the token's, the market's, the ERC-20 and the ERC-1155 errors", function () {
      expect(suiteErrorDecoder().errorSignatures).to.include.members([
        "CapacityToken_NotIssuer(uint32,address)",
        "CapacityToken_SpectrumOverlap(uint16,uint32)",
        "CapacityToken_BandPlanOverlap(uint32)",
        "CapacityToken_TooManyBandPlans(uint256)",
        "CapacityToken_SlotsOutsidePlan(uint32,uint32,uint32)",
        "CapacityToken_CreditTooLarge(uint256,uint256)",
        "CapacityToken_BreachFullyCredited(bytes32,address)",
        "CapacityMarket_SelfTrade(uint32)",
        "ERC20InsufficientAllowance(address,uint256,uint256)",
        "ERC1155MissingApprovalForAll(address,address)",
        "SafeERC20FailedOperation(address)",
        "AccessManagedUnauthorized(address)",
      ]);
    });
  });
});

describe("MarketClient", function () {
  describe("when constructed", function () {
    it("should checksum the address, connect other runners, and read the market's wiring", async function () {
      const f = await loadFixture(clientFixture);
      const client = new MarketClient(f.marketAddress.toLowerCase(), f.accounts.bob);
      expect([client.address, client.build.address]).to.deep.equal([f.marketAddress, f.marketAddress]);
      expect(client.connect(f.accounts.carol).runner).to.equal(f.accounts.carol);
      expect(await f.mktReader.capacityToken()).to.equal(f.capacityAddress);
      expect(await f.mktReader.vault()).to.equal(await f.vault.getAddress());
      expect([await f.mktReader.listingCount(), await f.mktReader.bidCount()]).to.deep.equal([0n, 0n]);
      expectInvalidSync(() => new MarketClient("market"), "address");
      expectInvalidSync(() => new MarketTransactionBuilder(ethers.ZeroAddress), "address");
    });

    it("should price exactly, with bigints", function () {
      const client = new MarketClient(addr(1));
      expect(client.priceOf(3, 5n * USDC)).to.equal(15n * USDC);
      const max = MARKET_LIMITS.maxQuantity * MARKET_LIMITS.maxUnitPrice;
      expect(marketPrice(MARKET_LIMITS.maxQuantity, MARKET_LIMITS.maxUnitPrice)).to.equal(max);
      expect(max).to.equal(2n ** 192n - 2n ** 128n - 2n ** 64n + 1n); // (2^64 - 1)(2^128 - 1), far past 2^53
      expectInvalidSync(() => client.priceOf(0, 1), "quantity");
      expectInvalidSync(() => client.priceOf(1, 0), "unitPrice");
      expectInvalidSync(() => client.priceOf(2n ** 64n, 1), "quantity");
      expectInvalidSync(() => client.priceOf(1, 2n ** 128n), "unitPrice");
      expectInvalidSync(() => client.priceOf(1.5, 1), "quantity");
    });
  });

  describe("listings", function () {
    it("should list, return the id, and sell through the vault at the exact price", async function () {
      const f = await loadFixture(clientFixture);
      const { mkt, capReader, accounts, usdcAddress, vault, expiry } = f;
      const { listingId, receipt } = await mkt.alice.list(f.dataId, usdcAddress, 5n * USDC, 10n, expiry);
      expect(listingId).to.equal(1n);
      expect(receipt.status).to.equal(1);
      expect(await f.mktReader.listing(1)).to.deep.equal({
        listingId: 1n,
        classId: f.dataId,
        seller: accounts.alice.address,
        sellerId: 1n,
        expiry,
        token: usdcAddress,
        remaining: 10n,
        unitPrice: 5n * USDC,
      });
      const [aliceBefore, bobBefore] = [
        await vault.freeBalanceOf(1, usdcAddress),
        await vault.freeBalanceOf(2, usdcAddress),
      ];
      const bought = await mkt.bob.buy(listingId, 3n, PayVia.Vault);
      const event = bought.logs.map((log) => f.market.interface.parseLog(log)).find((p) => p?.name === "Bought");
      expect(event!.args.price).to.equal(mkt.bob.priceOf(3n, 5n * USDC));
      expect(await capReader.balanceOf(accounts.bob.address, f.dataId)).to.equal(3n);
      expect((await vault.freeBalanceOf(1, usdcAddress)) - aliceBefore).to.equal(15n * USDC);
      expect(bobBefore - (await vault.freeBalanceOf(2, usdcAddress))).to.equal(15n * USDC);
      expect((await f.mktReader.listing(1)).remaining).to.equal(7n);
      // A second listing gets the next id.
      expect((await mkt.alice.list(f.sliceId, usdcAddress, 1n, 1n, expiry)).listingId).to.equal(2n);
    });

    it("should pay directly, approving the ERC-20 first when asked and the allowance is short", async function () {
      const f = await loadFixture(clientFixture);
      const { mkt, accounts, usdc, usdcAddress, marketAddress, expiry } = f;
      const { listingId } = await mkt.alice.list(f.dataId, usdcAddress, 5n * USDC, 10n, expiry);
      const error = await expectRevert(mkt.bob.buy(listingId, 2n, PayVia.Direct), "ERC20InsufficientAllowance");
      expect(error.args).to.deep.equal({ spender: marketAddress, allowance: 0n, needed: 10n * USDC });
      const payoutBefore = await usdc.balanceOf(accounts.alicePayout);
      await mkt.bob.buy(listingId, 2n, PayVia.Direct, { approve: "exact" });
      expect((await usdc.balanceOf(accounts.alicePayout)) - payoutBefore).to.equal(10n * USDC);
      expect(await usdc.allowance(accounts.bob, marketAddress)).to.equal(0n); // approved 10, then spent
      await mkt.bob.buy(listingId, 1n, PayVia.Direct, { approve: "max" });
      expect(await usdc.allowance(accounts.bob, marketAddress)).to.equal(MaxUint256);
      expect(await mkt.bob.ensureAllowance(usdcAddress, 5n * USDC)).to.equal(undefined);
      // Paying through the vault moves no ERC-20: nothing is approved.
      await mkt.carol.buy(listingId, 1n, PayVia.Vault, { approve: "exact" });
      expect(await usdc.allowance(accounts.carol, marketAddress)).to.equal(0n);
      expect((await f.mktReader.listing(listingId)).remaining).to.equal(6n);
    });

    it("should approve the market on the capacity token when asked, only once", async function () {
      const f = await loadFixture(clientFixture);
      const { mkt, cap, capReader, accounts, usdcAddress, marketAddress, expiry } = f;
      await cap.alice.safeTransferFrom(accounts.alice.address, accounts.bob.address, f.dataId, 5n);
      const notApproved = await expectRevert(
        mkt.bob.list(f.dataId, usdcAddress, USDC, 5n, expiry),
        "CapacityMarket_NotApproved",
      );
      expect(notApproved.args).to.deep.equal({ seller: accounts.bob.address });
      const { listingId } = await mkt.bob.list(f.dataId, usdcAddress, USDC, 5n, expiry, { approve: true });
      expect(await capReader.isApprovedForAll(accounts.bob.address, marketAddress)).to.equal(true);
      expect(await mkt.bob.ensureCapacityApproval()).to.equal(undefined);
      await mkt.carol.buy(listingId, 5n, PayVia.Vault);
      expect(await capReader.balanceOf(accounts.carol.address, f.dataId)).to.equal(5n);
    });

    it("should cancel, and decode the market's refusals", async function () {
      const f = await loadFixture(clientFixture);
      const { mkt, accounts, usdcAddress, expiry } = f;
      const { listingId } = await mkt.alice.list(f.dataId, usdcAddress, USDC, 10n, expiry);
      const self = await expectRevert(mkt.alice.buy(listingId, 1n, PayVia.Vault), "CapacityMarket_SelfTrade");
      expect(self.args).to.deep.equal({ operatorId: 1n });
      const tooMany = await expectRevert(
        mkt.bob.buy(listingId, 11n, PayVia.Vault),
        "CapacityMarket_InsufficientRemaining",
      );
      expect(tooMany.args).to.deep.equal({ id: listingId, remaining: 10n, quantity: 11n });
      const notOwner = await expectRevert(mkt.bob.cancelListing(listingId), "CapacityMarket_NotOwner");
      expect(notOwner.args).to.deep.equal({ id: listingId, caller: accounts.bob.address });
      expect((await mkt.alice.cancelListing(listingId)).status).to.equal(1);
      expect((await f.mktReader.listing(listingId)).remaining).to.equal(0n);
      await expectRevert(mkt.bob.buy(listingId, 1n, PayVia.Vault), "CapacityMarket_Closed");
      await expectRevert(mkt.alice.cancelListing(listingId), "CapacityMarket_Closed");
      const unknown = await expectRevert(f.mktReader.listing(99), "CapacityMarket_UnknownListing");
      expect(unknown.args).to.deep.equal({ listingId: 99n });
      await expectRevert(mkt.bob.buy(99, 1n, PayVia.Vault), "CapacityMarket_UnknownListing");
      const short = await expectRevert(
        mkt.alice.list(f.dataId, usdcAddress, USDC, 101n, expiry),
        "CapacityMarket_InsufficientBalance",
      );
      expect(short.args).to.deep.equal({ classId: f.dataId, balance: 100n, quantity: 101n });
      await expectRevert(mkt.alice.list(f.dataId, addr(77), USDC, 1n, expiry), "CapacityMarket_TokenNotAllowed");
      await expectRevert(mkt.alice.list(12345n, usdcAddress, USDC, 1n, expiry), "CapacityMarket_ClassNotTradable");
      await expectRevert(mkt.alice.list(f.dataId, usdcAddress, USDC, 1n, 1n), "CapacityMarket_InvalidExpiry");
      const second = await mkt.alice.list(f.dataId, usdcAddress, USDC, 1n, f.now + 100_000n);
      await time.increaseTo(f.now + 100_001n);
      const expired = await expectRevert(mkt.bob.buy(second.listingId, 1n, PayVia.Vault), "CapacityMarket_Expired");
      expect(expired.args).to.deep.equal({ id: second.listingId, expiry: f.now + 100_000n });
      await f.market.connect(accounts.pauser).pause();
      await expectRevert(mkt.alice.list(f.dataId, usdcAddress, USDC, 1n, expiry), "EnforcedPause");
    });
  });

  describe("bids", function () {
    it("should place, fill (approving when asked) and cancel bids, paid from the vault", async function () {
      const f = await loadFixture(clientFixture);
      const { mkt, cap, capReader, accounts, usdcAddress, vault, expiry } = f;
      const { bidId, receipt } = await mkt.bob.bid(f.dataId, usdcAddress, 3n * USDC, 4n, expiry);
      expect([bidId, receipt.status]).to.deep.equal([1n, 1]);
      expect(await f.mktReader.getBid(bidId)).to.deep.equal({
        bidId: 1n,
        classId: f.dataId,
        buyer: accounts.bob.address,
        buyerId: 2n,
        expiry,
        token: usdcAddress,
        remaining: 4n,
        unitPrice: 3n * USDC,
      });
      const before = await vault.freeBalanceOf(1, usdcAddress);
      expect((await mkt.alice.fillBid(bidId, 3n)).status).to.equal(1);
      expect((await vault.freeBalanceOf(1, usdcAddress)) - before).to.equal(9n * USDC);
      expect(await capReader.balanceOf(accounts.bob.address, f.dataId)).to.equal(3n);
      // Carol holds units but never approved the market: asked to, the client approves first.
      await cap.alice.safeTransferFrom(accounts.alice.address, accounts.carol.address, f.dataId, 2n);
      await expectRevert(mkt.carol.fillBid(bidId, 1n), "ERC1155MissingApprovalForAll");
      await mkt.carol.fillBid(bidId, 1n, { approve: true });
      expect(await capReader.balanceOf(accounts.bob.address, f.dataId)).to.equal(4n);
      expect((await f.mktReader.getBid(bidId)).remaining).to.equal(0n);
      await expectRevert(mkt.alice.fillBid(bidId, 1n), "CapacityMarket_Closed");
      // Cancelling, and the refusals.
      const second = await mkt.bob.bid(f.sliceId, usdcAddress, USDC, 2n, expiry);
      expect(second.bidId).to.equal(2n);
      await expectRevert(mkt.bob.fillBid(second.bidId, 1n), "CapacityMarket_SelfTrade");
      await expectRevert(mkt.alice.cancelBid(second.bidId), "CapacityMarket_NotOwner");
      expect((await mkt.bob.cancelBid(second.bidId)).status).to.equal(1);
      await expectRevert(mkt.bob.cancelBid(second.bidId), "CapacityMarket_Closed");
      const unknown = await expectRevert(f.mktReader.getBid(9), "CapacityMarket_UnknownBid");
      expect(unknown.args).to.deep.equal({ bidId: 9n });
      await expectRevert(mkt.bob.bid(f.dataId, usdcAddress, USDC, 1n, 1n), "CapacityMarket_InvalidExpiry");
    });
  });

  describe("ranges", function () {
    /** Five listings: 1 open, 2 cancelled, 3 sold out, 4 open until soon (slice), 5 open; and two bids (2 cancelled). */
    async function rangeFixture() {
      const f = await clientFixture();
      const { mkt, usdcAddress, expiry } = f;
      const soon = f.now + 1_000n;
      await mkt.alice.list(f.dataId, usdcAddress, USDC, 10n, expiry);
      await mkt.alice.list(f.sliceId, usdcAddress, 2n * USDC, 5n, expiry);
      await mkt.alice.cancelListing(2);
      await mkt.alice.list(f.dataId, usdcAddress, USDC, 2n, expiry);
      await mkt.bob.buy(3, 2n, PayVia.Vault);
      await mkt.alice.list(f.sliceId, usdcAddress, USDC, 1n, soon);
      const beforeFifth = await ethers.provider.getBlockNumber();
      await mkt.alice.list(f.dataId, usdcAddress, 3n * USDC, 3n, expiry);
      await mkt.bob.bid(f.dataId, usdcAddress, USDC, 1n, expiry);
      await mkt.carol.bid(f.sliceId, usdcAddress, USDC, 1n, expiry);
      await mkt.carol.cancelBid(2);
      return { ...f, soon, beforeFifth };
    }

    const ids = (orders: { listingId: bigint }[]) => orders.map((o) => o.listingId);

    it("should read id ranges a bounded page at a time, clamped to the count", async function () {
      const f = await loadFixture(rangeFixture);
      const r = f.mktReader;
      const all = await r.listings();
      expect(ids(all)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      expect(all[2]).to.deep.include({ remaining: 0n, unitPrice: USDC });
      expect(await r.listings({ pageSize: 2 })).to.deep.equal(all);
      expect(await r.listings({ pageSize: 1 })).to.deep.equal(all);
      expect(ids(await r.listings({ from: 2, to: 4 }))).to.deep.equal([2n, 3n, 4n]);
      expect(ids(await r.listings({ from: 4n, to: 99n, pageSize: 100 }))).to.deep.equal([4n, 5n]);
      expect(await r.listings({ from: 6 })).to.deep.equal([]);
      expect(await r.listings({ to: 0 })).to.deep.equal([]);
      expect(ids(await r.listings({ blockTag: f.beforeFifth }))).to.deep.equal([1n, 2n, 3n, 4n]);
      const seen = [];
      for await (const listing of r.iterateListings({ from: 3, pageSize: 2 })) seen.push(listing.listingId);
      expect(seen).to.deep.equal([3n, 4n, 5n]);
      // One read of the count, then one call per listing (pages of 2: 2 + 2 + 1), nothing more.
      const runner = countingRunner();
      await new MarketClient(f.marketAddress, runner).listings({ pageSize: 2 });
      expect(runner.calls).to.have.length(6);
      expect((await r.bids()).map((b) => b.bidId)).to.deep.equal([1n, 2n]);
      expect((await r.bids({ from: 2 })).map((b) => b.buyer)).to.deep.equal([f.accounts.carol.address]);
    });

    it("should keep the open orders: units remaining, not expired, optionally of one class", async function () {
      const f = await loadFixture(rangeFixture);
      const r = f.mktReader;
      expect(ids(await r.openListings())).to.deep.equal([1n, 4n, 5n]);
      expect(ids(await r.openListings({ classId: f.sliceId }))).to.deep.equal([4n]);
      expect(ids(await r.openListings({ now: f.soon }))).to.deep.equal([1n, 4n, 5n]); // the last second it may fill
      expect(ids(await r.openListings({ now: f.soon + 1n }))).to.deep.equal([1n, 5n]);
      expect(ids(await r.openListings({ from: 2, to: 4, pageSize: 1 }))).to.deep.equal([4n]);
      expect(ids(await r.openListings({ blockTag: f.beforeFifth }))).to.deep.equal([1n, 4n]);
      expect((await r.openBids()).map((b) => b.bidId)).to.deep.equal([1n]);
      expect(await r.openBids({ classId: f.sliceId })).to.deep.equal([]);
      await time.increaseTo(f.soon + 1n);
      expect(ids(await r.openListings())).to.deep.equal([1n, 5n]);
    });
  });

  describe("validation before sending", function () {
    it("should refuse bad input, naming the field, without sending anything", async function () {
      const f = await loadFixture(clientFixture);
      const runner = recordingRunner();
      const m = new MarketClient(f.marketAddress, runner);
      const { usdcAddress: usdc, expiry } = f;
      const cases: [Promise<unknown>, string][] = [
        [m.list(-1n, usdc, 1n, 1n, expiry), "classId"],
        [m.list(f.dataId, "usdc", 1n, 1n, expiry), "token"],
        [m.list(f.dataId, ethers.ZeroAddress, 1n, 1n, expiry), "token"],
        [m.list(f.dataId, usdc, 0n, 1n, expiry), "unitPrice"],
        [m.list(f.dataId, usdc, 2n ** 128n, 1n, expiry), "unitPrice"],
        [m.list(f.dataId, usdc, 1n, 0n, expiry), "quantity"],
        [m.list(f.dataId, usdc, 1n, 2n ** 64n, expiry), "quantity"],
        [m.list(f.dataId, usdc, 1n, 1n, 2n ** 40n), "expiry"],
        [m.list(f.dataId, usdc, 1n, 1n, expiry, { approve: "yes" as unknown as boolean }), "options.approve"],
        [m.cancelListing(0), "listingId"],
        [m.buy(0, 1n, PayVia.Vault), "listingId"],
        [m.buy(1, 0n, PayVia.Vault), "quantity"],
        [m.buy(1, 1n, 2 as PayVia), "payVia"],
        [m.buy(1, 1n, PayVia.Direct, { approve: "all" as unknown as "max" }), "options.approve"],
        [m.bid(f.dataId, usdc, 1n, 1n, -1), "expiry"],
        [m.bid(f.dataId, usdc, 1.5, 1n, expiry), "unitPrice"],
        [m.cancelBid(0), "bidId"],
        [m.fillBid(0, 1n), "bidId"],
        [m.fillBid(1, 0n), "quantity"],
        [m.fillBid(1, 1n, null as unknown as { approve: boolean }), "options"],
        [m.ensureAllowance("usdc", 1n), "token"],
        [m.ensureAllowance(usdc, -1n), "amount"],
        [m.ensureAllowance(usdc, 1n, "all" as unknown as "max"), "mode"],
        [m.listing(0), "listingId"],
        [m.getBid(-1), "bidId"],
        [m.listings({ pageSize: 0 }), "pageSize"],
        [m.listings({ pageSize: MARKET_LIMITS.maxPageSize + 1n }), "pageSize"],
        [m.listings({ from: 0 }), "from"],
        [m.listings({ to: -1 }), "to"],
        [m.bids({ from: 1.5 }), "from"],
        [m.openListings({ classId: -1 }), "classId"],
        [m.openListings({ now: 2n ** 40n }), "now"],
        [m.openListings({ pageSize: 1_000 }), "pageSize"],
        [m.openBids({ to: -1 }), "to"],
      ];
      for (const [promise, field] of cases) await expectInvalid(promise, field);
      expectInvalidSync(() => m.build.approve(usdc, -1n), "amount");
      expect(runner.sent).to.deep.equal([]);
    });

    it("should require a signer to send", async function () {
      const f = await loadFixture(clientFixture);
      expect(await rejection(f.mktReader.cancelListing(1))).to.be.instanceOf(SignerRequiredError);
      expect(await rejection(f.mktReader.ensureCapacityApproval())).to.be.instanceOf(SignerRequiredError);
      expect(await rejection(f.mktReader.ensureAllowance(f.usdcAddress, 1n))).to.be.instanceOf(SignerRequiredError);
    });
  });

  describe("builders", function () {
    it("should encode every call, and the fixture's accounts send them through their own wallets", async function () {
      const f = await loadFixture(clientFixture);
      const { accounts, usdcAddress, marketAddress, manager, expiry, capReader } = f;
      const b = f.mkt.alice.build;
      const decode = (tx: { to: string; data: string; value: bigint }, name: string) => {
        expect(tx.to).to.equal(marketAddress);
        expect(tx.value).to.equal(0n);
        return f.market.interface.decodeFunctionData(name, tx.data).toArray();
      };
      expect(decode(b.list(f.dataId, usdcAddress.toLowerCase(), 2, 3, expiry), "list")).to.deep.equal([
        f.dataId,
        usdcAddress,
        2n,
        3n,
        expiry,
      ]);
      expect(decode(b.bid(f.dataId, usdcAddress, 2n, 3n, expiry), "bid")).to.deep.equal([
        f.dataId,
        usdcAddress,
        2n,
        3n,
        expiry,
      ]);
      expect(decode(b.buy(1, 2, PayVia.Direct), "buy")).to.deep.equal([1n, 2n, 1n]);
      expect(decode(b.fillBid(4n, 5n), "fillBid")).to.deep.equal([4n, 5n]);
      expect(decode(b.cancelListing(6), "cancelListing")).to.deep.equal([6n]);
      expect(decode(b.cancelBid(7), "cancelBid")).to.deep.equal([7n]);
      const approve = b.approve(usdcAddress, 10n);
      expect([approve.to, approve.value]).to.deep.equal([usdcAddress, 0n]);
      expect(f.usdc.interface.decodeFunctionData("approve", approve.data).toArray()).to.deep.equal([
        marketAddress,
        10n,
      ]);

      await accounts.alice.sendTransaction(b.list(f.dataId, usdcAddress, 2n * USDC, 5n, expiry));
      await accounts.alice.sendTransaction(b.list(f.dataId, usdcAddress, 2n * USDC, 5n, expiry));
      await accounts.bob.sendTransaction(b.approve(usdcAddress, 4n * USDC));
      await accounts.bob.sendTransaction(b.buy(1, 2n, PayVia.Direct));
      await accounts.carol.sendTransaction(b.buy(1, 1n, PayVia.Vault));
      await accounts.alice.sendTransaction(b.cancelListing(2));
      await accounts.bob.sendTransaction(b.bid(f.dataId, usdcAddress, USDC, 3n, expiry));
      await accounts.alice.sendTransaction(b.fillBid(1, 2n));
      await accounts.bob.sendTransaction(b.cancelBid(1));
      expect(await capReader.balanceOf(accounts.bob.address, f.dataId)).to.equal(4n);
      expect(await capReader.balanceOf(accounts.carol.address, f.dataId)).to.equal(1n);
      expect((await f.mktReader.listing(2)).remaining).to.equal(0n);
      expect((await f.mktReader.getBid(1)).remaining).to.equal(0n);
      await accounts.pauser.sendTransaction(b.pause());
      expect(await f.market.paused()).to.equal(true);
      await scheduleAndExecute(manager, accounts.governor, marketAddress, b.unpause().data);
      expect(await f.market.paused()).to.equal(false);
    });
  });
});
