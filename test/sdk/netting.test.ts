import { expect } from "chai";
import fc from "fast-check";

import { InvalidArgumentError } from "../../sdk/src/errors";
import {
  NETTING_ERRORS,
  NettingError,
  NettingPreview,
  VAULT_LIMITS,
  ZERO_REF,
  bilateralGrossOf,
  isNettingError,
  netPositions,
  nettingStats,
  nettingSummary,
  paymentsOf,
  receiptsOf,
  settlementPlan,
  simulateNetting,
  type NettingErrorCode,
  type NettingResult,
} from "../../sdk/src/netting";

/** One whole unit of a 6-decimal stablecoin: the worked example's amounts are whole USDC. */
const U = 1_000_000n;
const USDC = "USDC";
const EURC = "EURC";
const A = 1n;
const B = 2n;
const C = 3n;
const DAY = 86_400n;
const WEEK = 7n * DAY;

/** Runs `call`, expects a NettingError with `code` (and `args` if given), and returns it. */
function expectNettingError(call: () => unknown, code: NettingErrorCode, args?: readonly (bigint | string)[]) {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(NettingError);
  const error = caught as NettingError;
  expect(error.code).to.equal(code);
  if (args !== undefined) expect(error.args).to.deep.equal(args);
  return error;
}

/** Runs `call`, expects an InvalidArgumentError naming `field`. */
function expectInvalid(call: () => unknown, field: string): InvalidArgumentError {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected an InvalidArgumentError on ${field}`).to.be.instanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).field).to.equal(field);
  return caught as InvalidArgumentError;
}

function applied(result: NettingResult): boolean {
  if (result.type !== "obligation") throw new Error(`not an obligation: ${result.type}`);
  return result.applied;
}

function positions(p: NettingPreview, token = USDC): bigint[] {
  return [A, B, C].map((m) => p.openPositionOf(m, token));
}

function balances(p: NettingPreview, token = USDC): bigint[] {
  return [A, B, C].map((m) => p.balanceOf(m, token));
}

function frees(p: NettingPreview, token = USDC): bigint[] {
  return [A, B, C].map((m) => p.freeBalanceOf(m, token));
}

/** Every view of the preview for members 1-3 in USDC and EURC, for "nothing changed" checks. */
function everything(p: NettingPreview): unknown {
  return [USDC, EURC].map((t) => ({
    config: p.tokenConfig(t),
    liabilities: p.totalLiabilities(t),
    members: [A, B, C].map((m) => ({
      view: p.memberView(m, t),
      raw: p.accountOf(m, t),
      queue: p.queuedObligations(m, t),
    })),
    reports: p.cycleReports(t),
  }));
}

/** The worked example's start: A has deposited 100, B 50, C nothing; weekly cycles of USDC from t = 0. */
function workedExampleStart(): NettingPreview {
  return new NettingPreview({
    registered: [A, B, C],
    tokens: [{ token: USDC, cycle: 1n, openEnd: WEEK, cycleLength: WEEK, decimals: 6 }],
    accounts: [
      { member: A, token: USDC, balance: 100n * U },
      { member: B, token: USDC, balance: 50n * U },
    ],
  });
}

describe("Netting preview (pure)", function () {
  describe("the worked example of docs/ARCHITECTURE.md section 8", function () {
    it("cycle 1: applies obligations 1-4 and queues 5, with the documented positions", function () {
      const p = workedExampleStart();
      const rows: [bigint, bigint, bigint, boolean, bigint[]][] = [
        [A, B, 80n, true, [-80n, 80n, 0n]],
        [B, C, 120n, true, [-80n, -40n, 120n]],
        [C, A, 60n, true, [-20n, -40n, 60n]],
        [C, B, 30n, true, [-20n, -10n, 30n]],
        [A, C, 150n, false, [-20n, -10n, 30n]],
      ];
      for (const [i, [payer, payee, amount, isApplied, after]] of rows.entries()) {
        const ref = `0x${(i + 1).toString(16).padStart(64, "0")}`;
        const result = p.recordObligation(payer, payee, USDC, amount * U, ref);
        expect(applied(result), `obligation ${i + 1}`).to.equal(isApplied);
        expect(positions(p), `positions after obligation ${i + 1}`).to.deep.equal(after.map((x) => x * U));
        expect(p.positionsOf(USDC).reduce((s, x) => s + x.position, 0n)).to.equal(0n);
      }
      // Obligation 5 waits, whole, at index 0 of A's queue; C (the payee) can see it.
      expect(p.queueLength(A, USDC)).to.equal(1n);
      expect(p.queuedObligations(A, USDC)).to.deep.equal([
        { payee: C, amount: 150n * U, ref: `0x${"5".padStart(64, "0")}` },
      ]);
      // Free balances during the cycle: A 80, B 40, C 0 (C's +30 is withdrawable only after the close).
      expect(frees(p)).to.deep.equal([80n * U, 40n * U, 0n]);
      expect(balances(p)).to.deep.equal([100n * U, 50n * U, 0n]);
    });

    it("cycle 1: bilateral gross 290 in four payments; netted, A pays 20 and B pays 10, both to C", function () {
      const p = workedExampleStart();
      for (const [payer, payee, amount] of [
        [A, B, 80n],
        [B, C, 120n],
        [C, A, 60n],
        [C, B, 30n],
        [A, C, 150n],
      ] as const) {
        p.recordObligation(payer, payee, USDC, amount * U);
      }
      const report = p.cycleReport(USDC);
      expect(report.cycle).to.equal(1n);
      expect(report.status).to.equal("open");
      expect(report.gross).to.deep.equal([
        { payer: A, payee: B, amount: 80n * U },
        { payer: B, payee: C, amount: 120n * U },
        { payer: C, payee: A, amount: 60n * U },
        { payer: C, payee: B, amount: 30n * U },
      ]);
      expect(report.positions).to.deep.equal([
        { member: A, position: -20n * U },
        { member: B, position: -10n * U },
        { member: C, position: 30n * U },
      ]);
      expect(report.plan).to.deep.equal([
        { from: A, to: C, amount: 20n * U },
        { from: B, to: C, amount: 10n * U },
      ]);
      expect(paymentsOf(report.plan, A)).to.deep.equal([{ from: A, to: C, amount: 20n * U }]);
      expect(paymentsOf(report.plan, C)).to.deep.equal([]);
      expect(receiptsOf(report.plan, C)).to.have.length(2);
      expect(report.stats).to.deep.equal({
        obligations: 4,
        grossTransfers: 4,
        grossTotal: 290n * U,
        bilateralNetTransfers: 3, // A-B 80, B-C 120 - 30 = 90, A-C 60
        bilateralNetTotal: 230n * U,
        netTransfers: 2,
        netTotal: 30n * U,
      });
      for (const [payer, payee, amount] of [
        [A, B, 80n],
        [B, C, 120n],
        [C, A, 60n],
        [C, B, 30n],
      ] as const) {
        expect(p.bilateralGross(USDC, 1n, payer, payee)).to.deep.equal({ gross: amount * U, retained: true });
        expect(p.grossOf(USDC, 1n, payer, payee)).to.equal(amount * U);
      }
      expect(p.grossOf(USDC, 1n, A, C)).to.equal(0n); // queued, not applied
    });

    it("close after 7 days: no member's storage is written, yet the views show A 80, B 40, C 30", function () {
      const p = workedExampleStart();
      for (const [payer, payee, amount] of [
        [A, B, 80n],
        [B, C, 120n],
        [C, A, 60n],
        [C, B, 30n],
        [A, C, 150n],
      ] as const) {
        p.recordObligation(payer, payee, USDC, amount * U);
      }
      const raw = [A, B, C].map((m) => p.accountOf(m, USDC));
      expectNettingError(() => p.closeCycle(USDC, WEEK - 1n), "SettlementVault_CycleNotEnded", [USDC, WEEK]);
      const result = p.closeCycle(USDC, WEEK);
      expect(result).to.deep.equal({
        type: "closeCycle",
        closed: 1n,
        opened: 2n,
        nextEnd: 2n * WEEK,
        logs: [{ name: "CycleClosed", token: USDC, cycle: 1n, closedAt: WEEK, nextEnd: 2n * WEEK }],
      });
      expect([A, B, C].map((m) => p.accountOf(m, USDC))).to.deep.equal(raw);
      expect(balances(p)).to.deep.equal([80n * U, 40n * U, 30n * U]);
      expect(frees(p)).to.deep.equal([80n * U, 40n * U, 30n * U]);
      expect(positions(p)).to.deep.equal([0n, 0n, 0n]);
      expect(p.queuedObligations(A, USDC)).to.deep.equal([{ payee: C, amount: 150n * U, ref: ZERO_REF }]);
      expect(p.cycleReport(USDC, 1n).status).to.equal("closed");
      expect(p.cycleReport(USDC, 1n).closedAt).to.equal(WEEK);
    });

    it("cycle 2: steps 1-5 and the close, exactly as documented", function () {
      const p = workedExampleStart();
      for (const [payer, payee, amount] of [
        [A, B, 80n],
        [B, C, 120n],
        [C, A, 60n],
        [C, B, 30n],
        [A, C, 150n],
      ] as const) {
        p.recordObligation(payer, payee, USDC, amount * U);
      }
      p.closeCycle(USDC, WEEK);

      // 1. A deposits 100: touch A (100 - 20 = 80), then 180.
      const deposit = p.deposit(A, USDC, 100n * U);
      expect(deposit.logs).to.deep.equal([
        { name: "PositionSettled", operatorId: A, token: USDC, cycle: 1n, position: -20n * U },
        { name: "Deposited", operatorId: A, token: USDC, amount: 100n * U },
      ]);
      expect(p.accountOf(A, USDC)).to.deep.equal({ balance: 180n * U, position: 0n, cycle: 2n, queued: 1n });

      // 2. processQueue(A, USDC, 10): touch C (0 + 30), obligation 5 (150 <= 180) applied.
      const processed = p.processQueue(A, USDC, 10);
      expect(processed.type === "processQueue" && processed.applied).to.equal(1n);
      expect(processed.logs).to.deep.equal([
        { name: "PositionSettled", operatorId: C, token: USDC, cycle: 1n, position: 30n * U },
        { name: "ObligationApplied", token: USDC, payer: A, payee: C, cycle: 2n, amount: 150n * U, ref: ZERO_REF },
      ]);
      expect(p.accountOf(C, USDC)).to.deep.equal({ balance: 30n * U, position: 150n * U, cycle: 2n, queued: 0n });
      expect(p.queueLength(A, USDC)).to.equal(0n);

      // 3. B owes A 40: touch B (50 - 10 = 40); debit 40 <= 40, applied: B -40, A -110.
      const third = p.recordObligation(B, A, USDC, 40n * U);
      expect(applied(third)).to.equal(true);
      expect(third.logs[0]).to.deep.equal({
        name: "PositionSettled",
        operatorId: B,
        token: USDC,
        cycle: 1n,
        position: -10n * U,
      });
      expect(positions(p)).to.deep.equal([-110n * U, -40n * U, 150n * U]);

      // 4. C withdraws 30: free = 30 + min(0, +150) = 30.
      expect(p.freeBalanceOf(C, USDC)).to.equal(30n * U);
      p.withdraw(C, USDC, 30n * U);
      expect(p.balanceOf(C, USDC)).to.equal(0n);

      // 5. A tries to withdraw 100: free = 180 - 110 = 70.
      expectNettingError(() => p.withdraw(A, USDC, 100n * U), "SettlementVault_InsufficientFreeBalance", [
        A,
        USDC,
        70n * U,
        100n * U,
      ]);

      // After cycle 2 closes: positions A -110, B -40, C +150; effective balances A 70, B 0, C 150 = 250 - 30.
      p.closeCycle(USDC, 2n * WEEK);
      expect(p.positionsOf(USDC, 2n)).to.deep.equal([
        { member: A, position: -110n * U },
        { member: B, position: -40n * U },
        { member: C, position: 150n * U },
      ]);
      expect(balances(p)).to.deep.equal([70n * U, 0n, 150n * U]);
      expect(p.totalLiabilities(USDC)).to.equal(220n * U);
      expect(balances(p).reduce((s, x) => s + x, 0n)).to.equal(p.totalLiabilities(USDC));
      const report = p.cycleReport(USDC, 2n);
      expect(report.plan).to.deep.equal([
        { from: A, to: C, amount: 110n * U },
        { from: B, to: C, amount: 40n * U },
      ]);
      expect(report.obligations.map((o) => [o.payer, o.payee, o.amount, o.fromQueue])).to.deep.equal([
        [A, C, 150n * U, true],
        [B, A, 40n * U, false],
      ]);
    });

    it("replays the same example through simulateNetting, recording the refused withdrawal as a failed step", function () {
      const { preview, steps } = simulateNetting(
        [
          { type: "obligation", payer: A, payee: B, token: USDC, amount: 80n * U },
          { type: "obligation", payer: B, payee: C, token: USDC, amount: 120n * U },
          { type: "obligation", payer: C, payee: A, token: USDC, amount: 60n * U },
          { type: "obligation", payer: C, payee: B, token: USDC, amount: 30n * U },
          { type: "obligation", payer: A, payee: C, token: USDC, amount: 150n * U },
          { type: "closeCycle", token: USDC, timestamp: WEEK },
          { type: "deposit", member: A, token: USDC, amount: 100n * U },
          { type: "processQueue", payer: A, token: USDC, maxCount: 10n },
          { type: "obligation", payer: B, payee: A, token: USDC, amount: 40n * U },
          { type: "withdraw", member: C, token: USDC, amount: 30n * U },
          { type: "withdraw", member: A, token: USDC, amount: 100n * U },
          { type: "closeCycle", token: USDC, timestamp: 2n * WEEK },
        ],
        {
          tokens: [{ token: USDC, openEnd: WEEK, cycleLength: WEEK }],
          accounts: [
            { member: A, token: USDC, balance: 100n * U },
            { member: B, token: USDC, balance: 50n * U },
          ],
        },
      );
      expect(steps.map((s) => s.ok)).to.deep.equal([
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        true,
        false,
        true,
      ]);
      const failed = steps[10];
      expect(!failed.ok && failed.error.code).to.equal("SettlementVault_InsufficientFreeBalance");
      expect(steps.map((s) => s.index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(balances(preview)).to.deep.equal([70n * U, 0n, 150n * U]);
    });
  });

  describe("finality rule", function () {
    it("applies an obligation whose resulting debit equals the effective balance, and queues one unit more", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      expect(applied(p.recordObligation(A, B, USDC, 100n))).to.equal(true);
      expect(p.freeBalanceOf(A, USDC)).to.equal(0n);
      const queued = p.recordObligation(A, B, USDC, 1n);
      expect(queued).to.deep.include({ applied: false, index: 0n, cycle: 1n });
    });

    it("counts credits of the open cycle as cover for debits, but not as free balance", function () {
      const p = new NettingPreview({ accounts: [{ member: B, token: USDC, balance: 10n }] });
      p.recordObligation(B, A, USDC, 10n);
      expect(p.freeBalanceOf(A, USDC)).to.equal(0n);
      // A has no balance, but its +10 credit covers a 10 debit: the resulting net position is 0.
      expect(applied(p.recordObligation(A, C, USDC, 10n))).to.equal(true);
      expect(applied(p.recordObligation(A, C, USDC, 1n))).to.equal(false);
      expectNettingError(() => p.withdraw(A, USDC, 1n), "SettlementVault_InsufficientFreeBalance", [A, USDC, 0n, 1n]);
    });

    it("never lets a later obligation jump a non-empty queue, however small", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      expect(applied(p.recordObligation(A, B, USDC, 150n))).to.equal(false);
      const small = p.recordObligation(A, C, USDC, 1n);
      expect(small).to.deep.include({ applied: false, index: 1n });
      expect(p.openPositionOf(A, USDC)).to.equal(0n);
      expect(p.queuedObligations(A, USDC).map((q) => q.amount)).to.deep.equal([150n, 1n]);
    });

    it("processes the queue in order, stopping at the first obligation that does not fit, even if a later one would", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 10n }] });
      for (const amount of [20n, 50n, 5n]) p.recordObligation(A, B, USDC, amount);
      expect(p.queueLength(A, USDC)).to.equal(3n);
      p.deposit(A, USDC, 20n); // 30: covers 20, not 20 + 50
      const first = p.processQueue(A, USDC, 10n);
      expect(first).to.deep.include({ applied: 1n, remaining: 2n });
      expect(p.openPositionOf(A, USDC)).to.equal(-20n);
      expect(p.queuedObligations(A, USDC).map((q) => q.amount)).to.deep.equal([50n, 5n]);
      p.deposit(A, USDC, 100n);
      // maxCount limits the work: one at a time.
      expect(p.processQueue(A, USDC, 1)).to.deep.include({ applied: 1n, remaining: 1n });
      expect(p.processQueue(A, USDC, 1)).to.deep.include({ applied: 1n, remaining: 0n });
      expect(p.openPositionOf(A, USDC)).to.equal(-75n);
      expect(p.openPositionOf(B, USDC)).to.equal(75n);
      // Indexes keep counting from the queue's head.
      expect(p.recordObligation(A, B, USDC, 1_000n)).to.deep.include({ applied: false, index: 3n });
    });

    it("processQueue of an empty queue returns at once: no touch, no PositionSettled, nothing stored", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 10n }] });
      p.recordObligation(A, B, USDC, 10n);
      p.closeCycle(USDC);
      const raw = p.accountOf(A, USDC);
      expect(raw).to.deep.equal({ balance: 10n, position: -10n, cycle: 1n, queued: 0n });
      expect(p.processQueue(A, USDC, 1n)).to.deep.equal({
        type: "processQueue",
        applied: 0n,
        obligations: [],
        remaining: 0n,
        logs: [],
      });
      expect(p.accountOf(A, USDC)).to.deep.equal(raw);
      expect(p.balanceOf(A, USDC)).to.equal(0n);
      // The pending position is settled (and reported) at the next touch that stores.
      expect(p.deposit(A, USDC, 1n).logs[0]).to.deep.equal({
        name: "PositionSettled",
        operatorId: A,
        token: USDC,
        cycle: 1n,
        position: -10n,
      });
    });

    it("touches the payer when its queue is processed, even if nothing fits", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 10n }] });
      p.recordObligation(A, B, USDC, 10n);
      p.recordObligation(A, B, USDC, 5n); // queued
      p.closeCycle(USDC);
      const result = p.processQueue(A, USDC, 1n);
      expect(result).to.deep.include({ applied: 0n, remaining: 1n });
      expect(result.logs).to.deep.equal([
        { name: "PositionSettled", operatorId: A, token: USDC, cycle: 1n, position: -10n },
      ]);
      expect(p.accountOf(A, USDC)).to.deep.equal({ balance: 0n, position: 0n, cycle: 2n, queued: 1n });
    });

    it("applies queued obligations to the cycle open when they are processed", function () {
      const p = new NettingPreview();
      p.recordObligation(A, B, USDC, 40n);
      p.closeCycle(USDC);
      p.closeCycle(USDC);
      p.deposit(A, USDC, 40n);
      const result = p.processQueue(A, USDC, 1n);
      expect(result.type === "processQueue" && result.obligations[0]).to.deep.include({ cycle: 3n, fromQueue: true });
      expect(p.grossOf(USDC, 3n, A, B)).to.equal(40n);
      expect(p.cycleReport(USDC, 1n).stats.obligations).to.equal(0);
    });
  });

  describe("withdrawals, transfers and the other calls", function () {
    it("withdraws at most the free balance and never an open net debit's collateral", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      p.recordObligation(A, B, USDC, 30n);
      expectNettingError(() => p.withdraw(A, USDC, 71n), "SettlementVault_InsufficientFreeBalance", [
        A,
        USDC,
        70n,
        71n,
      ]);
      expect(p.withdraw(A, USDC, 70n).logs).to.deep.equal([
        { name: "Withdrawn", operatorId: A, token: USDC, amount: 70n },
      ]);
      expect(p.totalLiabilities(USDC)).to.equal(30n);
      expectNettingError(() => p.withdraw(A, USDC, 0n), "SettlementVault_ZeroAmount", []);
    });

    it("transferFree moves free balance at once, outside cycles", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      p.recordObligation(A, B, USDC, 60n);
      const ref = `0x${"ab".repeat(32)}`;
      expect(p.transferFree(A, C, USDC, 40n, ref.toUpperCase().replace("0X", "0x")).logs).to.deep.equal([
        { name: "FreeBalanceTransferred", token: USDC, from: A, to: C, amount: 40n, ref },
      ]);
      expect(frees(p)).to.deep.equal([0n, 0n, 40n]);
      expect(positions(p)).to.deep.equal([-60n, 60n, 0n]);
      expectNettingError(() => p.transferFree(A, C, USDC, 1n), "SettlementVault_InsufficientFreeBalance", [
        A,
        USDC,
        0n,
        1n,
      ]);
      expectNettingError(() => p.transferFree(A, A, USDC, 1n), "SettlementVault_SelfObligation", [A]);
      expectNettingError(() => p.transferFree(A, 0n, USDC, 1n), "SettlementVault_UnknownOperator", [0n]);
      expectNettingError(() => p.transferFree(C, A, USDC, 0n), "SettlementVault_ZeroAmount", []);
      expect(p.totalLiabilities(USDC)).to.equal(100n);
    });

    it("checks obligations in the contract's order", function () {
      const p = new NettingPreview({ registered: [A, B, C] });
      expectNettingError(() => p.recordObligation(A, A, USDC, 0n), "SettlementVault_SelfObligation", [A]);
      expectNettingError(() => p.recordObligation(0n, B, USDC, 0n), "SettlementVault_UnknownOperator", [0n]);
      expectNettingError(() => p.recordObligation(A, 0n, USDC, 0n), "SettlementVault_UnknownOperator", [0n]);
      expectNettingError(() => p.recordObligation(A, B, USDC, 0n), "SettlementVault_ZeroAmount", []);
      const tooLarge = VAULT_LIMITS.maxAmount + 1n;
      expectNettingError(() => p.recordObligation(A, B, USDC, tooLarge), "SettlementVault_AmountTooLarge", [tooLarge]);
      // Registration is not checked for obligations (the suite's contracts are trusted to name members).
      expect(applied(p.recordObligation(A, 9n, USDC, 1n))).to.equal(false);
      p.deposit(A, USDC, 5n);
      expect(p.processQueue(A, USDC, 1n)).to.deep.include({ applied: 1n });
      expect(p.openPositionOf(9n, USDC)).to.equal(1n);
    });

    it("checks deposits: amount, registration, and the balance bound", function () {
      const p = new NettingPreview({ registered: [A, B] });
      expectNettingError(() => p.deposit(A, USDC, 0n), "SettlementVault_ZeroAmount");
      expectNettingError(() => p.deposit(A, USDC, 2n ** 96n), "SettlementVault_AmountTooLarge", [2n ** 96n]);
      expectNettingError(() => p.deposit(C, USDC, 1n), "SettlementVault_UnknownOperator", [C]);
      expectNettingError(() => new NettingPreview().deposit(0n, USDC, 1n), "SettlementVault_UnknownOperator", [0n]);
      const full = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: VAULT_LIMITS.maxBalance }] });
      expectNettingError(() => full.deposit(A, USDC, 1n), "Panic", [0x11n]);
    });

    it("raises SafeCast's error when a position would leave int104, applying nothing", function () {
      const { maxBalance, maxPosition, minPosition } = VAULT_LIMITS;
      // The payer's debit: a rich payer already near the bound (C holds the matching credit).
      const p = new NettingPreview({
        accounts: [
          { member: A, token: USDC, balance: maxBalance, openPosition: minPosition + 10n },
          { member: C, token: USDC, openPosition: -(minPosition + 10n) },
        ],
      });
      expectNettingError(() => p.recordObligation(A, B, USDC, 11n), "SafeCastOverflowedIntDowncast", [
        104n,
        minPosition - 1n,
      ]);
      expect(applied(p.recordObligation(A, B, USDC, 10n))).to.equal(true);
      // The payee's credit: the payer's debit fits, the payee's credit does not.
      const q = new NettingPreview({
        accounts: [
          { member: A, token: USDC, balance: 2n ** 95n },
          { member: B, token: USDC, balance: 1n, openPosition: maxPosition },
          { member: C, token: USDC, openPosition: -maxPosition, balance: maxPosition },
        ],
      });
      expectNettingError(() => q.recordObligation(A, B, USDC, 1n), "SafeCastOverflowedIntDowncast", [
        104n,
        maxPosition + 1n,
      ]);
      expect(q.openPositionOf(A, USDC)).to.equal(0n); // nothing half-applied
      // A pending credit that would take the balance past uint104.
      const r = new NettingPreview({
        tokens: [{ token: USDC, cycle: 2n }],
        accounts: [{ member: A, token: USDC, balance: maxBalance, pendingPosition: 1n }],
      });
      expectNettingError(() => r.balanceOf(A, USDC), "SafeCastOverflowedUintDowncast", [104n, maxBalance + 1n]);
      expectNettingError(() => r.deposit(A, USDC, 1n), "SafeCastOverflowedUintDowncast", [104n, maxBalance + 1n]);
    });

    it("queues at most 65,535 obligations per payer", function () {
      const queue = Array.from({ length: Number(VAULT_LIMITS.maxQueue) }, () => ({ payee: B, amount: 1n }));
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, queue, queueHead: 7n }] });
      expect(p.queueTail(A, USDC)).to.equal(7n + VAULT_LIMITS.maxQueue);
      expectNettingError(() => p.recordObligation(A, C, USDC, 1n), "SettlementVault_QueueFull", [A, USDC]);
      expect(p.queuedObligations(A, USDC, 65_534n, 10n)).to.deep.equal([{ payee: B, amount: 1n, ref: ZERO_REF }]);
      expect(p.queuedObligations(A, USDC, 70_000n, 10n)).to.deep.equal([]);
    });

    it("pause stops deposits, obligations, queue processing and transfers, never withdrawals or closes", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      p.recordObligation(A, B, USDC, 200n); // queued
      expect(p.pause().logs).to.deep.equal([{ name: "Paused" }]);
      expect(p.paused).to.equal(true);
      expectNettingError(() => p.pause(), "EnforcedPause");
      expectNettingError(() => p.deposit(A, USDC, 1n), "EnforcedPause");
      expectNettingError(() => p.recordObligation(A, B, USDC, 1n), "EnforcedPause");
      expectNettingError(() => p.processQueue(A, USDC, 1n), "EnforcedPause");
      expectNettingError(() => p.transferFree(A, B, USDC, 1n), "EnforcedPause");
      p.withdraw(A, USDC, 10n);
      p.closeCycle(USDC);
      expect(p.unpause().logs).to.deep.equal([{ name: "Unpaused" }]);
      expectNettingError(() => p.unpause(), "ExpectedPause");
      // Pause is checked before the count: the contract's modifier runs first.
      p.pause();
      expectNettingError(() => p.processQueue(A, USDC, 0n), "EnforcedPause");
    });

    it("governs tokens: allow, disallow, cycle lengths from the next cycle, and closes by time", function () {
      const p = new NettingPreview({ tokens: [{ token: EURC, allowed: false, cycle: 0n }] });
      expectNettingError(() => p.closeCycle(EURC), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.processQueue(A, EURC, 1n), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.setCycleLength(EURC, 1), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.deposit(A, EURC, 1n), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.allowToken(EURC, 0), "SettlementVault_ZeroCycleLength");
      expectNettingError(() => p.allowToken(EURC, WEEK, 19), "SettlementVault_UnsupportedDecimals", [EURC, 19n]);

      const t0 = 1_000n;
      expect(p.allowToken(EURC, WEEK, 6, t0).logs).to.deep.equal([
        { name: "TokenAllowed", token: EURC, decimals: 6, cycleLength: WEEK, openEnd: t0 + WEEK },
      ]);
      expect(p.tokenConfig(EURC)).to.deep.equal({
        token: EURC,
        allowed: true,
        decimals: 6,
        cycle: 1n,
        openEnd: t0 + WEEK,
        cycleLength: WEEK,
        nextCycleLength: WEEK,
      });
      expectNettingError(() => p.allowToken(EURC, WEEK), "SettlementVault_TokenAlreadyAllowed", [EURC]);

      expect(p.setCycleLength(EURC, DAY).logs).to.deep.equal([
        { name: "CycleLengthChanged", token: EURC, cycleLength: DAY },
      ]);
      expectNettingError(() => p.setCycleLength(EURC, 0n), "SettlementVault_ZeroCycleLength");
      expect(p.tokenConfig(EURC)).to.deep.include({ cycleLength: WEEK, nextCycleLength: DAY });
      expectNettingError(() => p.closeCycle(EURC, t0 + WEEK - 1n), "SettlementVault_CycleNotEnded", [EURC, t0 + WEEK]);
      p.closeCycle(EURC, t0 + WEEK + 5n);
      expect(p.tokenConfig(EURC)).to.deep.include({ cycle: 2n, openEnd: t0 + WEEK + 5n + DAY, cycleLength: DAY });

      p.deposit(A, EURC, 10n);
      p.recordObligation(A, B, EURC, 4n);
      expect(p.disallowToken(EURC).logs).to.deep.equal([{ name: "TokenDisallowed", token: EURC }]);
      expectNettingError(() => p.disallowToken(EURC), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.deposit(A, EURC, 1n), "SettlementVault_TokenNotAllowed", [EURC]);
      expectNettingError(() => p.transferFree(A, B, EURC, 1n), "SettlementVault_TokenNotAllowed", [EURC]);
      // What is owed is still recorded (issue 14), and a payer with obligations waiting may deposit to pay them.
      expect(p.recordObligation(A, B, EURC, 1n)).to.deep.include({ type: "obligation", applied: true });
      p.recordObligation(A, B, EURC, 6n); // A has 5 free: queued
      expect(p.queueLength(A, EURC)).to.equal(1n);
      p.deposit(A, EURC, 1n);
      // Withdrawals, closes and queue processing go on (queued obligations are still owed).
      expect(p.processQueue(A, EURC, 1n)).to.deep.include({ applied: 1n });
      expectNettingError(() => p.deposit(A, EURC, 1n), "SettlementVault_TokenNotAllowed", [EURC]);
      p.closeCycle(EURC, t0 + WEEK + 5n + DAY);
      expect(p.balanceOf(B, EURC)).to.equal(11n);
      // Allowed again: the cycle keeps running where it was.
      p.allowToken(EURC, WEEK, 6, 99_999_999n);
      expect(p.tokenConfig(EURC)).to.deep.include({ cycle: 3n, openEnd: t0 + WEEK + 5n + 2n * DAY });
    });

    it("closes a cycle whose end is unknown whenever asked, and leaves the next end unknown", function () {
      const p = new NettingPreview();
      expect(p.closeCycle(USDC)).to.deep.include({ closed: 1n, opened: 2n, nextEnd: undefined });
      expect(p.closeCycle(USDC, 5n)).to.deep.include({ closed: 2n, nextEnd: undefined }); // no length known
      expect(p.cycleReport(USDC, 2n).closedAt).to.equal(5n);
      expect(p.currentCycle(USDC)).to.equal(3n);
    });

    it("reports bilateral gross with the vault's retention of one figure per pair", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      p.recordObligation(A, B, USDC, 5n);
      p.recordObligation(A, B, USDC, 6n);
      p.closeCycle(USDC);
      p.closeCycle(USDC);
      expect(p.bilateralGross(USDC, 1n, A, B)).to.deep.equal({ gross: 11n, retained: true });
      expect(p.bilateralGross(USDC, 2n, A, B)).to.deep.equal({ gross: 0n, retained: true });
      p.recordObligation(A, B, USDC, 7n);
      expect(p.bilateralGross(USDC, 1n, A, B)).to.deep.equal({ gross: 0n, retained: false });
      expect(p.bilateralGross(USDC, 2n, A, B)).to.deep.equal({ gross: 0n, retained: false });
      expect(p.bilateralGross(USDC, 3n, A, B)).to.deep.equal({ gross: 7n, retained: true });
      expect(p.grossOf(USDC, 1n, A, B)).to.equal(11n); // the preview keeps every cycle
      expect(p.bilateralGross(USDC, 3n, B, A)).to.deep.equal({ gross: 0n, retained: true });
      expect(p.bilateralGross(USDC, 0n, B, A)).to.deep.equal({ gross: 0n, retained: true });
      expectNettingError(() => p.bilateralGross(USDC, 4n, A, B), "SettlementVault_FutureCycle", [USDC, 4n, 3n]);
      expectInvalid(() => p.grossOf(USDC, 4n, A, B), "cycle");
    });
  });

  describe("atomicity", function () {
    it("leaves the preview unchanged when a call reverts, even half-way through a queue", function () {
      const p = new NettingPreview({
        accounts: [
          {
            member: A,
            token: USDC,
            balance: 2n ** 100n,
            queue: [
              { payee: C, amount: 1n },
              { payee: B, amount: 1n },
            ],
          },
          { member: B, token: USDC, balance: 1n, openPosition: VAULT_LIMITS.maxPosition },
          { member: C, token: USDC, openPosition: -VAULT_LIMITS.maxPosition, balance: VAULT_LIMITS.maxPosition },
        ],
      });
      p.deposit(A, EURC, 50n);
      p.recordObligation(A, B, EURC, 80n); // queued
      const before = everything(p);
      // The first queued obligation fits; the second overflows B's position: nothing of either may remain.
      expectNettingError(() => p.processQueue(A, USDC, 2n), "SafeCastOverflowedIntDowncast");
      expectNettingError(() => p.withdraw(A, EURC, 51n), "SettlementVault_InsufficientFreeBalance");
      expectNettingError(() => p.transferFree(A, B, EURC, 51n), "SettlementVault_InsufficientFreeBalance");
      expectNettingError(() => p.recordObligation(B, B, EURC, 1n), "SettlementVault_SelfObligation");
      expect(everything(p)).to.deep.equal(before);
      // One at a time, the first goes through.
      expect(p.processQueue(A, USDC, 1n)).to.deep.include({ applied: 1n, remaining: 1n });
    });

    it("clone() gives an independent copy for what-if questions", function () {
      const p = workedExampleStart();
      p.recordObligation(A, B, USDC, 80n * U);
      const whatIf = p.clone();
      whatIf.recordObligation(B, C, USDC, 120n * U);
      whatIf.closeCycle(USDC);
      expect(positions(p)).to.deep.equal([-80n * U, 80n * U, 0n]);
      expect(p.currentCycle(USDC)).to.equal(1n);
      expect(p.cycleReport(USDC).obligations).to.have.length(1);
      expect(whatIf.balanceOf(C, USDC)).to.equal(120n * U);
    });
  });

  describe("initial state", function () {
    it("starts from pending positions of a closed cycle, queues and retained gross", function () {
      const p = new NettingPreview({
        tokens: [{ token: USDC, cycle: 3n }],
        accounts: [
          {
            member: A,
            token: USDC,
            balance: 100n,
            pendingPosition: -20n,
            queueHead: 4n,
            queue: [{ payee: B, amount: 500n }],
          },
          { member: B, token: USDC, pendingPosition: 20n, pendingCycle: 1n },
          { member: C, token: USDC, balance: 10n, openPosition: -5n },
          { member: 4n, token: USDC, openPosition: 5n },
        ],
        gross: [
          { token: USDC, cycle: 3n, payer: C, payee: 4n, amount: 5n },
          { token: USDC, cycle: 2n, payer: A, payee: B, amount: 20n },
        ],
      });
      expect(p.accountOf(A, USDC)).to.deep.equal({ balance: 100n, position: -20n, cycle: 2n, queued: 1n });
      expect(p.memberView(A, USDC)).to.deep.equal({
        member: A,
        token: USDC,
        balance: 80n,
        free: 80n,
        openPosition: 0n,
        queued: 1n,
      });
      expect(p.accountOf(B, USDC)).to.deep.include({ position: 20n, cycle: 1n });
      expect(p.balanceOf(B, USDC)).to.equal(20n);
      expect(p.freeBalanceOf(C, USDC)).to.equal(5n);
      expect(p.totalLiabilities(USDC)).to.equal(110n); // 80 + 20 + 10
      expect(p.members(USDC)).to.deep.equal([A, B, C, 4n]);
      const report = p.cycleReport(USDC);
      expect(report).to.deep.include({ cycle: 3n, status: "open", complete: false });
      expect(report.gross).to.deep.equal([{ payer: C, payee: 4n, amount: 5n }]);
      expect(report.plan).to.deep.equal([{ from: C, to: 4n, amount: 5n }]);
      expect(p.bilateralGross(USDC, 2n, A, B)).to.deep.equal({ gross: 20n, retained: true });
      // Queueing touches the payer: its pending position is settled (and stored) on the way.
      const queued = p.recordObligation(A, C, USDC, 1n);
      expect(queued).to.deep.include({ applied: false, index: 5n });
      expect(queued.logs).to.deep.equal([
        { name: "PositionSettled", operatorId: A, token: USDC, cycle: 2n, position: -20n },
        { name: "ObligationQueued", token: USDC, payer: A, payee: C, index: 5n, amount: 1n, ref: ZERO_REF },
      ]);
      expect(p.accountOf(A, USDC)).to.deep.equal({ balance: 80n, position: 0n, cycle: 3n, queued: 2n });
      expect(p.deposit(A, USDC, 1_000n).logs).to.have.length(1);
      expect(p.processQueue(A, USDC, 5n)).to.deep.include({ applied: 2n, remaining: 0n });
      expect(p.openPositionOf(A, USDC)).to.equal(-501n);
    });

    it("overrides the derived liabilities when asked", function () {
      const p = new NettingPreview({
        tokens: [{ token: USDC, totalLiabilities: 1_000n }],
        accounts: [{ member: A, token: USDC, balance: 10n }],
      });
      expect(p.totalLiabilities(USDC)).to.equal(1_000n);
    });

    it("refuses states the vault could never be in, naming the field", function () {
      const acct = (extra: object) => ({ accounts: [{ member: A, token: USDC, ...extra }] });
      expectInvalid(
        () => new NettingPreview(acct({ balance: 10n, openPosition: -11n })),
        "init.accounts[0].openPosition",
      );
      expectInvalid(() => new NettingPreview(acct({ openPosition: 5n })), "init.accounts");
      expectInvalid(
        () =>
          new NettingPreview({
            tokens: [{ token: USDC, cycle: 2n }],
            ...acct({ openPosition: 1n, pendingPosition: 1n }),
          }),
        "init.accounts[0].pendingPosition",
      );
      expectInvalid(
        () => new NettingPreview({ tokens: [{ token: USDC, cycle: 2n }], ...acct({ pendingPosition: -1n }) }),
        "init.accounts[0].pendingPosition",
      );
      expectInvalid(() => new NettingPreview(acct({ pendingPosition: 1n })), "init.accounts[0].pendingCycle");
      expectInvalid(
        () =>
          new NettingPreview({
            tokens: [{ token: USDC, cycle: 3n }],
            ...acct({ pendingPosition: 1n, pendingCycle: 3n }),
          }),
        "init.accounts[0].pendingCycle",
      );
      expectInvalid(
        () => new NettingPreview(acct({ balance: VAULT_LIMITS.maxBalance + 1n })),
        "init.accounts[0].balance",
      );
      expectInvalid(() => new NettingPreview(acct({ balance: 1 as unknown as bigint })), "init.accounts[0].balance");
      expectInvalid(() => new NettingPreview({ accounts: [{ member: 0n, token: USDC }] }), "init.accounts[0].member");
      expectInvalid(
        () =>
          new NettingPreview({
            accounts: [
              { member: A, token: USDC },
              { member: 1, token: USDC },
            ],
          }),
        "init.accounts[1].member",
      );
      expectInvalid(
        () => new NettingPreview(acct({ queue: [{ payee: A, amount: 1n }] })),
        "init.accounts[0].queue[0].payee",
      );
      expectInvalid(
        () => new NettingPreview(acct({ queue: [{ payee: B, amount: 0n }] })),
        "init.accounts[0].queue[0].amount",
      );
      expectInvalid(
        () => new NettingPreview(acct({ queue: [{ payee: B, amount: 1n, ref: "0x1234" }] })),
        "init.accounts[0].queue[0].ref",
      );
      expectInvalid(() => new NettingPreview({ tokens: [{ token: USDC }, { token: USDC }] }), "init.tokens[1].token");
      expectInvalid(() => new NettingPreview({ tokens: [{ token: USDC, cycle: 0n }] }), "init.tokens[0].cycle");
      expectInvalid(() => new NettingPreview({ tokens: [{ token: "" }] }), "init.tokens[0].token");
      expectInvalid(
        () => new NettingPreview({ gross: [{ token: USDC, cycle: 2n, payer: A, payee: B, amount: 1n }] }),
        "init.gross[0].cycle",
      );
      expectInvalid(
        () =>
          new NettingPreview({
            gross: [
              { token: USDC, cycle: 1n, payer: A, payee: B, amount: 1n },
              { token: USDC, cycle: 1n, payer: A, payee: B, amount: 2n },
            ],
          }),
        "init.gross[1]",
      );
      expectInvalid(() => new NettingPreview({ registered: 1 as unknown as bigint[] }), "init.registered");
      expectInvalid(() => new NettingPreview({ paused: "yes" as unknown as boolean }), "init.paused");
      expectInvalid(() => new NettingPreview(null as unknown as object), "init");
    });
  });

  describe("input validation", function () {
    it("rejects what the ABI could not encode with an InvalidArgumentError naming the field", function () {
      const p = new NettingPreview({ accounts: [{ member: A, token: USDC, balance: 100n }] });
      expectInvalid(() => p.deposit(A, USDC, 5 as unknown as bigint), "amount");
      expectInvalid(() => p.deposit(A, USDC, -5n), "amount");
      expectInvalid(() => p.deposit(-1, USDC, 5n), "member");
      expectInvalid(() => p.deposit(2 ** 32, USDC, 5n), "member");
      expectInvalid(() => p.deposit(1.5, USDC, 5n), "member");
      expectInvalid(() => p.deposit(A, "", 5n), "token");
      expectInvalid(() => p.recordObligation(A, B, USDC, 5n, "0x12"), "ref");
      expectInvalid(() => p.recordObligation(A, B, USDC, 2n ** 256n), "amount");
      expectInvalid(() => p.processQueue(A, USDC, 1.5), "maxCount");
      expectInvalid(() => p.processQueue(A, USDC, -1n), "maxCount");
      expectInvalid(() => p.closeCycle(USDC, -1n), "timestamp");
      expectInvalid(() => p.apply({ type: "mint" } as unknown as { type: "pause" }), "event.type");
      expectInvalid(() => p.apply(null as unknown as { type: "pause" }), "event");
      expectInvalid(() => p.queuedObligations(A, USDC, -1), "offset");
      expectInvalid(() => p.cycleReport(USDC, 9n), "cycle");
      // try() turns reverts into steps but lets bad input through.
      expect(() => p.try({ type: "deposit", member: A, token: USDC, amount: 1 as unknown as bigint })).to.throw(
        InvalidArgumentError,
      );
    });
  });

  describe("NettingError", function () {
    it("carries the Solidity error's name, arguments, signature and named arguments", function () {
      const error = new NettingError("SettlementVault_InsufficientFreeBalance", [A, USDC, 70n, 100n]);
      expect(error.message).to.equal(
        "SettlementVault_InsufficientFreeBalance(operatorId: 1, token: USDC, free: 70, amount: 100)",
      );
      expect(error.signature).to.equal("SettlementVault_InsufficientFreeBalance(uint32,address,uint256,uint256)");
      expect(error.namedArgs).to.deep.equal({ operatorId: A, token: USDC, free: 70n, amount: 100n });
      expect(error.name).to.equal("NettingError");
      expect(isNettingError(error)).to.equal(true);
      expect(isNettingError(error, "SettlementVault_QueueFull")).to.equal(false);
      expect(isNettingError(new Error("x"))).to.equal(false);
      expect(new NettingError("Panic", [0x11n]).message).to.equal("Panic(code: 0x11)");
      expect(new NettingError("SettlementVault_ZeroCount").signature).to.equal("SettlementVault_ZeroCount()");
      expect(Object.keys(NETTING_ERRORS)).to.include.members(["EnforcedPause", "SafeCastOverflowedUintDowncast"]);
    });
  });

  describe("stateless netting", function () {
    const example = [
      { payer: A, payee: B, amount: 80n },
      { payer: B, payee: C, amount: 120n },
      { payer: C, payee: A, amount: 60n },
      { payer: C, payee: B, amount: 30n },
    ];

    it("nets the worked example's cycle 1 to A -20, B -10, C +30, settled in two payments", function () {
      expect(netPositions(example)).to.deep.equal([
        { member: A, position: -20n },
        { member: B, position: -10n },
        { member: C, position: 30n },
      ]);
      const summary = nettingSummary(example);
      expect(summary.plan).to.deep.equal([
        { from: A, to: C, amount: 20n },
        { from: B, to: C, amount: 10n },
      ]);
      expect(summary.gross).to.deep.equal(bilateralGrossOf(example));
      expect(nettingStats(example)).to.deep.equal(summary.stats);
      expect(summary.stats).to.deep.include({ grossTransfers: 4, grossTotal: 290n, netTransfers: 2, netTotal: 30n });
    });

    it("lists members whose debits and credits cancel out with 0, and sums gross per pair", function () {
      const obligations = [
        { payer: 2, payee: 1, amount: 5n },
        { payer: 1, payee: 2, amount: 5n },
        { payer: 1, payee: 2, amount: 1n },
      ];
      expect(netPositions(obligations)).to.deep.equal([
        { member: 1n, position: -1n },
        { member: 2n, position: 1n },
      ]);
      expect(bilateralGrossOf(obligations)).to.deep.equal([
        { payer: 1n, payee: 2n, amount: 6n },
        { payer: 2n, payee: 1n, amount: 5n },
      ]);
      expect(netPositions([])).to.deep.equal([]);
      expect(
        netPositions([
          { payer: 1, payee: 2, amount: 3n },
          { payer: 2, payee: 1, amount: 3n },
        ]),
      ).to.deep.equal([
        { member: 1n, position: 0n },
        { member: 2n, position: 0n },
      ]);
    });

    it("settles greedily: debtors in id order pay creditors in id order", function () {
      const plan = settlementPlan([
        { member: 4n, position: 6n },
        { member: 1n, position: -5n },
        { member: 3n, position: -4n },
        { member: 2n, position: 3n },
      ]);
      expect(plan).to.deep.equal([
        { from: 1n, to: 2n, amount: 3n },
        { from: 1n, to: 4n, amount: 2n },
        { from: 3n, to: 4n, amount: 4n },
      ]);
      const fromMap = settlementPlan(
        new Map([
          [2n, 3n],
          [1n, -5n],
          [3n, -4n],
          [4n, 6n],
        ]),
      );
      expect(fromMap).to.deep.equal(plan);
      expect(settlementPlan([])).to.deep.equal([]);
      // Greedy, not minimal: these obligations settle themselves in 2 payments; the plan takes 3 (<= members - 1).
      const summary = nettingSummary([
        { payer: 2, payee: 4, amount: 1n },
        { payer: 3, payee: 1, amount: 2n },
      ]);
      expect(summary.plan).to.deep.equal([
        { from: 2n, to: 1n, amount: 1n },
        { from: 3n, to: 1n, amount: 1n },
        { from: 3n, to: 4n, amount: 1n },
      ]);
      expect(summary.stats).to.deep.include({ grossTransfers: 2, netTransfers: 3 });
      expect(settlementPlan([{ member: 1n, position: 0n }])).to.deep.equal([]);
    });

    it("rejects positions that do not sum to zero, repeated members and malformed obligations", function () {
      expectInvalid(() => settlementPlan([{ member: 1n, position: -1n }]), "positions");
      expectInvalid(
        () =>
          settlementPlan([
            { member: 1n, position: -1n },
            { member: 1n, position: 1n },
          ]),
        "positions[1].member",
      );
      expectInvalid(() => settlementPlan(5 as unknown as []), "positions");
      expectInvalid(() => netPositions([{ payer: 1, payee: 1, amount: 1n }]), "obligations[0].payee");
      expectInvalid(() => netPositions([{ payer: 1, payee: 2, amount: 0n }]), "obligations[0].amount");
      expectInvalid(
        () => netPositions([{ payer: 1, payee: 2, amount: 1 as unknown as bigint }]),
        "obligations[0].amount",
      );
      expectInvalid(() => netPositions([{ payer: -1, payee: 2, amount: 1n }]), "obligations[0].payer");
      expectInvalid(() => netPositions(null as unknown as []), "obligations");
      expectInvalid(() => paymentsOf([], -1), "member");
    });

    const obligationArb = fc
      .record({
        payer: fc.integer({ min: 1, max: 8 }),
        payee: fc.integer({ min: 1, max: 8 }),
        amount: fc.bigInt(1n, 10n ** 12n),
      })
      .filter((o) => o.payer !== o.payee);

    it("property: every plan settles each position exactly, in at most members - 1 positive payments", function () {
      fc.assert(
        fc.property(fc.array(obligationArb, { maxLength: 40 }), (obligations) => {
          const { positions: nets, plan, stats, gross } = nettingSummary(obligations);
          expect(nets.reduce((s, p) => s + p.position, 0n)).to.equal(0n);
          const flow = new Map<bigint, bigint>();
          for (const pay of plan) {
            expect(pay.amount > 0n).to.equal(true);
            expect(pay.from).to.not.equal(pay.to);
            flow.set(pay.from, (flow.get(pay.from) ?? 0n) - pay.amount);
            flow.set(pay.to, (flow.get(pay.to) ?? 0n) + pay.amount);
          }
          for (const { member, position } of nets) expect(flow.get(member) ?? 0n).to.equal(position);
          const active = nets.filter((p) => p.position !== 0n).length;
          expect(plan.length).to.be.at.most(Math.max(0, active - 1));
          expect(stats.netTotal <= stats.bilateralNetTotal).to.equal(true);
          expect(stats.bilateralNetTotal <= stats.grossTotal).to.equal(true);
          expect(stats.grossTotal).to.equal(gross.reduce((s, g) => s + g.amount, 0n));
          // Deterministic: the order of the obligations does not matter.
          expect(settlementPlan(netPositions([...obligations].reverse()))).to.deep.equal(plan);
        }),
        { numRuns: 300 },
      );
    });

    it("property: with ample collateral, the preview applies everything and its cycle report equals nettingSummary", function () {
      fc.assert(
        fc.property(fc.array(obligationArb, { minLength: 1, maxLength: 30 }), (obligations) => {
          const accounts = Array.from({ length: 8 }, (_, i) => ({ member: i + 1, token: USDC, balance: 10n ** 15n }));
          const { preview, steps } = simulateNetting(
            obligations.map((o) => ({ type: "obligation" as const, token: USDC, ...o })),
            { accounts },
          );
          expect(steps.every((s) => s.ok && s.result.type === "obligation" && s.result.applied)).to.equal(true);
          const report = preview.cycleReport(USDC);
          const summary = nettingSummary(obligations);
          // The report lists every member holding an account; the summary only those involved.
          expect(report.positions.filter((p) => p.position !== 0n)).to.deep.equal(
            summary.positions.filter((p) => p.position !== 0n),
          );
          expect(report.gross).to.deep.equal(summary.gross);
          expect(report.plan).to.deep.equal(summary.plan);
          expect(report.stats).to.deep.equal(summary.stats);
        }),
        { numRuns: 200 },
      );
    });
  });
});
