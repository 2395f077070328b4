import { expect } from "chai";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import {
  ABIS_FILE,
  abiConstName,
  renderAbis,
  SUITE_ABI_CONTRACTS,
  TOKEN_STANDARD_ERROR_CONTRACTS,
} from "../../scripts/generate-abis";
import * as abis from "../../sdk/src/viem/abis";
import { SUITE_ERROR_SOURCES } from "../../sdk/src/errors";

const ROOT = path.resolve(__dirname, "../..");

/** Why `committed` is not `rendered` (the first differing line), or undefined when they are equal. */
function driftMessage(rendered: string, committed: string): string | undefined {
  if (rendered === committed) return undefined;
  const a = rendered.split("\n");
  const b = committed.split("\n");
  let line = 0;
  while (line < a.length && a[line] === b[line]) line++;
  return (
    `${ABIS_FILE} differs from the ABIs in artifacts/ (first difference at line ${line + 1}: ` +
    `expected ${JSON.stringify(a[line] ?? "<end of file>")}, found ${JSON.stringify(b[line] ?? "<end of file>")}). ` +
    "A contract changed: run `npm run abis` and commit the result."
  );
}

describe("SDK viem ABIs (drift)", function () {
  it("should match the ABIs generated from the current artifacts (run npm run abis if not)", async function () {
    const rendered = await renderAbis(ROOT);
    const committed = await readFile(path.join(ROOT, ABIS_FILE), "utf8");
    const message = driftMessage(rendered, committed);
    if (message !== undefined) expect.fail(message);
  });

  it("should export each suite contract's ABI, equal to its artifact's and its TypeChain factory's", async function () {
    const exported = abis as unknown as Record<string, readonly unknown[]>;
    expect(Object.keys(abis).sort()).to.deep.equal(
      [...SUITE_ABI_CONTRACTS.map((c) => abiConstName(c.name)), "roamLedgerAbis", "tokenStandardErrorsAbi"].sort(),
    );
    for (const contract of SUITE_ABI_CONTRACTS) {
      const artifact = JSON.parse(
        await readFile(path.join(ROOT, "artifacts", contract.source, `${contract.name}.json`), "utf8"),
      ) as { abi: unknown[] };
      expect(exported[abiConstName(contract.name)], contract.name).to.deep.equal(artifact.abi);
      const source = SUITE_ERROR_SOURCES.find((s) => s.contract === contract.name);
      expect(source, contract.name).to.not.equal(undefined);
      expect(exported[abiConstName(contract.name)], contract.name).to.deep.equal(source?.abi);
    }
  });

  it("should detect a contract change: an artifact with one more error renders a different file", async function () {
    const temp = await mkdtemp(path.join(tmpdir(), "roamledger-abis-"));
    try {
      for (const contract of [...SUITE_ABI_CONTRACTS, ...TOKEN_STANDARD_ERROR_CONTRACTS]) {
        const dir = path.join(temp, "artifacts", contract.source);
        await cp(path.join(ROOT, "artifacts", contract.source), dir, { recursive: true });
      }
      await cp(path.join(ROOT, ".prettierrc.json"), path.join(temp, ".prettierrc.json"));
      const committed = await readFile(path.join(ROOT, ABIS_FILE), "utf8");
      expect(driftMessage(await renderAbis(temp), committed)).to.equal(undefined);

      const file = path.join(temp, "artifacts", "contracts/SettlementVault.sol", "SettlementVault.json");
      const artifact = JSON.parse(await readFile(file, "utf8")) as { abi: unknown[] };
      artifact.abi.push({ inputs: [], name: "SettlementVault_Added", type: "error" });
      await writeFile(file, JSON.stringify(artifact));
      const message = driftMessage(await renderAbis(temp), committed);
      expect(message).to.include("npm run abis").and.include("SettlementVault_Added");
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });

  it("should name the artifact it cannot read", async function () {
    const temp = await mkdtemp(path.join(tmpdir(), "roamledger-abis-"));
    try {
      let thrown: unknown;
      await renderAbis(temp).catch((error: unknown) => (thrown = error));
      expect(String(thrown)).to.include("OperatorRegistry").and.include("npx hardhat compile");
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });
});
