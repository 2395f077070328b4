/**
 * `roamledger agreement show|amend sign|amend submit|terminate` and `tariff show`: agreements after their offer was
 * accepted. An amendment is signed by one signer key of each party (EIP-712, as offers are), then anyone submits it
 * with both signatures: `amend sign` writes or completes the amendment file, `amend submit` sends it.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";

import {
  AgreementsClient,
  type AgreementInfo,
  RegistryClient,
  unitsToDecimal,
  OperatorRegistry__factory,
  hashAgreementAmendment,
  hashAgreementTerms,
  normalizeAmendment,
  normalizeTerms,
  recoverAmendmentSigner,
  type AgreementAmendment,
  type AgreementTerms,
  type NormalizedAmendment,
  type NormalizedTerms,
} from "@roamledger/sdk";
import { parseBytes32, publishedTariff, tokenDecimals } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { eventRange } from "../events";
import { asObject, readJsonFile, writeJsonFile } from "../json";
import { chainNow, group, isoUtc, jsonArg, parseTime } from "../ops";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const agreement = program.command("agreement").description("agreements: show, amend (both parties), terminate");
  agreement
    .command("show <agreementId>")
    .description("an agreement: parties (TADIG), status, dates (UTC), the terms in force and the latest version")
    .action(action(show));
  const amend = agreement
    .command("amend")
    .description("new terms signed by a signer key of each party, then submitted by anyone (sign, then submit)");
  amend
    .command("sign <agreementId>")
    .description(
      "sign an amendment with the signer key (--key) of either party. Without --file existing: build it from --terms " +
        "(the fields that change, merged over the latest version's terms) and write it there; with it: add this " +
        "party's signature. Re-run: a signature already there is reported, not added twice",
    )
    .requiredOption("--file <amendment.json>", "the amendment file (written, or completed)")
    .option("--terms <json>", "the new terms, or the fields that change (inline JSON or a file)")
    .option("--effective-from <time>", "a period boundary in the future (ISO-8601 UTC or Unix; default: the next)")
    .action(action(sign));
  amend
    .command("submit <amendment.json>")
    .description("submit an amendment signed by both parties (anyone); re-run: an amendment recorded is not sent again")
    .action(action(submit));
  agreement
    .command("terminate <agreementId>")
    .description(
      "give notice as the admin of a party: the agreement ends at --end-at (default: the first period boundary the " +
        "notice period allows); re-run: an agreement already terminated is reported, nothing sent",
    )
    .option("--end-at <time>", "when it ends (ISO-8601 UTC or Unix seconds)")
    .action(action(terminate));

  group(program, "tariff", "tariffs (price lists) agreements refer to")
    .command("show <tariffId>")
    .description("a published tariff: when, whether usable as a base tariff, its plans (prices in --token's decimals)")
    .option("--token <address>", "show prices in this ERC-20's decimals (default: base units)")
    .action(action(showTariff));
}

/*//////////////////////////////////////////////////////////////////////////
                                    READS
//////////////////////////////////////////////////////////////////////////*/

async function reader(ctx: Context): Promise<AgreementsClient> {
  return new AgreementsClient((await ctx.addresses()).agreements, await ctx.provider());
}

async function tadigsOf(ctx: Context, operatorId: bigint): Promise<string[]> {
  const registry = new RegistryClient((await ctx.addresses()).registry, await ctx.provider());
  return (await registry.getOperator(operatorId)).tadigs;
}

/** Terms for output: dates in ISO-8601 UTC and commitments in token decimals besides their base units. */
function termsView(terms: NormalizedTerms, decimals: number): Record<string, unknown> {
  return {
    ...terms,
    validFromIso: isoUtc(terms.validFrom),
    validUntilIso: isoUtc(terms.validUntil),
    conditions: terms.conditions.map((c) => ({ ...c, commitmentDecimal: unitsToDecimal(c.commitment, decimals) })),
  };
}

async function show(ctx: Context, idArg: string): Promise<void> {
  const agreementId = parseBytes32(idArg, "agreementId");
  const agreements = await reader(ctx);
  const info = await agreements.getAgreement(agreementId);
  const now = await chainNow(ctx);
  const inForceVersion = now < info.validFrom ? 0n : await agreements.versionAt(agreementId, now);
  const latest = await agreements.getTerms(agreementId, info.latestVersion, eventRange(ctx));
  const inForce =
    inForceVersion === info.latestVersion
      ? latest
      : await agreements.getTerms(agreementId, inForceVersion, eventRange(ctx));
  const decimals = await tokenDecimals(await ctx.provider(), latest.token);
  const [tadigsA, tadigsB] = [await tadigsOf(ctx, info.partyA), await tadigsOf(ctx, info.partyB)];
  const expired = now >= info.validUntil;
  const data = {
    agreementId,
    partyA: { operatorId: info.partyA, tadigs: tadigsA },
    partyB: { operatorId: info.partyB, tadigs: tadigsB },
    status: expired ? "expired" : info.status,
    validFrom: isoUtc(info.validFrom),
    validUntil: isoUtc(info.validUntil),
    acceptedAt: isoUtc(info.acceptedAt),
    periodLength: info.periodLength,
    latestVersion: info.latestVersion,
    versionInForce: inForceVersion,
    token: latest.token,
    decimals,
    terms: termsView(inForce, decimals),
    latestTerms: termsView(latest, decimals),
  };
  const c = (t: NormalizedTerms, i: 0 | 1) =>
    `direction ${i}: base tariff ${t.baseTariff[i]}, commitment ${unitsToDecimal(t.conditions[i].commitment, decimals)}`;
  ctx.out.result(data, [
    `agreement ${agreementId} (${data.status})`,
    `  party A     #${info.partyA} ${tadigsA.join(", ")}`,
    `  party B     #${info.partyB} ${tadigsB.join(", ")}`,
    `  valid       ${data.validFrom} to ${data.validUntil} (accepted ${data.acceptedAt})`,
    `  period      ${info.periodLength} s; notice ${inForce.noticePeriod} s; dispute window ${inForce.disputeWindow} s`,
    `  token       ${latest.token} (${decimals} decimals)`,
    `  version     ${inForceVersion} in force, ${info.latestVersion} latest`,
    `  ${c(inForce, 0)}`,
    `  ${c(inForce, 1)}`,
  ]);
}

async function showTariff(ctx: Context, idArg: string, opts: { token?: string }): Promise<void> {
  const tariffId = parseBytes32(idArg, "tariffId");
  const agreements = await reader(ctx);
  const record = await agreements.getTariffRecord(tariffId);
  if (record.publishedAt === 0n) {
    throw new CliUserError(`tariffId: tariff ${tariffId} was never published on this chain`, "tariffId");
  }
  const tariff = await publishedTariff(ctx, agreements, tariffId);
  const decimals = opts.token === undefined ? 0 : await tokenDecimals(await ctx.provider(), opts.token);
  const price = (v: bigint) => unitsToDecimal(v, decimals);
  // The enums as bigints, written as decimal strings like every other integer of the JSON output.
  const plans = tariff.plans.map((p) => ({
    ...p,
    service: BigInt(p.service),
    kind: BigInt(p.kind),
    tiers: p.tiers.map((t) => ({
      ...t,
      fixedPriceDecimal: price(t.fixedPrice),
      linearPriceDecimal: price(t.linearPrice),
    })),
  }));
  ctx.out.result(
    {
      tariffId,
      publishedAt: isoUtc(record.publishedAt),
      usableAsBase: record.usableAsBase,
      decimals: opts.token === undefined ? undefined : decimals,
      plans,
    },
    [
      `tariff ${tariffId}: published ${isoUtc(record.publishedAt)}${record.usableAsBase ? ", usable as base" : ""}`,
      ...tariff.plans.map(
        (p) =>
          `  service ${p.service} kind ${p.kind} increment ${p.increment}: ` +
          p.tiers.map((t) => `from ${t.start}: ${price(t.fixedPrice)} + ${price(t.linearPrice)}/unit`).join("; "),
      ),
    ],
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                  AMENDMENTS
//////////////////////////////////////////////////////////////////////////*/

/** An amendment file: what both parties sign, the new terms, and the signatures gathered so far. */
interface AmendmentFile {
  amendment: NormalizedAmendment;
  amendmentHash: string;
  newTerms: NormalizedTerms;
  signatureA?: string;
  signatureB?: string;
}

function readAmendment(file: string): AmendmentFile {
  const raw = asObject(readJsonFile(file, "amendment file"), "amendment file");
  const amendment = normalizeAmendment(raw.amendment as AgreementAmendment, "amendment");
  const newTerms = normalizeTerms(raw.newTerms as AgreementTerms, "newTerms");
  if (hashAgreementTerms(newTerms) !== amendment.newTermsHash) {
    throw new CliUserError("newTerms: do not hash to amendment.newTermsHash", "newTerms");
  }
  const sig = (name: "signatureA" | "signatureB") => {
    const v = raw[name];
    if (v !== undefined && (typeof v !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(v))) {
      throw new CliUserError(`${name}: not a 65-byte hex signature`, name);
    }
    return v as string | undefined;
  };
  return {
    amendment,
    amendmentHash: hashAgreementAmendment(amendment),
    newTerms,
    signatureA: sig("signatureA"),
    signatureB: sig("signatureB"),
  };
}

/** The first period boundary after `now`, not before the latest version's start. */
function nextBoundary(info: AgreementInfo, now: bigint, notBefore: bigint): bigint {
  const k = now < info.validFrom ? 0n : (now - info.validFrom) / info.periodLength + 1n;
  let at = info.validFrom + k * info.periodLength;
  while (at < notBefore) at += info.periodLength;
  return at;
}

async function buildAmendment(
  ctx: Context,
  agreements: AgreementsClient,
  agreementId: string,
  opts: { terms?: string; effectiveFrom?: string },
): Promise<AmendmentFile> {
  if (opts.terms === undefined) {
    throw new CliUserError("--terms: required to start an amendment (the --file does not exist yet)", "terms");
  }
  const patch = jsonArg(opts.terms, "terms");
  const info = await agreements.getAgreement(agreementId);
  const current = await agreements.getTerms(agreementId, info.latestVersion, eventRange(ctx));
  const newTerms = normalizeTerms({ ...current, ...patch } as unknown as AgreementTerms, "terms");
  const latestStart = (await agreements.contract.termsVersion(agreementId, info.latestVersion)).effectiveFrom;
  const effectiveFrom =
    opts.effectiveFrom === undefined
      ? nextBoundary(info, await chainNow(ctx), latestStart)
      : parseTime(opts.effectiveFrom, "effective-from");
  const amendment = normalizeAmendment({
    agreementId,
    baseVersion: info.latestVersion,
    newTermsHash: hashAgreementTerms(newTerms),
    effectiveFrom,
  });
  return { amendment, amendmentHash: hashAgreementAmendment(amendment), newTerms };
}

async function sign(
  ctx: Context,
  idArg: string,
  opts: { file: string; terms?: string; effectiveFrom?: string },
): Promise<void> {
  const agreementId = parseBytes32(idArg, "agreementId");
  const agreements = await reader(ctx);
  let doc: AmendmentFile;
  if (existsSync(opts.file)) {
    doc = readAmendment(opts.file);
    if (doc.amendment.agreementId !== agreementId) {
      throw new CliUserError(`file: amends agreement ${doc.amendment.agreementId}, not ${agreementId}`, "file");
    }
    if (opts.terms !== undefined || opts.effectiveFrom !== undefined) {
      const wanted = await buildAmendment(ctx, agreements, agreementId, { ...opts, terms: opts.terms ?? "{}" });
      if (wanted.amendmentHash !== doc.amendmentHash) {
        throw new CliUserError("terms: differ from the amendment in --file (drop --terms to sign that one)", "terms");
      }
    }
  } else {
    doc = await buildAmendment(ctx, agreements, agreementId, opts);
  }
  const info = await agreements.getAgreement(agreementId);
  const signer = await ctx.signer();
  const registry = OperatorRegistry__factory.connect((await ctx.addresses()).registry, await ctx.provider());
  const isKeyOf = async (operatorId: bigint) => (await registry.accessOf(signer.address, operatorId))[1];
  const party = (await isKeyOf(info.partyA)) ? "A" : (await isKeyOf(info.partyB)) ? "B" : undefined;
  if (party === undefined) {
    throw new CliUserError(
      `key: ${signer.address} is not an active signer key of party A (#${info.partyA}) or B (#${info.partyB})`,
      "key",
    );
  }
  const field = party === "A" ? "signatureA" : "signatureB";
  const domain = await agreements.domain();
  const existing = doc[field];
  const base = { agreementId, amendmentHash: doc.amendmentHash, party, file: opts.file };
  const summary = {
    effectiveFrom: isoUtc(doc.amendment.effectiveFrom),
    baseVersion: doc.amendment.baseVersion,
    signedByA: doc.signatureA !== undefined,
    signedByB: doc.signatureB !== undefined,
  };
  if (existing !== undefined && recoverAmendmentSigner(domain, doc.amendment, existing) === signer.address) {
    ctx.out.result({ ...base, ...summary, status: "already-done" }, [
      `party ${party} already signed amendment ${doc.amendmentHash} in ${opts.file}; nothing changed`,
    ]);
    return;
  }
  doc = { ...doc, [field]: await agreements.signAmendment(signer, doc.amendment) };
  writeJsonFile(opts.file, doc);
  const complete = doc.signatureA !== undefined && doc.signatureB !== undefined;
  ctx.out.result(
    {
      ...base,
      ...summary,
      signedByA: doc.signatureA !== undefined,
      signedByB: doc.signatureB !== undefined,
      status: "signed",
    },
    [
      `party ${party} signed amendment ${doc.amendmentHash} (effective ${summary.effectiveFrom}) in ${opts.file}`,
      complete ? "  both parties signed: run `agreement amend submit`" : "  the other party signs next",
    ],
  );
}

async function submit(ctx: Context, file: string): Promise<void> {
  const doc = readAmendment(file);
  const { agreementId, baseVersion, newTermsHash } = doc.amendment;
  const agreements = await reader(ctx);
  const info = await agreements.getAgreement(agreementId);
  const version = baseVersion + 1n;
  if (info.latestVersion >= version && (await agreements.termsHash(agreementId, version)) === newTermsHash) {
    ctx.out.result({ status: "already-done", agreementId, version, amendmentHash: doc.amendmentHash }, [
      `amendment ${doc.amendmentHash} is recorded as version ${version} of agreement ${agreementId}; nothing sent`,
    ]);
    return;
  }
  for (const name of ["signatureA", "signatureB"] as const) {
    if (doc[name] === undefined) throw new CliUserError(`${name}: missing (the party has not signed)`, name);
  }
  const currentTerms = await agreements.getTerms(agreementId, baseVersion, eventRange(ctx));
  const { version: recorded, receipt } = await agreements.connect(await ctx.runner()).amend({
    amendment: doc.amendment,
    currentTerms,
    newTerms: doc.newTerms,
    signatureA: doc.signatureA as string,
    signatureB: doc.signatureB as string,
  });
  const effectiveFrom = isoUtc(doc.amendment.effectiveFrom);
  ctx.out.result(
    {
      status: "done",
      agreementId,
      version: recorded,
      effectiveFrom,
      amendmentHash: doc.amendmentHash,
      txHash: receipt.hash,
    },
    [`amended agreement ${agreementId}: version ${recorded} from ${effectiveFrom}`, `  tx ${receipt.hash}`],
  );
}

/*//////////////////////////////////////////////////////////////////////////
                                 TERMINATION
//////////////////////////////////////////////////////////////////////////*/

async function terminate(ctx: Context, idArg: string, opts: { endAt?: string }): Promise<void> {
  const agreementId = parseBytes32(idArg, "agreementId");
  const explicitEnd = opts.endAt === undefined ? undefined : parseTime(opts.endAt, "end-at");
  const agreements = await reader(ctx);
  const info = await agreements.getAgreement(agreementId);
  if (info.status === "terminated") {
    ctx.out.result({ status: "already-done", agreementId, endAt: isoUtc(info.validUntil) }, [
      `agreement ${agreementId} was terminated already: it ends ${isoUtc(info.validUntil)}; nothing sent`,
    ]);
    return;
  }
  const now = await chainNow(ctx);
  const version = now < info.validFrom ? 0n : await agreements.versionAt(agreementId, now);
  const terms = await agreements.getTerms(agreementId, version, eventRange(ctx));
  let endAt = explicitEnd;
  if (endAt === undefined) {
    const earliest = now + 1n + terms.noticePeriod > info.validFrom ? now + 1n + terms.noticePeriod : info.validFrom;
    endAt = nextBoundary(info, earliest - 1n, earliest);
    if (endAt > info.validUntil) endAt = info.validUntil;
  }
  const receipt = await agreements.connect(await ctx.runner()).terminate(agreementId, terms, endAt);
  ctx.out.result({ status: "done", agreementId, endAt: isoUtc(endAt), txHash: receipt.hash }, [
    `gave notice on agreement ${agreementId}: it ends ${isoUtc(endAt)}`,
    `  tx ${receipt.hash}`,
  ]);
}
