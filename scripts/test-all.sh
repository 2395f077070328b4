#!/bin/sh
# `npm run test:all`: every suite but the gas suite in parallel (`hardhat test --parallel`, two workers: see the
# `mocha.jobs` of hardhat.config.ts), the longest first so that both workers finish together; then the gas suite on its
# own, because its snapshot check (test/gas/snapshot.test.ts) needs every gas scenario measured in one process.
# One file: `npx hardhat test <file>`.
set -e
long="test/invariant test/integration test/cli test/examples"
files=$(
  for dir in $long; do find "$dir" -name '*.test.ts' | sort; done
  find test -name '*.test.ts' ! -path 'test/gas/*' ! -path 'test/invariant/*' ! -path 'test/integration/*' \
    ! -path 'test/cli/*' ! -path 'test/examples/*' | sort
)
# shellcheck disable=SC2086 # one argument per file
hardhat test --parallel $files
hardhat test test/gas/*.test.ts
