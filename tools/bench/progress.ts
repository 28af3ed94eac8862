/**
 * The one-line live progress display on stderr: rewritten in place on a terminal, printed as a
 * new line every `everyMs` otherwise (CI logs).
 *
 * @module
 */

/** Figures shown on the progress line. */
interface ProgressFields {
  label: string;
  elapsedMs: number;
  durationMs: number;
  vus: number;
  /** POSTs completed in the last second. */
  rps: number;
  /** p99 so far of the expected-status requests, ms. */
  p99: number;
  ok: number;
  fail: number;
  /** Backend backlog (`/healthcheck` `queue`), null when unknown. */
  backlog: number | null;
  inconsistencies: number;
}

/** Renders the progress line (no control characters). */
function formatProgress(f: ProgressFields): string {
  const s = (ms: number) => (ms / 1000).toFixed(0).padStart(3);
  return [
    `[${f.label}] ${s(f.elapsedMs)}/${(f.durationMs / 1000).toFixed(0)}s`,
    `vus ${String(f.vus).padStart(3)}`,
    `${String(f.rps).padStart(4)} req/s`,
    `p99 ${f.p99.toFixed(2)}ms`,
    `ok ${f.ok} fail ${f.fail}`,
    `backlog ${f.backlog ?? "-"}`,
    `incons ${f.inconsistencies}`,
  ].join(" | ");
}

/** Writes progress lines to a byte sink (stderr by default). */
export class ProgressLine {
  #write: (text: string) => void;
  #tty: boolean;
  #everyMs: number;
  #lastPrint = -Infinity;
  #dirty = false;
  #encoder = new TextEncoder();

  /**
   * @param options.tty rewrite in place (default: whether stderr is a terminal)
   * @param options.everyMs spacing of lines when not a terminal, ms (default 10,000)
   * @param options.write sink (default: synchronous write to stderr)
   */
  constructor(options: { tty?: boolean; everyMs?: number; write?: (text: string) => void } = {}) {
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#everyMs = options.everyMs ?? 10_000;
    this.#write = options.write ?? ((t) => {
      const bytes = this.#encoder.encode(t);
      let n = 0;
      while (n < bytes.length) n += Deno.stderr.writeSync(bytes.subarray(n));
    });
  }

  /** Shows `fields` (throttled to `everyMs` when not a terminal). */
  update(fields: ProgressFields): void {
    const line = formatProgress(fields);
    if (this.#tty) {
      this.#write(`\r\x1b[2K${line}`);
      this.#dirty = true;
    } else if (fields.elapsedMs - this.#lastPrint >= this.#everyMs) {
      this.#lastPrint = fields.elapsedMs;
      this.#write(`${line}\n`);
    }
  }

  /** Prints a message on its own line without breaking the progress line. */
  log(message: string): void {
    this.#write(this.#tty && this.#dirty ? `\r\x1b[2K${message}\n` : `${message}\n`);
    this.#dirty = false;
  }

  /** Ends the progress line. */
  done(): void {
    if (this.#tty && this.#dirty) this.#write("\n");
    this.#dirty = false;
  }
}
