import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  BaseError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  getAddress,
  type Address,
  type EIP1193RequestFn,
  type Hex,
} from "viem";
import { simulateContract } from "viem/actions";

import {
  capacityMarketAbi,
  decodeRoamLedgerRevert,
  getRoamLedgerContracts,
  operatorRegistryAbi,
  readBatch,
  readBatchStatus,
  readFreeBalance,
  readListing,
  readOperator,
  readOperatorByTadig,
  roamLedgerAbis,
  settlementVaultAbi,
  toViemRequest,
  withDecodedRevert,
  type RoamLedgerReadContext,
} from "../../sdk/src/viem";
import {
  ClearingClient,
  decodeRoamLedgerError,
  InvalidArgumentError,
  InvalidTadigError,
  MarketClient,
  PayVia,
  RegistryClient,
  RoamLedgerContractError,
  VaultClient,
  type RoamLedgerAddresses,
} from "../../sdk/src";
import { encodeTadig } from "../../sdk/src/tadig";
import { deployCapacityFixture, USDC, type CapacityFixture } from "../helpers/capacity";
import { deployClearingFixture } from "../helpers/clearing";
import { submit, usageBatch } from "../unit/UsageClearing/shared";
import { rejection } from "./fixture";

/** viem talking to the in-process Hardhat network through an EIP-1193 `custom` transport. */
const transport = custom(
  {
    request: ((args: { method: string; params?: unknown[] }) => hre.network.provider.request(args)) as EIP1193RequestFn,
  },
  { retryCount: 0 },
);
/** The in-process Hardhat network (viem/chains is not imported: its typings pull in DOM-only sources of `ox`). */
const hardhat = defineChain({
  id: 31337,
  name: "Hardhat",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
});
const publicClient = createPublicClient({ chain: hardhat, transport });

/** A viem wallet client of one of the node's (unlocked) accounts. */
function walletOf(account: string) {
  return createWalletClient({ chain: hardhat, transport, account: getAddress(account) });
}

async function addressesOf(f: CapacityFixture): Promise<RoamLedgerAddresses> {
  const at = async (c: { getAddress(): Promise<string> }) => (await c.getAddress()) as Address;
  return {
    manager: await at(f.manager),
    registry: await at(f.registry),
    agreements: await at(f.agreements),
    vault: await at(f.vault),
    clearing: await at(f.clearing),
    settlement: await at(f.settlement),
    capacity: await at(f.capacity),
    market: await at(f.market),
  };
}

/** The capacity fixture with listing 1 (alice sells 10 data units at 5 USDC until the data class ends). */
async function viemFixture() {
  const f = await deployCapacityFixture();
  const addresses = await addressesOf(f);
  const market = new MarketClient(addresses.market, f.accounts.alice);
  const expiry = BigInt(f.data.validUntil) - 1n;
  const { listingId } = await market.list(f.dataId, await f.usdc.getAddress(), 5n * USDC, 10n, expiry);
  const context: RoamLedgerReadContext = { client: publicClient, addresses };
  return { ...f, addresses, context, listingId, expiry };
}

describe("SDK viem entry point", function () {
  describe("getRoamLedgerContracts", function () {
    it("should return contract instances at the deployment's addresses that read the chain", async function () {
      const f = await loadFixture(viemFixture);
      const contracts = getRoamLedgerContracts({ client: publicClient, addresses: f.addresses });
      for (const key of Object.keys(f.addresses) as (keyof RoamLedgerAddresses)[]) {
        expect(contracts[key].address, key).to.equal(f.addresses[key]);
      }
      expect(await contracts.registry.read.operatorCount()).to.equal(3);
      expect(await contracts.vault.read.registry()).to.equal(f.addresses.registry);
      expect(await contracts.market.read.listingCount()).to.equal(1n);
      expect(contracts.registry.abi).to.equal(operatorRegistryAbi);
    });

    it("should send writes through a wallet client", async function () {
      const f = await loadFixture(viemFixture);
      const { alice } = f.accounts;
      const contracts = getRoamLedgerContracts({
        client: { public: publicClient, wallet: walletOf(alice.address) },
        addresses: f.addresses,
      });
      const hash = await contracts.registry.write.setMetadataURI([1, "ipfs://alpha-v2"]);
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
      expect((await readOperator(f.context, 1)).metadataURI).to.equal("ipfs://alpha-v2");
    });

    it("should reject a malformed address, naming its key", function () {
      const addresses = { manager: "0x1234" } as unknown as RoamLedgerAddresses;
      expect(() => getRoamLedgerContracts({ client: publicClient, addresses }))
        .to.throw(InvalidArgumentError)
        .with.property("field", "manager");
    });
  });

  describe("typed reads", function () {
    it("should read an operator by TADIG exactly as the ethers client does", async function () {
      const f = await loadFixture(viemFixture);
      const viaViem = await readOperatorByTadig(f.context, "GBRCN");
      const viaEthers = await new RegistryClient(f.addresses.registry, hre.ethers.provider).findByTadig("GBRCN");
      expect(viaViem).to.deep.equal(viaEthers);
      expect(viaViem?.id).to.equal(f.beta);
      expect(viaViem?.admin).to.equal(f.accounts.bob.address);
      expect(viaViem?.tadigs).to.deep.equal(["GBRCN"]);
    });

    it("should return undefined for a TADIG no operator holds, and reject a malformed one", async function () {
      const f = await loadFixture(viemFixture);
      expect(await readOperatorByTadig(f.context, "FRAF1")).to.equal(undefined);
      const thrown = await rejection(readOperatorByTadig(f.context, "fraf1"));
      expect(thrown).to.be.instanceOf(InvalidTadigError);
    });

    it("should decode the revert of an unknown operator id", async function () {
      const f = await loadFixture(viemFixture);
      const thrown = await rejection(readOperator(f.context, 99));
      expect(thrown).to.be.instanceOf(RoamLedgerContractError);
      expect((thrown as RoamLedgerContractError).name).to.equal("OperatorRegistry_UnknownOperator");
      expect((thrown as RoamLedgerContractError).cause).to.be.instanceOf(BaseError);
    });

    it("should read a vault free balance as the ethers client does", async function () {
      const f = await loadFixture(viemFixture);
      const usdc = await f.usdc.getAddress();
      const free = await readFreeBalance(f.context, f.alpha, usdc);
      expect(free).to.equal(100_000n * USDC);
      expect(free).to.equal(await new VaultClient(f.addresses.vault, hre.ethers.provider).freeBalanceOf(f.alpha, usdc));
    });

    it("should read a listing as the ethers client does, and decode an unknown listing's revert", async function () {
      const f = await loadFixture(viemFixture);
      const listing = await readListing(f.context, f.listingId);
      expect(listing).to.deep.equal(await new MarketClient(f.addresses.market, hre.ethers.provider).listing(1n));
      expect(listing).to.include({ listingId: 1n, classId: f.dataId, remaining: 10n, unitPrice: 5n * USDC });
      expect(listing.expiry).to.equal(f.expiry);
      const thrown = await rejection(readListing(f.context, 2n));
      expect(thrown).to.be.instanceOf(RoamLedgerContractError).with.property("name", "CapacityMarket_UnknownListing");
    });

    it("should reject a read whose contract address is missing from the context, naming it", async function () {
      const thrown = await rejection(
        readFreeBalance({ client: publicClient, addresses: {} }, 1, getAddress("0x" + "1".repeat(40))),
      );
      expect(thrown).to.be.instanceOf(InvalidArgumentError).with.property("field", "addresses.vault");
    });

    it("should read a batch's status and record as the ethers client does", async function () {
      const f = await loadFixture(deployClearingFixture);
      const context = { client: publicClient, addresses: { clearing: f.clearingAddress as Address } };
      const batch = usageBatch(f, { sequence: 1 });
      expect(await readBatchStatus(context, batch.batchId)).to.equal("None");
      await submit(f, batch.header);
      expect(await readBatchStatus(context, batch.batchId)).to.equal("Pending");
      const record = await readBatch(context, batch.batchId);
      expect(record).to.deep.equal(
        await new ClearingClient(f.clearingAddress, hre.ethers.provider).getBatch(batch.batchId),
      );
      expect(record.charge > 0n).to.equal(true);
    });
  });

  describe("decodeRoamLedgerRevert", function () {
    it("should decode a simulated write's revert by error name, as the ethers decoder does", async function () {
      const f = await loadFixture(viemFixture);
      const { eve } = f.accounts;
      const args = [
        [encodeTadig("FRAF1") as Hex],
        eve.address as Address,
        eve.address as Address,
        [eve.address as Address],
        "",
      ] as const;
      const viemError = await rejection(
        simulateContract(publicClient, {
          address: f.addresses.registry,
          abi: operatorRegistryAbi,
          functionName: "registerOperator",
          args,
          account: eve.address as Address,
        }),
      );
      const decoded = decodeRoamLedgerRevert(viemError);
      expect(decoded).to.be.instanceOf(RoamLedgerContractError);
      expect(decoded?.name).to.equal("AccessManagedUnauthorized");
      expect(decoded?.args).to.deep.equal({ caller: eve.address });
      expect(decoded?.cause).to.equal(viemError);

      const ethersError = await rejection(
        f.registry.connect(eve).registerOperator([encodeTadig("FRAF1")], eve, eve, [eve], ""),
      );
      const fromEthers = decodeRoamLedgerError(ethersError);
      expect(fromEthers?.name).to.equal(decoded?.name);
      expect(fromEthers?.data).to.equal(decoded?.data);
      expect(fromEthers?.positionalArgs).to.deep.equal(decoded?.positionalArgs);
    });

    it("should decode raw revert data and return undefined for an error without revert data", function () {
      expect(decodeRoamLedgerRevert("0xdeadbeef")).to.equal(undefined);
      expect(decodeRoamLedgerRevert(new Error("network down"))).to.equal(undefined);
      expect(decodeRoamLedgerRevert(new BaseError("no data"))).to.equal(undefined);
      const listingError = decodeRoamLedgerRevert(unknownListingData(7n));
      expect(listingError).to.be.instanceOf(RoamLedgerContractError);
      expect(listingError?.name).to.equal("CapacityMarket_UnknownListing");
      expect(listingError?.positionalArgs).to.deep.equal([7n]);
    });

    it("should decode an ERC-20 error the market bubbles up, which the market's own ABI does not declare", async function () {
      const f = await loadFixture(viemFixture);
      const { bob } = f.accounts;
      // bob pays directly without having approved the market: the token reverts ERC20InsufficientAllowance.
      const viemError = await rejection(
        simulateContract(publicClient, {
          address: f.addresses.market,
          abi: capacityMarketAbi,
          functionName: "buy",
          args: [f.listingId, 1n, PayVia.Direct],
          account: bob.address as Address,
        }),
      );
      const decoded = decodeRoamLedgerRevert(viemError);
      expect(decoded?.name).to.equal("ERC20InsufficientAllowance");
      expect(decoded?.args).to.deep.equal({ spender: f.addresses.market, allowance: 0n, needed: 5n * USDC });
    });

    it("should decode the revert of a sent transaction built by an SDK builder", async function () {
      const f = await loadFixture(viemFixture);
      const { eve } = f.accounts;
      const usdc = await f.usdc.getAddress();
      // eve holds no operator: withdrawing alpha's balance reverts in the vault.
      const built = new VaultClient(f.addresses.vault).build.withdraw(f.alpha, usdc, 1n * USDC);
      const thrown = await rejection(
        walletOf(eve.address).sendTransaction({ ...toViemRequest(built), chain: hardhat }),
      );
      const decoded = decodeRoamLedgerRevert(thrown);
      expect(decoded).to.be.instanceOf(RoamLedgerContractError);
      expect(decoded?.name).to.equal("SettlementVault_NotOperatorAdmin");

      const wrapped = await rejection(
        withDecodedRevert(() => walletOf(eve.address).sendTransaction({ ...toViemRequest(built), chain: hardhat })),
      );
      expect(wrapped).to.be.instanceOf(RoamLedgerContractError).with.property("name", decoded?.name);
    });
  });

  describe("toViemRequest", function () {
    it("should turn a builder's { to, data, value } into a request a wallet client sends", async function () {
      const f = await loadFixture(viemFixture);
      const { alice } = f.accounts;
      const built = new MarketClient(f.addresses.market).build.cancelListing(f.listingId);
      const request = toViemRequest(built);
      expect(request).to.deep.equal({ to: f.addresses.market, data: built.data.toLowerCase(), value: 0n });
      const hash = await walletOf(alice.address).sendTransaction({ ...request, chain: hardhat });
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
      expect((await readListing(f.context, f.listingId)).remaining).to.equal(0n);
    });

    it("should pay through the vault with a built buy sent by viem", async function () {
      const f = await loadFixture(viemFixture);
      const { bob } = f.accounts;
      const usdc = await f.usdc.getAddress();
      const before = await readFreeBalance(f.context, f.beta, usdc);
      const built = new MarketClient(f.addresses.market).build.buy(f.listingId, 2n, PayVia.Vault);
      const hash = await walletOf(bob.address).sendTransaction({ ...toViemRequest(built), chain: hardhat });
      expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
      expect(await readFreeBalance(f.context, f.beta, usdc)).to.equal(before - 10n * USDC);
      expect(await f.capacity.balanceOf(bob.address, f.dataId)).to.equal(2n);
    });

    it("should reject a malformed built transaction, naming the field", function () {
      const good = { to: "0x" + "ab".repeat(20), data: "0x1234", value: 0n };
      const cases: [unknown, string][] = [
        [{ ...good, to: "0x1234" }, "to"],
        [{ ...good, data: "1234" }, "data"],
        [{ ...good, data: "0x123" }, "data"],
        [{ ...good, value: 1 }, "value"],
        [{ ...good, value: -1n }, "value"],
        [null, "built"],
      ];
      for (const [built, field] of cases) {
        expect(() => toViemRequest(built as typeof good), field)
          .to.throw(InvalidArgumentError)
          .with.property("field", field);
      }
      expect(toViemRequest(good).to).to.equal(getAddress(good.to));
    });
  });

  it("should export an ABI per suite contract", function () {
    expect(Object.keys(roamLedgerAbis)).to.have.members([
      "OperatorRegistry",
      "RoamingAgreements",
      "SettlementVault",
      "UsageClearing",
      "UsageChallenges",
      "PeriodSettlement",
      "CapacityToken",
      "CapacityMarket",
      "RoamLedgerManager",
    ]);
    expect(roamLedgerAbis.SettlementVault).to.equal(settlementVaultAbi);
  });
});

/** The revert data of `CapacityMarket_UnknownListing(listingId)`. */
function unknownListingData(listingId: bigint): string {
  const error = capacityMarketAbi.find(
    (item) => item.type === "error" && item.name === "CapacityMarket_UnknownListing",
  );
  if (error === undefined) throw new Error("CapacityMarket_UnknownListing is not in the ABI");
  return new hre.ethers.Interface([error]).encodeErrorResult("CapacityMarket_UnknownListing", [listingId]);
}
