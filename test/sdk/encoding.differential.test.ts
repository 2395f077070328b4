import { expect } from "chai";
import {
  AbiCoder,
  Interface,
  SigningKey,
  TypedDataEncoder,
  decodeBytes32String as ethersDecodeBytes32String,
  encodeBytes32String as ethersEncodeBytes32String,
  getAddress as ethersGetAddress,
  getIcapAddress,
  isAddress as ethersIsAddress,
  isHexString as ethersIsHexString,
  keccak256 as ethersKeccak256,
  recoverAddress as ethersRecoverAddress,
  toUtf8Bytes,
  type TypedDataField as EthersTypedDataField,
} from "ethers";
import fc from "fast-check";

import { CLASS_TERMS_ABI } from "../../sdk/src/capacity/terms";
import {
  abiEncode,
  bytesToHex,
  decodeBytes32String,
  encodeBytes32String,
  getAddress,
  hashStruct,
  hashTypedData,
  isAddress,
  isHexString,
  keccak256,
  recoverAddress,
  utf8Bytes,
} from "../../sdk/src/encoding";
import { ErrorDecoder, SUITE_ERROR_SOURCES, type JsonFragment } from "../../sdk/src/errors";
import { RECORD_LEAF_TYPES } from "../../sdk/src/merkle/leaf";
import { AGREEMENT_TERMS_TYPES, AMENDMENT_TYPES, OFFER_TYPES } from "../../sdk/src/typedData/agreements";
import {
  BATCH_HEADER_TYPES,
  BATCH_TOTALS_TYPES,
  RESOLUTION_TYPES,
  VOUCHER_TYPES,
} from "../../sdk/src/typedData/clearing";

/**
 * Differential test: the SDK's own encoding (`sdk/src/encoding`, on `@noble/hashes` only) and ethers v6 must agree on
 * every input: the same bytes, or both refusing. Keccak-256, UTF-8, checksummed addresses (both cases, ICAP),
 * `abi.encode` of every type the pure modules encode, EIP-712 struct hashes and digests of each of the SDK's typed-data
 * types, `bytes32` strings, custom-error decoding and signer recovery.
 */
const RUNS = 300;
const coder = AbiCoder.defaultAbiCoder();

/** The outcome of `f`: its value, or that it threw. */
function outcome<T>(f: () => T): { ok: T } | { threw: true } {
  try {
    return { ok: f() };
  } catch {
    return { threw: true };
  }
}

const bytesArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const hexArb = (n: number) => bytesArb(n, n).map((b) => bytesToHex(b));
const addressArb = hexArb(20).map((hex) => ethersGetAddress(hex));
/** Strings of any UTF-16 code units, lone surrogates included. */
const utf16Arb = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const textArb = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), utf16Arb);
const uintArb = (bits: number) =>
  fc.oneof(fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n }), fc.constantFrom(0n, 2n ** BigInt(bits) - 1n));

/** A random value of the EIP-712 (or ABI) `type`, with `types` the structs it may name. */
function valueOf(type: string, types: Record<string, readonly EthersTypedDataField[]>): fc.Arbitrary<unknown> {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array !== null) {
    const element = valueOf(array[1], types);
    return array[2] === ""
      ? fc.array(element, { maxLength: 5 })
      : fc.array(element, { minLength: Number(array[2]), maxLength: Number(array[2]) });
  }
  if (types[type] !== undefined) {
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of types[type]) model[field.name] = valueOf(field.type, types);
    return fc.record(model);
  }
  const uint = /^uint(\d+)$/.exec(type);
  if (uint !== null) return uintArb(Number(uint[1]));
  const int = /^int(\d+)$/.exec(type);
  if (int !== null) {
    const bound = 2n ** BigInt(Number(int[1]) - 1);
    return fc.bigInt({ min: -bound, max: bound - 1n });
  }
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed !== null) return hexArb(Number(fixed[1]));
  switch (type) {
    case "address":
      return addressArb;
    case "bool":
      return fc.boolean();
    case "string":
      return fc.string({ unit: "grapheme" });
    case "bytes":
      return bytesArb(0, 80).map((b) => bytesToHex(b));
  }
  throw new Error(`no arbitrary for ${type}`);
}

describe("SDK encoding (differential against ethers)", function () {
  describe("when hashing bytes", function () {
    it("should equal ethers' keccak256 on random bytes and hex", function () {
      fc.assert(
        fc.property(bytesArb(0, 300), (bytes) => {
          expect(keccak256(bytes)).to.equal(ethersKeccak256(bytes));
          expect(keccak256(bytesToHex(bytes))).to.equal(ethersKeccak256(bytesToHex(bytes)));
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("when encoding text", function () {
    it("should write the UTF-8 bytes of ethers' toUtf8Bytes, or refuse the same strings", function () {
      fc.assert(
        fc.property(textArb, (text) => {
          const ours = outcome(() => bytesToHex(utf8Bytes(text)));
          const theirs = outcome(() => bytesToHex(toUtf8Bytes(text)));
          expect(ours).to.deep.equal(theirs);
        }),
        { numRuns: RUNS },
      );
    });

    it("should encode and decode bytes32 strings as ethers does", function () {
      fc.assert(
        fc.property(textArb, hexArb(32), fc.integer({ min: 0, max: 32 }), (text, word, zeros) => {
          expect(outcome(() => encodeBytes32String(text))).to.deep.equal(
            outcome(() => ethersEncodeBytes32String(text)),
          );
          // A random word with its last `zeros` bytes cleared (a valid string when the bytes before are UTF-8).
          const data = word.slice(0, 66 - 2 * zeros) + "00".repeat(zeros);
          expect(outcome(() => decodeBytes32String(data))).to.deep.equal(
            outcome(() => ethersDecodeBytes32String(data)),
          );
          const encoded = outcome(() => ethersEncodeBytes32String(text));
          if ("ok" in encoded) {
            expect(outcome(() => decodeBytes32String(encoded.ok))).to.deep.equal(
              outcome(() => ethersDecodeBytes32String(encoded.ok)),
            );
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("should tell hex strings as ethers' isHexString does", function () {
      const candidate = fc.oneof(
        hexArb(32),
        hexArb(65),
        bytesArb(0, 40).map((b) => bytesToHex(b).toUpperCase().replace("0X", "0x")),
        fc.string(),
        fc.constantFrom("0x", "0x0", "0xg0", "00", "0X00"),
      );
      fc.assert(
        fc.property(candidate, fc.constantFrom(undefined, 32, 65, true), (value, length) => {
          expect(isHexString(value, length)).to.equal(ethersIsHexString(value, length));
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("when checksumming addresses", function () {
    it("should equal ethers' getAddress and isAddress in lower, upper, checksummed, mixed and ICAP forms", function () {
      const forms = fc.tuple(hexArb(20), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 })).map(([hex, ups]) => {
        const digits = hex.slice(2);
        const mixed = digits
          .split("")
          .map((c, i) => (ups[i] ? c.toUpperCase() : c))
          .join("");
        return [
          hex,
          "0x" + digits.toUpperCase(),
          digits,
          ethersGetAddress(hex),
          ethersGetAddress(hex).slice(2),
          "0x" + mixed,
          getIcapAddress(hex),
          getIcapAddress(hex).toLowerCase(),
          hex.slice(0, 41),
          hex + "0",
        ];
      });
      fc.assert(
        fc.property(forms, (candidates) => {
          for (const candidate of candidates) {
            expect(
              outcome(() => getAddress(candidate)),
              candidate,
            ).to.deep.equal(outcome(() => ethersGetAddress(candidate)));
            expect(isAddress(candidate), candidate).to.equal(ethersIsAddress(candidate));
          }
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("when ABI-encoding", function () {
    const cases: { name: string; types: readonly string[] }[] = [
      { name: "the record leaf", types: RECORD_LEAF_TYPES },
      { name: "a period salt", types: ["bytes32", "bytes32", "uint256"] },
      { name: "a subscriber hash", types: ["bytes32", "string"] },
      { name: "a record id", types: ["bytes32", "uint8", "uint64", "string"] },
      { name: "an agreement id", types: ["bytes32", "uint32"] },
      { name: "a document commitment", types: ["bytes32", "bytes32"] },
      { name: "other atoms", types: ["address", "bool", "int256", "int40", "bytes5", "bytes", "uint16"] },
      { name: "arrays", types: ["uint8[]", "bytes32[2]", "string[]", "uint64[3][]"] },
    ];
    for (const { name, types } of cases) {
      it(`should equal ethers' AbiCoder.encode for ${name} (${types.join(", ")})`, function () {
        fc.assert(
          fc.property(fc.tuple(...types.map((t) => valueOf(t, {}))), (values) => {
            expect(abiEncode(types, values)).to.equal(coder.encode(types, values));
          }),
          { numRuns: RUNS },
        );
      });
    }

    it("should equal ethers' AbiCoder.encode for capacity class terms (a tuple of tuples)", function () {
      const terms = fc.record({
        issuerId: uintArb(32),
        kind: fc.integer({ min: 0, max: 4 }),
        unit: hexArb(32),
        validFrom: uintArb(40),
        validUntil: uintArb(40),
        maxSupply: uintArb(64),
        region: hexArb(32),
        salt: hexArb(32),
        slice: fc.record({
          snssai: uintArb(32),
          throughputKbps: uintArb(32),
          latencyMs: uintArb(32),
          availabilityBp: uintArb(16),
          creditToken: addressArb,
          creditPerUnitHour: uintArb(128),
        }),
        spectrum: fc.record({
          bandPlanId: uintArb(32),
          areaId: uintArb(32),
          firstChannel: uintArb(16),
          channelCount: uintArb(16),
          firstSlot: uintArb(32),
          slotCount: uintArb(32),
          exclusive: fc.boolean(),
        }),
      });
      fc.assert(
        fc.property(terms, (value) => {
          expect(abiEncode([CLASS_TERMS_ABI], [value])).to.equal(coder.encode([CLASS_TERMS_ABI], [value]));
        }),
        { numRuns: RUNS },
      );
    });

    it("should refuse the values ethers refuses (out of range, wrong length, not an address)", function () {
      const bad = fc.oneof(
        fc.tuple(fc.constant("uint8"), fc.bigInt({ min: -300n, max: 600n })),
        fc.tuple(fc.constant("uint64"), fc.oneof(fc.bigInt({ min: 2n ** 63n, max: 2n ** 65n }), fc.double())),
        fc.tuple(fc.constant("int8"), fc.bigInt({ min: -300n, max: 300n })),
        fc.tuple(fc.constant("bytes32"), fc.oneof(hexArb(31), hexArb(32), hexArb(33), fc.string())),
        fc.tuple(fc.constant("address"), fc.oneof(addressArb, hexArb(20), hexArb(19), fc.string())),
      );
      fc.assert(
        fc.property(bad, ([type, value]) => {
          expect(outcome(() => abiEncode([type], [value]))).to.deep.equal(outcome(() => coder.encode([type], [value])));
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("when hashing EIP-712 typed data", function () {
    const sets: { primary: string; types: Record<string, EthersTypedDataField[]> }[] = [
      { primary: "AgreementTerms", types: AGREEMENT_TERMS_TYPES },
      { primary: "Offer", types: OFFER_TYPES },
      { primary: "Amendment", types: AMENDMENT_TYPES },
      { primary: "BatchTotals", types: BATCH_TOTALS_TYPES },
      { primary: "BatchHeader", types: BATCH_HEADER_TYPES },
      { primary: "Voucher", types: VOUCHER_TYPES },
      { primary: "Resolution", types: RESOLUTION_TYPES },
    ];
    const domainArb = fc.record(
      {
        name: fc.string({ unit: "grapheme" }),
        version: fc.string(),
        chainId: fc.oneof(uintArb(256), fc.integer({ min: 0, max: 2 ** 40 })),
        verifyingContract: fc.oneof(addressArb, hexArb(20)),
        salt: hexArb(32),
      },
      { requiredKeys: [] },
    );
    for (const { primary, types } of sets) {
      it(`should equal ethers' TypedDataEncoder hashStruct and hash for ${primary}`, function () {
        fc.assert(
          fc.property(valueOf(primary, types) as fc.Arbitrary<Record<string, unknown>>, domainArb, (value, domain) => {
            expect(hashStruct(primary, types, value)).to.equal(TypedDataEncoder.hashStruct(primary, types, value));
            expect(hashTypedData(domain, types, value)).to.equal(TypedDataEncoder.hash(domain, types, value));
          }),
          { numRuns: RUNS },
        );
      });
    }

    it("should refuse what ethers refuses (a field out of range, an array of the wrong length)", function () {
      fc.assert(
        fc.property(valueOf("Offer", OFFER_TYPES), fc.bigInt({ min: 2n ** 32n, max: 2n ** 33n }), (value, big) => {
          const offer = value as { counterparty: unknown; terms: { baseTariff: unknown[] } };
          const tooBig = { ...offer, counterparty: big };
          const shortPair = { ...offer, terms: { ...offer.terms, baseTariff: offer.terms.baseTariff.slice(1) } };
          for (const bad of [tooBig, shortPair]) {
            expect(outcome(() => hashStruct("Offer", OFFER_TYPES, bad))).to.deep.equal(
              outcome(() => TypedDataEncoder.hashStruct("Offer", OFFER_TYPES, bad)),
            );
          }
        }),
        { numRuns: 100 },
      );
    });
  });

  describe("when recovering a signer", function () {
    it("should equal ethers' recoverAddress for 65-byte (v 27/28 and 0/1) and 64-byte compact signatures", function () {
      fc.assert(
        fc.property(hexArb(32), hexArb(32), (secret, digest) => {
          const key = outcome(() => new SigningKey(secret));
          fc.pre("ok" in key);
          const signature = (key as { ok: SigningKey }).ok.sign(digest);
          const raw = signature.serialized;
          const v01 = raw.slice(0, 130) + (signature.yParity === 0 ? "00" : "01");
          for (const sig of [raw, v01, signature.compactSerialized]) {
            expect(recoverAddress(digest, sig)).to.equal(ethersRecoverAddress(digest, sig));
          }
        }),
        { numRuns: 60 },
      );
    });

    it("should refuse or recover as ethers does on random signatures", function () {
      fc.assert(
        fc.property(
          fc.oneof(hexArb(32), fc.constant("0x" + "00".repeat(32))),
          fc.oneof(hexArb(65), hexArb(64), hexArb(63)),
          fc.constantFrom(undefined, 0, 1, 27, 28, 29, 35, 36, 255),
          (digest, sig, v) => {
            const signature =
              v === undefined || sig.length !== 132 ? sig : sig.slice(0, 130) + v.toString(16).padStart(2, "0");
            const theirs = outcome(() => ethersRecoverAddress(digest, signature));
            expect(outcome(() => recoverAddress(digest, signature))).to.deep.equal(theirs);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  describe("when decoding custom errors", function () {
    const errors: JsonFragment[] = [];
    const seen = new Set<string>();
    for (const source of SUITE_ERROR_SOURCES) {
      for (const fragment of source.abi) {
        if (fragment.type !== "error" || seen.has(fragment.name ?? "")) continue;
        seen.add(fragment.name ?? "");
        errors.push(fragment);
      }
    }
    const iface = new Interface([
      ...(errors as readonly JsonFragment[] as never[]),
      "error Error(string)",
      "error Panic(uint256)",
    ]);
    const decoder = new ErrorDecoder(SUITE_ERROR_SOURCES);

    /**
     * What the ethers-based decoder (the SDK's before) made of `data`. Where ethers defers a decoding error into the
     * `Result` (an address word with dirty high bits, malformed UTF-8), the old decoder threw it from `decode`; the new
     * one returns undefined, as for any malformed arguments: both count as a refusal here.
     */
    function ethersDecode(data: string) {
      try {
        const parsed = iface.parseError(data);
        if (parsed === null) return undefined;
        return {
          name: parsed.name,
          signature: parsed.signature,
          selector: parsed.selector,
          positionalArgs: parsed.args.toArray(true),
        };
      } catch {
        return undefined;
      }
    }

    const encodedError = fc.constantFrom(...errors.map((e) => e.name as string), "Error", "Panic").chain((name) => {
      const fragment = iface.getError(name);
      if (fragment === null) throw new Error(name);
      return fc
        .tuple(...fragment.inputs.map((input) => valueOf(input.type, {})))
        .map((args) => iface.encodeErrorResult(fragment, args));
    });

    it("should decode every suite error with random arguments as ethers' Interface does", function () {
      fc.assert(
        fc.property(encodedError, (data) => {
          const ours = decoder.decode(data);
          const theirs = ethersDecode(data);
          expect(theirs).to.not.equal(undefined);
          expect(ours && { ...ours }).to.deep.include({
            name: theirs?.name,
            signature: theirs?.signature,
            selector: theirs?.selector,
          });
          expect(ours?.positionalArgs).to.deep.equal(theirs?.positionalArgs);
        }),
        { numRuns: RUNS },
      );
    });

    it("should refuse the same damaged data (truncated, a byte changed, dirty padding)", function () {
      fc.assert(
        fc.property(encodedError, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (data, at, xor, cut) => {
          const bytes = Buffer.from(data.slice(2), "hex");
          const damaged = cut
            ? bytes.subarray(0, Math.max(4, at % bytes.length))
            : (() => {
                const copy = Buffer.from(bytes);
                const i = 4 + (at % Math.max(1, copy.length - 4));
                if (i < copy.length) copy[i] ^= xor;
                return copy;
              })();
          const hex = "0x" + damaged.toString("hex");
          const ours = decoder.decode(hex);
          const theirs = ethersDecode(hex);
          expect(ours === undefined, hex).to.equal(theirs === undefined);
          if (ours !== undefined) expect(ours.positionalArgs).to.deep.equal(theirs?.positionalArgs);
        }),
        { numRuns: RUNS },
      );
    });

    it("should list the error signatures in ethers' order", function () {
      const expected: string[] = [];
      new Interface(errors as never[]).forEachError((f) => expected.push(f.format("sighash")));
      expect(decoder.errorSignatures).to.deep.equal(expected);
    });
  });
});
