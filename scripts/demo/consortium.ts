/**
 * The demo's fictional consortium: six operators (TADIG codes in the GSMA format: ISO alpha-3 country + 2 characters,
 * IMSI prefixes = MCC + MNC), the tariffs they publish and the agreements they sign. Pure data: no chain access.
 */
import { PlanKind, Service, type ServicePlan, type Tariff } from "../../sdk/src";

export interface Member {
  name: string;
  tadigs: string[];
  country: string;
  /** MCC + MNC of its subscribers' IMSIs. */
  imsiPrefix: string;
  /** Dollars it prefunds the vault with. */
  prefund: bigint;
  community?: boolean;
}

export const MEMBERS: readonly Member[] = [
  { name: "Nordwind Mobil", tadigs: ["DEUNW", "DEUN2"], country: "Germany", imsiPrefix: "26207", prefund: 40_000n },
  { name: "Albion Telecom", tadigs: ["GBRAT"], country: "United Kingdom", imsiPrefix: "23415", prefund: 40_000n },
  { name: "Iberia Movil", tadigs: ["ESPIM"], country: "Spain", imsiPrefix: "21407", prefund: 40_000n },
  { name: "Kilima Networks", tadigs: ["KENKL"], country: "Kenya", imsiPrefix: "63902", prefund: 20_000n },
  { name: "Pampa Celular", tadigs: ["ARGPC"], country: "Argentina", imsiPrefix: "72234", prefund: 20_000n },
  {
    name: "Valley Community Net",
    tadigs: ["USAV1"],
    country: "United States",
    imsiPrefix: "310990",
    prefund: 2_000n,
    community: true,
  },
];

export const WAD = 10n ** 18n;
/** A price in wad from thousandths of a token unit: 50 -> 0.050. */
export const milli = (n: bigint): bigint => (n * WAD) / 1000n;

const plan = (service: Service, kind: PlanKind, increment: number, tiers: [bigint, bigint][]): ServicePlan => ({
  service,
  kind,
  increment: BigInt(increment),
  tiers: tiers.map(([start, linearPrice]) => ({ start, fixedPrice: 0n, linearPrice })),
  unbalancedTiers: [],
});

/** The consortium's standard IOT (Threshold plans): voice, SMS and data, with a cheaper data tier past 100 GB. */
export const STANDARD_IOT: Tariff = {
  plans: [
    plan(Service.VoiceMO, PlanKind.Threshold, 60, [[0n, milli(50n)]]), // 0.050 per minute
    plan(Service.VoiceMT, PlanKind.Threshold, 60, [[0n, milli(10n)]]), // 0.010 per minute
    plan(Service.SmsMO, PlanKind.Threshold, 1, [[0n, milli(10n)]]), // 0.010 per SMS
    plan(Service.Data, PlanKind.Threshold, 1024, [
      [0n, (2n * WAD) / 1000n], // 0.0020 per MB up to 100 GB
      [100_000_000_000n, WAD / 1000n], // then 0.0010 per MB
    ]),
  ],
};

/** An IoT wholesale tariff: devices attached (Access plan, per device) and their SMS. */
export const IOT_ACCESS: Tariff = {
  plans: [
    plan(Service.SmsMO, PlanKind.Threshold, 1, [[0n, milli(5n)]]),
    plan(Service.IoTAccess, PlanKind.Access, 1, [[0n, milli(300n)]]), // 0.300 per device and period
  ],
};

/** A discount deal valued at period end: balanced/unbalanced voice (Ratio) and back-to-first data. */
export const DISCOUNT: Tariff = {
  plans: [
    {
      service: Service.VoiceMO,
      kind: PlanKind.Ratio,
      increment: 60n,
      tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli(30n) }],
      unbalancedTiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli(40n) }],
    },
    {
      service: Service.Data,
      kind: PlanKind.BackToFirst,
      increment: 1024n,
      tiers: [
        { start: 0n, fixedPrice: 0n, linearPrice: (2n * WAD) / 1000n },
        { start: 50_000_000_000n, fixedPrice: 0n, linearPrice: (15n * WAD) / 10_000n },
      ],
      unbalancedTiers: [],
    },
  ],
};

/** A rating-engine tariff in the shape the contracts' bindings take (mutable arrays). */
export function onChainTariff(tariff: Tariff): Tariff {
  return {
    plans: tariff.plans.map((p) => ({ ...p, tiers: [...p.tiers], unbalancedTiers: [...p.unbalancedTiers] })),
  };
}

/** An agreement of the demo: who proposes, who accepts, which tariffs, and how much usage each direction carries. */
export interface Deal {
  proposer: number;
  acceptor: number;
  open: boolean;
  base: "iot" | "access";
  /** A discount deal on both directions, settled at period end. */
  discount: boolean;
  /**
   * Records per week (before injected fraud) of direction 0 (the proposer is the visited network: the acceptor's
   * subscribers roam on it) and of direction 1. Tourism is not symmetric.
   */
  weeklyRecords: readonly [number, number];
}

export const DEALS: readonly Deal[] = [
  { proposer: 1, acceptor: 2, open: false, base: "iot", discount: true, weeklyRecords: [7_000, 4_500] }, // Nordwind - Albion
  { proposer: 3, acceptor: 1, open: false, base: "iot", discount: false, weeklyRecords: [9_500, 4_000] }, // Iberia - Nordwind
  { proposer: 2, acceptor: 4, open: false, base: "access", discount: false, weeklyRecords: [6_500, 4_500] }, // Albion - Kilima
  { proposer: 1, acceptor: 6, open: true, base: "iot", discount: false, weeklyRecords: [300, 1_300] }, // open offer: Valley
  { proposer: 1, acceptor: 5, open: true, base: "iot", discount: false, weeklyRecords: [6_000, 6_500] }, // ... and Pampa
];

/** The services each base tariff covers, with their weights in the generated traffic. */
export const TRAFFIC: Record<Deal["base"], { service: Service; weight: number }[]> = {
  iot: [
    { service: Service.VoiceMO, weight: 30 },
    { service: Service.VoiceMT, weight: 15 },
    { service: Service.SmsMO, weight: 15 },
    { service: Service.Data, weight: 40 },
  ],
  access: [
    { service: Service.SmsMO, weight: 30 },
    { service: Service.IoTAccess, weight: 70 },
  ],
};

/** Fraud injected in every weekly batch of a direction. */
export const INJECTED = { duplicates: 3, outOfPeriod: 2, phantom: 2 } as const;
