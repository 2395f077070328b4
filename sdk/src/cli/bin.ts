#!/usr/bin/env node
/** The `roamledger` executable. */
import { main } from "./index";

main(process.argv).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`roamledger: ${String(error)}\n`);
    process.exit(4);
  },
);
