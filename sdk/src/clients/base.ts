/**
 * The scaffolding every client of the suite shares, written once: a transaction builder holds a contract's address
 * and wraps encoded calls as `{ to, data, value: 0n }`; a client holds the address, its runner (who reads and sends),
 * the contract's binding and its builder, and reconnects to another runner.
 */
import type { ContractRunner, Provider } from "ethers";

import { InvalidArgumentError } from "../errors";
import { toAddress } from "../validation";
import type { BuiltTransaction } from "./registry";

/**
 * Pure builders of one contract's write transactions: each validates its input, encodes the call and returns
 * `{ to, data, value: 0n }`, without touching the network.
 */
export abstract class TransactionBuilder {
  /** The contract's address (checksummed). */
  readonly address: string;

  /** @param address The contract's address (refused with an `InvalidArgumentError` naming `address` if malformed). */
  constructor(address: string) {
    this.address = toAddress(address, "address");
  }

  /** The transaction calling the contract with `data`. */
  protected tx(data: string): BuiltTransaction {
    return { to: this.address, data, value: 0n };
  }
}

/** Makes a contract's binding at `address` for `runner`: a TypeChain factory, or a function. */
export type Bind<Binding> =
  | { connect(address: string, runner: ContractRunner | null): Binding }
  | ((address: string, runner: ContractRunner | null) => Binding);

/** Reads and writes one contract of the suite at one address. */
export abstract class SuiteClient<Binding, Builder extends TransactionBuilder> {
  /** The contract's address (checksummed). */
  readonly address: string;
  /** Who reads (a provider or signer) and sends (a signer); null for a client used only to build transactions. */
  readonly runner: ContractRunner | null;
  /** The contract's binding, for anything this client does not wrap. */
  readonly contract: Binding;
  /** Pure transaction builders, e.g. `client.build.withdraw(...)` → `{ to, data, value: 0n }`. */
  readonly build: Builder;

  /**
   * @param build The contract's transaction builder (it checks the address).
   * @param runner A signer (to read and write) or a provider (to read only).
   * @param bind Makes the binding.
   */
  protected constructor(build: Builder, runner: ContractRunner | null, bind: Bind<Binding>) {
    this.build = build;
    this.address = build.address;
    this.runner = runner;
    // a TypeChain factory is a class (a function too): its static `connect` makes the binding
    this.contract = "connect" in bind ? bind.connect(this.address, runner) : bind(this.address, runner);
  }

  /** The runner's provider, for reads that are not calls (blocks, network); refused naming `runner` without one. */
  protected provider(): Provider {
    const provider = this.runner?.provider;
    if (!provider) throw new InvalidArgumentError("the client needs a runner with a provider", { field: "runner" });
    return provider;
  }

  /** The same client through another runner (e.g. the signer of another operator's admin). */
  connect(runner: ContractRunner | null): this {
    const Client = this.constructor as new (address: string, runner: ContractRunner | null) => this;
    return new Client(this.address, runner);
  }
}

/** A contract's ABI interface, made on first use and kept (a TypeChain factory's `createInterface` parses the ABI). */
export function lazyInterface<I>(factory: { createInterface(): I }): () => I {
  let made: I | undefined;
  return () => (made ??= factory.createInterface());
}
