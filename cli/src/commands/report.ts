/** `roamledger report`: a summary read from the chain (operators, vault, cycles, batches by status). */
import type { Command } from "commander";

import {
  BATCH_STATUS,
  ClearingClient,
  RegistryClient,
  VaultClient,
  SettlementVault__factory,
  UsageClearing__factory,
} from "@roamledger/sdk";
import type { Context } from "../context";
import { blockRange, readPaged } from "../events";
import { isoTime, tokenDecimal } from "../format";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  program
    .command("report")
    .description("summary from the chain: operators, tokens and open cycles, vault positions, batches by status")
    .option(
      "--from-block <n>",
      "first block to read events from (tokens, batches; default 0), in pages of --block-range",
    )
    .action(action(report));
}

async function report(ctx: Context, opts: { fromBlock?: string }): Promise<void> {
  const provider = await ctx.provider();
  const addresses = await ctx.addresses();
  const range = await blockRange(ctx, opts);
  const operators = await new RegistryClient(addresses.registry, provider).listAll();
  const vault = new VaultClient(addresses.vault, provider);
  const vaultContract = SettlementVault__factory.connect(addresses.vault, provider);
  const allowedRead = await readPaged(
    (from, to) => vaultContract.queryFilter(vaultContract.filters.TokenAllowed(), from, to),
    range,
  );
  const allowed = allowedRead.events;
  const tokens = [...new Set(allowed.map((e) => e.args.token as string))];
  const tokenReports = [];
  for (const token of tokens) {
    const config = await vault.tokenConfig(token);
    const members = [];
    for (const op of operators) {
      const info = await vault.memberInfo(op.id, token);
      if (info.balance !== 0n || info.openPosition !== 0n || info.queued !== 0n) members.push(info);
    }
    tokenReports.push({ token, ...config, members });
  }
  const clearing = UsageClearing__factory.connect(addresses.clearing, provider);
  const reader = new ClearingClient(addresses.clearing, provider);
  const submittedRead = await readPaged(
    (from, to) => clearing.queryFilter(clearing.filters.BatchSubmitted(), from, to),
    range,
  );
  const submitted = submittedRead.events;
  const byStatus: Record<string, number> = Object.fromEntries(BATCH_STATUS.slice(1).map((s) => [s, 0]));
  const batches = [];
  for (const event of submitted) {
    const batch = await reader.getBatch(event.args.batchId);
    byStatus[batch.status] = (byStatus[batch.status] ?? 0) + 1;
    batches.push({
      batchId: event.args.batchId,
      agreementId: event.args.agreementId,
      sequence: event.args.sequence,
      ...batch,
    });
  }
  const events = {
    fromBlock: range.fromBlock,
    toBlock: range.toBlock,
    blockRange: range.blockRange,
    requests: allowedRead.requests + submittedRead.requests,
  };
  const lines = [
    `chain ${await ctx.chainId()}, registry ${addresses.registry}`,
    `events of blocks ${range.fromBlock}..${range.toBlock} (${events.requests} request(s) of at most ${range.blockRange} blocks)`,
    `operators (${operators.length}):`,
  ];
  for (const op of operators) lines.push(`  #${op.id} ${op.tadigs.join(",")} ${op.status} admin ${op.admin}`);
  for (const t of tokenReports) {
    lines.push(
      `token ${t.token} (${t.allowed ? "allowed" : "not allowed"}): cycle ${t.cycle} open until ${isoTime(t.openEnd)}`,
    );
    for (const m of t.members) {
      lines.push(
        `  #${m.operatorId} balance ${tokenDecimal(m.balance, t.decimals)} free ${tokenDecimal(m.free, t.decimals)} ` +
          `position ${tokenDecimal(m.openPosition, t.decimals)} queued ${m.queued}`,
      );
    }
  }
  lines.push(
    `batches (${batches.length}): ${Object.entries(byStatus)
      .map(([s, n]) => `${s} ${n}`)
      .join(", ")}`,
  );
  ctx.out.result(
    {
      chainId: await ctx.chainId(),
      addresses,
      events,
      operators,
      tokens: tokenReports,
      batches: { byStatus, list: batches },
    },
    lines,
  );
}
