/**
 * Re-runnable writes of the clearing commands (`batch accept|finalize|reject|return|resolve`, `period settle`). Every transaction goes
 * through the journal keyed by (account, nonce) ({@link journaledPayment}, `./journal.ts`), which first settles what an
 * earlier run of the account sent: a pending transaction is waited for, one signed but never broadcast (a crash before
 * sending) is broadcast again with the same bytes while its nonce is free. Only then does `run` read the chain and send
 * what is missing, so a re-run after a crash never sends a step twice: the chain, not the journal, says what is done.
 */
import { randomUUID } from "node:crypto";

import type { Context } from "./context";
import type { JournalingSigner } from "./journal";
import { journaledPayment } from "./payments";

/**
 * Settles the account's earlier transactions, then calls `run` with a journaling signer.
 * @param command The command's name, written in the journal entries of what `run` sends.
 */
export async function afterEarlierRuns<R>(
  ctx: Context,
  command: string,
  run: (signer: JournalingSigner) => Promise<R>,
): Promise<R> {
  // A fresh intent never equals an earlier run's, so `run` always runs (and reads the chain itself).
  const outcome = await journaledPayment(ctx, { command, selector: "0x", run: randomUUID() }, run);
  return outcome.result as R;
}
