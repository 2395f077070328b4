/** `roamledger voucher sign|redeem`: real-time vouchers of cumulative amounts owed. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";

import { ClearingClient, decimalToUnits, unitsToDecimal, type Voucher } from "@roamledger/sdk";
import { agreementView, parseBytes32, parseDirection, parseUint, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { asObject, readJsonFile, toJson } from "../json";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const voucher = program.command("voucher").description("vouchers: the home network acknowledges a cumulative amount");
  voucher
    .command("sign")
    .description("sign a voucher with the home network's signer key (--key) and write it")
    .requiredOption("--agreement <id>", "the agreement id (bytes32)")
    .requiredOption("--direction <0|1>", "the direction of the usage")
    .requiredOption("--amount <decimal>", "the cumulative amount owed, in tokens (exact decimal, e.g. 12.5)")
    .option("--expiry <unix>", "until when it may be redeemed (default: a day from now)")
    .option("--out <file>", "write the signed voucher there (default: print it)")
    .action(action(sign));
  voucher
    .command("redeem <voucherFile>")
    .description("redeem a signed voucher: the increase over what was redeemed is charged at once")
    .action(action(redeem));
}

async function sign(
  ctx: Context,
  opts: { agreement: string; direction: string; amount: string; expiry?: string; out?: string },
): Promise<void> {
  const agreementId = parseBytes32(opts.agreement, "agreement");
  const direction = parseDirection(opts.direction);
  const view = await agreementView(ctx, agreementId, direction);
  const provider = await ctx.provider();
  const decimals = await tokenDecimals(provider, view.terms.token);
  const cumulativeAmount = decimalToUnits(opts.amount, decimals, "amount");
  const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
  const voucher: Voucher = {
    agreementId,
    direction,
    cumulativeAmount,
    expiry: opts.expiry === undefined ? now + 86_400n : parseUint(opts.expiry, "expiry"),
  };
  const clearing = new ClearingClient((await ctx.addresses()).clearing, provider);
  const signer = await ctx.signer();
  const signature = await clearing.signVoucher(signer, voucher);
  const signed = { voucher, signature, signer: signer.address, token: view.terms.token, decimals };
  if (opts.out !== undefined) writeFileSync(opts.out, toJson(signed) + "\n");
  ctx.out.result(
    { ...signed, file: opts.out },
    opts.out === undefined
      ? toJson(signed)
      : `voucher for ${unitsToDecimal(cumulativeAmount, decimals)} (cumulative) written to ${opts.out}`,
  );
}

async function redeem(ctx: Context, file: string): Promise<void> {
  const signed = asObject(readJsonFile(file, "voucher"), "voucher");
  if (typeof signed.signature !== "string") throw new CliUserError("voucher: no signature", "signature");
  const voucher = asObject(signed.voucher, "voucher.voucher") as unknown as Voucher;
  const clearing = new ClearingClient((await ctx.addresses()).clearing, await ctx.runner());
  const before = await clearing.voucherRedeemed(voucher.agreementId, voucher.direction);
  const receipt = await clearing.redeemVoucher(voucher, signed.signature);
  const after = await clearing.voucherRedeemed(voucher.agreementId, voucher.direction);
  ctx.out.result({ redeemed: after, charged: after - before, txHash: receipt.hash }, [
    `voucher redeemed: ${after - before} base units charged (cumulative ${after})`,
    `  tx ${receipt.hash}`,
  ]);
}
