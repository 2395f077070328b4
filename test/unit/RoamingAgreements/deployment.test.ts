import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {} from "../../../sdk/src";
import { AGREEMENTS_DOMAIN_NAME, AGREEMENTS_DOMAIN_VERSION } from "../../../sdk/src/typedData/agreements";
import { deploySuite } from "../../helpers/fixtures";

describe("RoamingAgreements (deployment)", () => {
  describe("when the registry is the zero address", () => {
    it("should revert", async () => {
      const { manager, agreements } = await loadFixture(deploySuite);
      await expect(ethers.deployContract("RoamingAgreements", [await manager.getAddress(), ethers.ZeroAddress]))
        .to.be.revertedWithCustomError(agreements, "RoamingAgreements_ZeroAddress")
        .withArgs("registry");
    });
  });

  describe("when deployed by the deploy module", () => {
    it("should point at the suite's manager and registry, unpaused", async () => {
      const { manager, registry, agreements } = await loadFixture(deploySuite);
      expect(await agreements.authority()).to.equal(await manager.getAddress());
      expect(await agreements.registry()).to.equal(await registry.getAddress());
      expect(await agreements.paused()).to.equal(false);
    });

    it("should expose its EIP-712 domain (ERC-5267)", async () => {
      const { agreements } = await loadFixture(deploySuite);
      const domain = await agreements.eip712Domain();
      const { chainId } = await ethers.provider.getNetwork();
      expect(domain.fields).to.equal("0x0f"); // name, version, chainId, verifyingContract
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
        AGREEMENTS_DOMAIN_NAME,
        AGREEMENTS_DOMAIN_VERSION,
        chainId,
        await agreements.getAddress(),
      ]);
    });
  });
});
