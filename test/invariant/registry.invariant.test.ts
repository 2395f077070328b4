import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { encodeTadig } from "../../sdk/src/tadig";
import type { OperatorRegistry } from "../../sdk/src/typechain";
import { campaignSize } from "../helpers/campaign";
import { deployWith, namedAccounts, roleHolders } from "../helpers/fixtures";

/**
 * Model-based random sequences against the OperatorRegistry; the invariants are written in words in
 * test/invariant/README.md. The governor acts with a zero execution delay here (the delay is tested in the unit
 * tests), so that every action is one transaction.
 */

const RUNS = campaignSize("INVARIANT_RUNS", 40, 5);
const DEPTH = campaignSize("INVARIANT_DEPTH", 40, 40);

/** Codes the actions draw from: few, so that collisions are frequent; one is malformed. */
const CODES = [
  "DEUD1",
  "DEUD2",
  "GBRCN",
  "GBRC2",
  "KENCN",
  "FRAF1",
  "USACG",
  "ITAWI",
  "ESPTE",
  "BRAV1",
  "INDA1",
  "deud1",
];
const raw = (s: string) => ethers.hexlify(ethers.toUtf8Bytes(s));
const codeHex = (s: string) => (/^[A-Z]{3}[A-Z0-9]{2}$/.test(s) ? encodeTadig(s) : raw(s));
/** Signer keys (they never send transactions, so plain addresses). */
const KEYS = Array.from({ length: 10 }, (_, i) => ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`));

const ACTIVE = 1;
const SUSPENDED = 2;
const EXITED = 3;

interface ModelOperator {
  admin: string;
  pending: string;
  status: number;
  codes: string[];
  keys: Map<string, boolean>; // key -> revoked
}

interface Model {
  operators: ModelOperator[]; // id = index + 1
  codeOwner: Map<string, number>;
  keyOwner: Map<string, number>;
  adminOf: Map<string, number>;
}

interface Real {
  registry: OperatorRegistry;
  registrar: HardhatEthersSigner;
  pauser: HardhatEthersSigner;
  governor: HardhatEthersSigner;
  eve: HardhatEthersSigner;
  admins: HardhatEthersSigner[];
  actions: { count: number; reverted: number };
}

/** The name of the custom error a failed call reverted with. */
function errorName(registry: OperatorRegistry, err: unknown): string {
  const data = (err as { data?: string }).data;
  if (typeof data !== "string") throw err;
  const parsed = registry.interface.parseError(data);
  if (parsed === null) throw err;
  return parsed.name;
}

/** Sends the action; asserts it succeeds when `expected` is undefined, else that it reverts with that error. */
async function expectOutcome(real: Real, send: () => Promise<unknown>, expected: string | undefined): Promise<void> {
  real.actions.count++;
  let failure: string | undefined;
  try {
    await (send() as Promise<{ wait(): Promise<unknown> }>).then((tx) => tx.wait());
  } catch (err) {
    failure = errorName(real.registry, err);
  }
  if (failure !== undefined) real.actions.reverted++;
  expect(failure, "outcome").to.equal(expected);
}

function op(model: Model, id: number): ModelOperator | undefined {
  return model.operators[id - 1];
}

const isValidCode = (c: string) => /^[A-Z]{3}[A-Z0-9]{2}$/.test(c);

/** Checks that the contract agrees with the model and that the invariants hold on the contract's views. */
async function checkInvariants(model: Model, real: Real): Promise<void> {
  const { registry } = real;
  expect(await registry.operatorCount()).to.equal(BigInt(model.operators.length)); // 7
  const [page] = await registry.listOperators(0, 100);
  for (let i = 0; i < model.operators.length; i++) {
    const m = model.operators[i];
    const c = page[i];
    const id = BigInt(i + 1);
    expect(c.id).to.equal(id);
    expect(Number(c.status)).to.equal(m.status); // 6
    expect(c.admin).to.equal(m.admin);
    expect(c.pendingAdmin).to.equal(m.pending);
    expect([...c.tadigs].sort()).to.deep.equal(m.codes.map(codeHex).sort());
    expect(c.tadigs.length).to.be.within(1, 16); // 2
    const active = [...m.keys.values()].filter((revoked) => !revoked).length;
    expect(c.activeSigners).to.equal(BigInt(active)); // 3
    expect(active).to.be.at.most(16);
    expect(await registry.operatorOfAdmin(c.admin)).to.equal(id); // 5
    for (const code of c.tadigs) expect(await registry.operatorOfTadig(code)).to.equal(id); // 1
  }
  for (const code of CODES) {
    const owner = model.codeOwner.get(code);
    if (owner === undefined) {
      await expect(registry.operatorOfTadig(codeHex(code))).to.be.revertedWithCustomError(
        registry,
        "OperatorRegistry_UnknownTadig",
      );
    } else {
      expect(await registry.operatorOfTadig(codeHex(code))).to.equal(BigInt(owner));
    }
  }
  for (const key of KEYS) {
    const owner = model.keyOwner.get(key) ?? 0;
    const record = await registry.signerKey(key);
    expect(record.operatorId).to.equal(BigInt(owner)); // 4
    const revoked = owner === 0 ? false : op(model, owner)!.keys.get(key)!;
    expect(record.revokedAt > 0n).to.equal(revoked);
    expect(await registry.isSigner(owner, key)).to.equal(owner !== 0 && !revoked);
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class Register implements Cmd {
  constructor(
    readonly codes: string[],
    readonly admin: number,
    readonly keys: string[],
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const admin = real.admins[this.admin].address;
    const newId = model.operators.length + 1;
    let expected: string | undefined;
    if (this.keys.length === 0) expected = "OperatorRegistry_SignerCount";
    else if (model.adminOf.has(admin)) expected = "OperatorRegistry_AdminTaken";
    const seen = new Set<string>();
    for (const c of this.codes) {
      if (expected) break;
      if (!isValidCode(c)) expected = "OperatorRegistry_InvalidTadig";
      else if (model.codeOwner.has(c) || seen.has(c)) expected = "OperatorRegistry_TadigTaken";
      seen.add(c);
    }
    const seenKeys = new Set<string>();
    for (const k of this.keys) {
      if (expected) break;
      if (model.keyOwner.has(k) || seenKeys.has(k)) expected = "OperatorRegistry_SignerTaken";
      seenKeys.add(k);
    }
    await expectOutcome(
      real,
      () =>
        real.registry.connect(real.registrar).registerOperator(this.codes.map(codeHex), admin, admin, this.keys, ""),
      expected,
    );
    if (expected === undefined) {
      model.operators.push({
        admin,
        pending: ethers.ZeroAddress,
        status: ACTIVE,
        codes: [...this.codes],
        keys: new Map(this.keys.map((k) => [k, false])),
      });
      for (const c of this.codes) model.codeOwner.set(c, newId);
      for (const k of this.keys) model.keyOwner.set(k, newId);
      model.adminOf.set(admin, newId);
    }
    await checkInvariants(model, real);
  }
  toString = () => `register(${this.codes.join("+")}, admin#${this.admin}, keys ${this.keys.length})`;
}

class AddTadig implements Cmd {
  constructor(
    readonly id: number,
    readonly code: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const m = op(model, this.id);
    let expected: string | undefined;
    if (!m) expected = "OperatorRegistry_UnknownOperator";
    else if (m.status === EXITED) expected = "OperatorRegistry_InvalidStatus";
    else if (!isValidCode(this.code)) expected = "OperatorRegistry_InvalidTadig";
    else if (model.codeOwner.has(this.code)) expected = "OperatorRegistry_TadigTaken";
    await expectOutcome(
      real,
      () => real.registry.connect(real.registrar).addTadig(this.id, codeHex(this.code)),
      expected,
    );
    if (expected === undefined) {
      m!.codes.push(this.code);
      model.codeOwner.set(this.code, this.id);
    }
    await checkInvariants(model, real);
  }
  toString = () => `addTadig(${this.id}, ${this.code})`;
}

/**
 * Picks what an action targets when it runs: with `pick` > 0, an item the model says is there (so that most actions
 * can succeed); with `pick` 0 (or nothing to pick), the random `fallback` (so that refusals are exercised too).
 */
function choose<T>(items: T[], pick: number, fallback: T): T {
  return pick === 0 || items.length === 0 ? fallback : items[pick % items.length];
}

class RemoveTadig implements Cmd {
  code = "";
  constructor(
    readonly id: number,
    readonly pick: number,
    readonly fallback: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const m = op(model, this.id);
    this.code = choose(m?.codes ?? [], this.pick, this.fallback);
    let expected: string | undefined;
    if (model.codeOwner.get(this.code) !== this.id) expected = "OperatorRegistry_TadigNotOwned";
    else if (m!.status === EXITED) expected = "OperatorRegistry_InvalidStatus";
    else if (m!.codes.length === 1) expected = "OperatorRegistry_TadigCount";
    await expectOutcome(
      real,
      () => real.registry.connect(real.registrar).removeTadig(this.id, codeHex(this.code)),
      expected,
    );
    if (expected === undefined) {
      m!.codes = m!.codes.filter((c) => c !== this.code);
      model.codeOwner.delete(this.code);
    }
    await checkInvariants(model, real);
  }
  toString = () => `removeTadig(${this.id}, ${this.code})`;
}

class ChangeStatus implements Cmd {
  constructor(
    readonly id: number,
    readonly action: "suspend" | "reinstate" | "exit",
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const m = op(model, this.id);
    const allowed = { suspend: [ACTIVE], reinstate: [SUSPENDED], exit: [ACTIVE, SUSPENDED] }[this.action];
    const target = { suspend: SUSPENDED, reinstate: ACTIVE, exit: EXITED }[this.action];
    let expected: string | undefined;
    if (!m) expected = "OperatorRegistry_UnknownOperator";
    else if (!allowed.includes(m.status)) expected = "OperatorRegistry_InvalidStatus";
    const r = real.registry;
    const send = {
      suspend: () => r.connect(real.pauser).suspendOperator(this.id, ethers.ZeroHash),
      reinstate: () => r.connect(real.governor).reinstateOperator(this.id, ethers.ZeroHash),
      exit: () => r.connect(real.governor).exitOperator(this.id, ethers.ZeroHash),
    }[this.action];
    await expectOutcome(real, send, expected);
    if (expected === undefined) m!.status = target;
    await checkInvariants(model, real);
  }
  toString = () => `${this.action}(${this.id})`;
}

class SignerAction implements Cmd {
  key = "";
  constructor(
    readonly id: number,
    readonly action: "add" | "revoke" | "rotate",
    readonly pick: number,
    readonly fallback: string,
    readonly other: string,
    readonly asAttacker: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const m = op(model, this.id);
    const activeKeys = m ? [...m.keys].filter(([, revoked]) => !revoked).map(([k]) => k) : [];
    this.key = this.action === "add" ? this.fallback : choose(activeKeys, this.pick, this.fallback);
    const caller = this.asAttacker || !m ? real.eve : real.admins.find((s) => s.address === m.admin)!;
    const canAdd = (k: string) => !model.keyOwner.has(k);
    const isActiveKey = (k: string) => model.keyOwner.get(k) === this.id && m!.keys.get(k) === false;
    let expected: string | undefined;
    if (!m || this.asAttacker) expected = "OperatorRegistry_NotAdmin";
    else if (this.action === "add") {
      if (m.status === EXITED) expected = "OperatorRegistry_InvalidStatus";
      else if (!canAdd(this.key)) expected = "OperatorRegistry_SignerTaken";
    } else if (this.action === "revoke") {
      if (!isActiveKey(this.key)) expected = "OperatorRegistry_NotActiveSigner";
    } else {
      if (m.status === EXITED) expected = "OperatorRegistry_InvalidStatus";
      else if (!isActiveKey(this.key)) expected = "OperatorRegistry_NotActiveSigner";
      else if (!canAdd(this.other)) expected = "OperatorRegistry_SignerTaken";
    }
    const r = real.registry.connect(caller);
    const send = {
      add: () => r.addSigner(this.id, this.key),
      revoke: () => r.revokeSigner(this.id, this.key),
      rotate: () => r.rotateSigner(this.id, this.key, this.other),
    }[this.action];
    await expectOutcome(real, send, expected);
    if (expected === undefined) {
      if (this.action === "add") {
        m!.keys.set(this.key, false);
        model.keyOwner.set(this.key, this.id);
      } else {
        m!.keys.set(this.key, true);
        if (this.action === "rotate") {
          m!.keys.set(this.other, false);
          model.keyOwner.set(this.other, this.id);
        }
      }
    }
    await checkInvariants(model, real);
  }
  toString = () =>
    `${this.action}Signer(${this.id}, ${this.key.slice(-1)}${this.action === "rotate" ? "->" + this.other.slice(-1) : ""}${this.asAttacker ? ", as eve" : ""})`;
}

class AdminTransfer implements Cmd {
  constructor(
    readonly id: number,
    readonly newAdmin: number,
    readonly accept: boolean,
    readonly pick: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const m = op(model, this.id);
    const pending = real.admins.filter((s) => this.accept && m !== undefined && s.address === m.pending);
    const candidate = choose(pending, this.pick, real.admins[this.newAdmin]);
    if (!this.accept) {
      let expected: string | undefined;
      if (!m) expected = "OperatorRegistry_NotAdmin";
      else if (model.adminOf.has(candidate.address)) expected = "OperatorRegistry_AdminTaken";
      const caller = m ? real.admins.find((s) => s.address === m.admin)! : real.eve;
      await expectOutcome(real, () => real.registry.connect(caller).transferAdmin(this.id, candidate), expected);
      if (expected === undefined) m!.pending = candidate.address;
    } else {
      let expected: string | undefined;
      if (!m || m.pending !== candidate.address) expected = "OperatorRegistry_NotPendingAdmin";
      else if (model.adminOf.has(candidate.address)) expected = "OperatorRegistry_AdminTaken";
      await expectOutcome(real, () => real.registry.connect(candidate).acceptAdmin(this.id), expected);
      if (expected === undefined) {
        model.adminOf.delete(m!.admin);
        model.adminOf.set(candidate.address, this.id);
        m!.admin = candidate.address;
        m!.pending = ethers.ZeroAddress;
      }
    }
    await checkInvariants(model, real);
  }
  toString = () => `${this.accept ? "acceptAdmin" : "transferAdmin"}(${this.id}, admin#${this.newAdmin})`;
}

async function deployNoDelay() {
  const a = await namedAccounts();
  const { registry } = await deployWith({ ...roleHolders(a), governorDelay: 0 });
  const admins = [a.alice, a.bob, a.carol, a.dave, a.bobPayout, a.alicePayout, a.arbiter, a.spareSigner];
  for (const [codes, admin, keys] of SEED) {
    await registry.connect(a.registrar).registerOperator(codes.map(codeHex), admins[admin], admins[admin], keys, "");
  }
  return { a, registry, admins };
}

/** Every sequence starts from three registered operators, so that most actions have someone to act on. */
const SEED: [string[], number, string[]][] = [
  [["DEUD1"], 0, [KEYS[0]]],
  [["GBRCN", "GBRC2"], 1, [KEYS[1], KEYS[2]]],
  [["KENCN"], 2, [KEYS[3]]],
];

function seededModel(admins: HardhatEthersSigner[]): Model {
  const model: Model = { operators: [], codeOwner: new Map(), keyOwner: new Map(), adminOf: new Map() };
  SEED.forEach(([codes, admin, keys], i) => {
    const id = i + 1;
    model.operators.push({
      admin: admins[admin].address,
      pending: ethers.ZeroAddress,
      status: ACTIVE,
      codes: [...codes],
      keys: new Map(keys.map((k) => [k, false])),
    });
    for (const c of codes) model.codeOwner.set(c, id);
    for (const k of keys) model.keyOwner.set(k, id);
    model.adminOf.set(admins[admin].address, id);
  });
  return model;
}

describe("Invariants: OperatorRegistry (model-based random sequences)", () => {
  it(`should hold over ${RUNS} random sequences of up to ${DEPTH} actions`, async () => {
    // Mostly operators that may exist; sometimes 0 or an id past the last, which are unknown.
    const ids = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1, max: 3 }) }, // the seeded operators
      { weight: 3, arbitrary: fc.integer({ min: 4, max: 6 }) }, // operators the sequence may register
      { weight: 1, arbitrary: fc.constantFrom(0, 99) }, // never registered
    );
    const code = fc.constantFrom(...CODES);
    const key = fc.constantFrom(...KEYS);
    const admin = fc.integer({ min: 0, max: 7 });
    const pick = fc.integer({ min: 0, max: 3 }); // 0: a random target; 1-3: one the model says is there
    const commands = [
      fc
        .tuple(fc.array(code, { minLength: 1, maxLength: 3 }), admin, fc.array(key, { maxLength: 2 }))
        .map(([c, ad, k]) => new Register(c, ad, k)),
      fc.tuple(ids, code).map(([i, c]) => new AddTadig(i, c)),
      fc.tuple(ids, pick, code).map(([i, p, c]) => new RemoveTadig(i, p, c)),
      fc
        .tuple(ids, fc.constantFrom("suspend" as const, "reinstate" as const, "exit" as const))
        .map(([i, s]) => new ChangeStatus(i, s)),
      fc
        .tuple(
          ids,
          fc.constantFrom("add" as const, "revoke" as const, "rotate" as const),
          pick,
          key,
          key,
          fc.integer({ min: 0, max: 4 }).map((x) => x === 0), // one time in five, the attacker calls
        )
        .map(([i, act, p, k, o, eve]) => new SignerAction(i, act, p, k, o, eve)),
      fc.tuple(ids, admin, fc.boolean(), pick).map(([i, ad, acc, p]) => new AdminTransfer(i, ad, acc, p)),
    ];

    const actions = { count: 0, reverted: 0 };
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: DEPTH, size: "max" }), async (cmds) => {
        const { a, registry, admins } = await loadFixture(deployNoDelay);
        const real: Real = {
          registry,
          registrar: a.registrar,
          pauser: a.pauser,
          governor: a.governor,
          eve: a.eve,
          admins,
          actions,
        };
        const model = seededModel(admins);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: RUNS },
    );
    console.log(
      `      registry invariant campaign: ${actions.count} actions (${actions.reverted} reverted as predicted)`,
    );
    expect(actions.count).to.be.greaterThan(RUNS);
  });
});
