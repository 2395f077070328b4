/**
 * `roamledger market bid|fill`: bids for capacity, paid from the buyer's free vault balance when a seller fills them.
 * Both are journaled once-only (see `../ops.ts`): the chain alone cannot tell a second, identical bid or fill from a
 * re-run after a crash.
 */
import type { Command } from "commander";
import type { TransactionReceipt } from "ethers";

import { MarketClient, decimalToUnits, unitsToDecimal } from "@roamledger/sdk";
import { parseAddress, parseUint, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { chainNow, group, isoUtc, journaledOnce, parseTime } from "../ops";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const market = group(program, "market", "the capacity market: open listings, sell, buy");
  market
    .command("bid <classId> <token> <unitPrice> <quantity>")
    .description(
      "bid for <quantity> units of a class at <unitPrice> tokens each (exact decimal), paid from your free vault " +
        "balance when filled; once per --ref (journaled)",
    )
    .option("--expiry <time>", "last second it may be filled (ISO-8601 UTC or Unix; default: a week from now)")
    .option("--ref <label>", "tells a deliberate repeat from a re-run (default: none)")
    .action(action(bid));
  market
    .command("fill <bidId> <quantity>")
    .description("sell <quantity> of your units into a bid, paid from the buyer's vault balance; once per --ref")
    .option("--approve", "approve the market on the capacity token first if needed")
    .option("--ref <label>", "tells a deliberate repeat from a re-run (default: none)")
    .action(action(fill));
}

async function reader(ctx: Context): Promise<MarketClient> {
  return new MarketClient((await ctx.addresses()).market, await ctx.provider());
}

/** The `BidPlaced` bid id of a receipt. */
function bidIdOf(market: MarketClient, receipt: TransactionReceipt): bigint {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== market.address.toLowerCase()) continue;
    const parsed = market.contract.interface.parseLog(log);
    if (parsed?.name === "BidPlaced") return parsed.args.bidId as bigint;
  }
  throw new Error(`transaction ${receipt.hash} emitted no BidPlaced event`);
}

async function bid(
  ctx: Context,
  classArg: string,
  tokenArg: string,
  priceArg: string,
  quantityArg: string,
  opts: { expiry?: string; ref?: string },
): Promise<void> {
  const classId = parseUint(classArg, "classId");
  const token = parseAddress(tokenArg, "token");
  const quantity = parseUint(quantityArg, "quantity");
  if (quantity === 0n) throw new CliUserError('quantity: must be at least 1 (got "0")', "quantity");
  const decimals = await tokenDecimals(await ctx.provider(), token);
  const unitPrice = decimalToUnits(priceArg, decimals, "unitPrice");
  const expiry = opts.expiry === undefined ? (await chainNow(ctx)) + 7n * 86_400n : parseTime(opts.expiry, "expiry");
  const market = await reader(ctx);
  const selector = market.build.bid(classId, token, unitPrice, quantity, expiry).data.slice(0, 10);
  // The key holds the arguments as given: a default expiry, which moves with time, must not change it.
  const intent = {
    command: "market bid",
    selector,
    classId,
    token,
    unitPrice,
    quantity,
    expiry: opts.expiry,
    ref: opts.ref,
  };
  const outcome = await journaledOnce(
    ctx,
    intent,
    async (signer) => (await market.connect(signer).bid(classId, token, unitPrice, quantity, expiry)).receipt,
    (receipt) => ({ bidId: bidIdOf(market, receipt) }),
  );
  const bidId = outcome.result.bidId as bigint;
  const placed = await market.getBid(bidId);
  ctx.out.result(
    {
      status: outcome.status,
      bidId,
      classId,
      token,
      unitPrice,
      quantity,
      remaining: placed.remaining,
      expiry: isoUtc(placed.expiry),
      txHash: outcome.txHash,
    },
    [
      outcome.status === "done"
        ? `placed bid #${bidId}: ${quantity} units of class ${classId} at ${unitsToDecimal(unitPrice, decimals)} each, until ${isoUtc(placed.expiry)}`
        : `already done by an earlier run: bid #${bidId} (tx ${outcome.txHash}); nothing sent`,
    ],
  );
}

async function fill(
  ctx: Context,
  idArg: string,
  quantityArg: string,
  opts: { approve?: boolean; ref?: string },
): Promise<void> {
  const bidId = parseUint(idArg, "bidId");
  const quantity = parseUint(quantityArg, "quantity");
  if (quantity === 0n) throw new CliUserError('quantity: must be at least 1 (got "0")', "quantity");
  const market = await reader(ctx);
  const target = await market.getBid(bidId);
  const price = market.priceOf(quantity, target.unitPrice);
  const decimals = await tokenDecimals(await ctx.provider(), target.token);
  const selector = market.build.fillBid(bidId, quantity).data.slice(0, 10);
  const intent = { command: "market fill", selector, bidId, quantity, ref: opts.ref };
  const outcome = await journaledOnce(
    ctx,
    intent,
    async (signer) => {
      // The approval is idempotent (sent only if missing), so it is not journaled.
      if (opts.approve === true) await market.connect(await ctx.signer()).ensureCapacityApproval();
      return market.connect(signer).fillBid(bidId, quantity);
    },
    () => ({}),
  );
  const remaining = (await market.getBid(bidId)).remaining;
  ctx.out.result(
    { status: outcome.status, bidId, quantity, price, token: target.token, remaining, txHash: outcome.txHash },
    [
      outcome.status === "done"
        ? `filled bid #${bidId} with ${quantity} units for ${unitsToDecimal(price, decimals)} (${remaining} still wanted)`
        : `already done by an earlier run: fill of bid #${bidId} with ${quantity} units (tx ${outcome.txHash}); nothing sent`,
      ...(outcome.txHash === undefined ? [] : [`  tx ${outcome.txHash}`]),
    ],
  );
}
