import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";

import { encodeTadig } from "../../sdk/src/tadig";
import type { MockStablecoin, SettlementVault, VaultInspector } from "../../sdk/src/typechain";
import { campaignSize } from "../helpers/campaign";
import { CYCLE, USDC, deployVault } from "../helpers/vault";

/**
 * The vault's invariants (test/invariant/README.md, V1-V7), checked after every action of random sequences of
 * deposits, withdrawals, obligations, queue processing, free-balance transfers, donations, time jumps and cycle
 * closes, across six members and two tokens. The checks read the contract's own views (one call per token through
 * VaultInspector) and compare them with ghost variables kept from the actions and their events.
 *
 * CI runs at least INVARIANT_VAULT_ACTIONS actions (default 10,000; 50 under coverage, which only measures lines) in
 * rounds of random sequences.
 */
const TARGET_ACTIONS = campaignSize("INVARIANT_VAULT_ACTIONS", 10_000, 50);
const DEPTH = campaignSize("INVARIANT_DEPTH", 60, 25);
/** Sequences per fast-check round; rounds repeat until TARGET_ACTIONS actions have run. */
const ROUND = campaignSize("INVARIANT_ROUND", 20, 2);

const MEMBERS = [1, 2, 3, 4, 5, 6];
const SEED = 5_000n * USDC;

interface Real {
  vault: SettlementVault;
  inspector: VaultInspector;
  tokens: MockStablecoin[];
  suite: HardhatEthersSigner;
  admins: HardhatEthersSigner[]; // index = member id - 1
  donor: HardhatEthersSigner;
}

interface ObligationGhost {
  token: number;
  payer: number;
  amount: bigint;
  status: "applied" | "queued";
  cycle?: bigint;
}

/** Ghost variables: what the vault must hold, derived only from the actions and their events. */
interface Ghost {
  deposited: bigint[]; // per token
  withdrawn: bigint[];
  donated: bigint[];
  obligations: Map<string, ObligationGhost>; // by ref
  /** Per token and cycle: Σ applied amounts paid and received per member (for V2 and V5). */
  net: Map<string, bigint>; // `${token}:${cycle}:${member}` -> credits - debits
  gross: Map<string, bigint>; // `${token}:${cycle}:${payer}:${payee}` -> Σ applied amounts
  cycle: bigint[]; // the open cycle of each token, as the ghost saw the closes
  counter: number;
}

const stats = { actions: 0, applied: 0, queued: 0, reverted: 0, closes: 0, sequences: 0 };

async function mined(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("not mined");
  return receipt;
}

/** Applies the events of a receipt to the ghost state (V4, V5). */
function recordEvents(real: Real, ghost: Ghost, logs: readonly { topics: readonly string[]; data: string }[]) {
  for (const log of logs) {
    const parsed = real.vault.interface.parseLog(log);
    if (parsed === null) continue;
    if (parsed.name === "ObligationApplied") {
      const { token, payer, payee, cycle, amount, ref } = parsed.args;
      const t = real.tokens.findIndex((x) => x.target === token);
      const o = ghost.obligations.get(ref as string);
      // V4: every applied obligation was recorded, and is applied once, whole.
      expect(o, `applied obligation ${ref} was recorded`).to.not.equal(undefined);
      expect(o!.status, `obligation ${ref} applied twice`).to.equal("queued");
      expect(amount, `obligation ${ref} applied whole`).to.equal(o!.amount);
      // V5: obligations only ever enter the open cycle; a closed cycle never changes.
      expect(cycle, `obligation ${ref} entered the open cycle`).to.equal(ghost.cycle[t]);
      o!.status = "applied";
      o!.cycle = cycle as bigint;
      const k = (m: bigint) => `${t}:${cycle}:${m}`;
      ghost.net.set(k(payer as bigint), (ghost.net.get(k(payer as bigint)) ?? 0n) - (amount as bigint));
      ghost.net.set(k(payee as bigint), (ghost.net.get(k(payee as bigint)) ?? 0n) + (amount as bigint));
      const g = `${t}:${cycle}:${payer}:${payee}`;
      ghost.gross.set(g, (ghost.gross.get(g) ?? 0n) + (amount as bigint));
      stats.applied++;
    } else if (parsed.name === "ObligationQueued") {
      stats.queued++;
    }
  }
}

/** Every invariant, on the contract's views, for both tokens. */
async function checkInvariants(real: Real, ghost: Ghost): Promise<void> {
  for (let t = 0; t < real.tokens.length; t++) {
    const v = await real.inspector.inspect(real.vault, real.tokens[t], MEMBERS);
    const cycle = v.config.cycle;

    // V1: the vault holds what it owes its members plus a non-negative surplus, and owes exactly what was deposited
    // less what was withdrawn; the raw accounts (balance + any unapplied position) add up to it.
    expect(v.liabilities, "V1 liabilities").to.equal(ghost.deposited[t] - ghost.withdrawn[t]);
    expect(v.held, "V1 held").to.equal(v.liabilities + v.surplus);
    expect(v.surplus, "V1 surplus").to.equal(ghost.donated[t]);
    let rawSum = 0n;
    let openSum = 0n;
    expect(cycle, "the ghost follows the closes").to.equal(ghost.cycle[t]);
    for (const m of v.members) {
      rawSum += m.raw.balance + m.raw.position;
      openSum += m.openPosition;
      // V2/V5: a position not yet applied, of the open or of a closed cycle, is exactly what that cycle's events say.
      expect(m.raw.position, "V5 unapplied position").to.equal(ghost.net.get(`${t}:${m.raw.cycle}:${m.id}`) ?? 0n);
      // V3: nothing negative; V6: an open net debit is always covered by the effective balance.
      expect(m.balance + (m.openPosition < 0n ? m.openPosition : 0n), "V6 covered").to.be.gte(0n);
      expect(m.free, "V6 free").to.equal(m.balance - (m.openPosition < 0n ? -m.openPosition : 0n));
      // V2 (open cycle) and V5: the member's open position is exactly what the applied events of this cycle say.
      expect(m.openPosition, "V2/V5 open position").to.equal(ghost.net.get(`${t}:${cycle}:${m.id}`) ?? 0n);
      // V4: the queue holds exactly the member's obligations that are recorded and not applied.
      let waiting = 0;
      for (const o of ghost.obligations.values())
        if (o.token === t && o.status === "queued" && o.payer === Number(m.id)) waiting++;
      expect(m.queued, "V4 queue").to.equal(BigInt(waiting));
    }
    expect(rawSum, "V1 accounts").to.equal(v.liabilities);
    expect(openSum, "V2 open positions sum to zero").to.equal(0n);
  }
}

type Cmd = fc.AsyncCommand<Ghost, Real>;

/** Runs an action that may be refused; returns whether it went through. */
async function attempt(
  real: Real,
  ghost: Ghost,
  send: () => Promise<ContractTransactionResponse>,
  expectRevert?: string,
): Promise<boolean> {
  stats.actions++;
  if (expectRevert !== undefined) {
    await expect(send()).to.be.revertedWithCustomError(real.vault, expectRevert);
    stats.reverted++;
    return false;
  }
  const receipt = await mined(send());
  recordEvents(real, ghost, receipt.logs);
  return true;
}

class Deposit implements Cmd {
  constructor(
    readonly member: number,
    readonly token: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    const admin = real.admins[this.member - 1];
    await attempt(real, ghost, () =>
      real.vault.connect(admin).deposit(this.member, real.tokens[this.token], this.amount),
    );
    ghost.deposited[this.token] += this.amount;
    await checkInvariants(real, ghost);
  }
  toString = () => `deposit(#${this.member}, t${this.token}, ${this.amount})`;
}

class Withdraw implements Cmd {
  constructor(
    readonly member: number,
    readonly token: number,
    readonly share: number, // per mille of the free balance; > 1000 tries to take more than is free
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    const token = real.tokens[this.token];
    const free = await real.vault.freeBalanceOf(this.member, token);
    const amount = (free * BigInt(this.share)) / 1000n + (this.share > 1000 ? 1n : 0n);
    const admin = real.admins[this.member - 1];
    const refusal =
      amount === 0n
        ? "SettlementVault_ZeroAmount"
        : amount > free
          ? "SettlementVault_InsufficientFreeBalance"
          : undefined;
    if (await attempt(real, ghost, () => real.vault.connect(admin).withdraw(this.member, token, amount), refusal)) {
      ghost.withdrawn[this.token] += amount;
    }
    await checkInvariants(real, ghost);
  }
  toString = () => `withdraw(#${this.member}, t${this.token}, ${this.share}‰ of free)`;
}

class Obligation implements Cmd {
  constructor(
    readonly payer: number,
    readonly payee: number,
    readonly token: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    const ref = ethers.zeroPadValue(ethers.toBeHex(++ghost.counter), 32);
    const refusal = this.payer === this.payee ? "SettlementVault_SelfObligation" : undefined;
    if (refusal === undefined) {
      ghost.obligations.set(ref, { token: this.token, payer: this.payer, amount: this.amount, status: "queued" });
    }
    await attempt(
      real,
      ghost,
      () =>
        real.vault
          .connect(real.suite)
          .recordObligation(this.payer, this.payee, real.tokens[this.token], this.amount, ref),
      refusal,
    );
    await checkInvariants(real, ghost);
  }
  toString = () => `obligation(#${this.payer} -> #${this.payee}, t${this.token}, ${this.amount})`;
}

class ProcessQueue implements Cmd {
  constructor(
    readonly payer: number,
    readonly token: number,
    readonly maxCount: number,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    await attempt(real, ghost, () => real.vault.processQueue(this.payer, real.tokens[this.token], this.maxCount));
    await checkInvariants(real, ghost);
  }
  toString = () => `processQueue(#${this.payer}, t${this.token}, ${this.maxCount})`;
}

class TransferFree implements Cmd {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly token: number,
    readonly share: number,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    const token = real.tokens[this.token];
    const free = await real.vault.freeBalanceOf(this.from, token);
    const amount = (free * BigInt(this.share)) / 1000n + (this.share > 1000 ? 1n : 0n);
    const refusal =
      this.from === this.to
        ? "SettlementVault_SelfObligation"
        : amount === 0n
          ? "SettlementVault_ZeroAmount"
          : amount > free
            ? "SettlementVault_InsufficientFreeBalance"
            : undefined;
    await attempt(
      real,
      ghost,
      () => real.vault.connect(real.suite).transferFree(this.from, this.to, token, amount, ethers.ZeroHash),
      refusal,
    );
    await checkInvariants(real, ghost);
  }
  toString = () => `transferFree(#${this.from} -> #${this.to}, t${this.token}, ${this.share}‰)`;
}

class Donate implements Cmd {
  constructor(
    readonly token: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    stats.actions++;
    await mined(real.tokens[this.token].connect(real.donor).transfer(real.vault, this.amount));
    ghost.donated[this.token] += this.amount;
    await checkInvariants(real, ghost);
  }
  toString = () => `donate(t${this.token}, ${this.amount})`;
}

class CloseCycle implements Cmd {
  constructor(
    readonly token: number,
    readonly jump: number,
  ) {}
  check = () => true;
  async run(ghost: Ghost, real: Real) {
    const token = real.tokens[this.token];
    await time.increase(this.jump);
    const config = await real.vault.tokenConfig(token);
    const ended = BigInt(await time.latest()) + 1n >= config.openEnd;
    // Closing never fails once the cycle has ended, whatever the members owe.
    if (
      await attempt(
        real,
        ghost,
        () => real.vault.closeCycle(token),
        ended ? undefined : "SettlementVault_CycleNotEnded",
      )
    ) {
      stats.closes++;
      ghost.cycle[this.token] += 1n;
      // The closed cycle's bilateral gross is what its events add up to (and, V5, it can no longer change).
      for (const [key, gross] of ghost.gross) {
        const [t, c, payer, payee] = key.split(":").map(BigInt);
        if (Number(t) !== this.token || c !== config.cycle) continue;
        expect(await real.vault.bilateralGross(token, c, payer, payee), `gross ${key}`).to.deep.equal([gross, true]);
      }
    }
    await checkInvariants(real, ghost);
  }
  toString = () => `close(t${this.token}) after ${this.jump}s`;
}

async function deployInvariantVault() {
  const f = await deployVault();
  const signers = await ethers.getSigners();
  const extraAdmins = signers.slice(16, 19);
  const codes = ["FRAF1", "ITAWI", "ESPTE"];
  for (const [i, admin] of extraAdmins.entries()) {
    await f.registry
      .connect(f.accounts.registrar)
      .registerOperator([encodeTadig(codes[i])], admin, admin, [ethers.Wallet.createRandom().address], "");
  }
  const admins = [f.accounts.alice, f.accounts.bob, f.accounts.carol, ...extraAdmins];
  const donor = signers[19];
  for (const token of [f.usdc, f.eurc]) {
    for (const holder of [...extraAdmins, donor]) {
      await token.mint(holder, 1_000_000n * USDC);
      await token.connect(holder).approve(f.vault, ethers.MaxUint256);
    }
  }
  // Every member starts with SEED of each token deposited, so that obligations have collateral to meet.
  for (const token of [f.usdc, f.eurc]) {
    for (const [i, admin] of admins.entries()) await f.vault.connect(admin).deposit(i + 1, token, SEED);
  }
  const inspector = (await (await ethers.getContractFactory("VaultInspector")).deploy()) as unknown as VaultInspector;
  return { ...f, admins, donor, inspector };
}

describe("Invariants: SettlementVault (model-based random sequences)", () => {
  it(`should hold over at least ${TARGET_ACTIONS} random actions across 6 members and 2 tokens`, async () => {
    const member = fc.constantFrom(...MEMBERS);
    const token = fc.constantFrom(0, 1);
    const amount = fc.oneof(
      { weight: 6, arbitrary: fc.bigInt(1n, 1_000n * USDC) },
      { weight: 1, arbitrary: fc.constantFrom(1n, 10_000n * USDC, 50_000n * USDC) },
    );
    const share = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(1001));
    const commands = [
      fc.tuple(member, token, amount).map(([m, t, a]) => new Deposit(m, t, a)),
      fc.tuple(member, token, share).map(([m, t, s]) => new Withdraw(m, t, s)),
      fc.tuple(member, member, token, amount).map(([p, q, t, a]) => new Obligation(p, q, t, a)),
      fc.tuple(member, member, token, amount).map(([p, q, t, a]) => new Obligation(p, q, t, a)), // obligations twice as likely
      fc.tuple(member, token, fc.integer({ min: 1, max: 5 })).map(([m, t, n]) => new ProcessQueue(m, t, n)),
      fc.tuple(member, member, token, share).map(([a, b, t, s]) => new TransferFree(a, b, t, s)),
      fc.tuple(token, fc.bigInt(1n, 100n * USDC)).map(([t, a]) => new Donate(t, a)),
      fc
        .tuple(token, fc.oneof(fc.constant(CYCLE), fc.integer({ min: 1, max: 2 * CYCLE })))
        .map(([t, j]) => new CloseCycle(t, j)),
    ];

    while (stats.actions < TARGET_ACTIONS) {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: DEPTH, size: "max" }), async (cmds) => {
          const f = await loadFixture(deployInvariantVault);
          const real: Real = {
            vault: f.vault,
            inspector: f.inspector,
            tokens: [f.usdc, f.eurc],
            suite: f.suite,
            admins: f.admins,
            donor: f.donor,
          };
          const ghost: Ghost = {
            deposited: [SEED * BigInt(MEMBERS.length), SEED * BigInt(MEMBERS.length)],
            withdrawn: [0n, 0n],
            donated: [0n, 0n],
            obligations: new Map(),
            net: new Map(),
            gross: new Map(),
            cycle: [1n, 1n],
            counter: 0,
          };
          stats.sequences++;
          await fc.asyncModelRun(() => ({ model: ghost, real }), cmds);
        }),
        { numRuns: ROUND },
      );
    }
    console.log(
      `      vault invariant campaign: ${stats.actions} actions in ${stats.sequences} sequences ` +
        `(${stats.applied} obligations applied, ${stats.queued} queued, ${stats.closes} cycles closed, ` +
        `${stats.reverted} refusals as predicted)`,
    );
    expect(stats.actions).to.be.gte(TARGET_ACTIONS);
    if (TARGET_ACTIONS >= 1_000) {
      // A campaign of this size that never queued or closed would have tested little (the small runs under coverage
      // only measure lines).
      expect(stats.queued, "the campaign must exercise queueing").to.be.greaterThan(0);
      expect(stats.closes, "the campaign must exercise closes").to.be.greaterThan(0);
    }
  });
});
