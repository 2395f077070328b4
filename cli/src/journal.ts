/**
 * The CLI's local journal, so that a crash never submits or pays twice.
 *
 * Every transaction the CLI sends for a submission or a payment goes through a {@link JournalingSigner}: it signs the
 * transaction, writes its hash, nonce, sender and raw bytes to the journal (atomically, fsync'd) and only then
 * broadcasts it. Entries are keyed by batch root (`<dir>/<chainId>/<root>.json`, usage submissions) or by
 * (account, nonce) (`<dir>/<chainId>/payments/<account>-<nonce>.json`, vault deposits and withdrawals). On restart the
 * CLI asks the chain first ({@link settleSent}): is the root stored, is the transaction mined, was its nonce used by
 * another transaction; it rebroadcasts the very same signed bytes (same nonce, same hash) only when the nonce is still
 * free.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import {
  AbstractSigner,
  Transaction,
  type JsonRpcProvider,
  type Provider,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
  type Wallet,
} from "ethers";

import { parseJsonExact, toJson } from "./json";

/** A signed transaction as journaled before it is broadcast. */
export interface JournalTx {
  hash: string;
  nonce: number;
  from: string;
  to: string | null;
  /** The 4-byte selector of its call data. */
  selector: string;
  raw: string;
}

export type JournalState = "prepared" | "sent" | "done" | "failed" | "dropped";

export interface JournalEntry {
  version: 1;
  kind: string;
  state: JournalState;
  /** What the command was asked to do (no secret). */
  intent: Record<string, unknown>;
  tx?: JournalTx;
  result?: Record<string, unknown>;
  updatedAt: string;
}

/** One journal file, written atomically (temporary file, fsync, rename). */
export class JournalFile {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  read(): JournalEntry | undefined {
    if (!existsSync(this.file)) return undefined;
    return parseJsonExact(readFileSync(this.file, "utf8"), this.file) as JournalEntry;
  }

  write(entry: Omit<JournalEntry, "updatedAt" | "version">): JournalEntry {
    const full: JournalEntry = { version: 1, ...entry, updatedAt: new Date().toISOString() };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, toJson(full) + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    return full;
  }

  update(patch: Partial<Omit<JournalEntry, "version" | "updatedAt">>): JournalEntry {
    const current = this.read();
    if (current === undefined) throw new Error(`journal ${this.file} vanished`);
    return this.write({ ...current, ...patch });
  }
}

/** Where a command may be made to crash (see {@link crashPoint}). */
export type CrashPoint = "before-send" | "after-send" | "after-proofs";

/**
 * Test hook: `ROAMLEDGER_CLI_CRASH=<point>` kills the process there (a simulated crash). `before-send` and `after-send`
 * are around the broadcast of a journaled transaction; `after-proofs` is in `dispute`, between its fraud proofs and its
 * dispute calls.
 */
export function crashPoint(point: CrashPoint, env: NodeJS.ProcessEnv): void {
  if (env.ROAMLEDGER_CLI_CRASH === point) process.kill(process.pid, "SIGKILL");
}

/**
 * A signer that journals every transaction (through `onSigned`) after signing it and before broadcasting it. Reads,
 * message and typed-data signatures go straight to the wallet.
 */
export class JournalingSigner extends AbstractSigner {
  readonly wallet: Wallet;
  readonly onSigned: (tx: JournalTx) => void;
  readonly env: NodeJS.ProcessEnv;

  constructor(wallet: Wallet, onSigned: (tx: JournalTx) => void, env: NodeJS.ProcessEnv) {
    super(wallet.provider);
    this.wallet = wallet;
    this.onSigned = onSigned;
    this.env = env;
  }

  override connect(_provider: Provider | null): JournalingSigner {
    throw new Error("JournalingSigner cannot be reconnected");
  }

  override getAddress(): Promise<string> {
    return this.wallet.getAddress();
  }

  override signTransaction(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.wallet.signMessage(message);
  }

  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string> {
    return this.wallet.signTypedData(domain, types, value);
  }

  override async sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    const provider = this.wallet.provider;
    if (provider === null) throw new Error("JournalingSigner: the wallet has no provider");
    const populated = await this.wallet.populateTransaction(tx); // estimates gas: a revert surfaces here
    const raw = await this.wallet.signTransaction(populated);
    const signed = Transaction.from(raw);
    this.onSigned({
      hash: signed.hash as string,
      nonce: signed.nonce,
      from: signed.from as string,
      to: signed.to,
      selector: signed.data.slice(0, 10),
      raw,
    });
    crashPoint("before-send", this.env);
    const response = await provider.broadcastTransaction(raw);
    crashPoint("after-send", this.env);
    return response;
  }
}

/** What the chain says about a journaled transaction. */
export type SettledTx =
  { status: "success" | "reverted"; receipt: TransactionReceipt; rebroadcast: boolean } | { status: "dropped" };

/**
 * Asks the chain what became of a journaled transaction: mined (success or reverted), still pending (waited for),
 * unknown with its nonce used by another transaction (dropped: it can never be mined), or unknown with its nonce free
 * (the same signed bytes are broadcast again and waited for: the nonce makes a double send impossible).
 */
export async function settleSent(provider: JsonRpcProvider, tx: JournalTx): Promise<SettledTx> {
  const done = (receipt: TransactionReceipt, rebroadcast: boolean): SettledTx => ({
    status: receipt.status === 1 ? "success" : "reverted",
    receipt,
    rebroadcast,
  });
  let receipt = await provider.getTransactionReceipt(tx.hash);
  if (receipt !== null) return done(receipt, false);
  if ((await provider.getTransaction(tx.hash)) !== null) {
    receipt = await provider.waitForTransaction(tx.hash);
    if (receipt !== null) return done(receipt, false);
  }
  const used = await provider.getTransactionCount(tx.from, "latest");
  if (used > tx.nonce) {
    receipt = await provider.getTransactionReceipt(tx.hash); // mined in the meantime?
    return receipt !== null ? done(receipt, false) : { status: "dropped" };
  }
  await provider.broadcastTransaction(tx.raw);
  receipt = await provider.waitForTransaction(tx.hash);
  if (receipt === null) throw new Error(`transaction ${tx.hash} was rebroadcast but has no receipt`);
  return done(receipt, true);
}

/** The payment journal files of one account, oldest nonce first. */
export function paymentFiles(dir: string, account: string): JournalFile[] {
  if (!existsSync(dir)) return [];
  const prefix = `${account.toLowerCase()}-`;
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && name.endsWith(".json"))
    .sort((a, b) => Number(a.slice(prefix.length, -5)) - Number(b.slice(prefix.length, -5)))
    .map((name) => new JournalFile(path.join(dir, name)));
}

/** The payment journal file of (account, nonce). */
export function paymentFile(dir: string, account: string, nonce: number): JournalFile {
  return new JournalFile(path.join(dir, `${account.toLowerCase()}-${nonce}.json`));
}
