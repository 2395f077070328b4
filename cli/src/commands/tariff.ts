/** `roamledger tariff publish <file.json>`. */
import type { Command } from "commander";

import { AgreementsClient, computeTariffId, parseTariff } from "@roamledger/sdk";
import type { Context } from "../context";
import { readJsonFile } from "../json";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const tariff = program.command("tariff").description("tariffs (price lists) agreements refer to");
  tariff
    .command("publish <file>")
    .description(
      'publish a tariff JSON ({"plans":[{"service","kind","increment","tiers":[{"start","fixedPrice",' +
        '"linearPrice"}],"unbalancedTiers":[]}]}; large integers as strings) and print its id; ' +
        "a tariff already published is reported, not sent again",
    )
    .action(action(publish));
}

async function publish(ctx: Context, file: string): Promise<void> {
  const tariff = parseTariff(readJsonFile(file, "tariff")); // exit 1 naming the field before anything is sent
  const tariffId = computeTariffId(tariff);
  const { agreements: address } = await ctx.addresses();
  const reader = new AgreementsClient(address, await ctx.provider());
  if (await reader.isTariffPublished(tariffId)) {
    ctx.out.result({ tariffId, status: "already-published" }, `tariff ${tariffId} is already published; nothing sent`);
    return;
  }
  const { receipt } = await reader.connect(await ctx.runner()).publishTariff(tariff);
  ctx.out.result({ tariffId, status: "published", txHash: receipt.hash }, [
    `published tariff ${tariffId}`,
    `  tx ${receipt.hash}`,
  ]);
}
