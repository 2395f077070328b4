#!/bin/sh
# `npm test`, as CI runs it (.ci/run): build, type-check, lint and every test, each of which must pass. It does what
# `npm run build && npm run typecheck && npm run lint && npm run test:all` does, with the steps that do not need each
# other side by side on the machine's two cores:
#   1. the contracts' compilation (solc, then the TypeChain bindings)        | lint (solhint, eslint, prettier)
#   2. the SDK's and the CLI's builds, the browser type-check (need bindings) | the type-check of everything else
#   3. every test (scripts/test-all.ts), without compiling again
# The two outputs of a step are printed whole, one after the other, when both are done.
set -u
cd "$(dirname "$0")/.." || exit 1

# An interruption stops the side-by-side commands too (a background command of a script ignores SIGINT).
trap 'trap - INT TERM; kill 0' INT TERM

# together A B: runs the shell commands A and B at the same time, prints A's output then B's, fails if either failed.
together() {
  out_a=$(mktemp) && out_b=$(mktemp) || return 1
  sh -c "$1" >"$out_a" 2>&1 &
  pid_a=$!
  sh -c "$2" >"$out_b" 2>&1
  status_b=$?
  wait "$pid_a"
  status_a=$?
  cat "$out_a" "$out_b"
  rm -f "$out_a" "$out_b"
  [ "$status_a" -eq 0 ] && [ "$status_b" -eq 0 ]
}

# Elapsed time of each step, for information only (nothing depends on it).
started=$(date +%s)
elapsed() { echo "npm test: $1 after $(($(date +%s) - started)) s"; }

together "npx hardhat compile" "npm run lint" || exit 1
elapsed "compile | lint done"
together "npm run build --workspace @roamledger/sdk && npm run build --workspace @roamledger/cli && npx tsc --noEmit -p sdk/tsconfig.browser.json" \
  "npx tsc --noEmit -p tsconfig.json" || exit 1
elapsed "SDK build, browser type-check | type-check done"
sh scripts/test-all.sh --no-compile
status=$?
elapsed "tests done"
exit "$status"
