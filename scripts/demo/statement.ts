/**
 * The vault's statement per settlement cycle: for every operator, its balance at the opening, what came in and went
 * out during the cycle, and its balance at the close. Pure: the demo reads the vault's events and balances and hands
 * them here. Amounts are exact (bigint token units, decimal strings in the report).
 *
 * Each line adds up: opening + deposits + received - paid + transfers - withdrawn = closing, and a cycle opens with
 * the balance the previous one closed with (the first with zero).
 */
import { unitsToDecimal } from "../../sdk/src";
import { decimalToSignedUnits } from "./format";

/** One operator in one cycle (decimal strings of token units; `transfers` may be negative). */
export interface CycleLine {
  id: number;
  opening: string;
  deposits: string;
  /** Obligations applied in the cycle: owed to the operator, and owed by it (netted at the close). */
  received: string;
  paid: string;
  /** Free balance moved at once by the suite (capacity bought through the vault): in minus out. */
  transfers: string;
  withdrawn: string;
  /** The vault's balance of the operator after the close (for the open cycle: now, with its open position). */
  closing: string;
}

export interface CycleStatement {
  cycle: number;
  /** When the cycle closed (ISO 8601, chain time); null for the cycle still open when the report was written. */
  closedAt: string | null;
  lines: CycleLine[];
}

export type MovementKind = "deposit" | "withdrawal" | "transferIn" | "transferOut" | "received" | "paid";

/** One vault event's effect on one operator, in the cycle it fell in. */
export interface Movement {
  kind: MovementKind;
  operator: number;
  cycle: number;
  amount: bigint;
}

/** The vault's balances (token units per operator id) when `cycle` closed, or now for an open cycle. */
export interface Snapshot {
  cycle: number;
  closedAt: string | null;
  balances: ReadonlyMap<number, bigint>;
}

/**
 * The statements of `snapshots` (in cycle order) for `operators`, from the `movements` of those cycles.
 *
 * @throws Error if a line does not add up to the snapshot's balance (an event missed or counted twice), or if a
 * movement falls in no snapshot's cycle.
 */
export function cycleStatements(
  operators: readonly number[],
  snapshots: readonly Snapshot[],
  movements: readonly Movement[],
  decimals: number,
): CycleStatement[] {
  const cycles = new Set(snapshots.map((s) => s.cycle));
  const stray = movements.find((m) => !cycles.has(m.cycle));
  if (stray !== undefined) throw new Error(`a ${stray.kind} of operator ${stray.operator} in cycle ${stray.cycle}`);
  const show = (units: bigint) => unitsToDecimal(units, decimals);
  const previous = new Map<number, bigint>();
  const statements = snapshots.map((snapshot) => ({
    cycle: snapshot.cycle,
    closedAt: snapshot.closedAt,
    lines: operators.map((id): CycleLine => {
      const sum = (kind: MovementKind) =>
        movements
          .filter((m) => m.cycle === snapshot.cycle && m.operator === id && m.kind === kind)
          .reduce((s, m) => s + m.amount, 0n);
      const opening = previous.get(id) ?? 0n;
      const closing = snapshot.balances.get(id) ?? 0n;
      previous.set(id, closing);
      return {
        id,
        opening: show(opening),
        deposits: show(sum("deposit")),
        received: show(sum("received")),
        paid: show(sum("paid")),
        transfers: show(sum("transferIn") - sum("transferOut")),
        withdrawn: show(sum("withdrawal")),
        closing: show(closing),
      };
    }),
  }));
  checkStatements(statements, decimals);
  return statements;
}

/** A line's movements added to its opening balance: what its closing balance must be. */
export function expectedClosing(line: CycleLine, decimals: number): bigint {
  const u = (d: string) => decimalToSignedUnits(d, decimals);
  return u(line.opening) + u(line.deposits) + u(line.received) - u(line.paid) + u(line.transfers) - u(line.withdrawn);
}

/**
 * Checks that every line adds up and every cycle opens with the previous close.
 *
 * @throws Error naming the cycle and operator of the first line that does not.
 */
export function checkStatements(statements: readonly CycleStatement[], decimals: number): void {
  const closed = new Map<number, bigint>();
  for (const s of statements) {
    for (const line of s.lines) {
      const opening = decimalToSignedUnits(line.opening, decimals);
      const closing = decimalToSignedUnits(line.closing, decimals);
      if (opening !== (closed.get(line.id) ?? 0n)) {
        throw new Error(
          `cycle ${s.cycle}, operator ${line.id}: opens with ${line.opening}, the previous close differs`,
        );
      }
      const expected = expectedClosing(line, decimals);
      if (expected !== closing) {
        throw new Error(
          `cycle ${s.cycle}, operator ${line.id}: closes with ${line.closing}, its movements add up to ` +
            unitsToDecimal(expected, decimals),
        );
      }
      closed.set(line.id, closing);
    }
  }
}
