// solidity-coverage: instrument the suite's contracts, not the test mocks.
module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["text-summary", "json-summary", "html", "lcov"],
  // The mocha grep below leaves out nothing; coverage runs the whole suite, gas tests included (their budgets are
  // not asserted under instrumentation, see test/helpers/gas.ts).
};
