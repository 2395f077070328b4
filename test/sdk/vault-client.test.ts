import { expect } from "chai";
import { suiteErrorDecoder } from "../../sdk/src/errors";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  MaxUint256,
  Signature,
  id as keccakText,
  verifyTypedData,
  type ContractRunner,
  type TransactionRequest,
} from "ethers";

import {
  PERMIT_TYPES,
  VaultClient,
  VaultTransactionBuilder,
  type VaultPermitSignature,
} from "../../sdk/src/clients/vault";
import { InvalidArgumentError, RoamLedgerContractError, SignerRequiredError } from "../../sdk/src/errors";
import { NettingPreview, VAULT_LIMITS } from "../../sdk/src/netting";
import { scheduleAndExecute } from "../helpers/fixtures";
import { CYCLE, deployVault, USDC } from "../helpers/vault";
import { addr, rejection } from "./fixture";

const REF = keccakText("batch #1");

/** The vault fixture plus clients for operators 1-3's admins, the suite, and a funded holder with no allowance. */
async function clientFixture() {
  const f = await deployVault();
  const vaultAddress = await f.vault.getAddress();
  const usdcAddress = await f.usdc.getAddress();
  const eurcAddress = await f.eurc.getAddress();
  const holder = (await ethers.getSigners())[17];
  await f.usdc.mint(holder, 1_000n * USDC);
  const alice = new VaultClient(vaultAddress, f.accounts.alice);
  return {
    ...f,
    vaultAddress,
    usdcAddress,
    eurcAddress,
    holder,
    alice,
    bob: alice.connect(f.accounts.bob),
    carol: alice.connect(f.accounts.carol),
    holderClient: alice.connect(holder),
    reader: alice.connect(ethers.provider),
  };
}

/** A runner that records what it is asked to send or sign, and sends nothing. */
function recordingRunner(): ContractRunner & { sent: TransactionRequest[]; signed: number } {
  const runner = {
    provider: null,
    sent: [] as TransactionRequest[],
    signed: 0,
    getAddress: async () => addr(7),
    sendTransaction: async (tx: TransactionRequest) => {
      runner.sent.push(tx);
      throw new Error("the recording runner sends nothing");
    },
    signTypedData: async () => {
      runner.signed += 1;
      throw new Error("the recording runner signs nothing");
    },
  };
  return runner as unknown as ContractRunner & { sent: TransactionRequest[]; signed: number };
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<InvalidArgumentError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(InvalidArgumentError);
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
  expect(caught).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
}

async function expectRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(RoamLedgerContractError);
  expect((error as RoamLedgerContractError).name).to.equal(name);
  return error as RoamLedgerContractError;
}

describe("VaultClient", function () {
  describe("when constructed", function () {
    it("should checksum the address, build with the same address, and connect other runners", async function () {
      const { vaultAddress, accounts } = await loadFixture(clientFixture);
      const client = new VaultClient(vaultAddress.toLowerCase(), accounts.alice);
      expect(client.address).to.equal(vaultAddress);
      expect(client.build.address).to.equal(vaultAddress);
      expect(client.runner).to.equal(accounts.alice);
      expect(await client.contract.getAddress()).to.equal(vaultAddress);
      const other = client.connect(accounts.bob);
      expect(other.runner).to.equal(accounts.bob);
      expect(other.address).to.equal(vaultAddress);
      expect(() => new VaultClient("0x1234")).to.throw(InvalidArgumentError);
      expectInvalidSync(() => new VaultTransactionBuilder(ethers.ZeroAddress), "address");
    });
  });

  describe("reads", function () {
    it("should read the registry, the suite list and a token's configuration", async function () {
      const { reader, registry, suite, usdcAddress, vault } = await loadFixture(clientFixture);
      expect(await reader.registry()).to.equal(await registry.getAddress());
      expect(await reader.isSuiteContract(suite.address)).to.equal(true);
      expect(await reader.isSuiteContract(addr(5))).to.equal(false);
      const raw = await vault.tokenConfig(usdcAddress);
      expect(await reader.tokenConfig(usdcAddress)).to.deep.equal({
        allowed: true,
        decimals: 6,
        cycle: 1n,
        openEnd: raw.openEnd,
        cycleLength: BigInt(CYCLE),
        nextCycleLength: BigInt(CYCLE),
      });
      expect(await reader.tokenConfig(addr(9))).to.deep.equal({
        allowed: false,
        decimals: 0,
        cycle: 0n,
        openEnd: 0n,
        cycleLength: 0n,
        nextCycleLength: 0n,
      });
    });

    it("should read balances, free balances, positions, accounts and liabilities", async function () {
      const { alice, reader, vault, suite, usdcAddress } = await loadFixture(clientFixture);
      await alice.deposit(1, usdcAddress, 100n * USDC);
      await vault.connect(suite).recordObligation(1, 2, usdcAddress, 30n * USDC, REF);
      expect(await reader.balanceOf(1, usdcAddress)).to.equal(100n * USDC);
      expect(await reader.freeBalanceOf(1n, usdcAddress)).to.equal(70n * USDC);
      expect(await reader.openPositionOf(1, usdcAddress)).to.equal(-30n * USDC);
      expect(await reader.openPositionOf(2, usdcAddress)).to.equal(30n * USDC);
      expect(await reader.queueLength(1, usdcAddress)).to.equal(0n);
      expect(await reader.accountOf(1, usdcAddress)).to.deep.equal({
        balance: 100n * USDC,
        position: -30n * USDC,
        cycle: 1n,
        queued: 0n,
      });
      expect(await reader.memberInfo(2, usdcAddress)).to.deep.equal({
        operatorId: 2n,
        token: usdcAddress,
        balance: 0n,
        free: 0n,
        openPosition: 30n * USDC,
        queued: 0n,
      });
      expect(await reader.totalLiabilities(usdcAddress)).to.equal(100n * USDC);
      expect(await reader.bilateralGross(usdcAddress, 1, 1, 2)).to.deep.equal({ gross: 30n * USDC, retained: true });
      expect(await reader.bilateralGross(usdcAddress, 1, 2, 1)).to.deep.equal({ gross: 0n, retained: true });
      const future = await expectRevert(reader.bilateralGross(usdcAddress, 2, 1, 2), "SettlementVault_FutureCycle");
      expect(future.args).to.deep.equal({ token: usdcAddress, cycle: 2n, current: 1n });
    });

    it("should page through queued obligations, all read at one block", async function () {
      const { reader, vault, suite, usdcAddress } = await loadFixture(clientFixture);
      const refs = [1, 2, 3, 4, 5].map((i) => keccakText(`ref ${i}`));
      for (const [i, ref] of refs.entries()) {
        await vault.connect(suite).recordObligation(3, 1 + (i % 2), usdcAddress, BigInt(i + 1) * USDC, ref);
      }
      expect(await reader.queueLength(3, usdcAddress)).to.equal(5n);
      const expected = refs.map((ref, i) => ({ payee: BigInt(1 + (i % 2)), amount: BigInt(i + 1) * USDC, ref }));
      expect(await reader.queuedObligations(3, usdcAddress)).to.deep.equal(expected);
      expect(await reader.queuedObligations(3, usdcAddress, 3, 10)).to.deep.equal(expected.slice(3));
      expect(await reader.queuedObligations(3, usdcAddress, 9, 10)).to.deep.equal([]);
      expect(await reader.allQueuedObligations(3, usdcAddress, { pageSize: 2 })).to.deep.equal(expected);
      const seen = [];
      for await (const entry of reader.iterateQueuedObligations(3, usdcAddress, { pageSize: 5 })) seen.push(entry);
      expect(seen).to.deep.equal(expected);
      // Pinned to a block: a page read later sees the queue as it was.
      const block = await ethers.provider.getBlockNumber();
      await vault.connect(suite).recordObligation(3, 1, usdcAddress, 1n, REF);
      expect(await reader.allQueuedObligations(3, usdcAddress, { blockTag: block })).to.have.length(5);
      expect(await reader.allQueuedObligations(3, usdcAddress)).to.have.length(6);
    });

    it("should report the surplus: tokens sent to the vault outside deposits", async function () {
      const { reader, usdc, usdcAddress, vaultAddress, holder } = await loadFixture(clientFixture);
      expect(await reader.surplus(usdcAddress)).to.equal(0n);
      await usdc.connect(holder).transfer(vaultAddress, 7n);
      expect(await reader.surplus(usdcAddress)).to.equal(7n);
    });

    it("should snapshot the state a NettingPreview starts from, which then predicts the vault", async function () {
      const { alice, bob, reader, vault, suite, usdcAddress, eurcAddress } = await loadFixture(clientFixture);
      await alice.deposit(1, usdcAddress, 100n * USDC);
      await bob.deposit(2, usdcAddress, 50n * USDC);
      await vault.connect(suite).recordObligation(1, 2, usdcAddress, 80n * USDC, REF);
      await vault.connect(suite).recordObligation(2, 3, usdcAddress, 120n * USDC, REF);
      await vault.connect(suite).recordObligation(1, 3, usdcAddress, 150n * USDC, REF); // queued
      await time.increase(CYCLE);
      await alice.closeCycle(usdcAddress);
      // Cycle 2: touches 3 (balance 120) and 1 (balance 100 - 80 = 20, position +10); 2 stays untouched.
      await vault.connect(suite).recordObligation(3, 1, usdcAddress, 10n * USDC, REF);

      const preview = new NettingPreview(await reader.nettingSnapshot([usdcAddress, eurcAddress], [1, 2, 3]));
      for (const m of [1, 2, 3]) {
        const info = await reader.memberInfo(m, usdcAddress);
        expect(preview.memberView(m, usdcAddress)).to.deep.equal({
          member: info.operatorId,
          token: usdcAddress,
          balance: info.balance,
          free: info.free,
          openPosition: info.openPosition,
          queued: info.queued,
        });
        expect(preview.accountOf(m, usdcAddress)).to.deep.equal(await reader.accountOf(m, usdcAddress));
      }
      expect(preview.queuedObligations(1, usdcAddress)).to.deep.equal(await reader.queuedObligations(1, usdcAddress));
      expect(preview.totalLiabilities(usdcAddress)).to.equal(150n * USDC);
      expect(preview.tokenConfig(usdcAddress).cycle).to.equal(2n);

      // The preview predicts the next calls: A's queued 150 does not fit (20 + 10 - 150 < 0), then, after a deposit,
      // it does.
      const predicted = preview.processQueue(1, usdcAddress, 1);
      const { applied } = await alice.processQueue(1, usdcAddress, 1);
      expect(predicted.type === "processQueue" && predicted.applied).to.equal(applied);
      await alice.deposit(1, usdcAddress, 200n * USDC);
      preview.deposit(1, usdcAddress, 200n * USDC);
      const predicted2 = preview.processQueue(1, usdcAddress, 1);
      const result = await alice.processQueue(1, usdcAddress, 1);
      expect(predicted2.type === "processQueue" && predicted2.applied).to.equal(result.applied);
      expect(result.applied).to.equal(1n);
      for (const m of [1, 2, 3]) {
        expect(preview.freeBalanceOf(m, usdcAddress)).to.equal(await reader.freeBalanceOf(m, usdcAddress));
        expect(preview.openPositionOf(m, usdcAddress)).to.equal(await reader.openPositionOf(m, usdcAddress));
      }
      await expectInvalid(reader.nettingSnapshot([usdcAddress], [0]), "members[0]");
      await expectInvalid(reader.nettingSnapshot(["nope"], [1]), "tokens[0]");
    });
  });

  describe("deposits", function () {
    it("should deposit with the allowance already given", async function () {
      const { alice, reader, usdcAddress, vault } = await loadFixture(clientFixture);
      const receipt = await alice.deposit(1, usdcAddress, 25n * USDC);
      expect(receipt.status).to.equal(1);
      const parsed = receipt.logs.map((log) => vault.interface.parseLog(log)).filter((x) => x !== null);
      expect(parsed.map((x) => x!.name)).to.deep.equal(["Deposited"]);
      expect(await reader.balanceOf(1, usdcAddress)).to.equal(25n * USDC);
    });

    it("should approve first when asked, exactly or without limit, and only when the allowance is short", async function () {
      const { holderClient, holder, usdc, usdcAddress, vaultAddress, reader } = await loadFixture(clientFixture);
      await expectRevert(holderClient.deposit(2, usdcAddress, 10n * USDC), "ERC20InsufficientAllowance");
      await holderClient.deposit(2, usdcAddress, 10n * USDC, { approve: "exact" });
      expect(await usdc.allowance(holder, vaultAddress)).to.equal(0n); // approved 10, then spent
      await holderClient.deposit(2, usdcAddress, 10n * USDC, { approve: "max" });
      expect(await usdc.allowance(holder, vaultAddress)).to.equal(MaxUint256);
      expect(await holderClient.ensureAllowance(usdcAddress, 5n * USDC)).to.equal(undefined);
      expect(await reader.balanceOf(2, usdcAddress)).to.equal(20n * USDC);
    });

    it("should deposit with a permit signed by a holder who never approved the vault", async function () {
      const { holderClient, holder, usdc, usdcAddress, vaultAddress, reader } = await loadFixture(clientFixture);
      expect(await usdc.allowance(holder, vaultAddress)).to.equal(0n);
      const receipt = await holderClient.depositWithPermit(3, usdcAddress, 40n * USDC);
      expect(receipt.status).to.equal(1);
      expect(await reader.balanceOf(3, usdcAddress)).to.equal(40n * USDC);
      expect(await usdc.nonces(holder)).to.equal(1n);
      expect(await usdc.allowance(holder, vaultAddress)).to.equal(0n);
      expect(await usdc.balanceOf(holder)).to.equal(960n * USDC);
    });

    it("should sign the permit over the token's EIP-5267 domain", async function () {
      const { holderClient, holder, usdcAddress, vaultAddress } = await loadFixture(clientFixture);
      const permit: VaultPermitSignature = await holderClient.signPermit(usdcAddress, 5n, { deadline: 10n ** 12n });
      const { chainId } = await ethers.provider.getNetwork();
      expect(permit.domain).to.deep.equal({
        name: "USD Coin",
        version: "1",
        chainId,
        verifyingContract: usdcAddress,
      });
      expect(permit).to.deep.include({ owner: holder.address, spender: vaultAddress, value: 5n, nonce: 0n });
      const message = { owner: holder.address, spender: vaultAddress, value: 5n, nonce: 0n, deadline: 10n ** 12n };
      const types = { Permit: PERMIT_TYPES.Permit.map((x) => ({ ...x })) };
      expect(verifyTypedData(permit.domain, types, message, permit.signature)).to.equal(holder.address);
      expect(Signature.from(permit.signature).v).to.equal(permit.v);
    });

    it("should build the domain from name() and version '1' for a token without eip712Domain()", async function () {
      const { holder, vaultAddress } = await loadFixture(clientFixture);
      const token = await (await ethers.getContractFactory("NoReturnToken")).deploy();
      const client = new VaultClient(vaultAddress, holder);
      const permit = await client.signPermit(await token.getAddress(), 9n, { nonce: 3n, deadline: 100n });
      const { chainId } = await ethers.provider.getNetwork();
      expect(permit.domain).to.deep.equal({
        name: "No Return Token",
        version: "1",
        chainId,
        verifyingContract: await token.getAddress(),
      });
      const withVersion = await client.signPermit(await token.getAddress(), 9n, { nonce: 3n, version: "2" });
      expect(withVersion.domain.version).to.equal("2");
      expect(withVersion.deadline).to.equal(BigInt(await time.latest()) + 3600n);
    });

    it("should rely on the allowance when the permit fails, and surface the token's error without one", async function () {
      const { holderClient, holder, usdc, usdcAddress, vaultAddress } = await loadFixture(clientFixture);
      const expired = BigInt(await time.latest()) - 1n;
      const error = await expectRevert(
        holderClient.depositWithPermit(1, usdcAddress, USDC, { deadline: expired }),
        "ERC20InsufficientAllowance",
      );
      expect(error.args).to.deep.include({ spender: vaultAddress, allowance: 0n, needed: USDC });
      await usdc.connect(holder).approve(vaultAddress, USDC);
      await holderClient.depositWithPermit(1, usdcAddress, USDC, { deadline: expired });
      expect(await usdc.allowance(holder, vaultAddress)).to.equal(0n);
    });

    it("should decode the vault's errors on deposits", async function () {
      const { alice, usdcAddress, vault, accounts } = await loadFixture(clientFixture);
      const unknown = await expectRevert(alice.deposit(9, usdcAddress, 1n), "SettlementVault_UnknownOperator");
      expect(unknown.args).to.deep.equal({ operatorId: 9n });
      const notAllowed = await expectRevert(alice.deposit(1, addr(77), 1n), "SettlementVault_TokenNotAllowed");
      expect(notAllowed.args).to.deep.equal({ token: addr(77) });
      await vault.connect(accounts.pauser).pause();
      await expectRevert(alice.deposit(1, usdcAddress, 1n), "EnforcedPause");
    });
  });

  describe("withdrawals, closes and queue processing", function () {
    it("should withdraw the free balance to the payout address, and decode refusals", async function () {
      const { alice, bob, reader, usdc, usdcAddress, vault, suite, accounts } = await loadFixture(clientFixture);
      await alice.deposit(1, usdcAddress, 100n * USDC);
      await vault.connect(suite).recordObligation(1, 2, usdcAddress, 30n * USDC, REF);
      const error = await expectRevert(
        alice.withdraw(1, usdcAddress, 71n * USDC),
        "SettlementVault_InsufficientFreeBalance",
      );
      expect(error.args).to.deep.equal({ operatorId: 1n, token: usdcAddress, free: 70n * USDC, amount: 71n * USDC });
      await expectRevert(bob.withdraw(1, usdcAddress, 1n), "SettlementVault_NotOperatorAdmin");
      const before = await usdc.balanceOf(accounts.alicePayout);
      await alice.withdraw(1, usdcAddress, 70n * USDC);
      expect((await usdc.balanceOf(accounts.alicePayout)) - before).to.equal(70n * USDC);
      expect(await reader.freeBalanceOf(1, usdcAddress)).to.equal(0n);
    });

    it("should close a cycle once its end has passed", async function () {
      const { alice, reader, usdcAddress } = await loadFixture(clientFixture);
      const { openEnd } = await reader.tokenConfig(usdcAddress);
      const early = await expectRevert(alice.closeCycle(usdcAddress), "SettlementVault_CycleNotEnded");
      expect(early.args).to.deep.equal({ token: usdcAddress, openEnd });
      await time.increaseTo(openEnd);
      const receipt = await alice.closeCycle(usdcAddress);
      expect(receipt.status).to.equal(1);
      expect((await reader.tokenConfig(usdcAddress)).cycle).to.equal(2n);
    });

    it("should process a queue and count what it applied", async function () {
      const { alice, carol, vault, suite, usdcAddress, reader } = await loadFixture(clientFixture);
      for (const amount of [10n, 20n, 500n]) {
        await vault.connect(suite).recordObligation(1, 3, usdcAddress, amount * USDC, REF);
      }
      expect(await carol.processQueue(1, usdcAddress, 5)).to.deep.include({ applied: 0n });
      await alice.deposit(1, usdcAddress, 40n * USDC);
      const result = await carol.processQueue(1, usdcAddress, 5);
      expect(result.applied).to.equal(2n);
      expect(result.receipt.status).to.equal(1);
      expect(await reader.queueLength(1, usdcAddress)).to.equal(1n);
      await expectRevert(carol.processQueue(1, addr(77), 1), "SettlementVault_TokenNotAllowed");
    });
  });

  describe("validation before sending", function () {
    it("should refuse bad input without sending or signing anything", async function () {
      const { vaultAddress, usdcAddress } = await loadFixture(clientFixture);
      const runner = recordingRunner();
      const client = new VaultClient(vaultAddress, runner);
      await expectInvalid(client.deposit(0, usdcAddress, 1n), "operatorId");
      await expectInvalid(client.deposit(2 ** 32, usdcAddress, 1n), "operatorId");
      await expectInvalid(client.deposit(1.5, usdcAddress, 1n), "operatorId");
      await expectInvalid(client.deposit(1, "0x1234", 1n), "token");
      await expectInvalid(client.deposit(1, ethers.ZeroAddress, 1n), "token");
      await expectInvalid(client.deposit(1, usdcAddress, 0n), "amount");
      await expectInvalid(client.deposit(1, usdcAddress, VAULT_LIMITS.maxAmount + 1n), "amount");
      await expectInvalid(client.deposit(1, usdcAddress, 0.5), "amount");
      await expectInvalid(
        client.deposit(1, usdcAddress, 1n, { approve: "some" as unknown as "max" }),
        "options.approve",
      );
      await expectInvalid(client.ensureAllowance(usdcAddress, 1n, "all" as unknown as "max"), "mode");
      await expectInvalid(client.depositWithPermit(1, usdcAddress, 0n), "amount");
      await expectInvalid(client.signPermit(usdcAddress, 1n, { deadline: -1 }), "options.deadline");
      await expectInvalid(client.signPermit(usdcAddress, 1n, { nonce: 1.5 }), "options.nonce");
      await expectInvalid(client.withdraw(1, usdcAddress, 0n), "amount");
      await expectInvalid(client.withdraw(-1, usdcAddress, 1n), "operatorId");
      await expectInvalid(client.closeCycle("usdc"), "token");
      await expectInvalid(client.processQueue(0, usdcAddress, 1), "payer");
      await expectInvalid(client.processQueue(1, usdcAddress, 0), "maxCount");
      await expectInvalid(client.balanceOf(0, usdcAddress), "operatorId");
      await expectInvalid(client.freeBalanceOf(1, "x"), "token");
      await expectInvalid(client.openPositionOf(1n << 40n, usdcAddress), "operatorId");
      await expectInvalid(client.queueLength(0, usdcAddress), "payer");
      await expectInvalid(client.bilateralGross(usdcAddress, -1, 1, 2), "cycle");
      await expectInvalid(client.bilateralGross(usdcAddress, 1, 1, 0), "payee");
      await expectInvalid(client.queuedObligations(1, usdcAddress, -1, 1), "offset");
      await expectInvalid(client.queuedObligations(1, usdcAddress, 0, 0), "limit");
      await expectInvalid(client.allQueuedObligations(1, usdcAddress, { pageSize: 0 }), "pageSize");
      await expectInvalid(client.isSuiteContract("nope"), "account");
      await expectInvalid(client.totalLiabilities("nope"), "token");
      await expectInvalid(client.surplus("nope"), "token");
      await expectInvalid(client.accountOf(0, usdcAddress), "operatorId");
      await expectInvalid(client.memberInfo(1, "nope"), "token");
      await expectInvalid(client.tokenConfig("nope"), "token");
      expect(runner.sent).to.deep.equal([]);
      expect(runner.signed).to.equal(0);
    });

    it("should require a signer to send or sign", async function () {
      const { reader, vaultAddress, usdcAddress } = await loadFixture(clientFixture);
      await rejection(reader.withdraw(1, usdcAddress, 1n)).then((e) => expect(e).to.be.instanceOf(SignerRequiredError));
      await rejection(reader.signPermit(usdcAddress, 1n)).then((e) => expect(e).to.be.instanceOf(SignerRequiredError));
      await rejection(reader.ensureAllowance(usdcAddress, 1n)).then((e) =>
        expect(e).to.be.instanceOf(SignerRequiredError),
      );
      const offline = new VaultClient(vaultAddress);
      await rejection(offline.closeCycle(usdcAddress)).then((e) => expect(e).to.be.instanceOf(SignerRequiredError));
    });
  });

  describe("builders", function () {
    it("should encode every member and suite call for the vault, with value 0", async function () {
      const { alice, vault, vaultAddress, usdcAddress } = await loadFixture(clientFixture);
      const b = alice.build;
      const decode = (tx: { to: string; data: string; value: bigint }, name: string) => {
        expect(tx.to).to.equal(vaultAddress);
        expect(tx.value).to.equal(0n);
        return vault.interface.decodeFunctionData(name, tx.data).toArray();
      };
      expect(decode(b.deposit(1, usdcAddress, 5), "deposit")).to.deep.equal([1n, usdcAddress, 5n]);
      expect(decode(b.withdraw(2n, usdcAddress.toLowerCase(), 6n), "withdraw")).to.deep.equal([2n, usdcAddress, 6n]);
      expect(decode(b.closeCycle(usdcAddress), "closeCycle")).to.deep.equal([usdcAddress]);
      expect(decode(b.processQueue(3, usdcAddress, 4), "processQueue")).to.deep.equal([3n, usdcAddress, 4n]);
      expect(decode(b.recordObligation(1, 2, usdcAddress, 7n, REF), "recordObligation")).to.deep.equal([
        1n,
        2n,
        usdcAddress,
        7n,
        REF,
      ]);
      expect(decode(b.transferFree(1, 2, usdcAddress, 8n, REF), "transferFree")).to.deep.equal([
        1n,
        2n,
        usdcAddress,
        8n,
        REF,
      ]);
      const sig = Signature.from({ r: REF, s: keccakText("s").replace(/^0x./, "0x1"), v: 27 });
      const split = b.depositWithPermit(1, usdcAddress, 9n, 100n, { v: sig.v, r: sig.r, s: sig.s });
      expect(b.depositWithPermit(1, usdcAddress, 9n, 100n, sig.serialized)).to.deep.equal(split);
      expect(decode(split, "depositWithPermit")).to.deep.equal([1n, usdcAddress, 9n, 100n, 27n, sig.r, sig.s]);
      const approve = b.approve(usdcAddress, MaxUint256);
      expect(approve.to).to.equal(usdcAddress);
      expect(approve.value).to.equal(0n);
      expectInvalidSync(() => b.recordObligation(1, 1, usdcAddress, 1n, REF), "payee");
      expectInvalidSync(() => b.recordObligation(1, 2, usdcAddress, 1n, "0x12"), "ref");
      expectInvalidSync(() => b.transferFree(2, 2, usdcAddress, 1n, REF), "to");
      expectInvalidSync(() => b.depositWithPermit(1, usdcAddress, 1n, 1n, { v: 29, r: REF, s: REF }), "signature.v");
      expectInvalidSync(() => b.depositWithPermit(1, usdcAddress, 1n, 1n, "0x12"), "signature");
      expectInvalidSync(() => b.depositWithPermit(1, usdcAddress, 1n, -1n, sig.serialized), "deadline");
      expectInvalidSync(() => b.approve("nope", 1n), "token");
      expectInvalidSync(() => b.approve(usdcAddress, -1n), "amount");
    });

    it("should build transactions that the fixture's accounts send through their own wallets", async function () {
      const f = await loadFixture(clientFixture);
      const { alice, vault, suite, usdcAddress, holder, accounts, reader } = f;
      const b = alice.build;
      // A holder approves and deposits, a suite contract records and transfers, an admin withdraws.
      await holder.sendTransaction(b.approve(usdcAddress, 100n));
      await holder.sendTransaction(b.deposit(1, usdcAddress, 100n));
      await suite.sendTransaction(b.recordObligation(1, 2, usdcAddress, 30n, REF));
      await suite.sendTransaction(b.transferFree(1, 3, usdcAddress, 20n, REF));
      await accounts.carol.sendTransaction(b.withdraw(3, usdcAddress, 20n));
      await time.increase(CYCLE);
      await accounts.eve.sendTransaction(b.closeCycle(usdcAddress));
      await suite.sendTransaction(b.recordObligation(2, 1, usdcAddress, 1_000n, REF));
      await accounts.bob.sendTransaction(b.processQueue(2, usdcAddress, 1));
      expect(await reader.balanceOf(1, usdcAddress)).to.equal(50n);
      expect(await reader.balanceOf(2, usdcAddress)).to.equal(30n);
      expect(await reader.queueLength(2, usdcAddress)).to.equal(1n);
      expect(await vault.totalLiabilities(usdcAddress)).to.equal(80n);
      // A permit deposit, signed separately and sent by the holder.
      const permit = await f.holderClient.signPermit(usdcAddress, 5n);
      await holder.sendTransaction(b.depositWithPermit(2, usdcAddress, 5n, permit.deadline, permit.signature));
      expect(await reader.balanceOf(2, usdcAddress)).to.equal(35n);
    });

    it("should encode governance calls that the roles' holders execute", async function () {
      const f = await loadFixture(clientFixture);
      const { alice, vault, vaultAddress, usdc, usdcAddress, eurcAddress, manager, accounts, holder, reader } = f;
      const b = alice.build;
      // Pauser: at once. Governor: through the AccessManager, with its delay.
      await accounts.pauser.sendTransaction(b.pause());
      expect(await vault.paused()).to.equal(true);
      await scheduleAndExecute(manager, accounts.governor, vaultAddress, b.unpause().data);
      expect(await vault.paused()).to.equal(false);
      await scheduleAndExecute(manager, accounts.governor, vaultAddress, b.setCycleLength(eurcAddress, 3600).data);
      expect((await reader.tokenConfig(eurcAddress)).nextCycleLength).to.equal(3600n);
      await scheduleAndExecute(manager, accounts.governor, vaultAddress, b.disallowToken(eurcAddress).data);
      expect((await reader.tokenConfig(eurcAddress)).allowed).to.equal(false);
      await scheduleAndExecute(manager, accounts.governor, vaultAddress, b.allowToken(eurcAddress, 7200).data);
      expect(await reader.tokenConfig(eurcAddress)).to.deep.include({ allowed: true, nextCycleLength: 7200n });
      // Admin: the suite list and the surplus.
      await accounts.admin.sendTransaction(b.setSuiteContract(addr(44), true));
      expect(await reader.isSuiteContract(addr(44))).to.equal(true);
      await usdc.connect(holder).transfer(vaultAddress, 11n);
      await accounts.admin.sendTransaction(b.recover(usdcAddress, addr(45)));
      expect(await usdc.balanceOf(addr(45))).to.equal(11n);
      expectInvalidSync(() => b.allowToken(usdcAddress, 0), "cycleLength");
      expectInvalidSync(() => b.setCycleLength(usdcAddress, 2 ** 32), "cycleLength");
      expectInvalidSync(() => b.setSuiteContract(addr(1), 1 as unknown as boolean), "isSuite");
      expectInvalidSync(() => b.recover(usdcAddress, ethers.ZeroAddress), "to");
    });
  });

  describe("error decoding", function () {
    it("should know the vault's, the ERC-20 and the permit errors", function () {
      const signatures = suiteErrorDecoder().errorSignatures;
      expect(signatures).to.include.members([
        "SettlementVault_InsufficientFreeBalance(uint32,address,uint256,uint256)",
        "ERC20InsufficientAllowance(address,uint256,uint256)",
        "ERC2612ExpiredSignature(uint256)",
        "EnforcedPause()",
        "AccessManagedUnauthorized(address)",
      ]);
    });
  });
});
