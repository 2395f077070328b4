/**
 * Development only: resolves the workspace packages (`@roamledger/sdk` and its entry points, `@roamledger/cli`) to
 * their TypeScript sources instead of their builds, for code that runs from sources through ts-node (`npm run
 * roamledger`, the Hardhat tests). A published install never loads this file: there, Node resolves the packages'
 * `exports` to their `dist` builds.
 *
 * Usage: `node -r ./scripts/dev/register-sources.js -r ts-node/register/transpile-only <file.ts>`; `hardhat.config.ts`
 * requires it for every Hardhat task.
 */
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");

/** Each package specifier and the source file it stands for. */
const SOURCES = {
  "@roamledger/sdk": "sdk/src/index.ts",
  "@roamledger/sdk/ethers": "sdk/src/ethers.ts",
  "@roamledger/sdk/pure": "sdk/src/pure.ts",
  "@roamledger/sdk/node": "sdk/src/node.ts",
  "@roamledger/sdk/viem": "sdk/src/viem/index.ts",
  "@roamledger/sdk/testing": "sdk/src/testing.ts",
  "@roamledger/cli": "cli/src/index.ts",
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const source = Object.prototype.hasOwnProperty.call(SOURCES, request) ? SOURCES[request] : undefined;
  return resolveFilename.call(this, source === undefined ? request : path.join(ROOT, source), ...rest);
};
