/**
 * The configuration of one CLI run, from global flags and the environment: the RPC, the key (or keystore), the
 * deployment's addresses, the journal directory. Everything is resolved lazily, so `--help` and offline commands
 * never touch the network.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, Wallet, type Signer } from "ethers";

import { CliConnectionError, CliUserError } from "./errors";
import type { Output } from "./output";

/** The global options (see `roamledger --help`). */
export interface GlobalOptions {
  rpc: string;
  key?: string;
  keystore?: string;
  deployment?: string;
  journal?: string;
  json?: boolean;
  quiet?: boolean;
}

/** The suite's contracts, by the names the CLI uses. */
export interface SuiteAddresses {
  manager: string;
  registry: string;
  agreements: string;
  vault: string;
  clearing: string;
  settlement: string;
  capacity: string;
  market: string;
}

/** Ignition's future ids (`RoamLedger#<Contract>`) of each address. */
export const DEPLOYMENT_KEYS: Record<keyof SuiteAddresses, string> = {
  manager: "RoamLedger#RoamLedgerManager",
  registry: "RoamLedger#OperatorRegistry",
  agreements: "RoamLedger#RoamingAgreements",
  vault: "RoamLedger#SettlementVault",
  clearing: "RoamLedger#UsageClearing",
  settlement: "RoamLedger#PeriodSettlement",
  capacity: "RoamLedger#CapacityToken",
  market: "RoamLedger#CapacityMarket",
};

/** How long the first request to the RPC may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

export class Context {
  readonly options: GlobalOptions;
  readonly out: Output;
  readonly env: NodeJS.ProcessEnv;
  #provider?: Promise<JsonRpcProvider>;
  #chainId?: bigint;
  #signer?: Promise<Wallet>;
  #addresses?: Promise<SuiteAddresses>;

  constructor(options: GlobalOptions, out: Output, env: NodeJS.ProcessEnv) {
    this.options = options;
    this.out = out;
    this.env = env;
  }

  /** The provider, once the RPC answered `eth_chainId` (else a connection error, exit 3). */
  provider(): Promise<JsonRpcProvider> {
    this.#provider ??= this.#connect();
    return this.#provider;
  }

  async chainId(): Promise<bigint> {
    await this.provider();
    return this.#chainId as bigint;
  }

  async #connect(): Promise<JsonRpcProvider> {
    const url = this.options.rpc;
    if (!/^https?:\/\//.test(url)) throw new CliUserError(`--rpc: not an http(s) URL: ${url}`, "rpc");
    let chainId: bigint;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
      });
      const body = (await response.json()) as { result?: string };
      if (typeof body.result !== "string") throw new Error(`unexpected answer ${JSON.stringify(body)}`);
      chainId = BigInt(body.result);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CliConnectionError(`cannot reach the RPC at ${url} (${cause})`);
    }
    this.#chainId = chainId;
    const network = Network.from(chainId);
    const local = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url);
    return new JsonRpcProvider(url, network, {
      staticNetwork: network,
      pollingInterval: local ? 250 : 2000,
      cacheTimeout: -1,
    });
  }

  /** Whether a key or keystore was given (without reading it). */
  get hasKey(): boolean {
    return this.options.key !== undefined || this.options.keystore !== undefined;
  }

  /** The wallet of `--key` or `--keystore` (with `ROAMLEDGER_KEYSTORE_PASSWORD`), connected to the provider. */
  signer(): Promise<Wallet> {
    this.#signer ??= this.#loadSigner();
    return this.#signer;
  }

  async #loadSigner(): Promise<Wallet> {
    const provider = await this.provider();
    const { key, keystore } = this.options;
    if (key !== undefined) {
      try {
        return new Wallet(key.startsWith("0x") ? key : `0x${key}`, provider);
      } catch {
        throw new CliUserError("--key: not a 32-byte hex private key (its value is not shown)", "key");
      }
    }
    if (keystore !== undefined) {
      const password = this.env.ROAMLEDGER_KEYSTORE_PASSWORD;
      if (password === undefined) {
        throw new CliUserError("--keystore needs its password in ROAMLEDGER_KEYSTORE_PASSWORD", "keystore");
      }
      let json: string;
      try {
        json = readFileSync(keystore, "utf8");
      } catch {
        throw new CliUserError(`--keystore: cannot read ${keystore}`, "keystore");
      }
      try {
        const wallet = await Wallet.fromEncryptedJson(json, password);
        return new Wallet(wallet.privateKey, provider);
      } catch {
        throw new CliUserError("--keystore: cannot decrypt it with ROAMLEDGER_KEYSTORE_PASSWORD", "keystore");
      }
    }
    throw new CliUserError(
      "this command sends a transaction or signs: give --key (or ROAMLEDGER_PRIVATE_KEY) or --keystore",
      "key",
    );
  }

  /** The signer as an ethers `Signer` (typed for the SDK clients). */
  async runner(): Promise<Signer> {
    return this.signer();
  }

  /** The deployment's addresses (`--deployment`, or Ignition's record of the RPC's chain). */
  addresses(): Promise<SuiteAddresses> {
    this.#addresses ??= this.#loadAddresses();
    return this.#addresses;
  }

  /** The default deployment record of a chain, relative to the working directory. */
  static defaultDeploymentFile(chainId: bigint): string {
    return path.join("deploy", "deployments", `chain-${chainId}`, "deployed_addresses.json");
  }

  async #loadAddresses(): Promise<SuiteAddresses> {
    const chainId = await this.chainId();
    let file = this.options.deployment ?? Context.defaultDeploymentFile(chainId);
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "deployed_addresses.json");
    if (!existsSync(file)) {
      throw new CliConnectionError(
        `no deployment for chain ${chainId}: ${file} does not exist (run \`roamledger deploy\` or pass --deployment)`,
      );
    }
    let record: Record<string, string>;
    try {
      record = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    } catch {
      throw new CliConnectionError(`the deployment record ${file} is not valid JSON`);
    }
    const out: Partial<SuiteAddresses> = {};
    for (const [name, id] of Object.entries(DEPLOYMENT_KEYS) as [keyof SuiteAddresses, string][]) {
      const address = record[id];
      if (typeof address !== "string") throw new CliConnectionError(`the deployment record ${file} has no ${id}`);
      out[name] = address;
    }
    const provider = await this.provider();
    if ((await provider.getCode(out.registry as string)) === "0x") {
      throw new CliConnectionError(`the deployment record ${file} names no contract on chain ${chainId}`);
    }
    return out as SuiteAddresses;
  }

  /** Stops the provider's polling (the process can then exit). */
  close(): void {
    void this.#provider?.then(
      (p) => p.destroy(),
      () => undefined,
    );
  }

  /** The journal directory of this chain (`--journal`, default `.roamledger/journal`). */
  async journalDir(): Promise<string> {
    return path.join(this.options.journal ?? path.join(".roamledger", "journal"), String(await this.chainId()));
  }
}
