/**
 * Example (pure, no chain): rate a month of roaming usage with the exact rating engine and preview the vault's
 * multilateral netting of the resulting charges. The same code runs in a browser (`@roamledger/sdk/pure`).
 *
 * Three operators (1, 2, 3) charge each other for voice (per minute, 60-second increments) and data (per MB,
 * 1 KB increments) at wholesale prices of a 6-decimal stablecoin; prints each charge, the net positions, who pays
 * whom, and how many transfers netting saves.
 *
 *   npx ts-node examples/rate-and-net.ts
 */
import { chargedVolume, nettingSummary, PlanKind, rate, Service, type ServicePlan } from "@roamledger/sdk/pure";

import { print } from "./env";

const WAD = 10n ** 18n; // prices are wad token units: 1 token = 10^18
const DECIMALS = 6; // the settlement token's decimals (USDC-like)

/** Voice: 0.02 per minute, 0.015 beyond 100,000 minutes. Data: 0.001 per MB. */
const PLANS: Record<"voice" | "data", ServicePlan> = {
  voice: {
    service: Service.VoiceMO,
    kind: PlanKind.Threshold,
    increment: 60n,
    tiers: [
      { start: 0n, fixedPrice: 0n, linearPrice: (2n * WAD) / 100n },
      { start: 6_000_000n, fixedPrice: 0n, linearPrice: (15n * WAD) / 1000n },
    ],
    unbalancedTiers: [],
  },
  data: {
    service: Service.Data,
    kind: PlanKind.Threshold,
    increment: 1_000n,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: WAD / 1000n }],
    unbalancedTiers: [],
  },
};

/** Usage of each visited network (who charges) by the home network's subscribers (who pays): raw seconds / bytes. */
const USAGE = [
  { visited: 1, home: 2, voiceSeconds: [7_201n, 59n, 3_600n], dataBytes: [2_500_000_000n, 1_234_567n] },
  { visited: 2, home: 1, voiceSeconds: [120n, 61n], dataBytes: [3_000_000_000n] },
  { visited: 2, home: 3, voiceSeconds: [6_000_000n, 600_000n], dataBytes: [] },
  { visited: 3, home: 1, voiceSeconds: [], dataBytes: [9_999_999_999n] },
];

function main(): void {
  const charges = USAGE.map(({ visited, home, voiceSeconds, dataBytes }) => {
    const voice = voiceSeconds.reduce((sum, s) => sum + chargedVolume(s, PLANS.voice.increment), 0n);
    const data = dataBytes.reduce((sum, b) => sum + chargedVolume(b, PLANS.data.increment), 0n);
    const amount = rate(PLANS.voice, voice, 0n, DECIMALS) + rate(PLANS.data, data, 0n, DECIMALS);
    return { payer: home, payee: visited, voiceSeconds: voice, dataBytes: data, amount };
  });

  const { positions, plan, stats } = nettingSummary(
    charges.map(({ payer, payee, amount }) => ({ payer, payee, amount })),
  );
  print({ decimals: DECIMALS, charges, positions, payments: plan, stats });
}

main();
