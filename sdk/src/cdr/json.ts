/**
 * The JSON readers of CDR files: NDJSON (one object a line) and a top-level JSON array of objects. The array is split
 * into its elements by a small streaming scanner (string, escape and nesting state carried across chunks) and each
 * element is parsed on its own: the file is never held or parsed whole.
 *
 * A JSON number is read by its literal text (so `1e3`, `-3` or `2.5` are refused as integers, and a 30-digit volume
 * keeps every digit), exactly as if it were a string. Pure: browser-safe.
 */
import { MAX_RECORD_CHARS, type ReaderItem } from "./text";
import { FILE_FIELD, RECORD_FIELD } from "./types";

/** The reasons of the JSON readers' structural issues. */
export const JSON_REASONS = {
  malformed: (message: string): string => `malformed JSON: ${message}`,
  notObject: "must be a JSON object",
  tooLong: `record longer than ${MAX_RECORD_CHARS} characters`,
  empty: "the file is empty: expected a JSON array of objects",
  notArray: "a JSON CDR file must be an array of objects: expected '['",
  emptyElement: "empty array element (two commas in a row)",
  trailingComma: "trailing comma before ']'",
  expectedSeparator: "expected ',' or ']' after an element",
  afterEnd: "unexpected content after the closing ']'",
  unterminated: "unexpected end of file: the array is not closed",
} as const;

/*//////////////////////////////////////////////////////////////////////////
                             NUMBERS AS WRITTEN
//////////////////////////////////////////////////////////////////////////*/

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The literal text of each number-valued key of a JSON object's top level, e.g. `{"a": 1e3}` gives `a -> "1e3"`.
 * `text` must be valid JSON (it is only called after `JSON.parse` succeeded). The last occurrence of a key wins, as in
 * `JSON.parse`.
 */
export function topLevelNumberLiterals(text: string): Map<string, string> {
  const literals = new Map<string, string>();
  let depth = 0;
  let key: string | undefined;
  let expectValue = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its end.
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22) break;
        else j += 1;
      }
      if (depth === 1 && !expectValue) key = JSON.parse(text.slice(i, j + 1)) as string;
      expectValue = false;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      expectValue = false;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    } else if (c === 0x3a) {
      if (depth === 1) expectValue = true;
    } else if (c === 0x2c) {
      expectValue = false;
    } else if (expectValue && depth === 1 && (c === 0x2d || (c >= 0x30 && c <= 0x39))) {
      let j = i + 1;
      while (j < text.length && !isWhitespace(text.charCodeAt(j)) && text[j] !== "," && text[j] !== "}") j += 1;
      if (key !== undefined) literals.set(key, text.slice(i, j));
      expectValue = false;
      i = j - 1;
    } else if (!isWhitespace(c)) {
      expectValue = false; // true, false, null
    }
  }
  return literals;
}

/** The reader item of one JSON text that should hold a record object. */
function objectItem(text: string, line: number, recordNumber: number | undefined): ReaderItem {
  let parsed: unknown;
  const recordIssue = (reason: string, value: unknown): ReaderItem => ({
    kind: "issue",
    issue:
      recordNumber === undefined
        ? { line, field: RECORD_FIELD, value, reason }
        : { line, recordNumber, field: RECORD_FIELD, value, reason },
    isRecord: true,
    fatal: false,
  });
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return recordIssue(JSON_REASONS.malformed((error as Error).message), undefined);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return recordIssue(JSON_REASONS.notObject, parsed);
  }
  const fields = parsed as Record<string, unknown>;
  let literals: Map<string, string> | undefined;
  for (const key of Object.keys(fields)) {
    if (typeof fields[key] === "number") {
      literals ??= topLevelNumberLiterals(text);
      fields[key] = literals.get(key) ?? String(fields[key]);
    }
  }
  return recordNumber === undefined
    ? { kind: "record", fields, line, strictKeys: true }
    : { kind: "record", fields, line, recordNumber, strictKeys: true };
}

/*//////////////////////////////////////////////////////////////////////////
                                    NDJSON
//////////////////////////////////////////////////////////////////////////*/

/**
 * Reads CDRs from NDJSON text chunks: one JSON object a line (`\n` or `\r\n`), blank lines skipped. A line longer than
 * the record limit is reported and skipped.
 */
export async function* readNdjson(texts: AsyncIterable<string>): AsyncGenerator<ReaderItem, void, undefined> {
  let carry = "";
  let line = 0;
  let skipping = false; // inside an over-long line, already reported
  const handle = (text: string): ReaderItem | undefined => {
    line += 1;
    if (skipping) {
      skipping = false;
      return undefined;
    }
    const body = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (body.trim().length === 0) return undefined;
    return objectItem(body, line, undefined);
  };
  const tooLong = (): ReaderItem => ({
    kind: "issue",
    issue: { line: line + 1, field: RECORD_FIELD, value: undefined, reason: JSON_REASONS.tooLong },
    isRecord: true,
    fatal: false,
  });
  for await (const text of texts) {
    let start = 0;
    let newline: number;
    while ((newline = text.indexOf("\n", start)) !== -1) {
      const piece = carry.length > 0 ? carry + text.slice(start, newline) : text.slice(start, newline);
      carry = "";
      start = newline + 1;
      if (!skipping && piece.length > MAX_RECORD_CHARS) {
        yield tooLong();
        skipping = true;
      }
      const item = handle(piece);
      if (item !== undefined) yield item;
    }
    if (!skipping) {
      carry += text.slice(start);
      if (carry.length > MAX_RECORD_CHARS) {
        yield tooLong();
        skipping = true;
        carry = "";
      }
    }
  }
  if (carry.length > 0 || skipping) {
    const item = handle(carry);
    if (item !== undefined) yield item;
  }
}

/*//////////////////////////////////////////////////////////////////////////
                                  JSON ARRAY
//////////////////////////////////////////////////////////////////////////*/

/** The states of {@link JsonArraySplitter}. */
const State = {
  /** Before the opening `[`. */
  Start: 0,
  /** After `[`: an element or `]`. */
  First: 1,
  /** After `,`: an element. */
  Next: 2,
  /** Inside an element. */
  Element: 3,
  /** After an element: `,` or `]`. */
  After: 4,
  /** After the closing `]`: whitespace only. */
  End: 5,
  /** A fatal issue was reported. */
  Failed: 6,
} as const;
type State = (typeof State)[keyof typeof State];

/**
 * Splits a top-level JSON array into the texts of its elements, chunk by chunk. Tracks only what delimits elements:
 * strings (with escapes) and bracket depth; each element is then parsed with `JSON.parse` on its own.
 */
export class JsonArraySplitter {
  #state: State = State.Start;
  #line = 1;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** The element is a bare literal (number, true, false, null). */
  #scalar = false;
  #parts: string[] = [];
  #partsLength = 0;
  #startLine = 1;
  #count = 0;
  readonly #out: ReaderItem[] = [];

  /** Items completed so far (taken: the next call returns only newer ones). */
  take(): ReaderItem[] {
    return this.#out.splice(0);
  }

  /** Whether a fatal issue stopped the splitter. */
  get failed(): boolean {
    return this.#state === State.Failed;
  }

  /** The current physical line. */
  get line(): number {
    return this.#line;
  }

  #fail(reason: string, line = this.#line): void {
    this.#out.push({
      kind: "issue",
      issue: { line, field: FILE_FIELD, value: undefined, reason },
      isRecord: false,
      fatal: true,
    });
    this.#state = State.Failed;
    this.#parts = [];
  }

  #complete(text: string, from: number, to: number): void {
    let body = text.slice(from, to);
    if (this.#parts.length > 0) {
      this.#parts.push(body);
      body = this.#parts.join("");
      this.#parts = [];
    }
    this.#partsLength = 0;
    this.#count += 1;
    if (body.length > MAX_RECORD_CHARS) {
      this.#fail(JSON_REASONS.tooLong, this.#startLine);
      return;
    }
    this.#out.push(objectItem(body, this.#startLine, this.#count));
    this.#state = State.After;
  }

  /** Feeds the next chunk of text. */
  feed(text: string): void {
    const n = text.length;
    let from = this.#state === State.Element ? 0 : -1; // where the current element's text starts in this chunk
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      switch (this.#state) {
        case State.Element:
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (c === 0x5c) this.#escape = true;
            else if (c === 0x22) {
              this.#inString = false;
              if (this.#depth === 0) this.#complete(text, from, i + 1);
            } else if (c === 0x0a) this.#line += 1;
          } else if (this.#scalar) {
            if (isWhitespace(c) || c === 0x2c || c === 0x5d) {
              this.#complete(text, from, i);
              continue; // the delimiter is read in the After state
            }
          } else if (c === 0x7b || c === 0x5b) {
            this.#depth += 1;
          } else if (c === 0x7d || c === 0x5d) {
            this.#depth -= 1;
            if (this.#depth === 0) this.#complete(text, from, i + 1);
          } else if (c === 0x22) {
            this.#inString = true;
          } else if (c === 0x0a) {
            this.#line += 1;
          }
          break;
        case State.Start:
          if (c === 0x5b) this.#state = State.First;
          else if (c === 0x0a) this.#line += 1;
          else if (!isWhitespace(c)) this.#fail(JSON_REASONS.notArray);
          break;
        case State.First:
        case State.Next:
          if (c === 0x0a) this.#line += 1;
          else if (isWhitespace(c)) break;
          else if (c === 0x5d) {
            if (this.#state === State.First) this.#state = State.End;
            else this.#fail(JSON_REASONS.trailingComma);
          } else if (c === 0x2c) {
            this.#fail(JSON_REASONS.emptyElement);
          } else {
            this.#state = State.Element;
            this.#startLine = this.#line;
            from = i;
            this.#depth = c === 0x7b || c === 0x5b ? 1 : 0;
            this.#inString = c === 0x22;
            this.#escape = false;
            this.#scalar = !this.#inString && this.#depth === 0;
          }
          break;
        case State.After:
          if (c === 0x2c) this.#state = State.Next;
          else if (c === 0x5d) this.#state = State.End;
          else if (c === 0x0a) this.#line += 1;
          else if (!isWhitespace(c)) this.#fail(JSON_REASONS.expectedSeparator);
          break;
        case State.End:
          if (c === 0x0a) this.#line += 1;
          else if (!isWhitespace(c)) this.#fail(JSON_REASONS.afterEnd);
          break;
        case State.Failed:
          return;
      }
      i += 1;
    }
    if (this.#state === State.Element) {
      const part = text.slice(from);
      this.#parts.push(part);
      this.#partsLength += part.length;
      if (this.#partsLength > MAX_RECORD_CHARS) this.#fail(JSON_REASONS.tooLong, this.#startLine);
    }
  }

  /** Ends the input: reports an empty file or an unclosed array. */
  finish(): void {
    if (this.#state === State.Element && this.#scalar) this.#complete("", 0, 0);
    if (this.#state === State.Start) this.#fail(JSON_REASONS.empty);
    else if (this.#state !== State.End && this.#state !== State.Failed) this.#fail(JSON_REASONS.unterminated);
  }
}

/** Reads CDRs from the text chunks of a top-level JSON array of objects. Stops at the first fatal issue. */
export async function* readJsonArray(texts: AsyncIterable<string>): AsyncGenerator<ReaderItem, void, undefined> {
  const splitter = new JsonArraySplitter();
  for await (const text of texts) {
    splitter.feed(text);
    yield* splitter.take();
    if (splitter.failed) return;
  }
  splitter.finish();
  yield* splitter.take();
}
