/**
 * `roamledger capacity class create|mint|redeem|sla-breach`: capacity classes (ERC-1155) as their issuer and holders
 * use them. A class id is the hash of its terms and a breach id the hash of (class, from, to), so a re-run finds what
 * was done on chain; mints and redemptions are journaled once-only (see `../ops.ts`).
 */
import type { Command } from "commander";
import { isHexString, keccak256, toUtf8Bytes, ZeroHash, type Result } from "ethers";

import {
  CapacityKind,
  emptySlice,
  emptySpectrum,
  encodeLabel,
  normalizeClassTerms,
  type ClassTerms,
  CapacityClient,
  slaBreachIdOf,
  RegistryClient,
  OperatorRegistry__factory,
} from "@roamledger/sdk";
import { parseAddress, parseUint } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { chainNow, isoUtc, journaledOnce, jsonArg, parseTime } from "../ops";
import { readEvents } from "../events";
import type { Action } from "../program";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command, action: Action): void {
  const capacity = program.command("capacity").description("capacity classes: create, mint, redeem, SLA breaches");
  capacity
    .command("class")
    .description("capacity classes")
    .command("create")
    .description(
      "create a class as its issuer's admin from --terms (ClassTerms JSON: kind by name or 0-4, unit and region as " +
        "labels, times ISO-8601 UTC or Unix; issuerId defaults to your operator). Its id is the hash of the terms: " +
        "a re-run finds the class and sends nothing",
    )
    .requiredOption("--terms <json>", "the class terms (inline JSON or a file)")
    .option("--uri <uri>", "a metadata URI for this class", "")
    .action(action(createClass));
  capacity
    .command("mint <classId> <units>")
    .description("mint units of a class (its issuer's admin) to --to (default: you); once per --ref (journaled)")
    .option("--to <address>", "an active operator's admin account (default: the sender)")
    .option("--ref <label>", "tells a deliberate repeat from a re-run (default: none)")
    .action(action(mint));
  capacity
    .command("redeem <classId> <units>")
    .description("burn units you hold to use them; once per --ref (journaled)")
    .option("--provisioning-ref <text|bytes32>", "the provisioning request the issuer serves (text is hashed)")
    .option("--ref <label>", "tells a deliberate repeat from a re-run (default: none)")
    .action(action(redeem));
  capacity
    .command("sla-breach <classId>")
    .description(
      "record an SLA breach of a slice class over [--from, --to) as its issuer's admin, crediting the holders; the " +
        "breach id is keccak(classId, from, to): a breach already recorded is reported, nothing sent",
    )
    .requiredOption("--from <time>", "the breach's start (ISO-8601 UTC or Unix seconds)")
    .requiredOption("--to <time>", "its end, exclusive")
    .option("--evidence <text|bytes32>", "the evidence (text is hashed)")
    .option("--holder <address>", "a holder's admin account to credit (repeat; default: every holder now)", collect)
    .action(action(slaBreach));
}

async function client(ctx: Context, write: boolean): Promise<CapacityClient> {
  return new CapacityClient((await ctx.addresses()).capacity, write ? await ctx.runner() : await ctx.provider());
}

/** A bytes32 given as 0x-hex, or text (hashed). */
function bytes32OrText(value: string | undefined, field: string): string {
  if (value === undefined) return ZeroHash;
  if (value.startsWith("0x")) {
    if (!isHexString(value, 32)) throw new CliUserError(`${field}: 0x-hex must be 32 bytes`, field);
    return value.toLowerCase();
  }
  return keccak256(toUtf8Bytes(value));
}

/** A label field: 0x-hex bytes32 as is, text encoded (at most 31 ASCII characters). */
function label(value: unknown, field: string): string {
  if (typeof value !== "string") throw new CliUserError(`terms.${field}: must be a label or 0x-hex bytes32`, field);
  return isHexString(value, 32) ? value : encodeLabel(value, `terms.${field}`);
}

/** A time field of the terms: ISO-8601 text or an integer. */
function time(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(value);
  return parseTime(value as string | undefined, `terms.${field}`);
}

/** ClassTerms from the user's JSON (see `capacity class create --help`), checked field by field. */
function classTermsOf(raw: Record<string, unknown>, issuerId: bigint): ClassTerms {
  const kindArg = raw.kind;
  const kind =
    typeof kindArg === "string" && kindArg in CapacityKind
      ? CapacityKind[kindArg as keyof typeof CapacityKind]
      : kindArg;
  return normalizeClassTerms({
    issuerId: (raw.issuerId as bigint | undefined) ?? issuerId,
    kind: kind as CapacityKind,
    unit: label(raw.unit, "unit"),
    validFrom: time(raw.validFrom, "validFrom"),
    validUntil: time(raw.validUntil, "validUntil"),
    maxSupply: raw.maxSupply as bigint,
    region: raw.region === undefined ? ZeroHash : label(raw.region, "region"),
    salt: raw.salt === undefined ? ZeroHash : bytes32OrText(String(raw.salt), "salt"),
    slice: { ...emptySlice(), ...((raw.slice as object | undefined) ?? {}) },
    spectrum: { ...emptySpectrum(), ...((raw.spectrum as object | undefined) ?? {}) },
  });
}

async function createClass(ctx: Context, opts: { terms: string; uri: string }): Promise<void> {
  const raw = jsonArg(opts.terms, "terms");
  let issuerId = 0n;
  if (raw.issuerId === undefined) {
    const registry = OperatorRegistry__factory.connect((await ctx.addresses()).registry, await ctx.provider());
    issuerId = await registry.operatorOfAdmin((await ctx.signer()).address);
    if (issuerId === 0n)
      throw new CliUserError("terms.issuerId: missing, and the key administers no operator", "issuerId");
  }
  const terms = classTermsOf(raw, issuerId);
  const reader = await client(ctx, false);
  const classId = reader.classIdOf(terms);
  const found = await reader.classInfo(classId);
  const shown = {
    classId,
    issuerId: terms.issuerId,
    validFrom: isoUtc(terms.validFrom as bigint),
    validUntil: isoUtc(terms.validUntil as bigint),
  };
  if (found !== undefined) {
    ctx.out.result({ status: "already-done", ...shown, minted: found.minted }, [
      `class ${classId} exists already (${found.minted} of ${found.maxSupply} minted); nothing sent`,
    ]);
    return;
  }
  const { receipt } = await (await client(ctx, true)).createClass(terms, opts.uri);
  ctx.out.result({ status: "done", ...shown, txHash: receipt.hash }, [
    `created class ${classId}`,
    `  tx ${receipt.hash}`,
  ]);
}

async function mint(ctx: Context, idArg: string, unitsArg: string, opts: { to?: string; ref?: string }): Promise<void> {
  const classId = parseUint(idArg, "classId");
  const units = parseUint(unitsArg, "units");
  if (units === 0n) throw new CliUserError('units: must be at least 1 (got "0")', "units");
  const to = opts.to === undefined ? (await ctx.signer()).address : parseAddress(opts.to, "to");
  const reader = await client(ctx, false);
  const selector = reader.build.mint(classId, to, units).data.slice(0, 10);
  const intent = { command: "capacity mint", selector, classId, to, units, ref: opts.ref };
  const outcome = await journaledOnce(
    ctx,
    intent,
    async (signer) => reader.connect(signer).mint(classId, to, units),
    () => ({}),
  );
  const balance = await reader.balanceOf(to, classId);
  ctx.out.result({ status: outcome.status, classId, to, units, balance, txHash: outcome.txHash }, [
    outcome.status === "done"
      ? `minted ${units} units of class ${classId} to ${to} (it holds ${balance})`
      : `already done by an earlier run: mint ${units} units of class ${classId} to ${to} (tx ${outcome.txHash}); nothing sent`,
  ]);
}

async function redeem(
  ctx: Context,
  idArg: string,
  unitsArg: string,
  opts: { provisioningRef?: string; ref?: string },
): Promise<void> {
  const classId = parseUint(idArg, "classId");
  const units = parseUint(unitsArg, "units");
  if (units === 0n) throw new CliUserError('units: must be at least 1 (got "0")', "units");
  const provisioningRef = bytes32OrText(opts.provisioningRef, "provisioning-ref");
  const reader = await client(ctx, false);
  const selector = reader.build.redeem(classId, units, provisioningRef).data.slice(0, 10);
  const intent = { command: "capacity redeem", selector, classId, units, provisioningRef, ref: opts.ref };
  const outcome = await journaledOnce(
    ctx,
    intent,
    async (signer) => reader.connect(signer).redeem(classId, units, provisioningRef),
    () => ({}),
  );
  const balance = await reader.balanceOf((await ctx.signer()).address, classId);
  ctx.out.result({ status: outcome.status, classId, units, provisioningRef, balance, txHash: outcome.txHash }, [
    outcome.status === "done"
      ? `redeemed ${units} units of class ${classId} (you hold ${balance})`
      : `already done by an earlier run: redeem ${units} units of class ${classId} (tx ${outcome.txHash}); nothing sent`,
  ]);
}

/** The class's terms, from its `ClassCreated` event (the contract stores only their hash). */
async function termsOfClass(ctx: Context, reader: CapacityClient, classId: bigint): Promise<ClassTerms> {
  const created = reader.contract.filters.ClassCreated(classId);
  const events = await readEvents(ctx, (from, to) => reader.contract.queryFilter(created, from, to));
  if (events.length === 0) throw new CliUserError(`classId: no class ${classId} on this chain`, "classId");
  const t = events[0].args.terms as unknown as Result;
  const o = t.toObject(true) as unknown as ClassTerms;
  return normalizeClassTerms({ ...o, kind: Number(o.kind) as CapacityKind });
}

/** The accounts holding units of the class now (from its transfer events), the issuer's admin left out. */
async function holdersOf(
  ctx: Context,
  reader: CapacityClient,
  classId: bigint,
  issuerAdmin: string,
): Promise<string[]> {
  const c = reader.contract;
  const accounts = new Set<string>();
  for (const e of await readEvents(ctx, (from, to) => c.queryFilter(c.filters.TransferSingle(), from, to))) {
    if (e.args.id === classId) accounts.add(e.args.to);
  }
  for (const e of await readEvents(ctx, (from, to) => c.queryFilter(c.filters.TransferBatch(), from, to))) {
    if (e.args.ids.includes(classId)) accounts.add(e.args.to);
  }
  const held: string[] = [];
  for (const a of accounts) {
    if (a.toLowerCase() === issuerAdmin.toLowerCase() || /^0x0{40}$/.test(a)) continue;
    if ((await reader.balanceOf(a, classId)) > 0n) held.push(a);
  }
  return held;
}

async function slaBreach(
  ctx: Context,
  idArg: string,
  opts: { from: string; to: string; evidence?: string; holder?: string[] },
): Promise<void> {
  const classId = parseUint(idArg, "classId");
  const from = parseTime(opts.from, "from");
  const to = parseTime(opts.to, "to");
  if (from >= to) throw new CliUserError(`to: must be after --from (${isoUtc(from)})`, "to");
  const evidence = bytes32OrText(opts.evidence, "evidence");
  const reader = await client(ctx, false);
  const breachId = slaBreachIdOf(classId, from, to);
  const shown = { breachId, classId, from: isoUtc(from), to: isoUtc(to) };
  const record = await reader.slaBreach(breachId);
  if (record.recorded) {
    ctx.out.result({ status: "already-done", ...shown, remaining: record.remaining }, [
      `SLA breach ${breachId} is recorded already (${record.remaining} units still creditable); nothing sent`,
    ]);
    return;
  }
  const terms = await termsOfClass(ctx, reader, classId);
  if (to > (await chainNow(ctx)) + 1n) throw new CliUserError(`to: ${isoUtc(to)} is in the future`, "to");
  const registry = new RegistryClient((await ctx.addresses()).registry, await ctx.provider());
  const issuerAdmin = (await registry.getOperator(terms.issuerId as bigint)).admin;
  const holders =
    opts.holder === undefined
      ? await holdersOf(ctx, reader, classId, issuerAdmin)
      : opts.holder.map((h, i) => parseAddress(h, `holder[${i}]`));
  const result = await (await client(ctx, true)).recordSlaBreach(terms, from, to, evidence, holders);
  ctx.out.result(
    { status: "done", ...shown, creditable: result.creditable, credits: result.credits, txHash: result.receipt.hash },
    [
      `recorded SLA breach ${breachId} of class ${classId} (${shown.from} to ${shown.to})`,
      ...result.credits.map((c) => `  operator #${c.holderId}: ${c.units} units, credit ${c.credit} base units`),
      `  tx ${result.receipt.hash}`,
    ],
  );
}
