#!/bin/sh
# `npm run test:all`: every test file, invariant campaigns in processes of their own, the rest with
# `hardhat test --parallel` (see scripts/test-all.ts); `--no-compile` when the contracts are built already.
# One file: `npx hardhat test <file>`.
exec node -r ts-node/register/transpile-only "$(dirname "$0")/test-all.ts" "$@"
