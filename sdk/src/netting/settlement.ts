/**
 * Stateless multilateral netting: obligations -> net positions -> the payments each member makes.
 *
 * The same arithmetic as the vault's cycles (a payer's position falls by the amount, the payee's rises), without its
 * finality rule: use {@link NettingPreview} to know which obligations the vault would apply or queue.
 *
 * The settlement plan is deterministic: debtors, in ascending member id, pay creditors, in ascending member id,
 * greedily (each payment is as large as the current debtor's remaining debit and the current creditor's remaining
 * credit allow). It has at most `debtors + creditors - 1` payments, hence at most `members - 1`.
 *
 * Pure: bigint arithmetic only, no Node-only API.
 */
import { InvalidArgumentError } from "../errors";
import type { UintLike } from "../validation";
import type {
  BilateralGross,
  MemberPosition,
  NettingObligation,
  NettingStats,
  NettingSummary,
  SettlementPayment,
} from "./types";
import { requireRecord, toAmount, toMemberId, toSigned } from "./validation";

interface CheckedObligation {
  payer: bigint;
  payee: bigint;
  amount: bigint;
}

function checkObligations(obligations: Iterable<NettingObligation>, field: string): CheckedObligation[] {
  if (obligations === null || typeof obligations !== "object" || !(Symbol.iterator in obligations)) {
    throw new InvalidArgumentError("must be an iterable of obligations", { field, value: obligations });
  }
  const out: CheckedObligation[] = [];
  let i = 0;
  for (const o of obligations) {
    const at = `${field}[${i}]`;
    requireRecord(o, at);
    const payer = toMemberId(o.payer, `${at}.payer`);
    const payee = toMemberId(o.payee, `${at}.payee`);
    if (payer === payee)
      throw new InvalidArgumentError("must differ from payer", { field: `${at}.payee`, value: o.payee });
    const amount = toAmount(o.amount, `${at}.amount`);
    if (amount === 0n) throw new InvalidArgumentError("must be above zero", { field: `${at}.amount`, value: o.amount });
    out.push({ payer, payee, amount });
    i += 1;
  }
  return out;
}

function byMember(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted `{ member, position }` entries of a map. */
export function positionsFromMap(positions: ReadonlyMap<bigint, bigint>): MemberPosition[] {
  return [...positions.entries()]
    .sort(([a], [b]) => byMember(a, b))
    .map(([member, position]) => ({ member, position }));
}

/**
 * The net position of every member involved in `obligations` (credits minus debits), in ascending member id. The
 * positions sum to zero; a member whose debits and credits cancel out is listed with 0.
 *
 * @throws InvalidArgumentError for an obligation with a bad id, `payer == payee`, or an amount that is not a positive
 *   bigint (the field is `obligations[i].payee`, etc.).
 */
export function netPositions(obligations: Iterable<NettingObligation>): MemberPosition[] {
  const positions = new Map<bigint, bigint>();
  for (const { payer, payee, amount } of checkObligations(obligations, "obligations")) {
    positions.set(payer, (positions.get(payer) ?? 0n) - amount);
    positions.set(payee, (positions.get(payee) ?? 0n) + amount);
  }
  return positionsFromMap(positions);
}

/** The bilateral gross amounts of `obligations`, summed per (payer, payee), ordered by payer then payee. */
export function bilateralGrossOf(obligations: Iterable<NettingObligation>): BilateralGross[] {
  const gross = new Map<string, BilateralGross>();
  for (const { payer, payee, amount } of checkObligations(obligations, "obligations")) {
    const key = `${payer}:${payee}`;
    const entry = gross.get(key);
    if (entry === undefined) gross.set(key, { payer, payee, amount });
    else entry.amount += amount;
  }
  return sortGross([...gross.values()]);
}

/** Orders gross entries by payer, then payee. */
export function sortGross(gross: BilateralGross[]): BilateralGross[] {
  return gross.sort((a, b) => byMember(a.payer, b.payer) || byMember(a.payee, b.payee));
}

function checkPositions(
  positions: Iterable<MemberPosition> | ReadonlyMap<bigint, bigint>,
  field: string,
): MemberPosition[] {
  if (positions instanceof Map) return checkPositions(positionsFromMap(positions), field);
  if (positions === null || typeof positions !== "object" || !(Symbol.iterator in positions)) {
    throw new InvalidArgumentError("must be an iterable of { member, position } or a Map", { field, value: positions });
  }
  const seen = new Set<bigint>();
  const out: MemberPosition[] = [];
  let sum = 0n;
  let i = 0;
  for (const entry of positions as Iterable<MemberPosition>) {
    const at = `${field}[${i}]`;
    requireRecord(entry, at);
    const member = toMemberId(entry.member, `${at}.member`);
    if (seen.has(member)) throw new InvalidArgumentError("appears twice", { field: `${at}.member`, value: member });
    seen.add(member);
    const position = toSigned(entry.position, `${at}.position`, -(2n ** 255n), 2n ** 255n - 1n);
    sum += position;
    out.push({ member, position });
    i += 1;
  }
  if (sum !== 0n) {
    throw new InvalidArgumentError(`must sum to zero (they sum to ${sum}): give every member's position`, {
      field,
      value: out,
    });
  }
  return out.sort((a, b) => byMember(a.member, b.member));
}

/**
 * The payments that settle `positions`: debtors (negative positions) pay creditors (positive positions), both taken in
 * ascending member id, greedily. Deterministic, at most `members - 1` payments, each above zero; every debtor pays
 * exactly its debit and every creditor receives exactly its credit.
 *
 * @param positions Net positions, as `{ member, position }` entries or a `Map` from member id to position. They must
 *   sum to zero and name each member once.
 */
export function settlementPlan(positions: Iterable<MemberPosition> | ReadonlyMap<bigint, bigint>): SettlementPayment[] {
  const checked = checkPositions(positions, "positions");
  const debtors = checked.filter((p) => p.position < 0n).map((p) => ({ member: p.member, left: -p.position }));
  const creditors = checked.filter((p) => p.position > 0n).map((p) => ({ member: p.member, left: p.position }));
  const plan: SettlementPayment[] = [];
  let d = 0;
  let c = 0;
  while (d < debtors.length && c < creditors.length) {
    const debtor = debtors[d];
    const creditor = creditors[c];
    const amount = debtor.left < creditor.left ? debtor.left : creditor.left;
    plan.push({ from: debtor.member, to: creditor.member, amount });
    debtor.left -= amount;
    creditor.left -= amount;
    if (debtor.left === 0n) d += 1;
    if (creditor.left === 0n) c += 1;
  }
  return plan;
}

/** The payments of `plan` that `member` makes. */
export function paymentsOf(plan: readonly SettlementPayment[], member: UintLike): SettlementPayment[] {
  const id = toMemberId(member, "member");
  return plan.filter((p) => p.from === id);
}

/** The payments of `plan` that `member` receives. */
export function receiptsOf(plan: readonly SettlementPayment[], member: UintLike): SettlementPayment[] {
  const id = toMemberId(member, "member");
  return plan.filter((p) => p.to === id);
}

/** The netting statistics of known gross amounts and net positions (see {@link NettingStats}). */
export function statsOf(
  obligations: number,
  gross: readonly BilateralGross[],
  positions: readonly MemberPosition[],
  plan: readonly SettlementPayment[],
): NettingStats {
  let grossTotal = 0n;
  let grossTransfers = 0;
  const pairs = new Map<string, bigint>();
  for (const g of gross) {
    if (g.amount === 0n) continue;
    grossTransfers += 1;
    grossTotal += g.amount;
    const [low, high, sign] = g.payer < g.payee ? [g.payer, g.payee, 1n] : [g.payee, g.payer, -1n];
    const key = `${low}:${high}`;
    pairs.set(key, (pairs.get(key) ?? 0n) + sign * g.amount);
  }
  let bilateralNetTransfers = 0;
  let bilateralNetTotal = 0n;
  for (const net of pairs.values()) {
    if (net === 0n) continue;
    bilateralNetTransfers += 1;
    bilateralNetTotal += net < 0n ? -net : net;
  }
  const netTotal = positions.reduce((sum, p) => (p.position > 0n ? sum + p.position : sum), 0n);
  return {
    obligations,
    grossTransfers,
    grossTotal,
    bilateralNetTransfers,
    bilateralNetTotal,
    netTransfers: plan.length,
    netTotal,
  };
}

/**
 * The multilateral netting of `obligations`: net positions, bilateral gross amounts, the settlement plan and the
 * gross-versus-net statistics.
 */
export function nettingSummary(obligations: Iterable<NettingObligation>): NettingSummary {
  const checked = checkObligations(obligations, "obligations");
  const positions = netPositions(checked);
  const gross = bilateralGrossOf(checked);
  const plan = settlementPlan(positions);
  return { positions, gross, plan, stats: statsOf(checked.length, gross, positions, plan) };
}

/** The gross-versus-net statistics of `obligations` (see {@link NettingStats}). */
export function nettingStats(obligations: Iterable<NettingObligation>): NettingStats {
  return nettingSummary(obligations).stats;
}
