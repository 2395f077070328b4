import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { slaCredit } from "../../sdk/src/capacity";
import { encodeTadig } from "../../sdk/src/tadig";
import { slaBreachIdOf } from "../../sdk/src/clients/capacity";
import { campaignSize, checkedCommand } from "../helpers/campaign";
import { deployCapacityFixture, HOUR, USDC, type CapacityFixture } from "../helpers/capacity";

/**
 * Invariant K7 of test/invariant/README.md: SLA credits are bounded by the units that could be credited. Random
 * sequences of mints, transfers, redemptions and breach records (by the issuer or the arbiter, on a few windows that
 * repeat, with either of two evidence hashes, naming random holders in random order) on alpha's slice class, against a
 * TypeScript model that predicts every outcome or its exact refusal. After each action the contract's breach records,
 * credit marks, unit balances and the vault's positions are compared with the model, and for every breach the units
 * credited (from the events) are at most the units held outside the issuer when it was first recorded (from the model).
 */

const SEQUENCES = campaignSize("CAPACITY_SLA_RUNS", 40, 2, "INVARIANT_RUNS");
const DEPTH = campaignSize("CAPACITY_SLA_DEPTH", 25, 6, "INVARIANT_DEPTH");
const stats = { actions: 0, refused: 0, credits: 0, capped: 0, exhausted: 0 };

/**
 * People by index: 0 alice (alpha's admin, the issuer), 1 bob (beta), 2 carol (gamma), 3 dave (delta, registered for
 * this campaign); 4 is the outsider eve. Person `p < 4` is the admin of operator `p + 1`.
 */
const PEOPLE = 5;
const OUTSIDER = 4;
/** The slice's credit per unit-hour (the fixture's) and its maximum supply. */
const RATE = 2n * USDC;
const MAX_SUPPLY = 100n;

/** Breach windows, as [from, to) offsets from the slice's validFrom; the clock stands past all of them. */
const WINDOWS: [number, number][] = [
  [0, HOUR],
  [0, 2 * HOUR],
  [HOUR, 3 * HOUR],
  [2 * HOUR, 6 * HOUR],
];
const EVIDENCE = [ethers.id("issuer's monitoring"), ethers.id("arbiter's report")];

interface Breach {
  recorded: boolean;
  /** Units held outside the issuer's admin account when the breach was first recorded (the model's own count). */
  cap: bigint;
  remaining: bigint;
  /** Operator ids credited, and the units credited in all (read from the events). */
  credited: Set<number>;
  unitsCredited: bigint;
}

interface Model {
  units: bigint[];
  minted: bigint;
  breaches: Breach[];
  /** Open vault positions (USDC) of operators 1-4, as the credits move them. */
  positions: bigint[];
}

interface Real {
  f: CapacityFixture;
  people: HardhatEthersSigner[];
  validFrom: bigint;
}

const supplyOf = (m: Model) => m.units.reduce((sum, u) => sum + u, 0n);
const windowOf = (r: Real, w: number): [bigint, bigint] => [
  r.validFrom + BigInt(WINDOWS[w][0]),
  r.validFrom + BigInt(WINDOWS[w][1]),
];

/** Asserts the exact custom error of a refused call; sends are thunks, run once the model has predicted. */
async function refused(
  tx: Promise<ContractTransactionResponse>,
  f: CapacityFixture,
  name: string,
  args: unknown[],
): Promise<void> {
  await expect(tx)
    .to.be.revertedWithCustomError(f.capacity, name)
    .withArgs(...args);
  stats.refused++;
}

async function check(m: Model, real: Real): Promise<void> {
  const { f, people } = real;
  const balances = await f.capacity.balanceOfBatch(
    people.map((p) => p.address),
    people.map(() => f.sliceId),
  );
  expect(balances).to.deep.equal(m.units);
  expect(await f.capacity["totalSupply(uint256)"](f.sliceId)).to.equal(supplyOf(m));
  expect((await f.capacity.classInfo(f.sliceId)).minted).to.equal(m.minted);
  for (let w = 0; w < WINDOWS.length; w++) {
    const b = m.breaches[w];
    const [from, to] = windowOf(real, w);
    const breachId = slaBreachIdOf(f.sliceId, from, to);
    // K7: a breach credits at most the units held outside the issuer at its first record, each holder at most once.
    expect(b.unitsCredited <= b.cap).to.equal(true);
    const record = await f.capacity.slaBreach(breachId);
    expect([record.recorded, record.remaining]).to.deep.equal([b.recorded, b.cap - b.unitsCredited]);
    expect(b.remaining).to.equal(b.cap - b.unitsCredited);
    for (const holderId of [1, 2, 3, 4]) {
      expect(await f.capacity.isCredited(breachId, holderId)).to.equal(b.credited.has(holderId));
    }
  }
  for (let id = 1; id <= 4; id++) {
    expect(await f.vault.openPositionOf(id, f.usdc)).to.equal(m.positions[id - 1]);
  }
}

class Mint implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const send = () => f.capacity.connect(people[0]).mint(f.sliceId, people[this.to], this.amount, "0x");
    if (this.amount === 0n) return refused(send(), f, "CapacityToken_ZeroAmount", []);
    if (m.minted + this.amount > MAX_SUPPLY) {
      return refused(send(), f, "CapacityToken_ExceedsMaxSupply", [f.sliceId, m.minted, this.amount, MAX_SUPPLY]);
    }
    if (this.to === OUTSIDER) return refused(send(), f, "CapacityToken_NotMember", [people[OUTSIDER].address]);
    await send();
    m.minted += this.amount;
    m.units[this.to] += this.amount;
  }
  toString = () => `Mint(${this.to}, ${this.amount})`;
}

class Transfer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const [from, to] = [people[this.from], people[this.to]];
    const send = () => f.capacity.connect(from).safeTransferFrom(from, to, f.sliceId, this.amount, "0x");
    if (this.to === OUTSIDER) return refused(send(), f, "CapacityToken_NotMember", [to.address]);
    if (m.units[this.from] < this.amount) {
      return refused(send(), f, "ERC1155InsufficientBalance", [
        from.address,
        m.units[this.from],
        this.amount,
        f.sliceId,
      ]);
    }
    await send();
    m.units[this.from] -= this.amount;
    m.units[this.to] += this.amount;
  }
  toString = () => `Transfer(${this.from} -> ${this.to}, ${this.amount})`;
}

class Redeem implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: number,
    readonly amount: bigint,
  ) {}
  check = () => true;
  async run(m: Model, { f, people }: Real) {
    const who = people[this.who];
    const send = () => f.capacity.connect(who).redeem(f.sliceId, this.amount, ethers.ZeroHash);
    if (this.amount === 0n) return refused(send(), f, "CapacityToken_ZeroAmount", []);
    if (m.units[this.who] < this.amount) {
      return refused(send(), f, "ERC1155InsufficientBalance", [who.address, m.units[this.who], this.amount, f.sliceId]);
    }
    await send();
    m.units[this.who] -= this.amount;
  }
  toString = () => `Redeem(${this.who}, ${this.amount})`;
}

class Record implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly window: number,
    readonly byArbiter: boolean,
    readonly evidence: number,
    readonly holders: number[],
  ) {}
  check = () => true;
  async run(m: Model, real: Real) {
    const { f, people } = real;
    const [from, to] = windowOf(real, this.window);
    const breachId = slaBreachIdOf(f.sliceId, from, to);
    const evidence = EVIDENCE[this.evidence];
    const accounts = this.holders.map((h) => people[h].address);
    const send = () =>
      this.byArbiter
        ? f.capacity.connect(f.accounts.arbiter).arbitrateSlaBreach(f.slice, from, to, evidence, accounts)
        : f.capacity.connect(people[0]).recordSlaBreach(f.slice, from, to, evidence, accounts);

    // The model's prediction, holder by holder, on a copy: a refusal anywhere records nothing.
    const b = m.breaches[this.window];
    const cap = b.recorded ? b.cap : supplyOf(m) - m.units[0];
    const creditable = b.recorded ? b.remaining : cap;
    let remaining = creditable;
    const credited = new Set(b.credited);
    const credits: [bigint, bigint, bigint, bigint][] = [];
    for (const h of this.holders) {
      const holderId = h < OUTSIDER ? h + 1 : 0;
      const address = people[h].address;
      if (holderId === 0 || holderId === 1 || m.units[h] === 0n) {
        return refused(send(), f, "CapacityToken_NothingToCredit", [address]);
      }
      if (credited.has(holderId)) return refused(send(), f, "CapacityToken_AlreadyCredited", [breachId, holderId]);
      if (remaining === 0n) {
        stats.exhausted++;
        return refused(send(), f, "CapacityToken_BreachFullyCredited", [breachId, address]);
      }
      const units = m.units[h] < remaining ? m.units[h] : remaining;
      if (units < m.units[h]) stats.capped++;
      remaining -= units;
      credited.add(holderId);
      credits.push([BigInt(holderId), units, slaCredit(units, RATE, from, to), remaining]);
    }

    const receipt = (await (await send()).wait())!;
    const events = receipt.logs.map((log) => f.capacity.interface.parseLog(log)).filter((parsed) => parsed !== null);
    const recorded = events.find((e) => e.name === "SlaBreachRecorded")!;
    expect(recorded.args.toArray()).to.deep.equal([
      breachId,
      f.sliceId,
      from,
      to,
      evidence,
      this.byArbiter,
      creditable,
    ]);
    const emitted = events.filter((e) => e.name === "SlaCredited").map((e) => e.args.toArray());
    expect(emitted).to.deep.equal(credits.map(([id, units, credit, left]) => [breachId, id, units, credit, left]));

    // Commit: the breach's units come from the events, its cap from the model's balances at the first record.
    if (!b.recorded) Object.assign(b, { recorded: true, cap });
    b.remaining = remaining;
    b.credited = credited;
    for (const [holderId, units, credit] of credits) {
      b.unitsCredited += units;
      m.positions[0] -= credit;
      m.positions[Number(holderId) - 1] += credit;
      stats.credits++;
    }
  }
  toString = () =>
    `Record(w${this.window}, ${this.byArbiter ? "arbiter" : "issuer"}, e${this.evidence}, [${this.holders}])`;
}

const checked = (command: fc.AsyncCommand<Model, Real>) => checkedCommand(command, stats, check);

/**
 * The capacity fixture plus operator delta (admin dave); bob holds 4 slice units, carol 3 and dave 1, alice (the
 * issuer's admin) 12, and the clock stands past every window.
 */
async function slaFixture(): Promise<CapacityFixture & { validFrom: bigint }> {
  const f = await deployCapacityFixture();
  const a = f.accounts;
  await f.registry.connect(a.registrar).registerOperator([encodeTadig("FRAXX")], a.dave, a.dave, [a.spareSigner], "");
  for (const [to, units] of [
    [a.bob, 4n],
    [a.carol, 3n],
    [a.dave, 1n],
  ] as const) {
    await f.capacity.connect(a.alice).safeTransferFrom(a.alice, to, f.sliceId, units, "0x");
  }
  await f.capacity.connect(a.alice).mint(f.sliceId, a.alice, 10n, "0x");
  const validFrom = BigInt(f.slice.validFrom);
  await time.increaseTo(validFrom + BigInt(6 * HOUR));
  return { ...f, validFrom };
}

describe("Invariants: SLA credits of CapacityToken (model-based random sequences)", () => {
  it(`should credit no breach more units than were held outside the issuer at its first record, over ${SEQUENCES} sequences`, async () => {
    const person = fc.nat(PEOPLE - 1);
    const member = fc.nat(OUTSIDER - 1);
    const amount = fc.oneof(fc.bigInt(1n, 4n), fc.bigInt(1n, 4n), fc.bigInt(1n, 4n), fc.bigInt(0n, 40n));
    // Mostly distinct holders that can be credited, in any order; sometimes the issuer, the outsider or a repeat.
    const holders = fc.oneof(
      { arbitrary: fc.shuffledSubarray([1, 2, 3], { maxLength: 2 }), weight: 3 },
      { arbitrary: fc.array(fc.constantFrom(0, 1, 2, 3, OUTSIDER), { maxLength: 3 }), weight: 1 },
    );
    // Windows that repeat often, so breaches are recorded over several calls with units moving in between.
    const window = fc.constantFrom(0, 0, 0, 1, 2, 3);
    // Units flow from the issuer (and between holders) after a breach's first record: the credits they could inflate.
    const sender = fc.constantFrom(0, 0, 1, 2, 3);
    const transfer = fc.tuple(sender, person, amount).map(([a, b, n]) => new Transfer(a, b, n));
    const record = fc
      .tuple(window, fc.boolean(), fc.nat(1), holders)
      .map(([w, arb, e, hs]) => new Record(w, arb, e, hs));
    const commands = [
      fc.tuple(person, amount).map(([to, n]) => new Mint(to, n)),
      transfer,
      transfer,
      transfer,
      fc.tuple(member, amount).map(([w, n]) => new Redeem(w, n)),
      record,
      record,
      record,
    ].map((arb) => arb.map(checked));

    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: DEPTH, size: "max" }), async (cmds) => {
        const f = await loadFixture(slaFixture);
        const a = f.accounts;
        const positions = await Promise.all([1, 2, 3, 4].map((id) => f.vault.openPositionOf(id, f.usdc)));
        const model: Model = {
          units: [12n, 4n, 3n, 1n, 0n],
          minted: 20n,
          breaches: WINDOWS.map(() => ({
            recorded: false,
            cap: 0n,
            remaining: 0n,
            credited: new Set<number>(),
            unitsCredited: 0n,
          })),
          positions,
        };
        const real: Real = { f, people: [a.alice, a.bob, a.carol, a.dave, a.eve], validFrom: f.validFrom };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: SEQUENCES },
    );
    console.log(
      `      SLA invariant campaign: ${stats.actions} actions, ${stats.credits} credits (${stats.capped} capped by ` +
        `the breach), ${stats.refused} refused as predicted (${stats.exhausted} fully credited)`,
    );
  });
});
