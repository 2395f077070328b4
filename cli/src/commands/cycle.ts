/** `roamledger cycle close <token>`: closes the vault's open settlement cycle of a token (anyone, once due). */
import type { Command } from "commander";

import { VaultClient } from "@roamledger/sdk";
import { parseAddress } from "../chain";
import type { Context } from "../context";
import { isoTime } from "../format";
import type { Action } from "../program";

export function register(program: Command, action: Action): void {
  const cycle = program.command("cycle").description("settlement cycles of the vault");
  cycle
    .command("close <token>")
    .description("close the open cycle of <token> (anyone, once its end has passed): positions become balances")
    .action(action(close));
}

async function close(ctx: Context, tokenArg: string): Promise<void> {
  const token = parseAddress(tokenArg, "token");
  const vault = new VaultClient((await ctx.addresses()).vault, await ctx.runner());
  const before = await vault.tokenConfig(token);
  const receipt = await vault.closeCycle(token);
  const after = await vault.tokenConfig(token);
  ctx.out.result(
    { token, closedCycle: before.cycle, openCycle: after.cycle, nextEnd: isoTime(after.openEnd), txHash: receipt.hash },
    [
      `closed cycle ${before.cycle} of ${token}; cycle ${after.cycle} is open until ${isoTime(after.openEnd)}`,
      `  tx ${receipt.hash}`,
    ],
  );
}
