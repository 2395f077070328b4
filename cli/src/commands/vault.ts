/** `roamledger vault deposit|withdraw|balance`: the settlement vault. Payments are journaled (account, nonce). */
import type { Command } from "commander";

import { VaultClient, type VaultTokenConfig, decimalToUnits, unitsToDecimal } from "@roamledger/sdk";
import { parseAddress, parseUint, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { journaledPayment } from "../payments";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const vault = program.command("vault").description("the settlement vault: deposits, withdrawals, balances");
  vault
    .command("deposit <operatorId> <token> <amount>")
    .description("deposit <amount> tokens (exact decimal, e.g. 1000.25) for an operator, from the sender (resumable)")
    .option("--approve", "approve the vault for the amount first if the allowance is short")
    .action(
      action((ctx, id: string, token: string, amount: string, o: { approve?: boolean }) =>
        pay(ctx, "deposit", id, token, amount, o),
      ),
    );
  vault
    .command("withdraw <operatorId> <token> <amount>")
    .description("withdraw <amount> tokens of the operator's free balance to its payout address (its admin; resumable)")
    .action(action((ctx, id: string, token: string, amount: string) => pay(ctx, "withdraw", id, token, amount, {})));
  vault
    .command("balance <operatorId> <token>")
    .description("an operator's balance, free balance, open position and queue in a token")
    .action(action(balance));
  vault
    .command("process-queue <operatorId> <token>")
    .description(
      "apply a payer's queued obligations in order while its funds cover the next (anyone); " +
        "re-run: nothing sent when nothing is queued",
    )
    .option("--max <count>", "apply at most this many (default: all)")
    .action(action(processQueue));
}

/** The token's decimals: the vault's record if allowed, else the token's own. */
export async function decimalsOf(
  ctx: Context,
  vault: VaultClient,
  token: string,
): Promise<{ decimals: number; config: VaultTokenConfig }> {
  const config = await vault.tokenConfig(token);
  return { decimals: config.cycle > 0n ? config.decimals : await tokenDecimals(await ctx.provider(), token), config };
}

async function pay(
  ctx: Context,
  kind: "deposit" | "withdraw",
  id: string,
  tokenArg: string,
  amountArg: string,
  opts: { approve?: boolean },
): Promise<void> {
  const operatorId = parseUint(id, "operatorId");
  const token = parseAddress(tokenArg, "token");
  const reader = new VaultClient((await ctx.addresses()).vault, await ctx.provider());
  const { decimals } = await decimalsOf(ctx, reader, token);
  const amount = decimalToUnits(amountArg, decimals, "amount");
  const selector = reader.build[kind](operatorId, token, amount).data.slice(0, 10);
  const intent = { command: `vault ${kind}`, selector, operatorId, token, amount };
  const outcome = await journaledPayment(ctx, intent, async (signer) => {
    const vault = reader.connect(signer);
    return kind === "deposit"
      ? vault.deposit(operatorId, token, amount, { approve: opts.approve === true ? "exact" : false })
      : vault.withdraw(operatorId, token, amount);
  });
  const shown = `${unitsToDecimal(amount, decimals)} of ${token}`;
  if (outcome.alreadyDone !== undefined) {
    const hash = outcome.alreadyDone.tx?.hash;
    ctx.out.result({ status: "already-done", action: kind, operatorId, token, amount, txHash: hash }, [
      `already done by an earlier run: ${kind} ${shown} for operator #${operatorId} (tx ${hash}); nothing sent`,
    ]);
    return;
  }
  const receipt = outcome.result;
  ctx.out.result({ status: "done", action: kind, operatorId, token, amount, decimals, txHash: receipt?.hash }, [
    `${kind === "deposit" ? "deposited" : "withdrew"} ${shown} for operator #${operatorId}`,
    `  tx ${receipt?.hash}`,
  ]);
}

async function balance(ctx: Context, id: string, tokenArg: string): Promise<void> {
  const operatorId = parseUint(id, "operatorId");
  const token = parseAddress(tokenArg, "token");
  const vault = new VaultClient((await ctx.addresses()).vault, await ctx.provider());
  const { decimals } = await decimalsOf(ctx, vault, token);
  const info = await vault.memberInfo(operatorId, token);
  const d = (v: bigint) => unitsToDecimal(v, decimals);
  ctx.out.result({ ...info, decimals }, [
    `operator #${operatorId} in ${token}`,
    `  balance        ${d(info.balance)}`,
    `  free           ${d(info.free)}`,
    `  open position  ${d(info.openPosition)}`,
    `  queued         ${info.queued}`,
  ]);
}

async function processQueue(ctx: Context, id: string, tokenArg: string, opts: { max?: string }): Promise<void> {
  const operatorId = parseUint(id, "operatorId");
  const token = parseAddress(tokenArg, "token");
  const max = opts.max === undefined ? undefined : parseUint(opts.max, "max");
  if (max === 0n) throw new CliUserError('max: must be at least 1 (got "0")', "max");
  const address = (await ctx.addresses()).vault;
  const before = await new VaultClient(address, await ctx.provider()).memberInfo(operatorId, token);
  if (before.queued === 0n) {
    ctx.out.result({ status: "already-done", operatorId, token, applied: 0n, queued: 0n }, [
      `operator #${operatorId} has nothing queued in ${token}; nothing sent`,
    ]);
    return;
  }
  const vault = new VaultClient(address, await ctx.signer());
  const { applied, receipt } = await vault.processQueue(operatorId, token, max ?? before.queued);
  const queued = (await vault.memberInfo(operatorId, token)).queued;
  ctx.out.result({ status: "sent", operatorId, token, applied, queued, txHash: receipt.hash }, [
    `applied ${applied} queued obligation(s) of operator #${operatorId} in ${token}; ${queued} still queued` +
      (applied === 0n ? " (its free funds do not cover the next one)" : ""),
    `  tx ${receipt.hash}`,
  ]);
}
