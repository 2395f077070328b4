import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import { encodeTadig } from "../../../sdk/src/tadig";
import { deployRegistryWithOperators, deploySuite, randomAddresses } from "../../helpers/fixtures";

const Status = { None: 0n, Active: 1n, Suspended: 2n, Exited: 3n };
const raw = (s: string) => ethers.hexlify(ethers.toUtf8Bytes(s));

describe("OperatorRegistry.registerOperator", () => {
  describe("when the caller does not hold the registrar role", () => {
    it("should revert for an attacker", async () => {
      const { registry, accounts: a } = await loadFixture(deploySuite);
      await expect(
        registry.connect(a.eve).registerOperator([encodeTadig("DEUD1")], a.eve, a.eve, randomAddresses(1), ""),
      )
        .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
        .withArgs(a.eve.address);
    });

    it("should revert for holders of other roles, even the admin", async () => {
      const { registry, accounts: a } = await loadFixture(deploySuite);
      for (const who of [a.admin, a.governor, a.pauser, a.arbiter]) {
        await expect(
          registry.connect(who).registerOperator([encodeTadig("DEUD1")], a.alice, a.alice, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "AccessManagedUnauthorized")
          .withArgs(who.address);
      }
    });
  });

  describe("when the caller is the registrar", () => {
    describe("when the TADIG list is empty", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(registry.connect(a.registrar).registerOperator([], a.alice, a.alice, randomAddresses(1), ""))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigCount")
          .withArgs(0, 16);
      });
    });

    describe("when the TADIG list holds more than 16 codes", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        const codes = Array.from({ length: 17 }, (_, i) => encodeTadig(`AAA${String(i).padStart(2, "0")}`));
        await expect(registry.connect(a.registrar).registerOperator(codes, a.alice, a.alice, randomAddresses(1), ""))
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigCount")
          .withArgs(17, 16);
      });
    });

    describe("when the admin is the zero address", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("DEUD1")], ethers.ZeroAddress, a.alice, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_ZeroAddress")
          .withArgs("admin");
      });
    });

    describe("when the payout is the zero address", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("DEUD1")], a.alice, ethers.ZeroAddress, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_ZeroAddress")
          .withArgs("payout");
      });
    });

    describe("when the admin already administers an operator", () => {
      it("should revert", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("FRAF1")], a.alice, a.dave, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_AdminTaken")
          .withArgs(a.alice.address, alpha);
      });
    });

    describe("when a TADIG code is malformed", () => {
      // Each code is one character off the rule [A-Z]{3}[A-Z0-9]{2}, at the edges of the ASCII ranges.
      const malformed = [
        "deud1",
        "DEu01",
        "1EUD1",
        "DE1D1",
        "@BCD1",
        "[BCD1",
        "ABC/1",
        "ABC:1",
        "ABC1@",
        "ABC1[",
        "ABC a",
      ];
      for (const code of malformed) {
        it(`should revert for "${code}"`, async () => {
          const { registry, accounts: a } = await loadFixture(deploySuite);
          await expect(
            registry
              .connect(a.registrar)
              .registerOperator([encodeTadig("DEUD1"), raw(code)], a.alice, a.alice, randomAddresses(1), ""),
          )
            .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidTadig")
            .withArgs(raw(code));
        });
      }

      it("should revert for an all-zero code", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry.connect(a.registrar).registerOperator(["0x0000000000"], a.alice, a.alice, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_InvalidTadig")
          .withArgs("0x0000000000");
      });
    });

    describe("when a TADIG code belongs to another operator", () => {
      it("should revert", async () => {
        const { registry, accounts: a, beta } = await loadFixture(deployRegistryWithOperators);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("GBRCN")], a.dave, a.dave, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigTaken")
          .withArgs(encodeTadig("GBRCN"), beta);
      });
    });

    describe("when a TADIG code is listed twice", () => {
      it("should revert, naming the id the operator would have had", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("DEUD1"), encodeTadig("DEUD1")], a.alice, a.alice, randomAddresses(1), ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_TadigTaken")
          .withArgs(encodeTadig("DEUD1"), 1);
      });
    });

    describe("when a signer is the zero address", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("DEUD1")], a.alice, a.alice, [ethers.ZeroAddress], ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_ZeroAddress")
          .withArgs("signer");
      });
    });

    describe("when a signer was registered before", () => {
      it("should revert for a key of another operator", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await expect(
          registry.connect(a.registrar).registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, [a.aliceSigner], ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.aliceSigner.address, alpha);
      });

      it("should revert for a key that was revoked", async () => {
        const { registry, accounts: a, alpha } = await loadFixture(deployRegistryWithOperators);
        await registry.connect(a.alice).revokeSigner(alpha, a.aliceSigner);
        await expect(
          registry.connect(a.registrar).registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, [a.aliceSigner], ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.aliceSigner.address, alpha);
      });

      it("should revert for a key listed twice", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await expect(
          registry
            .connect(a.registrar)
            .registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, [a.spareSigner, a.spareSigner], ""),
        )
          .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerTaken")
          .withArgs(a.spareSigner.address, 1);
      });
    });

    describe("when no signer key or more than 16 are given", () => {
      it("should revert", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        for (const count of [0, 17]) {
          await expect(
            registry
              .connect(a.registrar)
              .registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, randomAddresses(count), ""),
          )
            .to.be.revertedWithCustomError(registry, "OperatorRegistry_SignerCount")
            .withArgs(count, 16);
        }
      });
    });

    describe("when everything is valid", () => {
      it("should register the operator as active, with every field stored", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        const signers = [a.aliceSigner.address, a.spareSigner.address];
        const tx = await registry
          .connect(a.registrar)
          .registerOperator([encodeTadig("DEUD1"), encodeTadig("DEUD2")], a.alice, a.alicePayout, signers, "ipfs://x");
        const joinedAt = await time.latest();

        const op = await registry.getOperator(1);
        expect(op.id).to.equal(1n);
        expect(op.status).to.equal(Status.Active);
        expect(op.admin).to.equal(a.alice.address);
        expect(op.pendingAdmin).to.equal(ethers.ZeroAddress);
        expect(op.payout).to.equal(a.alicePayout.address);
        expect(op.joinedAt).to.equal(BigInt(joinedAt));
        expect(op.activeSigners).to.equal(2n);
        expect(op.tadigs).to.deep.equal([encodeTadig("DEUD1"), encodeTadig("DEUD2")]);
        expect(op.metadataURI).to.equal("ipfs://x");
        expect(await registry.operatorCount()).to.equal(1n);
        expect(await registry.operatorOfAdmin(a.alice)).to.equal(1n);
        expect(await registry.operatorOfTadig(encodeTadig("DEUD2"))).to.equal(1n);
        for (const s of signers) {
          expect(await registry.isSigner(1, s)).to.equal(true);
          const key = await registry.signerKey(s);
          expect([key.operatorId, key.addedAt, key.revokedAt]).to.deep.equal([1n, BigInt(joinedAt), 0n]);
        }

        await expect(tx)
          .to.emit(registry, "OperatorRegistered")
          .withArgs(1, a.alice.address, a.alicePayout.address, "ipfs://x");
        await expect(tx).to.emit(registry, "TadigAdded").withArgs(1, encodeTadig("DEUD1"));
        await expect(tx).to.emit(registry, "TadigAdded").withArgs(1, encodeTadig("DEUD2"));
        await expect(tx).to.emit(registry, "SignerAdded").withArgs(1, a.aliceSigner.address);
        await expect(tx).to.emit(registry, "SignerAdded").withArgs(1, a.spareSigner.address);
      });

      it("should number operators from 1 in registration order", async () => {
        const { registry, accounts: a } = await loadFixture(deployRegistryWithOperators);
        await registry
          .connect(a.registrar)
          .registerOperator([encodeTadig("FRAF1")], a.dave, a.dave, randomAddresses(1), "");
        expect(await registry.operatorCount()).to.equal(4n);
        expect(await registry.operatorOfAdmin(a.dave)).to.equal(4n);
      });

      it("should accept exactly 16 codes and 16 keys", async () => {
        const { registry, accounts: a } = await loadFixture(deploySuite);
        await registry
          .connect(a.registrar)
          .registerOperator([encodeTadig("ZZZ99")], a.alice, a.alice, randomAddresses(1), "");
        expect((await registry.getOperator(1)).activeSigners).to.equal(1n);

        const codes = Array.from({ length: 16 }, (_, i) => encodeTadig(`AAA${String(i).padStart(2, "0")}`));
        await registry.connect(a.registrar).registerOperator(codes, a.bob, a.bob, randomAddresses(16), "");
        const op = await registry.getOperator(2);
        expect(op.tadigs.length).to.equal(16);
        expect(op.activeSigners).to.equal(16n);
      });
    });
  });
});
