import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../sdk/src/tadig";
import { deployRegistryWithOperators, deploySuite } from "../helpers/fixtures";
import { checkGas, gasUsed } from "../helpers/gas";

/**
 * Gas of every user-facing operation of the registry, one named scenario each, checked against the committed
 * snapshot (test/gas/gas-snapshot.json) by test/helpers/gas.ts.
 */
describe("Gas snapshot: OperatorRegistry", () => {
  const scenarios: [string, () => Promise<bigint>][] = [
    [
      "registry.registerOperator (1 TADIG, 1 signer)",
      async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        return gasUsed(
          registry.connect(a.registrar).registerOperator([encodeTadig("DEUD1")], a.alice, a.alice, [a.aliceSigner], ""),
        );
      },
    ],
    [
      "registry.registerOperator (3 TADIGs, 2 signers, metadata URI)",
      async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        const codes = ["DEUD1", "DEUD2", "DEUE2"].map((c) => encodeTadig(c));
        return gasUsed(
          registry
            .connect(a.registrar)
            .registerOperator(
              codes,
              a.alice,
              a.alicePayout,
              [a.aliceSigner, a.spareSigner],
              "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            ),
        );
      },
    ],
    [
      "registry.addTadig",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.registrar).addTadig(alpha, encodeTadig("AUTT2")));
      },
    ],
    [
      "registry.removeTadig",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.registrar).removeTadig(alpha, encodeTadig("DEUD1")));
      },
    ],
    [
      "registry.suspendOperator",
      async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.pauser).suspendOperator(beta, ethers.ZeroHash));
      },
    ],
    [
      "registry.addSigner",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.alice).addSigner(alpha, a.spareSigner));
      },
    ],
    [
      "registry.revokeSigner",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner));
      },
    ],
    [
      "registry.rotateSigner",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.alice).rotateSigner(alpha, a.aliceSigner, a.spareSigner));
      },
    ],
    [
      "registry.setPayout",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        return gasUsed(registry.connect(a.alice).setPayout(alpha, a.dave));
      },
    ],
    [
      "registry.transferAdmin + acceptAdmin",
      async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        const start = await gasUsed(registry.connect(a.alice).transferAdmin(alpha, a.dave));
        return start + (await gasUsed(registry.connect(a.dave).acceptAdmin(alpha)));
      },
    ],
  ];

  for (const [name, run] of scenarios) {
    it(`should keep "${name}" within 1% of the snapshot`, async () => {
      const failure = checkGas(name, await run());
      expect(failure, failure).to.equal(undefined);
    });
  }
});
