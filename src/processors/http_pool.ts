/**
 * HTTP/1.1 keep-alive connections to one processor, on `Deno.connect`, with `npm:http-parser-js`
 * reading the responses: our own instead of `fetch` (docs/decisions/0003-own-http-pool.md). One
 * request at a time per connection; idle connections are reused newest first, at most `maxIdle`
 * kept, one idle longer than `idleMs` closed at the next release; a connection the processor
 * closes leaves the pool at once. Nothing is ever sent twice: a request whose connection breaks
 * after it was written fails (the caller resolves it, docs/CONTRACT.md §6.2).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import { concatBytes, writeAll } from "../util/bytes.ts";
import { parseOrigin } from "../util/origin.ts";

/** A complete response. */
export interface HttpReply {
  /** HTTP status code. */
  readonly status: number;
  /** Header values by lower-case name (the last one wins). */
  readonly headers: ReadonlyMap<string, string>;
  /** The body, de-chunked; at most {@link MAX_BODY_BYTES}. */
  readonly body: Uint8Array;
}

/**
 * The request never left this process: the connection could not be made (refused, DNS, or the
 * timeout hit while connecting). Safe to send again anywhere (docs/CONTRACT.md §6.2).
 */
export class NotSentError extends Error {
  override name = "NotSentError";
}

/** Options of {@link HttpPool}: idle connections kept (256), and their longest idle time, ms. */
export interface HttpPoolOptions {
  maxIdle?: number;
  /** 30,000 by default: under the official processor's server keep-alive. */
  idleMs?: number;
}

/** Largest response body accepted (bytes); a larger one fails the request. */
export const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
const READ_BUFFER_BYTES = 4096;
const encoder = new TextEncoder();

type Done = (error: unknown, reply?: HttpReply) => void;

/** One TCP connection with its response parser and read loop. */
class Connection {
  closed = false;
  idleSince = 0;
  readonly #conn: Deno.Conn;
  readonly #onClose: (connection: Connection) => void;
  readonly #parser = new HTTPParser(HTTPParser.RESPONSE);
  #done?: Done;
  #status = 0;
  #headers = new Map<string, string>();
  #chunks: Uint8Array[] = [];
  #size = 0;
  #keepAlive = false;
  #interim = false;

  constructor(conn: Deno.Conn, onClose: (connection: Connection) => void) {
    this.#conn = conn;
    this.#onClose = onClose;
    this.#parser.maxHeaderSize = MAX_HEADER_BYTES;
    this.#parser[HTTPParser.kOnHeadersComplete] = (info) => {
      if (!this.#done) throw new Error("response without a request");
      this.#status = info.statusCode ?? 0;
      this.#keepAlive = info.shouldKeepAlive;
      const headers = info.headers;
      for (let i = 0; i + 1 < headers.length; i += 2) {
        this.#headers.set(headers[i].toLowerCase(), headers[i + 1]);
      }
      // 1xx, 204 and 304 have no body whatever their headers say (RFC 9112 §6.3); a 1xx is
      // interim: the final response follows on the same connection (RFC 9110 §15.2).
      const s = this.#status;
      this.#interim = s < 200;
      return s < 200 || s === 204 || s === 304 ? 1 : 0;
    };
    this.#parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      this.#size += length;
      if (this.#size > MAX_BODY_BYTES) {
        throw new Error(`response body over ${MAX_BODY_BYTES} bytes`);
      }
      // A copy (not a view): the read buffer is reused by the next read.
      this.#chunks.push(Uint8Array.prototype.slice.call(chunk, offset, offset + length));
    };
    this.#parser[HTTPParser.kOnMessageComplete] = () => this.#complete();
    this.#readLoop();
  }

  /** Writes one request; `done` gets its response or the failure. */
  async send(bytes: Uint8Array, done: Done): Promise<void> {
    this.#done = done;
    this.#conn.ref();
    try {
      await writeAll(this.#conn, bytes);
    } catch (error) {
      this.destroy(error);
    }
  }

  /** Closes the connection; a request in flight fails with `reason`. */
  destroy(reason: unknown = new Error("connection closed")): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed by the peer */ }
    this.#fail(reason);
    this.#onClose(this);
  }

  /** Lets the process exit while this connection waits idle. */
  unref(): void {
    this.#conn.unref();
  }

  #complete(): void {
    const done = this.#done;
    if (!done) return;
    if (this.#interim) {
      this.#interim = false;
      this.#headers = new Map();
      return;
    }
    const reply = {
      status: this.#status,
      headers: this.#headers,
      body: this.#chunks.length === 1 ? this.#chunks[0] : concatBytes(this.#chunks),
    };
    this.#reset();
    if (!this.#keepAlive) this.destroy();
    done(undefined, reply);
  }

  #fail(error: unknown): void {
    const done = this.#done;
    this.#reset();
    done?.(error);
  }

  #reset(): void {
    this.#done = undefined;
    this.#status = 0;
    this.#headers = new Map();
    this.#chunks = [];
    this.#size = 0;
  }

  async #readLoop(): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let reason: unknown = new Error("connection closed by the processor");
    try {
      while (!this.closed) {
        const n = await this.#conn.read(buffer);
        if (n === null) {
          const error = this.#parser.finish();
          if (error) reason = error;
          break;
        }
        const result = this.#parser.execute(buffer, 0, n);
        if (result instanceof Error) throw result;
      }
    } catch (error) {
      reason = error;
    }
    this.destroy(reason);
  }
}

/** Keep-alive connections to one origin (`http://host:port`). */
export class HttpPool {
  readonly #hostname: string;
  readonly #port: number;
  readonly #host: string;
  readonly #maxIdle: number;
  readonly #idleMs: number;
  #idle: Connection[] = [];
  #closed = false;

  /**
   * @param origin `http://host[:port]`; a path, query or other scheme is refused.
   * @throws {TypeError} if `origin` is not a plain `http://` origin.
   */
  constructor(origin: string, options: HttpPoolOptions = {}) {
    const url = parseOrigin(origin);
    this.#hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    this.#port = Number(url.port || 80);
    this.#host = url.host;
    this.#maxIdle = options.maxIdle ?? 256;
    this.#idleMs = options.idleMs ?? 30_000;
  }

  /** Connections kept idle now. */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * One request, `body` a JSON text, whose whole exchange ends by `timeoutMs` or an abort.
   *
   * @throws {NotSentError} when no connection could be made (nothing left this process).
   * @throws the `signal`'s reason on abort, a `TimeoutError` DOMException on timeout, or an Error
   *   when the connection broke or the response was malformed: the request may have reached the
   *   processor then.
   */
  request(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<HttpReply> {
    signal.throwIfAborted();
    if (this.#closed) return Promise.reject(new NotSentError("pool closed"));
    const bytes = this.#encode(method, path, body);
    return new Promise((resolve, reject) => {
      let connection: Connection | undefined;
      let finished = false;
      const finish: Done = (error, reply) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (error === undefined) {
          if (connection && !connection.closed) this.#release(connection);
          return resolve(reply!);
        }
        connection?.destroy(error);
        reject(
          connection || error === signal.reason
            ? error
            : new NotSentError(`cannot connect to ${this.#host}: ${error}`, { cause: error }),
        );
      };
      const onAbort = () => finish(signal.reason);
      const timer = setTimeout(
        () => finish(new DOMException("request timed out", "TimeoutError")),
        timeoutMs,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      const start = (acquired: Connection): void => {
        if (finished) return this.#release(acquired);
        // The processor may have closed it after #acquire took it from the idle list (its read
        // loop ran first): nothing was sent on it, so take another one.
        if (acquired.closed) return void this.#acquire().then(start, finish);
        connection = acquired;
        acquired.send(bytes, finish);
      };
      this.#acquire().then(start, (error) => finish(error));
    });
  }

  /** Closes every idle connection; connections in use close when their request ends. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }

  #encode(method: string, path: string, body: string | undefined): Uint8Array {
    if (body === undefined) {
      return encoder.encode(`${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n\r\n`);
    }
    const payload = encoder.encode(body);
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
    return concatBytes([encoder.encode(head), payload]);
  }

  async #acquire(): Promise<Connection> {
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      if (!connection.closed) return connection;
    }
    const conn = await Deno.connect({ hostname: this.#hostname, port: this.#port });
    conn.setNoDelay(true);
    return new Connection(conn, (closed) => {
      const at = this.#idle.indexOf(closed);
      if (at >= 0) this.#idle.splice(at, 1);
    });
  }

  #release(connection: Connection): void {
    const now = Date.now();
    const oldest = this.#idle[0];
    if (oldest && now - oldest.idleSince > this.#idleMs) oldest.destroy();
    if (connection.closed) return;
    if (this.#closed || this.#idle.length >= this.#maxIdle) return connection.destroy();
    connection.idleSince = now;
    connection.unref();
    this.#idle.push(connection);
  }
}
