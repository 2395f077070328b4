#!/usr/bin/env node
/**
 * The `roamledger` executable. `roamledger --version` (or `-V`) alone is answered from the package's version without
 * loading the commands; anything else loads the CLI (`./index`), with the SDK, ethers and the journal deferred to their
 * first use (`./lazy.ts`): `--help` and refused flags never load them.
 */
import { deferHeavyModules } from "./lazy";
import { cliVersion } from "./version";

// A reader that stops early (`roamledger --help | head`) closes the pipe: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${cliVersion()}\n`, () => process.exit(0));
} else {
  deferHeavyModules(__dirname);
  import("./index")
    .then(({ main }) => main(process.argv))
    .then(
      (code) => process.stdout.write("", () => process.exit(code)),
      (error: unknown) => {
        process.stderr.write(`roamledger: ${String(error)}\n`);
        process.exit(4);
      },
    );
}
