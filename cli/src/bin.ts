#!/usr/bin/env node
/** The `roamledger` executable. */
import { main } from "./index";

// A reader that stops early (`roamledger --help | head`) closes the pipe: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

main(process.argv).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`roamledger: ${String(error)}\n`);
    process.exit(4);
  },
);
