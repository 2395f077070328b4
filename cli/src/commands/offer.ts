/** `roamledger offer create|accept`: signed agreement offers. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";

import {
  AgreementsClient,
  hashAgreementOffer,
  randomNonce,
  type AgreementOffer,
  type AgreementTerms,
} from "@roamledger/sdk";
import { parseUint } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { asObject, readJsonFile, toJson } from "../json";
import type { Action } from "../program";

const WEEK = 7n * 24n * 3600n;

export function register(program: Command, action: Action): void {
  const offer = program.command("offer").description("agreement offers: create (sign) and accept");
  offer
    .command("create <terms>")
    .description("sign an offer of the AgreementTerms in <terms> (JSON) with the signer key (--key) and write it")
    .option("--counterparty <operatorId>", "the operator that may accept (0: any operator, an open offer)", "0")
    .option("--expiry <unix>", "last second the offer may be accepted (default: a week from now)")
    .option("--nonce <n>", "the offer's nonce (default: random)")
    .option("--out <file>", "write the signed offer there (default: print it)")
    .action(action(create));
  offer
    .command("accept <signedOffer>")
    .description("accept a signed offer (JSON from `offer create`) as the admin of the accepting operator")
    .action(action(accept));
}

async function client(ctx: Context): Promise<AgreementsClient> {
  return new AgreementsClient((await ctx.addresses()).agreements, await ctx.provider());
}

async function create(
  ctx: Context,
  termsFile: string,
  opts: { counterparty: string; expiry?: string; nonce?: string; out?: string },
): Promise<void> {
  const terms = asObject(readJsonFile(termsFile, "terms"), "terms") as unknown as AgreementTerms;
  const agreements = await client(ctx);
  const now = BigInt((await (await ctx.provider()).getBlock("latest"))?.timestamp ?? 0);
  const offer: AgreementOffer = {
    terms,
    counterparty: parseUint(opts.counterparty, "counterparty"),
    expiry: opts.expiry === undefined ? now + WEEK : parseUint(opts.expiry, "expiry"),
    nonce: opts.nonce === undefined ? randomNonce() : parseUint(opts.nonce, "nonce"),
  };
  const signer = await ctx.signer();
  const signature = await agreements.signOffer(signer, offer);
  const signed = { offer, signature, offerHash: hashAgreementOffer(offer), signer: signer.address };
  if (opts.out !== undefined) writeFileSync(opts.out, toJson(signed) + "\n");
  ctx.out.result(
    { ...signed, file: opts.out },
    opts.out === undefined ? toJson(signed) : `signed offer ${signed.offerHash} written to ${opts.out}`,
  );
}

async function accept(ctx: Context, file: string): Promise<void> {
  const signed = asObject(readJsonFile(file, "signed offer"), "signed offer");
  if (typeof signed.signature !== "string") throw new CliUserError("signed offer: no signature", "signature");
  const offer = asObject(signed.offer, "signed offer.offer") as unknown as AgreementOffer;
  const agreements = (await client(ctx)).connect(await ctx.runner());
  const { agreementId, receipt } = await agreements.acceptOffer(offer, signed.signature);
  ctx.out.result({ agreementId, offerHash: hashAgreementOffer(offer), txHash: receipt.hash }, [
    `accepted: agreement ${agreementId}`,
    `  tx ${receipt.hash}`,
  ]);
}
