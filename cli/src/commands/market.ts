/** `roamledger market listings|list|buy`: the capacity market (delivery versus payment). */
import type { Command } from "commander";

import { PayVia, MarketClient, type CapacityListing, decimalToUnits, unitsToDecimal } from "@roamledger/sdk";
import { parseAddress, parseUint, tokenDecimals } from "../chain";
import type { Context } from "../context";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const market = program.command("market").description("the capacity market: open listings, sell, buy");
  market
    .command("listings")
    .description("the open listings (units remaining, not expired)")
    .option("--class <classId>", "only listings of this capacity class")
    .option("--all", "every listing, also sold out, cancelled or expired")
    .action(action(listings));
  market
    .command("list <classId> <token> <unitPrice> <quantity>")
    .description("list <quantity> of your units of a class for sale at <unitPrice> tokens each (exact decimal)")
    .option("--expiry <unix>", "last second it may be bought (default: a week from now)")
    .option("--approve", "approve the market on the capacity token first if needed")
    .action(action(list));
  market
    .command("buy <listingId> <quantity>")
    .description("buy units of a listing, paid from your free vault balance (default) or directly (--direct)")
    .option("--direct", "pay by an ERC-20 transfer to the seller's payout address instead of the vault")
    .option("--approve", "with --direct: approve the market for the price first if the allowance is short")
    .action(action(buy));
}

async function client(ctx: Context, write: boolean): Promise<MarketClient> {
  return new MarketClient((await ctx.addresses()).market, write ? await ctx.runner() : await ctx.provider());
}

function line(l: CapacityListing): string {
  return `  #${l.listingId} class ${l.classId}: ${l.remaining} units at ${l.unitPrice} base units of ${l.token}, seller #${l.sellerId}, until ${l.expiry}`;
}

async function listings(ctx: Context, opts: { class?: string; all?: boolean }): Promise<void> {
  const market = await client(ctx, false);
  const classId = opts.class === undefined ? undefined : parseUint(opts.class, "class");
  const found =
    opts.all === true
      ? (await market.listings()).filter((l) => classId === undefined || l.classId === classId)
      : await market.openListings(classId === undefined ? {} : { classId });
  ctx.out.result(
    { listings: found },
    found.length === 0 ? "no listings" : [`${found.length} listing(s)`, ...found.map(line)],
  );
}

async function list(
  ctx: Context,
  classArg: string,
  tokenArg: string,
  priceArg: string,
  quantityArg: string,
  opts: { expiry?: string; approve?: boolean },
): Promise<void> {
  const classId = parseUint(classArg, "classId");
  const token = parseAddress(tokenArg, "token");
  const quantity = parseUint(quantityArg, "quantity");
  const provider = await ctx.provider();
  const unitPrice = decimalToUnits(priceArg, await tokenDecimals(provider, token), "unitPrice");
  const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
  const expiry = opts.expiry === undefined ? now + 7n * 86_400n : parseUint(opts.expiry, "expiry");
  const market = await client(ctx, true);
  const { listingId, receipt } = await market.list(classId, token, unitPrice, quantity, expiry, {
    approve: opts.approve === true,
  });
  ctx.out.result({ listingId, classId, token, unitPrice, quantity, expiry, txHash: receipt.hash }, [
    `listed #${listingId}: ${quantity} units of class ${classId} at ${priceArg} each`,
    `  tx ${receipt.hash}`,
  ]);
}

async function buy(
  ctx: Context,
  idArg: string,
  quantityArg: string,
  opts: { direct?: boolean; approve?: boolean },
): Promise<void> {
  const listingId = parseUint(idArg, "listingId");
  const quantity = parseUint(quantityArg, "quantity");
  const market = await client(ctx, true);
  const listing = await market.listing(listingId);
  const price = market.priceOf(quantity, listing.unitPrice);
  const decimals = await tokenDecimals(await ctx.provider(), listing.token);
  const receipt = await market.buy(listingId, quantity, opts.direct === true ? PayVia.Direct : PayVia.Vault, {
    approve: opts.approve === true ? "exact" : false,
  });
  ctx.out.result(
    {
      listingId,
      quantity,
      price,
      token: listing.token,
      payVia: opts.direct === true ? "direct" : "vault",
      txHash: receipt.hash,
    },
    [
      `bought ${quantity} units of listing #${listingId} for ${unitsToDecimal(price, decimals)} (${opts.direct === true ? "direct" : "vault"})`,
      `  tx ${receipt.hash}`,
    ],
  );
}
