/**
 * A chain clock that moves only when the tests move it.
 *
 * Hardhat Network stamps a new block with the later of "the previous block + 1 s" and "the wall clock + the offset
 * set by time jumps". After a jump (`time.increase`, `evm_increaseTime`, `evm_setNextBlockTimestamp`) the chain is
 * level with the wall clock, so the blocks that follow are stamped by how many seconds the machine took to get there:
 * a test that predicts "the next block is the latest + 1" (a deadline, an expiry, the end of a cycle) passes on a quick
 * machine and fails on a slow or busy one. This wrapper removes the wall clock: before a block is mined, its timestamp
 * is always set, to the latest block's + 1 s unless the test set it (`evm_setNextBlockTimestamp`, `evm_mine` with a
 * timestamp) or jumped (`evm_increaseTime(n)`: the latest + n). Block timestamps are then a function of the actions
 * alone. Calls against the pending block (`eth_estimateGas`, which is where ethers meets a revert) see the same
 * timestamp the block will have.
 *
 * It wraps the in-process Hardhat Network (hardhat.config.ts: when the runtime environment is created, and again when
 * `hardhat test` starts, since solidity-coverage replaces the network's provider before it runs the tests) and is active
 * while {@link TEST_CLOCK_ENV} is "1", which `hardhat test` sets for itself, its mocha workers and the processes the
 * tests start (`hardhat node`, `hardhat run`); `ROAMLEDGER_TEST_CLOCK=0` turns it off. A `hardhat node` or script run
 * by hand keeps Hardhat's usual clock.
 */
import type {
  EIP1193Provider,
  EthereumProvider,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestArguments,
} from "hardhat/types";
import { ProviderWrapper } from "hardhat/plugins";

export const TEST_CLOCK_ENV = "ROAMLEDGER_TEST_CLOCK";

const active = () => process.env[TEST_CLOCK_ENV] === "1";

/** Requests that may mine a block. */
const MINING = new Set(["eth_sendTransaction", "eth_sendRawTransaction", "evm_mine", "hardhat_mine"]);
/** Requests that replace the chain: whatever the next block was set to before is forgotten. */
const REPLACING = new Set(["evm_revert", "hardhat_reset"]);

interface Head {
  number: string;
  timestamp: bigint;
}

const quantity = (n: bigint) => `0x${n.toString(16)}`;

class DeterministicClock extends ProviderWrapper {
  /** The latest block when the next block's timestamp was last set (undefined: not set since the chain changed). */
  #pinnedAt: Head | undefined;
  /** Seconds of `evm_increaseTime` since the latest block. */
  #increase = 0n;
  /** Requests run one at a time, so that "mine, then set the next timestamp" is never interleaved with another. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(provider: EIP1193Provider) {
    super(provider);
  }

  request(args: RequestArguments): Promise<unknown> {
    if (!active()) return this._wrappedProvider.request(args);
    const result = this.#queue.then(() => this.#handle(args));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #head(): Promise<Head> {
    const block = (await this._wrappedProvider.request({
      method: "eth_getBlockByNumber",
      params: ["latest", false],
    })) as { number: string; timestamp: string };
    return { number: block.number, timestamp: BigInt(block.timestamp) };
  }

  /** Sets the next block's timestamp to the latest block's + `max(increase, 1)` seconds. */
  async #pin(): Promise<void> {
    const head = await this.#head();
    const step = this.#increase > 0n ? this.#increase : 1n;
    await this._wrappedProvider.request({
      method: "evm_setNextBlockTimestamp",
      params: [quantity(head.timestamp + step)],
    });
    this.#pinnedAt = head;
  }

  async #handle(args: RequestArguments): Promise<unknown> {
    const { method } = args;
    if (method === "evm_setNextBlockTimestamp") {
      const result = await this._wrappedProvider.request(args);
      this.#pinnedAt = await this.#head(); // the test's own choice, kept until a block is mined
      this.#increase = 0n;
      return result;
    }
    if (method === "evm_increaseTime") {
      const result = await this._wrappedProvider.request(args);
      const [seconds] = this._getParams(args) as [number | string];
      this.#increase += BigInt(seconds);
      await this.#pin();
      return result;
    }
    if (this.#pinnedAt === undefined) await this.#pin();
    try {
      return await this._wrappedProvider.request(args);
    } finally {
      if (REPLACING.has(method)) {
        this.#increase = 0n;
        await this.#pin();
      } else if (MINING.has(method)) {
        const head = await this.#head();
        if (head.number !== this.#pinnedAt?.number) {
          // A block was mined (a transaction that failed before mining changes nothing).
          this.#increase = 0n;
          await this.#pin();
        }
      }
    }
  }
}

const WRAPPED = Symbol("deterministic clock");

/**
 * `provider` (the `hre.network.provider` of the in-process Hardhat Network) with the deterministic clock, keeping the
 * `send` and `sendAsync` of Hardhat's provider; `provider` itself if it already has it.
 */
export function withDeterministicClock(provider: EthereumProvider): EthereumProvider {
  if (WRAPPED in provider) return provider;
  const clock = new DeterministicClock(provider);
  return Object.assign(clock, {
    [WRAPPED]: true,
    send: (method: string, params?: unknown[]) => clock.request({ method, params }),
    sendAsync: (payload: JsonRpcRequest, callback: (error: unknown, response: JsonRpcResponse) => void) => {
      clock.request({ method: payload.method, params: payload.params }).then(
        (result) => callback(null, { jsonrpc: "2.0", id: payload.id, result }),
        (error: unknown) => callback(error, { jsonrpc: "2.0", id: payload.id }),
      );
    },
  }) as unknown as EthereumProvider;
}
