import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, BrowserProvider, concat, Interface, isError, makeError, type Eip1193Provider } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";

import {
  decodeRoamLedgerError,
  ErrorDecoder,
  isRoamLedgerContractError,
  RoamLedgerContractError,
  SUITE_ERROR_SOURCES,
  suiteErrorDecoder,
  withDecodedErrors,
} from "../../sdk/src/errors";
import { encodeTadig } from "../../sdk/src/tadig";
import { AccessManaged__factory, OperatorRegistry__factory, RoamLedgerManager__factory } from "../../sdk/src/typechain";
import { addr, deployRegistryFixture, freshKey, rejection } from "./fixture";

const registryInterface = OperatorRegistry__factory.createInterface();
const UNKNOWN_TADIG_DATA = registryInterface.encodeErrorResult("OperatorRegistry_UnknownTadig", ["0x4445554431"]);

/** An ethers CallException as its providers make it, carrying `data`. */
function callException(data: string | null) {
  return makeError("execution reverted", "CALL_EXCEPTION", {
    action: "call",
    data,
    reason: null,
    transaction: { to: null, data: "0x" },
    invocation: null,
    revert: null,
  });
}

/** A fixture with operator 1 registered (TADIG DEUD1, admin alice). */
async function registeredFixture() {
  const f = await deployRegistryFixture();
  await f.registry
    .connect(f.registrar)
    .registerOperator([encodeTadig("DEUD1")], f.alice.address, f.alice.address, [freshKey()], "ipfs://alice");
  return f;
}

describe("errors", function () {
  describe("when decoding reverts of the deployed registry", function () {
    it("should decode a malformed TADIG as OperatorRegistry_InvalidTadig with its args", async function () {
      const { registry, registrar, alice } = await loadFixture(deployRegistryFixture);
      const thrown = await rejection(
        registry.connect(registrar).registerOperator(["0x6465756431"], alice.address, alice.address, [freshKey()], ""),
      );
      const decoded = decodeRoamLedgerError(thrown);
      expect(decoded).to.be.instanceOf(RoamLedgerContractError).and.instanceOf(Error);
      expect(decoded?.name).to.equal("OperatorRegistry_InvalidTadig");
      expect(decoded?.signature).to.equal("OperatorRegistry_InvalidTadig(bytes5)");
      expect(decoded?.selector).to.equal(registryInterface.getError("OperatorRegistry_InvalidTadig")?.selector);
      expect(decoded?.args).to.deep.equal({ tadig: "0x6465756431" });
      expect(decoded?.positionalArgs).to.deep.equal(["0x6465756431"]);
      expect(decoded?.data).to.equal(
        registryInterface.encodeErrorResult("OperatorRegistry_InvalidTadig", ["0x6465756431"]),
      );
      expect(decoded?.message).to.equal("OperatorRegistry_InvalidTadig(tadig: 0x6465756431)");
      expect(decoded?.cause).to.equal(thrown);
    });

    it("should decode an unauthorized caller as OpenZeppelin's AccessManagedUnauthorized", async function () {
      const { registry, eve } = await loadFixture(deployRegistryFixture);
      const thrown = await rejection(
        registry.connect(eve).registerOperator([encodeTadig("DEUD1")], eve.address, eve.address, [freshKey()], ""),
      );
      const decoded = decodeRoamLedgerError(thrown);
      expect(decoded?.name).to.equal("AccessManagedUnauthorized");
      expect(decoded?.args).to.deep.equal({ caller: eve.address });
    });

    it("should decode a taken TADIG with the owner's id as a bigint", async function () {
      const { registry, registrar, bob } = await loadFixture(registeredFixture);
      const thrown = await rejection(
        registry
          .connect(registrar)
          .registerOperator([encodeTadig("DEUD1")], bob.address, bob.address, [freshKey()], ""),
      );
      const decoded = decodeRoamLedgerError(thrown);
      expect(decoded?.name).to.equal("OperatorRegistry_TadigTaken");
      expect(decoded?.args).to.deep.equal({ tadig: encodeTadig("DEUD1"), ownerId: 1n });
      expect(decoded?.positionalArgs).to.deep.equal([encodeTadig("DEUD1"), 1n]);
      expect(decoded?.message).to.equal("OperatorRegistry_TadigTaken(tadig: 0x4445554431, ownerId: 1)");
    });

    it("should decode string and enum arguments", async function () {
      const { registry, registrar, governor, alice } = await loadFixture(registeredFixture);
      const zero = decodeRoamLedgerError(
        await rejection(
          registry
            .connect(registrar)
            .registerOperator([encodeTadig("GBRCN")], hre.ethers.ZeroAddress, alice, [freshKey()], ""),
        ),
      );
      expect(zero?.name).to.equal("OperatorRegistry_ZeroAddress");
      expect(zero?.args).to.deep.equal({ field: "admin" });
      expect(zero?.message).to.equal('OperatorRegistry_ZeroAddress(field: "admin")');

      await registry.connect(governor).exitOperator(1, hre.ethers.ZeroHash);
      const status = decodeRoamLedgerError(
        await rejection(registry.connect(governor).exitOperator(1, hre.ethers.ZeroHash)),
      );
      expect(status?.name).to.equal("OperatorRegistry_InvalidStatus");
      expect(status?.args).to.deep.equal({ operatorId: 1n, status: 3n });
    });

    it("should decode a revert of a view call", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const decoded = decodeRoamLedgerError(await rejection(registry.getOperator(7)));
      expect(decoded?.name).to.equal("OperatorRegistry_UnknownOperator");
      expect(decoded?.args).to.deep.equal({ operatorId: 7n });
    });

    it("should decode the AccessManager's own errors", async function () {
      const { manager, eve } = await loadFixture(deployRegistryFixture);
      const decoded = decodeRoamLedgerError(await rejection(manager.connect(eve).grantRole(2, eve.address, 0)));
      expect(decoded?.name).to.equal("AccessManagerUnauthorizedAccount");
      expect(decoded?.args).to.deep.equal({ msgsender: eve.address, roleId: 0n });
    });

    it("should decode the CallException of an ethers JSON-RPC provider", async function () {
      const { registryAddress } = await loadFixture(registeredFixture);
      // A plain ethers provider over the node's EIP-1193 interface: errors go through ethers' JSON-RPC handling.
      const provider = new BrowserProvider(hre.network.provider as unknown as Eip1193Provider);
      const registry = OperatorRegistry__factory.connect(registryAddress, provider);
      const thrown = await rejection(registry.operatorOfTadig(encodeTadig("GBRCN")));
      expect(isError(thrown, "CALL_EXCEPTION")).to.equal(true);
      const decoded = decodeRoamLedgerError(thrown);
      expect(decoded?.name).to.equal("OperatorRegistry_UnknownTadig");
      expect(decoded?.args).to.deep.equal({ tadig: encodeTadig("GBRCN") });

      const signer = await provider.getSigner(7);
      const sent = await rejection(OperatorRegistry__factory.connect(registryAddress, signer).addSigner(1, addr(5)));
      expect(decodeRoamLedgerError(sent)?.name).to.equal("OperatorRegistry_NotAdmin");
      expect(decodeRoamLedgerError(sent)?.args).to.deep.equal({ operatorId: 1n, caller: await signer.getAddress() });
    });
  });

  describe("when finding revert data in an error", function () {
    const shapes: [label: string, error: unknown][] = [
      ["raw hex data", UNKNOWN_TADIG_DATA],
      ["raw hex data in upper case", "0x" + UNKNOWN_TADIG_DATA.slice(2).toUpperCase()],
      ["an ethers CallException", callException(UNKNOWN_TADIG_DATA)],
      ["a top-level data field", { message: "reverted", data: UNKNOWN_TADIG_DATA }],
      ["a nested error.data", { code: -32000, error: { code: 3, data: UNKNOWN_TADIG_DATA } }],
      ["info.error.data", { code: "UNKNOWN_ERROR", info: { error: { code: 3, data: UNKNOWN_TADIG_DATA } } }],
      ["a data object holding data", { error: { data: { message: "reverted", data: UNKNOWN_TADIG_DATA } } }],
      ["an error's cause", new Error("wrapped", { cause: { data: UNKNOWN_TADIG_DATA } })],
      [
        "a JSON-RPC body",
        { body: JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: 3, data: UNKNOWN_TADIG_DATA } }) },
      ],
    ];

    for (const [label, error] of shapes) {
      it(`should find it in ${label}`, function () {
        const decoded = decodeRoamLedgerError(error);
        expect(decoded?.name).to.equal("OperatorRegistry_UnknownTadig");
        expect(decoded?.args).to.deep.equal({ tadig: "0x4445554431" });
        expect(decoded?.data).to.equal(UNKNOWN_TADIG_DATA);
      });
    }

    it("should skip data it does not know and use data it knows deeper down", function () {
      const decoded = decodeRoamLedgerError({ data: "0xdeadbeef", error: { data: UNKNOWN_TADIG_DATA } });
      expect(decoded?.name).to.equal("OperatorRegistry_UnknownTadig");
    });

    it("should return an already decoded error as is", function () {
      const decoded = decodeRoamLedgerError(UNKNOWN_TADIG_DATA);
      expect(decodeRoamLedgerError(decoded)).to.equal(decoded);
    });

    it("should survive a cyclic error object", function () {
      const cyclic: Record<string, unknown> = { message: "cyclic" };
      cyclic.error = cyclic;
      expect(decodeRoamLedgerError(cyclic)).to.equal(undefined);
    });
  });

  describe("when the data is unknown", function () {
    const unknown: [label: string, value: unknown][] = [
      ["an unknown selector", "0xdeadbeef0000000000000000000000000000000000000000000000000000000000000001"],
      ["an empty revert", "0x"],
      ["fewer than 4 bytes", "0x1234"],
      ["odd-length hex", UNKNOWN_TADIG_DATA + "0"],
      ["text", "execution reverted"],
      ["undefined", undefined],
      ["null", null],
      ["a number", 42],
      ["an Error without data", new Error("network down")],
      ["a CallException without data", callException(null)],
      ["a known selector with truncated arguments", UNKNOWN_TADIG_DATA.slice(0, 20)],
    ];

    for (const [label, value] of unknown) {
      it(`should give undefined for ${label}`, function () {
        expect(decodeRoamLedgerError(value)).to.equal(undefined);
      });
    }

    it("should still decode Solidity's built-in Error(string) and Panic(uint256)", function () {
      const reason = concat(["0x08c379a0", AbiCoder.defaultAbiCoder().encode(["string"], ["boom"])]);
      expect(decodeRoamLedgerError(reason)?.name).to.equal("Error");
      expect(decodeRoamLedgerError(reason)?.positionalArgs).to.deep.equal(["boom"]);
      expect(decodeRoamLedgerError(reason)?.message).to.equal('Error("boom")');
      const panic = concat(["0x4e487b71", AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11])]);
      expect(decodeRoamLedgerError(panic)?.name).to.equal("Panic");
      expect(decodeRoamLedgerError(panic)?.positionalArgs).to.deep.equal([0x11n]);
    });
  });

  describe("when wrapping an operation with withDecodedErrors", function () {
    it("should pass a result through", async function () {
      expect(await withDecodedErrors(Promise.resolve(5n))).to.equal(5n);
      expect(await withDecodedErrors(async () => "ok")).to.equal("ok");
    });

    it("should rethrow a known revert decoded, with the original as cause", async function () {
      const original = callException(UNKNOWN_TADIG_DATA);
      const thrown = await rejection(withDecodedErrors(Promise.reject(original)));
      expect(thrown).to.be.instanceOf(RoamLedgerContractError);
      expect(isRoamLedgerContractError(thrown, "OperatorRegistry_UnknownTadig")).to.equal(true);
      expect((thrown as RoamLedgerContractError).cause).to.equal(original);
    });

    it("should rethrow anything else unchanged", async function () {
      const original = new Error("network down");
      expect(await rejection(withDecodedErrors(() => Promise.reject(original)))).to.equal(original);
      const unknown = { data: "0xdeadbeef" };
      expect(await rejection(withDecodedErrors(Promise.reject(unknown)))).to.equal(unknown);
    });

    it("should decode real reverts of the registry", async function () {
      const { registry } = await loadFixture(deployRegistryFixture);
      const thrown = await rejection(withDecodedErrors(() => registry.operatorOfTadig(encodeTadig("DEUD1"))));
      expect(isRoamLedgerContractError(thrown, "OperatorRegistry_UnknownTadig")).to.equal(true);
      expect(isRoamLedgerContractError(thrown, "OperatorRegistry_TadigTaken")).to.equal(false);
      expect(isRoamLedgerContractError(new Error("x"))).to.equal(false);
    });
  });

  describe("when listing the errors the decoder knows", function () {
    it("should know every error of every suite contract", function () {
      const known = new Set(suiteErrorDecoder().errorSignatures);
      for (const abi of [OperatorRegistry__factory.abi, RoamLedgerManager__factory.abi]) {
        new Interface(abi).forEachError((fragment) => {
          expect(known.has(fragment.format("sighash")), fragment.format("sighash")).to.equal(true);
        });
      }
      expect(known.has("AccessManagedUnauthorized(address)")).to.equal(true);
      expect(SUITE_ERROR_SOURCES.map((s) => s.contract)).to.include.members(["OperatorRegistry", "RoamLedgerManager"]);
    });

    it("should carry AccessManaged's errors exactly as its TypeChain factory's ABI has them", function () {
      const source = SUITE_ERROR_SOURCES.find((s) => s.contract === "AccessManaged");
      expect(source?.abi).to.deep.equal(AccessManaged__factory.abi.filter((f) => f.type === "error"));
    });

    it("should let a decoder be built for other ABIs", function () {
      const decoder = new ErrorDecoder([{ contract: "Custom", abi: [{ type: "error", name: "Nope", inputs: [] }] }]);
      const data = new Interface(["error Nope()"]).encodeErrorResult("Nope", []);
      expect(decoder.decode(data)?.name).to.equal("Nope");
      expect(decoder.decode(UNKNOWN_TADIG_DATA)).to.equal(undefined);
    });
  });
});
