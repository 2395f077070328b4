import { mkdirSync } from "node:fs";
import { extendEnvironment, subtask, task } from "hardhat/config";
import type { HardhatUserConfig } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
// The tests load the workspace packages (`@roamledger/sdk`, `@roamledger/cli`) from their sources, like the relative
// imports of sdk/src do, so one module instance serves both (see scripts/dev/register-sources.js).
import "./scripts/dev/register-sources.js";

import { TEST_CLOCK_ENV, withDeterministicClock } from "./test/helpers/deterministic-clock";

/**
 * The Solidity compiler comes from the pinned npm package `solc` (solcjs): this machine, like CI's, reaches only the
 * npm registry, so Hardhat must never try to download a native compiler. When the configured version is the one
 * installed, Hardhat is handed the local soljson.js; any other version falls through to Hardhat's own logic.
 */
const SOLC_VERSION = "0.8.30";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }, _hre, runSuper) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  if (args.solcVersion === longVersion.split("+")[0]) {
    return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: args.solcVersion, longVersion };
  }
  return runSuper(args);
});

/**
 * `hardhat test` sets, for itself, its mocha workers and the processes its tests start (unless already set):
 * - ROAMLEDGER_TEST_CLOCK=1: block timestamps depend on the tests' actions only, never on how fast the machine runs them
 *   (test/helpers/deterministic-clock.ts);
 * - MIMALLOC_PURGE_DELAY=-1: the allocator of Hardhat Network's EVM (EDR, mimalloc) keeps the memory it has freed
 *   instead of returning it to the system 10 ms later and faulting it back in, zeroed, on the next call; the EVM traces
 *   every call, so the tests' millions of calls spent about half their CPU time there, more on a busy machine. Read
 *   when EDR loads, i.e. when the first test uses the network.
 */
task(TASK_TEST).setAction(async (args, hre, runSuper) => {
  process.env[TEST_CLOCK_ENV] ??= "1";
  process.env.MIMALLOC_PURGE_DELAY ??= "-1";
  // solidity-coverage gives the network a new provider before it runs the tests: give it the clock too.
  if (hre.network.name === "hardhat") hre.network.provider = withDeterministicClock(hre.network.provider);
  return runSuper(args);
});
extendEnvironment((hre) => {
  if (hre.network.name === "hardhat") hre.network.provider = withDeterministicClock(hre.network.provider);
});

/** Networks other than the embedded one come from the environment, so no key or URL is ever committed. */
/** `ROAMLEDGER_TEST_NODE_VARIANT` (a non-negative integer, default 0), read by test nodes only. */
function testNodeVariant(): number {
  const value = process.env.ROAMLEDGER_TEST_NODE_VARIANT ?? "0";
  if (!/^\d{1,3}$/.test(value))
    throw new Error(`ROAMLEDGER_TEST_NODE_VARIANT: a small non-negative integer (got ${value})`);
  return Number(value);
}

function envNetworks(): HardhatUserConfig["networks"] {
  const networks: HardhatUserConfig["networks"] = {
    localhost: { url: process.env.ROAMLEDGER_LOCAL_RPC ?? "http://127.0.0.1:8545" },
  };
  const url = process.env.ROAMLEDGER_RPC_URL;
  if (url) {
    const key = process.env.ROAMLEDGER_PRIVATE_KEY;
    networks.remote = { url, accounts: key ? [key] : "remote" };
  }
  return networks;
}

/**
 * A node on this machine (a `hardhat node` or Anvil, as the CLI's tests and a local trial run use) mines each transaction
 * as it arrives: Ignition checks for receipts there every 50 ms instead of every second.
 */
const localRpc = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(process.env.ROAMLEDGER_RPC_URL ?? "");

const reportGas = process.env.REPORT_GAS === "true";
if (reportGas) mkdirSync("reports", { recursive: true }); // the gas reporter writes there but does not create it

const config: HardhatUserConfig = {
  solidity: {
    // One optimizer setting for every contract: 800 runs keeps the largest, UsageClearing, at 23,129 bytes, under the
    // 24,576-byte code size limit (1,000 runs: 24,320; 10,000: 27,646). See docs/ARCHITECTURE.md, section 7.
    compilers: [{ version: SOLC_VERSION, settings: { evmVersion: "prague", optimizer: { enabled: true, runs: 800 } } }],
  },
  networks: {
    // The default mnemonic's first 20 accounts, and a 21st for the consortium's admin in the tests (the deployer,
    // account 0, holds no role after the deployment).
    // (`ROAMLEDGER_TEST_NODE_VARIANT=n` adds n accounts: a test's way to give nodes of one chain id different genesis
    // blocks; see startHardhatNode in test/helpers/processes.ts.)
    hardhat: { accounts: { count: 21 + testNodeVariant() } },
    ...envNetworks(),
  },
  paths: {
    sources: "contracts",
    tests: "test",
    ignition: "deploy",
  },
  ignition: localRpc ? { blockPollingInterval: 50 } : {},
  typechain: {
    outDir: "sdk/src/typechain",
    target: "ethers-v6",
  },
  gasReporter: {
    enabled: reportGas,
    offline: true,
    currency: "USD",
    noColors: true,
    reportFormat: "markdown",
    outputFile: "reports/gas.md",
    outputJSON: true,
    outputJSONFile: "reports/gas.json",
    excludeContracts: ["mocks/"],
  },
  mocha: {
    // No test passes or fails by the clock: a slow or busy machine only takes longer. Campaigns are bounded by their
    // number of actions, child processes are awaited until they print or exit (docs/ARCHITECTURE.md, section 13).
    timeout: 0,
    // `npm test` runs the suites in parallel (`hardhat test --parallel`), one worker per core of this 2-core machine.
    jobs: 2,
  },
};

export default config;
