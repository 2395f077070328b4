/**
 * `roamledger period show|settle <agreementId> <period>`: period-end settlement of an agreement's discount deal
 * (`PeriodSettlement`). `settle` settles the period once (`settlePeriod`, anyone, once every batch of it is final by
 * time) and then records what remains of a true-up too large for one vault obligation (`collectTrueUp`, repeated
 * until nothing remains). Safe to re-run: a settled period with nothing outstanding is `already-done`, nothing sent;
 * a settled one with parts outstanding only collects them.
 */
import type { Command } from "commander";
import { ZeroHash } from "ethers";

import {
  AgreementsClient,
  type Tariff,
  SettlementClient,
  sendBuilt,
  unitsToDecimal,
  PeriodSettlement__factory,
} from "@roamledger/sdk";
import { parseBytes32, parseUint, publishedTariff, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { isoTime as iso } from "../format";
import { CliUserError } from "../errors";
import { eventRange, readEvents } from "../events";
import type { Action } from "../program";
import { afterEarlierRuns } from "../resume";

/** At most this many `collectTrueUp` calls per run (each records up to `MAX_PARTS_PER_CALL` parts). */
const MAX_COLLECT_CALLS = 64;

export function register(program: Command, action: Action): void {
  const period = program.command("period").description("period-end settlement of an agreement's discount deal");
  period
    .command("show <agreementId> <period>")
    .description(
      "the period's bounds, when it can be settled, whether it is, and each direction's true-up (ISO-8601 UTC)",
    )
    .action(action((ctx, a: string, p: string) => run(ctx, "show", a, p)));
  period
    .command("settle <agreementId> <period>")
    .description(
      "settle the period (anyone, once its batches are final by time), then collect what remains of a true-up " +
        "above one vault obligation; re-run: nothing sent once settled and collected",
    )
    .action(action((ctx, a: string, p: string) => run(ctx, "settle", a, p)));
}

interface PeriodView {
  agreementId: string;
  period: bigint;
  start: string;
  end: string;
  readyAt: string;
  ready: boolean;
  settled: boolean;
  token: string;
  termsVersion: bigint;
  hasDiscount: [boolean, boolean];
  directions: {
    direction: number;
    exactBase?: bigint;
    charged?: bigint;
    target?: bigint;
    difference?: bigint;
    differenceDecimal?: string;
    /** Who pays the difference: the home network ("hpmn") when positive, the visited network ("vpmn") when negative. */
    payer?: "hpmn" | "vpmn";
    outstanding: bigint;
    outstandingDecimal: string;
    nextPart: bigint;
  }[];
}

async function run(ctx: Context, kind: "show" | "settle", agreementArg: string, periodArg: string): Promise<void> {
  const agreementId = parseBytes32(agreementArg, "agreementId");
  const period = parseUint(periodArg, "period");
  const provider = await ctx.provider();
  const addresses = await ctx.addresses();
  const agreements = new AgreementsClient(addresses.agreements, provider);
  const info = await agreements.getAgreement(agreementId);
  const count = (info.validUntil - info.validFrom + info.periodLength - 1n) / info.periodLength;
  if (period >= count) {
    throw new CliUserError(`period: agreement ${agreementId} has periods 0 to ${count - 1n} (got ${period})`, "period");
  }
  const start = info.validFrom + period * info.periodLength;
  const end = start + info.periodLength < info.validUntil ? start + info.periodLength : info.validUntil;
  const version = await agreements.versionAt(agreementId, start);
  const terms = await agreements.getTerms(agreementId, version, eventRange(ctx));
  const readyAt = end + terms.submissionGrace + terms.disputeWindow;
  const settlement = PeriodSettlement__factory.connect(addresses.settlement, provider);
  const decimals = await tokenDecimals(provider, terms.token);

  const view = async (): Promise<PeriodView> => {
    const now = BigInt((await provider.getBlock("latest"))?.timestamp ?? 0);
    const settled = await settlement.isPeriodSettled(agreementId, period);
    const events = settled
      ? await readEvents(ctx, (from, to) =>
          settlement.queryFilter(settlement.filters.PeriodSettled(agreementId, period), from, to),
        )
      : [];
    const directions = [];
    for (const direction of [0, 1]) {
      const [remaining, nextPart] = await settlement.outstandingTrueUp(agreementId, period, direction);
      const e = events.find((x) => Number(x.args.direction) === direction);
      const difference = e?.args.difference;
      directions.push({
        direction,
        exactBase: e?.args.exactBase,
        charged: e?.args.charged,
        target: e?.args.target,
        difference,
        differenceDecimal: difference === undefined ? undefined : unitsToDecimal(difference, decimals),
        payer: difference === undefined || difference === 0n ? undefined : difference > 0n ? "hpmn" : "vpmn",
        outstanding: remaining,
        outstandingDecimal: unitsToDecimal(remaining, decimals),
        nextPart: nextPart,
      } as PeriodView["directions"][number]);
    }
    return {
      agreementId,
      period,
      start: iso(start),
      end: iso(end),
      readyAt: iso(readyAt),
      ready: now >= readyAt,
      settled,
      token: terms.token,
      termsVersion: version,
      hasDiscount: [terms.discountTariff[0] !== ZeroHash, terms.discountTariff[1] !== ZeroHash],
      directions,
    };
  };
  const lines = (v: PeriodView): string[] => [
    `period ${v.period} of agreement ${v.agreementId}: ${v.start} to ${v.end}, ` +
      (v.settled ? "settled" : v.ready ? `ready to settle since ${v.readyAt}` : `can be settled from ${v.readyAt}`),
    ...v.directions.map(
      (d) =>
        `  direction ${d.direction}: ` +
        (d.difference === undefined
          ? "not settled"
          : `difference ${d.differenceDecimal}${d.payer === undefined ? "" : ` (${d.payer} pays)`}`) +
        (d.outstanding > 0n ? `, ${d.outstandingDecimal} still to collect` : ""),
    ),
  ];

  const before = await view();
  if (kind === "show") {
    ctx.out.result({ ...before }, lines(before));
    return;
  }
  if (before.settled && before.directions.every((d) => d.outstanding === 0n)) {
    ctx.out.result({ status: "already-done", ...before }, [
      ...lines(before),
      "nothing to settle or collect: nothing sent",
    ]);
    return;
  }

  const txHashes = await afterEarlierRuns(ctx, "period settle", async (signer) => {
    const hashes: string[] = [];
    // Read again: an earlier run's transaction may have been mined while the journal was settled.
    if (!(await settlement.isPeriodSettled(agreementId, period))) {
      const tariff = (id: string): Promise<Tariff> => publishedTariff(ctx, agreements, id);
      const baseTariffs = [await tariff(terms.baseTariff[0]), await tariff(terms.baseTariff[1])] as const;
      const discount = async (d: 0 | 1) => (before.hasDiscount[d] ? tariff(terms.discountTariff[d]) : null);
      const discountTariffs = [await discount(0), await discount(1)] as const;
      const client = new SettlementClient(addresses.settlement, signer);
      hashes.push((await client.settlePeriod(agreementId, period, terms, baseTariffs, discountTariffs)).hash);
    }
    for (const direction of [0, 1]) {
      for (let calls = 0; calls < MAX_COLLECT_CALLS; calls++) {
        const [remaining] = await settlement.outstandingTrueUp(agreementId, period, direction);
        if (remaining === 0n) break;
        const data = settlement.interface.encodeFunctionData("collectTrueUp", [agreementId, period, direction]);
        hashes.push((await sendBuilt(signer, "collectTrueUp", { to: addresses.settlement, data, value: 0n })).hash);
      }
    }
    return hashes;
  });
  const after = await view();
  ctx.out.result({ status: txHashes.length > 0 ? "sent" : "already-done", ...after, txHashes }, [
    ...lines(after),
    ...(before.settled ? [] : ["  settled now"]),
    ...txHashes.map((h) => `  tx ${h}`),
  ]);
}
