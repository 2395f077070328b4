/**
 * `roamledger governance allow-token|suspend|reinstate|resolve-escalated --schedule|--execute`: consortium decisions
 * (and the arbiter's decision of an escalated dispute) through the suite's
 * AccessManager (RoamLedgerManager). A role with an execution delay first schedules the call (`--schedule` prints the
 * operation id and when it becomes executable), then executes it once the delay passed (`--execute`). A role without
 * a delay executes at once. Re-runs look at the chain: a decision already in effect, or an operation already
 * scheduled, is reported and nothing is sent; executing too early is refused with the time it becomes executable.
 */
import type { Command } from "commander";
import { isHexString, keccak256, toUtf8Bytes, ZeroHash, type Interface } from "ethers";

import {
  decodeRoamLedgerError,
  RoamLedgerContractError,
  RegistryClient,
  VaultClient,
  RoamLedgerManager__factory,
  OperatorRegistry__factory,
  SettlementVault__factory,
  decimalToUnits,
  unitsToDecimal,
  UsageClearing__factory,
} from "@roamledger/sdk";
import { parseAddress, parseUint } from "../chain";
import type { Context } from "../context";
import { CliUserError } from "../errors";
import { readEvents } from "../events";
import { laneBatch } from "../lane";
import { chainNow, isoUtc } from "../ops";
import type { Action } from "../program";
import { escalationOf } from "./escalation";

interface StepOptions {
  schedule?: boolean;
  execute?: boolean;
}

/** One governance decision: the call, and whether it is in effect already. */
interface Decision {
  what: string;
  target: string;
  data: string;
  /** Whether the chain shows the decision in effect (then nothing is sent). */
  inEffect(): Promise<boolean>;
  /** Refuses (throws) a decision the target would refuse now; run before either step sends anything. */
  check?(): Promise<void>;
  details: Record<string, unknown>;
}

export function register(program: Command, action: Action): void {
  const governance = program
    .command("governance")
    .description("consortium decisions through the AccessManager: --schedule, then --execute after the role's delay");
  const steps = (command: Command) =>
    command
      .option("--schedule", "schedule the call (roles with an execution delay); prints the operation id and time")
      .option("--execute", "execute it (once the delay passed, or at once for a role without delay)");
  steps(
    governance
      .command("allow-token <token>")
      .description("allow an ERC-20 for settlement in the vault (governor)")
      .requiredOption("--cycle <seconds>", "the length of its settlement cycles, in seconds"),
  ).action(action(allowToken));
  steps(
    governance
      .command("suspend <operatorId>")
      .description("suspend an active operator (pauser)")
      .option("--reason <text|bytes32>", "the decision record (text is hashed); give the same to both steps"),
  ).action(action((ctx, id: string, o: StepOptions & { reason?: string }) => status(ctx, "suspend", id, o)));
  steps(
    governance
      .command("reinstate <operatorId>")
      .description("make a suspended operator active again (governor)")
      .option("--reason <text|bytes32>", "the decision record (text is hashed); give the same to both steps"),
  ).action(action((ctx, id: string, o: StepOptions & { reason?: string }) => status(ctx, "reinstate", id, o)));
  steps(
    governance
      .command("resolve-escalated <agreementId> <direction> <root>")
      .description(
        "decide an escalated batch's held part (arbiter): pay --pay of it to the visited network, waive the rest; " +
          "refused until the dispute window plus the escalation timeout has passed (see `batch escalation`)",
      )
      .requiredOption(
        "--pay <decimal>",
        "what is paid of the held part, in tokens (exact decimal); the rest is waived",
      ),
  ).action(action(resolveEscalated));
}

function stepOf(opts: StepOptions): "schedule" | "execute" {
  if (opts.schedule === opts.execute) {
    throw new CliUserError("schedule: give exactly one of --schedule and --execute", "schedule");
  }
  return opts.schedule === true ? "schedule" : "execute";
}

function reasonOf(value: string | undefined): string {
  if (value === undefined) return ZeroHash;
  if (value.startsWith("0x")) {
    if (!isHexString(value, 32)) throw new CliUserError("reason: 0x-hex must be 32 bytes", "reason");
    return value.toLowerCase();
  }
  return keccak256(toUtf8Bytes(value));
}

async function allowToken(ctx: Context, tokenArg: string, opts: StepOptions & { cycle: string }): Promise<void> {
  const token = parseAddress(tokenArg, "token");
  const cycle = parseUint(opts.cycle, "cycle");
  if (cycle === 0n || cycle >= 2n ** 32n) throw new CliUserError("cycle: must be 1 to 2^32-1 seconds", "cycle");
  const step = stepOf(opts);
  const { vault } = await ctx.addresses();
  const reader = new VaultClient(vault, await ctx.provider());
  await run(ctx, step, {
    what: `allow token ${token} (cycle ${cycle} s)`,
    target: vault,
    data: SettlementVault__factory.createInterface().encodeFunctionData("allowToken", [token, cycle]),
    inEffect: async () => (await reader.tokenConfig(token)).allowed,
    details: { token, cycle },
  });
}

async function status(
  ctx: Context,
  kind: "suspend" | "reinstate",
  idArg: string,
  opts: StepOptions & { reason?: string },
): Promise<void> {
  const operatorId = parseUint(idArg, "operatorId");
  const reason = reasonOf(opts.reason);
  const step = stepOf(opts);
  const { registry } = await ctx.addresses();
  const reader = new RegistryClient(registry, await ctx.provider());
  const fn = kind === "suspend" ? "suspendOperator" : "reinstateOperator";
  await run(ctx, step, {
    what: `${kind} operator #${operatorId}`,
    target: registry,
    data: (OperatorRegistry__factory.createInterface() as Interface).encodeFunctionData(fn, [operatorId, reason]),
    inEffect: async () =>
      (await reader.getOperator(operatorId)).status === (kind === "suspend" ? "suspended" : "active"),
    details: { operatorId, reason },
  });
}

async function resolveEscalated(
  ctx: Context,
  a: string,
  d: string,
  r: string,
  opts: StepOptions & { pay: string },
): Promise<void> {
  const step = stepOf(opts);
  const lane = await laneBatch(ctx, a, d, r);
  const { batchId, header, decimals } = lane;
  const payAmount = decimalToUnits(opts.pay, decimals, "pay");
  const payDecimal = unitsToDecimal(payAmount, decimals);
  const iface = UsageClearing__factory.createInterface();
  /** The contract's own error, decoded by the SDK's decoder, with `extra` (ISO times) among its arguments. */
  const refusal = (name: string, args: unknown[], extra: Record<string, unknown> = {}, note = "") =>
    decodedRefusal(decodeRoamLedgerError(iface.encodeErrorResult(name, args)) as RoamLedgerContractError, extra, note);
  await run(ctx, step, {
    what: `resolve escalated batch ${batchId}: pay ${payDecimal} (token ${lane.token}), waive the rest`,
    target: lane.address,
    data: lane.reader.build.resolveEscalated(header, payAmount).data,
    // Executed: the held part is gone and the arbiter's DisputeResolved of the batch paid this amount.
    inEffect: async () => {
      if ((await lane.reader.getBatch(batchId)).held !== 0n) return false;
      const filter = lane.contract.filters.DisputeResolved(batchId);
      const events = await readEvents(ctx, (from, to) => lane.contract.queryFilter(filter, from, to));
      return events.some((e) => e.args.byArbiter && e.args.payAmount === payAmount);
    },
    // What `resolveEscalated` checks, in its order: something held, pay within it, the escalation due.
    check: async () => {
      const v = await escalationOf(ctx, { ...lane, before: await lane.reader.getBatch(batchId) });
      if (v.held === 0n) throw refusal("UsageClearing_NothingHeld", [batchId], {}, ": the batch holds nothing");
      if (payAmount > v.held) {
        throw refusal(
          "UsageClearing_PayAmountTooLarge",
          [payAmount, v.held],
          { heldDecimal: v.heldDecimal },
          `: pay ${payDecimal} exceeds the held ${v.heldDecimal}`,
        );
      }
      if (!v.due) {
        throw refusal(
          "UsageClearing_EscalationNotDue",
          [batchId, v.escalationDue],
          { escalationDueAt: v.escalationDueAt, now: v.now },
          `: not escalated yet, the arbiter may decide from ${v.escalationDueAt} (chain time ${v.now})`,
        );
      }
    },
    details: { batchId, payAmount, payDecimal, token: lane.token, decimals },
  });
}

/** Schedules or executes a decision through the manager, as the signer. */
async function run(ctx: Context, step: "schedule" | "execute", d: Decision): Promise<void> {
  const signer = await ctx.signer();
  const manager = RoamLedgerManager__factory.connect((await ctx.addresses()).manager, signer);
  const operationId = await manager.hashOperation(signer.address, d.target, d.data);
  const selector = d.data.slice(0, 10);
  const [immediate, delay] = await manager.canCall(signer.address, d.target, selector);
  const base = { ...d.details, step, operationId, target: d.target, data: d.data, delay };
  if (await d.inEffect()) {
    ctx.out.result({ ...base, status: "already-done" }, [`already in effect: ${d.what}; nothing sent`]);
    return;
  }
  await d.check?.();
  const scheduledAt = await manager.getSchedule(operationId); // 0: none (or expired, or executed)
  if (step === "schedule") {
    // A caller without the role (not immediate, delay 0) is left to the manager's decoded refusal.
    if (immediate) {
      throw new CliUserError(
        `schedule: ${signer.address} may ${d.what} at once (no execution delay): use --execute`,
        "schedule",
      );
    }
    if (scheduledAt !== 0n) {
      ctx.out.result({ ...base, status: "already-done", executableAt: isoUtc(scheduledAt) }, [
        `already scheduled: ${d.what}, operation ${operationId}, executable from ${isoUtc(scheduledAt)}; nothing sent`,
      ]);
      return;
    }
    const receipt = await (await manager.schedule(d.target, d.data, 0)).wait();
    const when = await manager.getSchedule(operationId);
    ctx.out.result({ ...base, status: "scheduled", executableAt: isoUtc(when), txHash: receipt?.hash }, [
      `scheduled: ${d.what}`,
      `  operation ${operationId}`,
      `  executable from ${isoUtc(when)} (run again with --execute then)`,
      `  tx ${receipt?.hash}`,
    ]);
    return;
  }
  try {
    await manager.execute.staticCall(d.target, d.data);
  } catch (error) {
    const decoded = decodeRoamLedgerError(error);
    if (decoded?.name === "AccessManagerNotReady" && scheduledAt !== 0n) throw notReady(decoded, scheduledAt);
    throw error;
  }
  const receipt = await (await manager.execute(d.target, d.data)).wait();
  ctx.out.result({ ...base, status: "executed", executedAt: isoUtc(await chainNow(ctx)), txHash: receipt?.hash }, [
    `executed: ${d.what}`,
    `  tx ${receipt?.hash}`,
  ]);
}

/**
 * A decoded contract error with more arguments (ISO times...) and a note appended to its message. (A function, not a
 * subclass: a class extending the SDK's would load the SDK when the commands are registered.)
 */
function decodedRefusal(
  decoded: RoamLedgerContractError,
  extra: Record<string, unknown>,
  note: string,
): RoamLedgerContractError {
  const error = new RoamLedgerContractError({
    name: decoded.name,
    signature: decoded.signature,
    selector: decoded.selector,
    args: { ...decoded.args, ...extra },
    positionalArgs: [...decoded.positionalArgs],
    data: decoded.data,
    cause: decoded,
  });
  error.message = `${decoded.message}${note}`;
  return error;
}

/** `AccessManagerNotReady`, decoded, with the time the operation becomes executable (`args.executableAt`). */
function notReady(decoded: RoamLedgerContractError, executableAt: bigint): RoamLedgerContractError {
  return decodedRefusal(
    decoded,
    { executableAt: isoUtc(executableAt) },
    `: too early, the operation is executable from ${isoUtc(executableAt)}`,
  );
}
