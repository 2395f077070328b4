/**
 * The configuration of one CLI run, from global flags and the environment: the RPC, the key (or keystore), the
 * deployment's record (by chain id and deployment id, in the repository's `deploy/deployments`), the journal directory. Everything is resolved lazily, so `--help` and offline commands
 * never touch the network.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Network, Wallet, type Signer } from "ethers";

import { deploymentIdOf, DEPLOYMENT_ID_PATTERN } from "@roamledger/sdk";
import { CliConnectionError, CliUserError } from "./errors";
import type { Output } from "./output";

/** The global options (see `roamledger --help`). */
export interface GlobalOptions {
  rpc: string;
  key?: string;
  keystore?: string;
  deployment?: string;
  deploymentId?: string;
  project?: string;
  journal?: string;
  /** Blocks per `eth_getLogs` request (see `./events.ts`). */
  blockRange?: string;
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

/** The Ignition module `roamledger deploy` deploys, relative to the repository's root. */
export const MODULE_PATH = path.join("deploy", "modules", "RoamLedger.ts");

/** The deployments root of a repository: one directory per deployment id. */
export const DEPLOYMENTS_DIR = path.join("deploy", "deployments");

/** The directory holding hardhat.config.ts and the deploy module: `dir` or its nearest ancestor. */
export function findProject(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, "hardhat.config.ts")) && existsSync(path.join(current, MODULE_PATH)))
      return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Where a deployment's record is, and how it was chosen. */
export interface DeploymentLocation {
  /** The record's directory (`deployed_addresses.json`, Ignition's journal, the CLI's journal, dev records). */
  dir: string;
  /** Its `deployed_addresses.json`. */
  file: string;
  /** The deployment id (the directory's name). */
  deploymentId: string;
}

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
  #location?: Promise<DeploymentLocation>;
  #genesis?: Promise<string>;

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

  /** The hash of the chain's block 0. */
  genesisHash(): Promise<string> {
    this.#genesis ??= (async () => {
      const block = await (await this.provider()).getBlock(0);
      if (block?.hash == null) throw new CliConnectionError(`the RPC at ${this.options.rpc} has no block 0`);
      return block.hash;
    })();
    return this.#genesis;
  }

  /**
   * The repository's root: `--project` (`ROAMLEDGER_PROJECT`), else the clone the CLI runs from (found from its own
   * files), else the working directory's; undefined when none is found (an installed CLI outside a clone).
   */
  projectRoot(): string | undefined {
    if (this.options.project !== undefined) {
      const root = findProject(this.options.project);
      if (root === undefined) {
        throw new CliUserError(
          `--project: no RoamLedger repository (hardhat.config.ts and ${MODULE_PATH}) at ${this.options.project}`,
          "project",
        );
      }
      return root;
    }
    return findProject(__dirname) ?? findProject(process.cwd());
  }

  /** The deployment id of this run: `--deployment-id` (`ROAMLEDGER_DEPLOYMENT_ID`), else the chain's default. */
  async deploymentId(): Promise<string> {
    const id = this.options.deploymentId;
    if (id !== undefined) {
      if (!DEPLOYMENT_ID_PATTERN.test(id)) {
        throw new CliUserError(
          `--deployment-id: letters, digits, - and _ only (got ${JSON.stringify(id)})`,
          "deployment-id",
        );
      }
      return id;
    }
    return deploymentIdOf({ chainId: await this.chainId(), genesisHash: await this.genesisHash() });
  }

  /** The record in the repository's deployments root for this run's deployment id (see {@link deploymentId}). */
  async projectDeployment(): Promise<DeploymentLocation & { root: string }> {
    const root = this.projectRoot();
    if (root === undefined) {
      throw new CliConnectionError(
        "no deployment record: the CLI runs outside a clone of the repository; pass --deployment (the record's " +
          "directory) or --project",
      );
    }
    const deploymentId = await this.deploymentId();
    const dir = path.join(root, DEPLOYMENTS_DIR, deploymentId);
    return { root, dir, file: path.join(dir, "deployed_addresses.json"), deploymentId };
  }

  /**
   * Where the deployment's record is: `--deployment` (`ROAMLEDGER_DEPLOYMENT`: the record's directory or its
   * `deployed_addresses.json`), else `<repository>/deploy/deployments/<deployment id>/`.
   */
  deployment(): Promise<DeploymentLocation> {
    this.#location ??= (async () => {
      const given = this.options.deployment;
      if (given === undefined || given === "") return this.projectDeployment();
      const resolved = path.resolve(given);
      // A directory, unless it names a file (an existing one, or a .json not written yet).
      const isDir = existsSync(resolved) ? statSync(resolved).isDirectory() : !resolved.endsWith(".json");
      const dir = isDir ? resolved : path.dirname(resolved);
      return {
        dir,
        file: isDir ? path.join(resolved, "deployed_addresses.json") : resolved,
        deploymentId: path.basename(dir),
      };
    })();
    return this.#location;
  }

  async #loadAddresses(): Promise<SuiteAddresses> {
    const chainId = await this.chainId();
    const { file, deploymentId } = await this.deployment();
    if (!existsSync(file)) {
      throw new CliConnectionError(
        `no deployment ${deploymentId} for chain ${chainId}: ${file} does not exist (run \`roamledger deploy\`, or ` +
          "pass --deployment or --deployment-id)",
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
    // A record of a reset dev chain, or of another node, names addresses without code here: never use it silently.
    const provider = await this.provider();
    const codes = await Promise.all(Object.values(out).map((address) => provider.getCode(address as string)));
    const missing = Object.keys(out).filter((_name, i) => codes[i] === "0x");
    if (missing.length > 0) {
      throw new CliConnectionError(
        `the deployment record ${file} is stale: no contract at its ${missing.join(", ")} on chain ${chainId} ` +
          `(${this.options.rpc}); the chain was reset or the record is another node's: redeploy (\`roamledger ` +
          "deploy`) or pass the right --deployment / --deployment-id",
      );
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

  /**
   * The journal directory of this deployment: `<--journal>/<chainId>` (`ROAMLEDGER_JOURNAL_DIR`), else
   * `cli-journal/` beside the deployment's record (so any working directory finds it).
   */
  async journalDir(): Promise<string> {
    if (this.options.journal !== undefined && this.options.journal !== "") {
      return path.join(path.resolve(this.options.journal), String(await this.chainId()));
    }
    return path.join((await this.deployment()).dir, "cli-journal");
  }
}
