/**
 * The load generator's HTTP/1.1 client: one keep-alive connection per VU, like a k6 VU, on the
 * product's connection (src/processors/http_connection.ts: `Deno.connect` + `npm:http-parser-js`).
 *
 * Why not `fetch`: measured on this 2-core machine against a no-op server, `fetch` costs ≈ 100–130
 * µs of CPU per request and our own client ≈ 15–20 µs (docs/BENCHMARKS.md). Why not the product's
 * pool (src/processors/http_pool.ts): its request time includes connecting, and it never resends.
 *
 * What k6 does and this reproduces: {@linkcode H1Connection.request} times from the first byte
 * written to the last byte read, after the connection is up (k6's `http_req_duration`, the score's
 * metric, excludes connecting); a request on a reused connection that closed before any byte of
 * its answer is sent once more on a new connection, like Go's net/http; a timeout or transport
 * error gives status 0. The connection is dropped on a timeout, an error, `Connection: close` or a
 * malformed answer, and re-opened by the next request.
 *
 * @module
 */
import {
  ConnectionClosedError,
  encodeRequest,
  HttpConnection,
  type HttpReply,
} from "../../src/processors/http_connection.ts";

/** Outcome of one request. `status` 0 = timeout or transport error (k6's convention). */
interface H1Response {
  status: number;
  /** Duration from the first byte written to the last byte read, ms (excludes connecting). */
  ms: number;
  /** Response body bytes. */
  bodyBytes: number;
  /** The body as text, only when asked. */
  body?: string;
  timedOut: boolean;
  error?: string;
}

const decoder = new TextDecoder();

/** One keep-alive HTTP/1.1 connection to a base URL's host and port. Not for concurrent use. */
export class H1Connection {
  readonly #url: URL;
  #connection: HttpConnection | null = null;
  /** Connections opened so far (for diagnostics). */
  connects = 0;

  /** @param base `http://host[:port]...`; @throws {TypeError} on another scheme. */
  constructor(base: string) {
    this.#url = new URL(base);
    if (this.#url.protocol !== "http:") {
      throw new TypeError(`only http:// is supported, got ${base}`);
    }
  }

  /** Closes the connection (the next request reconnects). */
  close(): void {
    this.#connection?.destroy();
    this.#connection = null;
  }

  /**
   * Sends one request and reads the whole answer. Never throws.
   * @param method e.g. "POST"
   * @param path path and query, e.g. "/payments"
   * @param body a JSON text (sent as `application/json`), or undefined
   * @param timeoutMs client timeout covering connect, send and receive
   * @param readBody also return the body as text
   */
  async request(
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    readBody = false,
  ): Promise<H1Response> {
    const bytes = encodeRequest(method, path, this.#url.host, body);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#connection?.destroy(new Error("timeout"));
    }, timeoutMs);
    let t0 = 0;
    try {
      for (let attempt = 0;; attempt++) {
        const reused = this.#connection !== null && !this.#connection.closed;
        if (!reused) await this.#open();
        if (timedOut) throw new Error("timeout");
        t0 = performance.now();
        try {
          const reply = await exchange(this.#connection!, bytes);
          const ms = performance.now() - t0;
          const text = readBody ? { body: decoder.decode(reply.body) } : {};
          return {
            status: reply.status,
            ms,
            bodyBytes: reply.body.length,
            timedOut: false,
            ...text,
          };
        } catch (e) {
          // Closed by the server while idle: send once more on a new connection.
          const resend = e instanceof ConnectionClosedError && !e.answered && reused;
          if (timedOut || attempt > 0 || !resend) throw e;
        }
      }
    } catch (e) {
      this.close();
      const error = timedOut ? "timeout" : e instanceof Error ? e.message : String(e);
      return { status: 0, ms: t0 ? performance.now() - t0 : 0, bodyBytes: 0, timedOut, error };
    } finally {
      clearTimeout(timer);
    }
  }

  async #open(): Promise<void> {
    this.close();
    this.#connection = await HttpConnection.open(this.#url);
    this.connects++;
  }
}

/** The answer to `bytes` on `connection`. */
function exchange(connection: HttpConnection, bytes: Uint8Array): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    connection.send(bytes, (error, reply) => error === undefined ? resolve(reply!) : reject(error));
  });
}
