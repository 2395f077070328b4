/**
 * Payments (vault deposits and withdrawals) through the journal keyed by (account, nonce): before paying, every
 * transaction of the account still marked "sent" is settled with the chain; if one of them already did what is asked
 * now (a run that crashed after sending), nothing is sent again.
 */
import path from "node:path";

import type { Context } from "./context";
import { toJson } from "./json";
import {
  JournalingSigner,
  paymentFile,
  paymentFiles,
  settleSent,
  type JournalEntry,
  type JournalFile,
} from "./journal";

/** What a payment command asks for; `selector` is the main call's selector (an approval is not the payment). */
export type PaymentIntent = Record<string, unknown> & { command: string; selector: string };

export interface PaymentOutcome<R> {
  /** The journal entry of an earlier run that already made this payment (nothing was sent now). */
  alreadyDone?: JournalEntry;
  result?: R;
}

export async function journaledPayment<R>(
  ctx: Context,
  intent: PaymentIntent,
  run: (signer: JournalingSigner) => Promise<R>,
): Promise<PaymentOutcome<R>> {
  const wallet = await ctx.signer();
  const provider = await ctx.provider();
  const dir = path.join(await ctx.journalDir(), "payments");
  const wanted = toJson(intent, 0);
  let alreadyDone: JournalEntry | undefined;
  for (const file of paymentFiles(dir, wallet.address)) {
    const entry = file.read();
    if (entry === undefined || entry.state !== "sent" || entry.tx === undefined) continue;
    ctx.out.note(
      `journal: transaction ${entry.tx.hash} (nonce ${entry.tx.nonce}) was sent by an earlier run; asking the chain`,
    );
    const settled = await settleSent(provider, entry.tx);
    if (settled.status === "dropped") {
      file.update({ state: "dropped" });
      continue;
    }
    const done = file.update({
      state: settled.status === "success" ? "done" : "failed",
      result: { blockNumber: settled.receipt.blockNumber, status: settled.status },
    });
    if (settled.status === "success" && toJson(entry.intent, 0) === wanted && entry.tx.selector === intent.selector) {
      alreadyDone = done;
    }
  }
  if (alreadyDone !== undefined) return { alreadyDone };

  const written: JournalFile[] = [];
  const signer = new JournalingSigner(
    wallet,
    (tx) => {
      const file = paymentFile(dir, tx.from, tx.nonce);
      file.write({ kind: intent.command, state: "sent", intent, tx });
      written.push(file);
    },
    ctx.env,
  );
  // On a failure the entries stay "sent": the next run settles them with the chain first.
  const result = await run(signer);
  for (const file of written) file.update({ state: "done" });
  return { result };
}
