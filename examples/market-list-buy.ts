/**
 * Example (ethers v6): list capacity units on the CapacityMarket and buy some, paid from the buyer's vault balance.
 *
 * The seller (an operator's admin holding units of a capacity class, e.g. data GB) lists them at a unit price in a
 * settlement token; the buyer (another operator's admin, with a free balance in the vault) buys part of the listing.
 * Units and payment move in one transaction. Sends transactions: needs both keys.
 *
 *   ROAMLEDGER_PRIVATE_KEY=<seller key> ROAMLEDGER_BUYER_KEY=<buyer key> ROAMLEDGER_CLASS_ID=<class id> \
 *   ROAMLEDGER_TOKEN=0x... [ROAMLEDGER_QUANTITY=10 ROAMLEDGER_BUY=3 ROAMLEDGER_UNIT_PRICE=5000000] \
 *     npx ts-node examples/market-list-buy.ts
 */
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";
import { CapacityClient, MarketClient, PayVia, RegistryClient, VaultClient } from "@roamledger/sdk";

import { deployment, env, print, RPC_URL } from "./env";

async function main(): Promise<void> {
  const provider = new JsonRpcProvider(RPC_URL);
  const { chainId } = await provider.getNetwork();
  const suite = await deployment(chainId);
  const seller = new NonceManager(new Wallet(env("ROAMLEDGER_PRIVATE_KEY"), provider));
  const buyer = new NonceManager(new Wallet(env("ROAMLEDGER_BUYER_KEY"), provider));
  const classId = BigInt(env("ROAMLEDGER_CLASS_ID"));
  const token = env("ROAMLEDGER_TOKEN");
  const quantity = BigInt(process.env.ROAMLEDGER_QUANTITY ?? "10");
  const toBuy = BigInt(process.env.ROAMLEDGER_BUY ?? "3");
  const unitPrice = BigInt(process.env.ROAMLEDGER_UNIT_PRICE ?? "5000000");

  const market = new MarketClient(suite.market, seller);
  const capacity = new CapacityClient(suite.capacity, provider);
  const vault = new VaultClient(suite.vault, provider);
  const buyerAddress = await buyer.getAddress();
  const buyerAdmin = (await new RegistryClient(suite.registry, provider).listAll()).find(
    (m) => m.admin === buyerAddress,
  );
  if (buyerAdmin === undefined) throw new Error(`${buyerAddress} is no operator's admin`);

  // Listed until one hour before the class's validity ends (the market refuses expired capacity).
  const info = await capacity.classInfo(classId);
  if (info === undefined) throw new Error(`capacity class ${classId} does not exist`);
  const expiry = info.validUntil - 3600n;
  const { listingId } = await market.list(classId, token, unitPrice, quantity, expiry, { approve: true });

  const freeBefore = await vault.freeBalanceOf(buyerAdmin.id, token);
  const receipt = await market.connect(buyer).buy(listingId, toBuy, PayVia.Vault);

  print({
    listingId,
    listing: await market.listing(listingId),
    bought: toBuy,
    transaction: receipt.hash,
    buyer: {
      operatorId: buyerAdmin.id,
      units: await capacity.balanceOf(buyerAddress, classId),
      paid: freeBefore - (await vault.freeBalanceOf(buyerAdmin.id, token)),
    },
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
