/**
 * One HTTP/1.1 client connection on `Deno.connect`, its responses read by `npm:http-parser-js`
 * (docs/decisions/0003-own-http-pool.md), for the processors' pool (http_pool.ts) and the load
 * generator (tools/bench/h1_client.ts). One request at a time; opened explicitly, so a caller can
 * time a request without connecting. Failures say what is known: {@link NotSentError} (nothing
 * left), {@link ConnectionClosedError} (closed or reset by the peer once the request was written),
 * the reason given to {@link HttpConnection.destroy} (a timeout, an abort), or an Error for a
 * malformed or oversized answer.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HTTPParser } from "http-parser-js";
import { concatBytes, writeAll } from "../util/bytes.ts";

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

/** The {@link NotSentError} of a connection to `host` that failed with `cause`. */
export function connectFailure(host: string, cause: unknown): NotSentError {
  return new NotSentError(`cannot connect to ${host}: ${cause}`, { cause });
}

/** The peer closed or reset the connection once the request was (being) written: it may have it. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
  /** @param answered whether any byte of the answer had arrived. */
  constructor(message: string, readonly answered: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** Largest response body accepted (bytes); a larger one fails the request. */
export const MAX_BODY_BYTES = 64 * 1024;
const MAX_HEADER_BYTES = 16 * 1024;
const READ_BUFFER_BYTES = 4096;
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** One request's bytes; a `body` (JSON text) comes with its `Content-Type` and `Content-Length`. */
export function encodeRequest(method: string, path: string, host: string, body?: string) {
  if (body === undefined) {
    return encoder.encode(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  }
  // An ASCII body has as many bytes as characters: one encoding of the whole text, no copy.
  const ascii = !/[\u0080-\uffff]/.test(body);
  const payload = ascii ? undefined : encoder.encode(body);
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${payload?.length ?? body.length}\r\n\r\n`;
  return payload ? concatBytes([encoder.encode(head), payload]) : encoder.encode(head + body);
}

/** Gets the response of a request, or why there is none. */
export type Done = (error: unknown, reply?: HttpReply) => void;

/** One TCP connection with its response parser and read loop. */
export class HttpConnection {
  /** When its owner last left it idle, epoch ms. */
  idleSince = 0;
  #closed = false;
  readonly #conn: Deno.Conn;
  readonly #onClose?: (closed: HttpConnection) => void;
  readonly #parser = new HTTPParser(HTTPParser.RESPONSE);
  #done?: Done;
  #answered = false;
  #status = 0;
  #headers = new Map<string, string>();
  #chunks: Uint8Array[] = [];
  #size = 0;
  #keepAlive = false;
  #interim = false;

  /**
   * Connects to the host and port (80 by default) of an `http://` `url`; `onClose` runs once when
   * the connection closes, whichever side closed it.
   *
   * @throws {NotSentError} when no connection could be made.
   */
  static async open(url: URL, onClose?: (closed: HttpConnection) => void): Promise<HttpConnection> {
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname, port: Number(url.port || 80) });
    } catch (error) {
      throw connectFailure(url.host, error);
    }
    conn.setNoDelay(true);
    return new HttpConnection(conn, onClose);
  }

  private constructor(conn: Deno.Conn, onClose?: (closed: HttpConnection) => void) {
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

  /** Whether it is closed (by either side): it takes no more requests. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes one request (bytes of {@link encodeRequest}); `done` gets its response or failure. */
  async send(bytes: Uint8Array, done: Done): Promise<void> {
    this.#done = done;
    this.#conn.ref();
    try {
      await writeAll(this.#conn, bytes);
    } catch (error) {
      this.destroy(this.#lost("connection lost while writing", error));
    }
  }

  /** Closes the connection; a request in flight fails with `reason`. */
  destroy(reason: unknown = new Error("connection closed")): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed by the peer */ }
    this.#fail(reason);
    this.#onClose?.(this);
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
      body: this.#chunks.length < 2 ? this.#chunks[0] ?? EMPTY : concatBytes(this.#chunks),
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
    this.#answered = false;
    this.#status = 0;
    this.#headers = new Map();
    this.#chunks = [];
    this.#size = 0;
  }

  #lost(message: string, cause?: unknown): ConnectionClosedError {
    return new ConnectionClosedError(message, this.#answered, cause);
  }

  async #readLoop(): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let reason: unknown;
    try {
      while (!this.#closed) {
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch (error) {
          throw this.#lost("connection reset by the peer", error);
        }
        if (n === null) {
          reason = this.#lost("connection closed by the peer", this.#parser.finish());
          break;
        }
        if (this.#done) this.#answered = true;
        const result = this.#parser.execute(buffer, 0, n);
        if (result instanceof Error) throw result;
      }
    } catch (error) {
      reason = error;
    }
    this.destroy(reason);
  }
}
