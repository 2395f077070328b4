/**
 * Where the CLI writes: with `--json`, exactly one JSON document on stdout (the result or the error) and nothing else
 * there; otherwise human-readable lines on stdout and notes on stderr (`--quiet` drops the notes).
 */
import type { ClassifiedError } from "./errors";
import { toJson } from "./json";

/** The streams the CLI writes to (the process's, or a test's). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly io: CliIo;
  #written = false;

  constructor(io: CliIo, json: boolean, quiet: boolean) {
    this.io = io;
    this.json = json;
    this.quiet = quiet;
  }

  /** A note for a human (stderr); dropped with `--json` or `--quiet`. */
  note(message: string): void {
    if (!this.json && !this.quiet) this.io.stderr.write(message + "\n");
  }

  /** Whether a progress bar may be drawn (stderr is a terminal, not `--json` nor `--quiet`). */
  get progress(): boolean {
    return !this.json && !this.quiet && this.io.stderr.isTTY === true;
  }

  /** The command's result: `data` as JSON (`{"ok":true,...}`), or `human` lines on stdout. */
  result(data: Record<string, unknown>, human: string | string[]): void {
    if (this.json) {
      if (this.#written) throw new Error("the CLI already wrote its JSON result");
      this.#written = true;
      this.io.stdout.write(toJson({ ok: true, ...data }) + "\n");
      return;
    }
    const lines = Array.isArray(human) ? human : [human];
    if (lines.length > 0) this.io.stdout.write(lines.join("\n") + "\n");
  }

  /** An error: JSON on stdout with `--json`, a message on stderr otherwise. */
  error(e: ClassifiedError): void {
    if (this.json) {
      if (this.#written) return;
      this.#written = true;
      const { code: _code, kind, name, message, field, args, issues } = e;
      const error: Record<string, unknown> = { kind, name, message };
      if (field !== undefined) error.field = field;
      if (args !== undefined) error.args = args;
      if (issues !== undefined) error.issues = issues;
      this.io.stdout.write(toJson({ ok: false, error }, 0) + "\n");
      return;
    }
    const lines = [`error (${e.kind}): ${e.message}`];
    if (e.issues !== undefined) {
      for (const issue of e.issues.slice(0, 20)) {
        lines.push(`  line ${issue.line}, field ${issue.field}: ${issue.reason}`);
      }
      if (e.issues.length > 20) lines.push(`  ... and ${e.issues.length - 20} more`);
    }
    this.io.stderr.write(lines.join("\n") + "\n");
  }
}
