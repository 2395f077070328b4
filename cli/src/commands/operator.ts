/** `roamledger operator register|show|keys`: the operator registry. */
import type { Command } from "commander";

import { RegistryClient, type OperatorInfo } from "@roamledger/sdk";
import { parseAddress, parseUint } from "../chain";
import type { Context } from "../context";
import type { Action } from "../program";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command, action: Action): void {
  const operator = program.command("operator").description("the operator registry: register, show, manage keys");
  operator
    .command("register")
    .description("register an operator (the registrar role)")
    .requiredOption("--tadig <code>", "a TADIG code (repeat for several)", collect)
    .requiredOption("--admin <address>", "the account that will manage the operator")
    .option("--payout <address>", "where withdrawals go (default: the admin)")
    .option("--signer <address>", "a signer key of EIP-712 messages (repeat for several)", collect)
    .option("--metadata <uri>", "the operator's metadata URI", "")
    .action(action(registerOperator));
  operator.command("show <idOrTadig>").description("show an operator by id or TADIG code").action(action(show));
  const keys = operator.command("keys").description("the operator's signer keys (its admin)");
  keys
    .command("add <operatorId> <signer>")
    .description("add a signer key")
    .action(action((ctx, id: string, signer: string) => keyChange(ctx, "add", id, [signer])));
  keys
    .command("revoke <operatorId> <signer>")
    .description("revoke a signer key")
    .action(action((ctx, id: string, signer: string) => keyChange(ctx, "revoke", id, [signer])));
  keys
    .command("rotate <operatorId> <oldSigner> <newSigner>")
    .description("replace a signer key by another in one transaction")
    .action(
      action((ctx, id: string, oldKey: string, newKey: string) => keyChange(ctx, "rotate", id, [oldKey, newKey])),
    );
}

async function registry(ctx: Context, write: boolean): Promise<RegistryClient> {
  const { registry: address } = await ctx.addresses();
  return new RegistryClient(address, write ? await ctx.runner() : await ctx.provider());
}

function describe(op: OperatorInfo): string[] {
  return [
    `operator #${op.id} (${op.status})`,
    `  TADIGs      ${op.tadigs.join(", ")}`,
    `  admin       ${op.admin}${op.pendingAdmin === undefined ? "" : ` (pending: ${op.pendingAdmin})`}`,
    `  payout      ${op.payout}`,
    `  signer keys ${op.activeSigners}`,
    `  metadata    ${op.metadataURI}`,
    `  joined at   ${op.joinedAt}`,
  ];
}

async function registerOperator(
  ctx: Context,
  opts: { tadig: string[]; admin: string; payout?: string; signer?: string[]; metadata: string },
): Promise<void> {
  const admin = parseAddress(opts.admin, "admin");
  const client = await registry(ctx, true);
  const { operatorId, receipt } = await client.register({
    tadigs: opts.tadig,
    admin,
    payout: opts.payout === undefined ? admin : parseAddress(opts.payout, "payout"),
    signers: (opts.signer ?? []).map((s, i) => parseAddress(s, `signer[${i}]`)),
    metadataURI: opts.metadata,
  });
  ctx.out.result({ operatorId, tadigs: opts.tadig, txHash: receipt.hash }, [
    `registered operator #${operatorId} (${opts.tadig.join(", ")})`,
    `  tx ${receipt.hash}`,
  ]);
}

async function show(ctx: Context, idOrTadig: string): Promise<void> {
  const client = await registry(ctx, false);
  const op = /^[0-9]+$/.test(idOrTadig)
    ? await client.getOperator(parseUint(idOrTadig, "operatorId"))
    : await client.findByTadig(idOrTadig.toUpperCase());
  if (op === undefined) {
    ctx.out.result({ found: false, query: idOrTadig }, `no operator holds TADIG ${idOrTadig}`);
    return;
  }
  ctx.out.result({ found: true, operator: op }, describe(op));
}

async function keyChange(ctx: Context, kind: "add" | "revoke" | "rotate", id: string, keys: string[]): Promise<void> {
  const operatorId = parseUint(id, "operatorId");
  const [first, second] = keys.map((k, i) => parseAddress(k, i === 0 ? "signer" : "newSigner"));
  const client = await registry(ctx, true);
  const receipt =
    kind === "add"
      ? await client.addSigner(operatorId, first)
      : kind === "revoke"
        ? await client.revokeSigner(operatorId, first)
        : await client.rotateSigner(operatorId, first, second);
  ctx.out.result({ operatorId, action: kind, signers: keys, txHash: receipt.hash }, [
    `${kind} signer key${kind === "rotate" ? `: ${first} -> ${second}` : ` ${first}`} of operator #${operatorId}`,
    `  tx ${receipt.hash}`,
  ]);
}
