/**
 * The plumbing shared by the format readers: text decoding of a chunked source and the items a reader yields to the
 * ingestion. Internal to `sdk/src/cdr` (only {@link MAX_RECORD_CHARS} is re-exported). Pure: browser-safe
 * (`TextDecoder`, no `Buffer`).
 */
import { InvalidArgumentError } from "../errors";
import type { CdrValidationIssue, CdrSource } from "./types";

/** The longest record accepted, in characters: a guard against an unterminated quote or a missing line break. */
export const MAX_RECORD_CHARS = 65_536;

/** What a format reader yields: the fields of one record, or an issue. */
export type ReaderItem =
  | {
      readonly kind: "record";
      /** The record's fields by name (values as text, or as parsed JSON for non-numbers). */
      readonly fields: Record<string, unknown>;
      readonly line: number;
      readonly recordNumber?: number;
      /** Whether keys other than the CDR columns are to be refused (JSON); the CSV reader checks its header once. */
      readonly strictKeys: boolean;
    }
  | {
      readonly kind: "issue";
      readonly issue: CdrValidationIssue;
      /** True for an issue about one record (it takes a record position); false for file or header issues. */
      readonly isRecord: boolean;
      /** True when reading cannot go on. */
      readonly fatal: boolean;
    };

/** The source could not be decoded as UTF-8. */
export class TextDecodingError extends Error {
  override name = "TextDecodingError";
}

function isAsyncIterable(value: unknown): value is AsyncIterable<string | Uint8Array> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * The source as text chunks: byte chunks are decoded as UTF-8 (streaming: a character may span chunks), a leading
 * byte order mark is dropped. Invalid UTF-8 throws a {@link TextDecodingError}.
 */
export async function* decodeText(source: CdrSource): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let first = true;
  const decode = (chunk: string | Uint8Array, final: boolean): string => {
    if (typeof chunk === "string") return chunk;
    if (!(chunk instanceof Uint8Array)) {
      throw new InvalidArgumentError("chunks must be strings or Uint8Arrays", { field: "source", value: chunk });
    }
    try {
      return decoder.decode(chunk, { stream: !final });
    } catch (cause) {
      throw new TextDecodingError("the file is not valid UTF-8", { cause });
    }
  };
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof source === "string" || source instanceof Uint8Array ? [source] : source;
  // A text chunk may end between the two halves of a surrogate pair (a character above U+FFFF, e.g. an emoji): the
  // high half waits for the next chunk, so that no consumer ever sees half a character.
  let pending = "";
  const handle = (chunk: string, final = false): string => {
    let text = pending + chunk;
    pending = "";
    const last = text.charCodeAt(text.length - 1);
    if (!final && last >= 0xd800 && last <= 0xdbff) {
      pending = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) return text.slice(1);
    }
    return text;
  };
  if (isAsyncIterable(chunks)) {
    for await (const chunk of chunks) {
      const text = handle(decode(chunk, false));
      if (text.length > 0) yield text;
    }
  } else {
    for (const chunk of chunks) {
      const text = handle(decode(chunk, false));
      if (text.length > 0) yield text;
    }
  }
  const tail = handle(decode(new Uint8Array(0), true), true);
  if (tail.length > 0) yield tail;
}
