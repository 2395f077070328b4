import { expect } from "chai";
import { ethers } from "hardhat";
import { id as keccakText, type ContractRunner, type TransactionRequest } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  InvalidArgumentError,
  InvalidTadigError,
  OperatorRegistry__factory,
  REGISTRY_LIMITS,
  RegistryClient,
  RoamLedgerContractError,
  SignerRequiredError,
  type OperatorInfo,
  type RegisterOperatorParams,
} from "../../sdk/src";
import { RegistryTransactionBuilder } from "../../sdk/src/clients/registry";
import { addr, deployRegistryFixture, freshKey, rejection } from "./fixture";

const REASON = keccakText("decision record #1");

/** The fixture plus clients for the registrar and operator 1's admin (alice), and operator 1 registered. */
async function clientFixture() {
  const f = await deployRegistryFixture();
  const registrarClient = new RegistryClient(f.registryAddress, f.registrar);
  const { operatorId, receipt } = await registrarClient.register({
    tadigs: ["DEUD1", "DEUD2"],
    admin: f.alice.address,
    payout: addr(100),
    signers: [addr(1), addr(2)],
    metadataURI: "ipfs://alice",
  });
  const aliceClient = registrarClient.connect(f.alice);
  return { ...f, registrarClient, aliceClient, operatorId, receipt };
}

/** A runner that records what it is asked to send and sends nothing. */
function recordingRunner(): ContractRunner & { sent: TransactionRequest[] } {
  const sent: TransactionRequest[] = [];
  return {
    provider: null,
    sent,
    sendTransaction: async (tx: TransactionRequest) => {
      sent.push(tx);
      throw new Error("the recording runner sends nothing");
    },
  };
}

/** Asserts that `promise` rejects with an InvalidArgumentError (or subclass) naming `field`. */
async function expectInvalid(
  promise: Promise<unknown>,
  field: string,
  type: abstract new (...args: never[]) => InvalidArgumentError = InvalidArgumentError,
) {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(type);
  expect((error as InvalidArgumentError).field).to.equal(field);
  return error as InvalidArgumentError;
}

/** Asserts that `promise` rejects with the contract error `name`, and returns it. */
async function expectRevert(promise: Promise<unknown>, name: string): Promise<RoamLedgerContractError> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(RoamLedgerContractError);
  expect((error as RoamLedgerContractError).name).to.equal(name);
  return error as RoamLedgerContractError;
}

describe("RegistryClient", function () {
  describe("when constructed", function () {
    it("should checksum the address and build with the same address", async function () {
      const { registryAddress, alice } = await loadFixture(deployRegistryFixture);
      const client = new RegistryClient(registryAddress.toLowerCase(), alice);
      expect(client.address).to.equal(registryAddress);
      expect(client.build.address).to.equal(registryAddress);
      expect(client.runner).to.equal(alice);
      expect(await client.contract.getAddress()).to.equal(registryAddress);
    });

    it("should throw an InvalidArgumentError naming the address when it is malformed", function () {
      for (const bad of ["0x1234", "registry", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"]) {
        expect(() => new RegistryClient(bad, null), bad)
          .to.throw(InvalidArgumentError)
          .with.property("field", "address");
      }
    });

    it("should agree with the contract's limits", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      expect(BigInt(REGISTRY_LIMITS.maxTadigs)).to.equal(await registry.MAX_TADIGS());
      expect(BigInt(REGISTRY_LIMITS.maxSigners)).to.equal(await registry.MAX_SIGNERS());
    });
  });

  describe("when registering an operator", function () {
    it("should return the id from the OperatorRegistered event and the receipt", async function () {
      const { registry, operatorId, receipt, alice } = await loadFixture(clientFixture);
      expect(operatorId).to.equal(1n);
      expect(receipt.status).to.equal(1);
      const registered = await registry.queryFilter(registry.filters.OperatorRegistered(), receipt.blockNumber);
      expect(registered).to.have.length(1);
      expect(registered[0].args.admin).to.equal(alice.address);
      expect(registered[0].transactionHash).to.equal(receipt.hash);
    });

    it("should number further operators in order", async function () {
      const { registrarClient, bob, carol } = await loadFixture(clientFixture);
      const second = await registrarClient.register({
        tadigs: ["GBRCN"],
        admin: bob.address,
        payout: bob.address,
        signers: [freshKey()],
        metadataURI: "",
      });
      const third = await registrarClient.register({
        tadigs: ["FRAF1"],
        admin: carol.address,
        payout: carol.address,
        signers: [freshKey()],
        metadataURI: "",
      });
      expect([second.operatorId, third.operatorId]).to.deep.equal([2n, 3n]);
      expect(await registrarClient.operatorCount()).to.equal(3n);
    });

    it("should accept lower-case addresses", async function () {
      const { registrarClient, bob } = await loadFixture(clientFixture);
      const { operatorId } = await registrarClient.register({
        tadigs: ["GBRCN"],
        admin: bob.address.toLowerCase(),
        payout: bob.address.toLowerCase(),
        signers: [addr(9).toLowerCase()],
        metadataURI: "",
      });
      const operator = await registrarClient.getOperator(operatorId);
      expect(operator.admin).to.equal(bob.address);
    });

    it("should surface a taken TADIG as OperatorRegistry_TadigTaken", async function () {
      const { registrarClient, bob } = await loadFixture(clientFixture);
      const error = await expectRevert(
        registrarClient.register({
          tadigs: ["DEUD2"],
          admin: bob.address,
          payout: bob.address,
          signers: [freshKey()],
          metadataURI: "",
        }),
        "OperatorRegistry_TadigTaken",
      );
      expect(error.args).to.deep.equal({ tadig: "0x4445554432", ownerId: 1n });
    });

    it("should surface a caller without the registrar role as AccessManagedUnauthorized", async function () {
      const { registrarClient, eve } = await loadFixture(clientFixture);
      const error = await expectRevert(
        registrarClient.connect(eve).register({
          tadigs: ["GBRCN"],
          admin: eve.address,
          payout: eve.address,
          signers: [freshKey()],
          metadataURI: "",
        }),
        "AccessManagedUnauthorized",
      );
      expect(error.args).to.deep.equal({ caller: eve.address });
    });

    describe("when the input is invalid", function () {
      const valid: RegisterOperatorParams = {
        tadigs: ["GBRCN"],
        admin: addr(50),
        payout: addr(51),
        signers: [addr(52)],
        metadataURI: "ipfs://x",
      };
      const cases: [label: string, change: Partial<Record<keyof RegisterOperatorParams, unknown>>, field: string][] = [
        ["a lower-case TADIG", { tadigs: ["GBRCN", "gbrcn"] }, "tadigs[1]"],
        ["a TADIG of the wrong length", { tadigs: ["GBRC"] }, "tadigs[0]"],
        ["a non-ASCII TADIG", { tadigs: ["GBRÇN"] }, "tadigs[0]"],
        ["no TADIG", { tadigs: [] }, "tadigs"],
        [
          "too many TADIGs",
          { tadigs: Array.from({ length: 17 }, (_, i) => `AAA${String(i).padStart(2, "0")}`) },
          "tadigs",
        ],
        ["a duplicate TADIG", { tadigs: ["GBRCN", "GBRCN"] }, "tadigs[1]"],
        ["TADIGs that are not an array", { tadigs: "GBRCN" }, "tadigs"],
        ["a malformed admin", { admin: "0x1234" }, "admin"],
        ["a bad checksum", { admin: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD" }, "admin"],
        ["a zero admin", { admin: ethers.ZeroAddress }, "admin"],
        ["a zero payout", { payout: ethers.ZeroAddress }, "payout"],
        ["a missing payout", { payout: undefined }, "payout"],
        ["a zero signer", { signers: [addr(52), ethers.ZeroAddress] }, "signers[1]"],
        ["a duplicate signer", { signers: [addr(52), addr(52).toLowerCase()] }, "signers[1]"],
        ["too many signers", { signers: Array.from({ length: 17 }, (_, i) => addr(200 + i)) }, "signers"],
        ["no signer", { signers: [] }, "signers"],
        ["a metadata URI that is not a string", { metadataURI: 42 }, "metadataURI"],
      ];

      for (const [label, change, field] of cases) {
        it(`should throw for ${label}, naming ${field}, before sending`, async function () {
          const { registryAddress } = await loadFixture(deployRegistryFixture);
          const runner = recordingRunner();
          const client = new RegistryClient(registryAddress, runner);
          const params = { ...valid, ...change } as RegisterOperatorParams;
          await expectInvalid(client.register(params), field);
          expect(() => client.build.register(params)).to.throw(InvalidArgumentError);
          expect(runner.sent).to.have.length(0);
        });
      }

      it("should report a malformed TADIG as an InvalidTadigError", async function () {
        const { registryAddress } = await loadFixture(deployRegistryFixture);
        const client = new RegistryClient(registryAddress, recordingRunner());
        const error = await expectInvalid(
          client.register({ ...valid, tadigs: ["gbrcn"] }),
          "tadigs[0]",
          InvalidTadigError,
        );
        expect(error.message).to.match(/^tadigs\[0\]: must be upper-case/);
      });

      it("should send a valid registration (the recording runner sees it)", async function () {
        const { registryAddress } = await loadFixture(deployRegistryFixture);
        const runner = recordingRunner();
        await rejection(new RegistryClient(registryAddress, runner).register(valid));
        expect(runner.sent).to.have.length(1);
        expect(runner.sent[0].to).to.equal(registryAddress);
      });
    });
  });

  describe("when reading an operator", function () {
    it("should return a plain OperatorInfo with decoded TADIGs and status", async function () {
      const { aliceClient, alice, receipt } = await loadFixture(clientFixture);
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      const expected: OperatorInfo = {
        id: 1n,
        status: "active",
        admin: alice.address,
        pendingAdmin: undefined,
        payout: addr(100),
        joinedAt: BigInt(block?.timestamp ?? 0),
        activeSigners: 2,
        tadigs: ["DEUD1", "DEUD2"],
        metadataURI: "ipfs://alice",
      };
      expect(await aliceClient.getOperator(1n)).to.deep.equal(expected);
      expect(await aliceClient.getOperator(1)).to.deep.equal(expected);
    });

    it("should read through a provider", async function () {
      const { registryAddress } = await loadFixture(clientFixture);
      const client = new RegistryClient(registryAddress, ethers.provider);
      expect((await client.getOperator(1)).tadigs).to.deep.equal(["DEUD1", "DEUD2"]);
    });

    it("should surface an unknown id as OperatorRegistry_UnknownOperator", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      const error = await expectRevert(aliceClient.getOperator(99), "OperatorRegistry_UnknownOperator");
      expect(error.args).to.deep.equal({ operatorId: 99n });
    });

    it("should reject an id that is not a uint32 above zero before calling", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      // Decimal strings are integers too (the JSON the CLI writes), so only their value or form can be wrong.
      for (const bad of [0, 0n, -1, 1.5, 2 ** 32, 2n ** 32n, Number.NaN, "0", "4294967296", "1.5", "0x1", " 1"]) {
        await expectInvalid(aliceClient.getOperator(bad as number), "operatorId");
      }
      expect((await aliceClient.getOperator(2 ** 32 - 1).catch((e: unknown) => e)) as Error).to.be.instanceOf(
        RoamLedgerContractError,
      );
    });

    it("should tell whether an operator is active, and follow its status", async function () {
      const { registryAddress, pauser, governor, aliceClient } = await loadFixture(clientFixture);
      expect(await aliceClient.isActive(1)).to.equal(true);
      expect(await aliceClient.isActive(2)).to.equal(false);

      const pauserClient = new RegistryClient(registryAddress, pauser);
      const governorClient = new RegistryClient(registryAddress, governor);
      await pauserClient.suspendOperator(1, REASON);
      expect(await aliceClient.isActive(1)).to.equal(false);
      expect((await aliceClient.getOperator(1)).status).to.equal("suspended");
      await governorClient.reinstateOperator(1, REASON);
      expect((await aliceClient.getOperator(1)).status).to.equal("active");
      await governorClient.exitOperator(1, REASON);
      expect((await aliceClient.getOperator(1)).status).to.equal("exited");
      expect(await aliceClient.isActive(1)).to.equal(false);
      await expectRevert(governorClient.exitOperator(1, REASON), "OperatorRegistry_InvalidStatus");
    });

    it("should reject a status change without the role, or with a reason that is not a bytes32", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      await expectRevert(aliceClient.suspendOperator(1, REASON), "AccessManagedUnauthorized");
      await expectInvalid(aliceClient.suspendOperator(1, "0x1234"), "reason");
      await expectInvalid(aliceClient.reinstateOperator(1, "reason"), "reason");
      await expectInvalid(aliceClient.exitOperator(0, REASON), "operatorId");
    });

    it("should tell whether a key is an active signer", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      expect(await aliceClient.isSigner(1, addr(1))).to.equal(true);
      expect(await aliceClient.isSigner(1, addr(1).toLowerCase())).to.equal(true);
      expect(await aliceClient.isSigner(1, addr(3))).to.equal(false);
      expect(await aliceClient.isSigner(1, ethers.ZeroAddress)).to.equal(false);
      await expectInvalid(aliceClient.isSigner(1, "0xnope"), "signer");
    });
  });

  describe("when finding an operator by TADIG", function () {
    it("should return the operator that holds it", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      expect((await aliceClient.findByTadig("DEUD2"))?.id).to.equal(1n);
    });

    it("should return undefined for a TADIG no operator holds", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      expect(await aliceClient.findByTadig("GBRCN")).to.equal(undefined);
    });

    it("should throw an InvalidTadigError for a malformed TADIG", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      await expectInvalid(aliceClient.findByTadig("deud1"), "tadig", InvalidTadigError);
    });

    it("should rethrow other failures", async function () {
      const { registryAddress } = await loadFixture(clientFixture);
      const broken: ContractRunner = {
        provider: null,
        call: async () => {
          throw new Error("node unreachable");
        },
      };
      const error = await rejection(new RegistryClient(registryAddress, broken).findByTadig("DEUD1"));
      expect((error as Error).message).to.equal("node unreachable");
    });
  });

  describe("when listing operators", function () {
    /** Operator 1 from the client fixture plus 6 more: 7 in all. */
    async function sevenOperatorsFixture() {
      const f = await clientFixture();
      for (let i = 2; i <= 7; ++i) {
        await f.registrarClient.register({
          tadigs: [`AAA0${i}`],
          admin: addr(1000 + i),
          payout: addr(2000 + i),
          signers: [freshKey()],
          metadataURI: `ipfs://op${i}`,
        });
      }
      return f;
    }

    /** A client that counts its eth_calls. */
    function countingClient(address: string) {
      const counter = { calls: 0 };
      const runner: ContractRunner = {
        provider: ethers.provider,
        call: (tx) => {
          counter.calls += 1;
          return ethers.provider.call(tx);
        },
      };
      return { client: new RegistryClient(address, runner), counter };
    }

    it("should page across several pages, in id order", async function () {
      const { registryAddress } = await loadFixture(sevenOperatorsFixture);
      const { client, counter } = countingClient(registryAddress);
      const ids: bigint[] = [];
      for await (const operator of client.list({ pageSize: 3 })) ids.push(operator.id);
      expect(ids).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
      expect(counter.calls).to.equal(3);
    });

    it("should stop after a full last page", async function () {
      const { registryAddress } = await loadFixture(sevenOperatorsFixture);
      const { client, counter } = countingClient(registryAddress);
      expect((await client.listAll({ pageSize: 7 })).map((o) => o.id)).to.have.length(7);
      expect(counter.calls).to.equal(1);
      counter.calls = 0;
      expect(await client.listAll({ pageSize: 1 })).to.have.length(7);
      expect(counter.calls).to.equal(7);
    });

    it("should return decoded operators, as getOperator does", async function () {
      const { registrarClient } = await loadFixture(sevenOperatorsFixture);
      const all = await registrarClient.listAll();
      expect(all).to.have.length(7);
      expect(all[0]).to.deep.equal(await registrarClient.getOperator(1));
      expect(all[6]).to.deep.include({ id: 7n, tadigs: ["AAA07"], metadataURI: "ipfs://op7", status: "active" });
    });

    it("should read one page with its total", async function () {
      const { registrarClient } = await loadFixture(sevenOperatorsFixture);
      const page = await registrarClient.listPage(3, 3);
      expect(page.total).to.equal(7n);
      expect(page.operators.map((o) => o.id)).to.deep.equal([4n, 5n, 6n]);
      expect((await registrarClient.listPage(7, 3)).operators).to.deep.equal([]);
    });

    it("should list nothing when no operator is registered", async function () {
      const { registryAddress, alice } = await loadFixture(deployRegistryFixture);
      expect(await new RegistryClient(registryAddress, alice).listAll({ pageSize: 2 })).to.deep.equal([]);
    });

    it("should reject a page size that is not a positive integer", async function () {
      const { registrarClient } = await loadFixture(clientFixture);
      for (const bad of [0, -1, 2.5]) await expectInvalid(registrarClient.listAll({ pageSize: bad }), "pageSize");
      await expectInvalid(registrarClient.listPage(-1, 3), "offset");
      await expectInvalid(registrarClient.listPage(0, 0), "limit");
    });
  });

  describe("when the admin manages signer keys", function () {
    it("should add, revoke and rotate keys", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      const added = await aliceClient.addSigner(1, addr(3));
      expect(added.status).to.equal(1);
      expect(await aliceClient.isSigner(1, addr(3))).to.equal(true);

      await aliceClient.revokeSigner(1, addr(1));
      expect(await aliceClient.isSigner(1, addr(1))).to.equal(false);

      await aliceClient.rotateSigner(1, addr(2), addr(4));
      expect(await aliceClient.isSigner(1, addr(2))).to.equal(false);
      expect(await aliceClient.isSigner(1, addr(4))).to.equal(true);
      expect((await aliceClient.getOperator(1)).activeSigners).to.equal(2);
    });

    it("should surface a caller who is not the admin as OperatorRegistry_NotAdmin", async function () {
      const { aliceClient, eve } = await loadFixture(clientFixture);
      const error = await expectRevert(aliceClient.connect(eve).addSigner(1, addr(3)), "OperatorRegistry_NotAdmin");
      expect(error.args).to.deep.equal({ operatorId: 1n, caller: eve.address });
    });

    it("should surface contract rules as typed errors", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      const inactive = await expectRevert(aliceClient.revokeSigner(1, addr(3)), "OperatorRegistry_NotActiveSigner");
      expect(inactive.args).to.deep.equal({ operatorId: 1n, signer: addr(3) });
      await aliceClient.revokeSigner(1, addr(1));
      const reused = await expectRevert(aliceClient.addSigner(1, addr(1)), "OperatorRegistry_SignerTaken");
      expect(reused.args).to.deep.equal({ signer: addr(1), ownerId: 1n });
    });

    it("should reject bad keys before sending", async function () {
      const { registryAddress } = await loadFixture(clientFixture);
      const runner = recordingRunner();
      const client = new RegistryClient(registryAddress, runner);
      await expectInvalid(client.addSigner(1, ethers.ZeroAddress), "signer");
      await expectInvalid(client.addSigner(0, addr(3)), "operatorId");
      await expectInvalid(client.revokeSigner(1, "0x12"), "signer");
      await expectInvalid(client.rotateSigner(1, "nope", addr(4)), "oldSigner");
      await expectInvalid(client.rotateSigner(1, addr(2), ethers.ZeroAddress), "newSigner");
      await expectInvalid(client.rotateSigner(1, addr(2), addr(2).toLowerCase()), "newSigner");
      expect(runner.sent).to.have.length(0);
    });
  });

  describe("when the admin manages payout, metadata and admin", function () {
    it("should change the payout address", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      await aliceClient.setPayout(1, addr(101));
      expect((await aliceClient.getOperator(1)).payout).to.equal(addr(101));
      await expectInvalid(aliceClient.setPayout(1, ethers.ZeroAddress), "payout");
    });

    it("should change the metadata URI", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      await aliceClient.setMetadataURI(1, "https://alice.example/profile.json");
      expect((await aliceClient.getOperator(1)).metadataURI).to.equal("https://alice.example/profile.json");
      await aliceClient.setMetadataURI(1, "");
      expect((await aliceClient.getOperator(1)).metadataURI).to.equal("");
      await expectInvalid(aliceClient.setMetadataURI(1, undefined as unknown as string), "metadataURI");
    });

    it("should transfer the admin role in two steps", async function () {
      const { aliceClient, bob, alice } = await loadFixture(clientFixture);
      await aliceClient.transferAdmin(1, bob.address);
      expect((await aliceClient.getOperator(1)).pendingAdmin).to.equal(bob.address);

      await aliceClient.connect(bob).acceptAdmin(1);
      const operator = await aliceClient.getOperator(1);
      expect(operator.admin).to.equal(bob.address);
      expect(operator.pendingAdmin).to.equal(undefined);
      await expectRevert(aliceClient.connect(alice).setPayout(1, addr(5)), "OperatorRegistry_NotAdmin");
    });

    it("should cancel a pending transfer with the zero address", async function () {
      const { aliceClient, bob } = await loadFixture(clientFixture);
      await aliceClient.transferAdmin(1, bob.address);
      await aliceClient.transferAdmin(1, ethers.ZeroAddress);
      expect((await aliceClient.getOperator(1)).pendingAdmin).to.equal(undefined);
      const error = await expectRevert(aliceClient.connect(bob).acceptAdmin(1), "OperatorRegistry_NotPendingAdmin");
      expect(error.args).to.deep.equal({ operatorId: 1n, caller: bob.address });
    });

    it("should reject a malformed new admin before sending", async function () {
      const { aliceClient } = await loadFixture(clientFixture);
      await expectInvalid(aliceClient.transferAdmin(1, "bob"), "newAdmin");
      await expectInvalid(aliceClient.acceptAdmin(-3), "operatorId");
    });
  });

  describe("when the registrar manages TADIG codes", function () {
    it("should add and remove a code", async function () {
      const { registrarClient } = await loadFixture(clientFixture);
      await registrarClient.addTadig(1, "DEUD3");
      expect((await registrarClient.findByTadig("DEUD3"))?.id).to.equal(1n);
      await registrarClient.removeTadig(1, "DEUD1");
      expect(await registrarClient.findByTadig("DEUD1")).to.equal(undefined);
      expect((await registrarClient.getOperator(1)).tadigs).to.have.members(["DEUD2", "DEUD3"]);
    });

    it("should surface contract rules and reject malformed codes", async function () {
      const { registrarClient, aliceClient } = await loadFixture(clientFixture);
      await expectRevert(aliceClient.addTadig(1, "DEUD3"), "AccessManagedUnauthorized");
      await expectRevert(registrarClient.removeTadig(1, "GBRCN"), "OperatorRegistry_TadigNotOwned");
      await expectInvalid(registrarClient.addTadig(1, "deud3"), "tadig", InvalidTadigError);
      await expectInvalid(registrarClient.removeTadig(1, "DEUD"), "tadig", InvalidTadigError);
    });
  });

  describe("when a write is asked of a client that cannot send", function () {
    it("should throw SignerRequiredError for a client with a provider or no runner", async function () {
      const { registryAddress } = await loadFixture(clientFixture);
      for (const runner of [ethers.provider, null]) {
        const client = new RegistryClient(registryAddress, runner);
        expect(await rejection(client.addSigner(1, addr(3)))).to.be.instanceOf(SignerRequiredError);
      }
      // Validation still comes first.
      await expectInvalid(new RegistryClient(registryAddress).addSigner(1, ethers.ZeroAddress), "signer");
    });
  });

  describe("when writes are built as transactions", function () {
    it("should build { to, data, value: 0n } that decodes to the call", async function () {
      const { registryAddress, bob } = await loadFixture(deployRegistryFixture);
      const build = new RegistryTransactionBuilder(registryAddress);
      const iface = OperatorRegistry__factory.createInterface();
      const tx = build.addSigner(1, addr(3).toLowerCase());
      expect(tx).to.deep.equal({
        to: registryAddress,
        data: iface.encodeFunctionData("addSigner", [1, addr(3)]),
        value: 0n,
      });

      const calls: [ReturnType<RegistryTransactionBuilder["acceptAdmin"]>, string, unknown[]][] = [
        [
          build.register({
            tadigs: ["GBRCN"],
            admin: bob.address,
            payout: addr(7),
            signers: [addr(8)],
            metadataURI: "m",
          }),
          "registerOperator",
          [["0x474252434e"], bob.address, addr(7), [addr(8)], "m"],
        ],
        [build.addTadig(2, "DEUD3"), "addTadig", [2n, "0x4445554433"]],
        [build.removeTadig(2, "DEUD3"), "removeTadig", [2n, "0x4445554433"]],
        [build.suspendOperator(2, REASON), "suspendOperator", [2n, REASON]],
        [build.reinstateOperator(2, REASON), "reinstateOperator", [2n, REASON]],
        [build.exitOperator(2, REASON), "exitOperator", [2n, REASON]],
        [build.revokeSigner(2, addr(3)), "revokeSigner", [2n, addr(3)]],
        [build.rotateSigner(2, addr(3), addr(4)), "rotateSigner", [2n, addr(3), addr(4)]],
        [build.setPayout(2, addr(5)), "setPayout", [2n, addr(5)]],
        [build.setMetadataURI(2, "u"), "setMetadataURI", [2n, "u"]],
        [build.transferAdmin(2, addr(6)), "transferAdmin", [2n, addr(6)]],
        [build.acceptAdmin(2), "acceptAdmin", [2n]],
      ];
      for (const [built, name, args] of calls) {
        expect(built.to).to.equal(registryAddress);
        expect(built.value).to.equal(0n);
        const parsed = iface.parseTransaction({ data: built.data });
        expect(parsed?.name).to.equal(name);
        expect(parsed?.args.toArray(true)).to.deep.equal(args);
      }
    });

    it("should have the same effect as the client when sent by any signer", async function () {
      const { registryAddress, registrar, alice, bob, pauser, governor } = await loadFixture(deployRegistryFixture);
      const build = new RegistryTransactionBuilder(registryAddress);
      const reader = new RegistryClient(registryAddress, ethers.provider);

      await registrar.sendTransaction(
        build.register({
          tadigs: ["GBRCN"],
          admin: alice.address,
          payout: addr(7),
          signers: [addr(8)],
          metadataURI: "m",
        }),
      );
      expect((await reader.findByTadig("GBRCN"))?.admin).to.equal(alice.address);

      await registrar.sendTransaction(build.addTadig(1, "GBRVF"));
      await registrar.sendTransaction(build.removeTadig(1, "GBRCN"));
      expect((await reader.getOperator(1)).tadigs).to.deep.equal(["GBRVF"]);

      await alice.sendTransaction(build.addSigner(1, addr(3)));
      await alice.sendTransaction(build.revokeSigner(1, addr(8)));
      await alice.sendTransaction(build.rotateSigner(1, addr(3), addr(4)));
      expect(await reader.isSigner(1, addr(4))).to.equal(true);
      expect(await reader.isSigner(1, addr(3))).to.equal(false);

      await alice.sendTransaction(build.setPayout(1, addr(9)));
      await alice.sendTransaction(build.setMetadataURI(1, "ipfs://new"));
      await alice.sendTransaction(build.transferAdmin(1, bob.address));
      await bob.sendTransaction(build.acceptAdmin(1));
      expect(await reader.getOperator(1)).to.deep.include({
        payout: addr(9),
        metadataURI: "ipfs://new",
        admin: bob.address,
      });

      await pauser.sendTransaction(build.suspendOperator(1, REASON));
      expect((await reader.getOperator(1)).status).to.equal("suspended");
      await governor.sendTransaction(build.reinstateOperator(1, REASON));
      expect(await reader.isActive(1)).to.equal(true);
      await governor.sendTransaction(build.exitOperator(1, REASON));
      expect((await reader.getOperator(1)).status).to.equal("exited");
    });

    it("should validate like the client, without any network", function () {
      const build = new RegistryTransactionBuilder(addr(77));
      const field = (fn: () => unknown) => {
        try {
          fn();
        } catch (error) {
          expect(error).to.be.instanceOf(InvalidArgumentError);
          return (error as InvalidArgumentError).field;
        }
        return expect.fail("expected a throw");
      };
      expect(field(() => build.addSigner(1, "0x00"))).to.equal("signer");
      expect(field(() => build.addTadig(1, "DEU"))).to.equal("tadig");
      expect(field(() => build.setPayout(2n ** 32n, addr(1)))).to.equal("operatorId");
      expect(field(() => build.suspendOperator(1, "0x" + "00".repeat(31)))).to.equal("reason");
      expect(field(() => build.register(null as unknown as RegisterOperatorParams))).to.equal("params");
      expect(() => new RegistryTransactionBuilder("0x0")).to.throw(InvalidArgumentError);
    });
  });
});
