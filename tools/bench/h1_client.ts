/**
 * A minimal HTTP/1.1 keep-alive client over one TCP connection, for the load generator's hot path.
 *
 * Why not `fetch`: measured on this 2-core machine against a no-op server, `fetch` costs ≈ 100–130
 * µs of CPU per request and this client ≈ 15–20 µs (docs/BENCHMARKS.md). It also matches k6 more
 * closely: each k6 VU keeps its own connection, and k6's `http_req_duration` (the score's metric)
 * excludes connecting — {@linkcode H1Connection.request} times from the first byte written to the
 * last byte read, after the connection is up.
 *
 * Scope: one request at a time per connection (no pipelining); `Content-Length` or `chunked`
 * responses; the connection is dropped on a timeout, an error, `Connection: close` or a
 * malformed answer, and re-opened by the next request. A request on a reused connection that
 * dies before any byte of the answer (the server closed it while idle) is retried once on a new
 * connection, like Go's net/http (k6) does.
 *
 * Why not the product's pool (src/processors/http_pool.ts): its request time would include
 * connecting, which k6 leaves out (each VU's first request, ≈ 0.7 % of the final's POSTs, close
 * to the p99's 1 % tail), it never resends, and it costs ≈ 25 % more CPU per request.
 *
 * @module
 */
import { concatBytes } from "../../src/util/bytes.ts";

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = [13, 10, 13, 10];
/** Largest response accepted, bytes; anything bigger is a protocol error here. */
const MAX_RESPONSE = 4 * 1024 * 1024;

class ProtocolError extends Error {}

/** One keep-alive HTTP/1.1 connection to `hostname:port`. Not for concurrent use. */
export class H1Connection {
  readonly hostname: string;
  readonly port: number;
  #conn: Deno.TcpConn | null = null;
  #buf = new Uint8Array(16 * 1024);
  #len = 0;
  #hostHeader: string;
  /** Connections opened so far (for diagnostics). */
  connects = 0;

  constructor(hostname: string, port: number) {
    this.hostname = hostname;
    this.port = port;
    this.#hostHeader = `host: ${hostname}:${port}\r\n`;
  }

  /** Builds a connection from an `http://host:port` base URL. @throws {TypeError} on other schemes */
  static fromUrl(base: string): H1Connection {
    const u = new URL(base);
    if (u.protocol !== "http:") throw new TypeError(`only http:// is supported, got ${base}`);
    return new H1Connection(u.hostname.replace(/^\[|\]$/g, ""), Number(u.port || 80));
  }

  /** Closes the connection (the next request reconnects). */
  close(): void {
    if (this.#conn) {
      try {
        this.#conn.close();
      } catch { /* already closed */ }
      this.#conn = null;
    }
    this.#len = 0;
  }

  /**
   * Sends one request and reads the whole answer. Never throws.
   * @param method e.g. "POST"
   * @param path path and query, e.g. "/payments"
   * @param headers extra header lines, each ending in CRLF (e.g. "content-type: application/json\r\n")
   * @param body request body (ASCII/UTF-8 text) or undefined
   * @param timeoutMs client timeout covering connect, send and receive
   * @param readBody also return the body as text
   */
  async request(
    method: string,
    path: string,
    headers: string,
    body: string | undefined,
    timeoutMs: number,
    readBody = false,
  ): Promise<H1Response> {
    const bytes = body === undefined ? undefined : encoder.encode(body);
    const head = `${method} ${path} HTTP/1.1\r\n${this.#hostHeader}${headers}` +
      (bytes ? `content-length: ${bytes.length}\r\n\r\n` : "\r\n");
    const payload = encoder.encode(bytes ? head + body : head);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, timeoutMs);
    let t0 = 0;
    try {
      for (let attempt = 0;; attempt++) {
        const reused = this.#conn !== null;
        if (!this.#conn) {
          this.#conn = await Deno.connect({ hostname: this.hostname, port: this.port });
          this.#conn.setNoDelay(true);
          this.connects++;
          if (timedOut) throw new Error("timeout");
        }
        t0 = performance.now();
        try {
          await this.#writeAll(payload);
          const res = await this.#readResponse(readBody);
          return { ...res, ms: performance.now() - t0, timedOut: false };
        } catch (e) {
          if (timedOut || !reused || attempt > 0 || !(e instanceof EarlyEofError)) throw e;
          this.close(); // idle connection closed by the server: retry once on a new one
        }
      }
    } catch (e) {
      this.close();
      return {
        status: 0,
        ms: t0 ? performance.now() - t0 : 0,
        bodyBytes: 0,
        timedOut,
        error: timedOut ? "timeout" : e instanceof Error ? e.message : String(e),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    let n = 0;
    while (n < data.length) n += await this.#conn!.write(data.subarray(n));
  }

  /** Reads more bytes into the buffer; false on EOF. */
  async #fill(): Promise<boolean> {
    if (this.#len === this.#buf.length) {
      if (this.#buf.length >= MAX_RESPONSE) throw new ProtocolError("response too large");
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf.subarray(0, this.#len));
      this.#buf = bigger;
    }
    const conn = this.#conn;
    if (!conn) throw new Error("connection closed");
    const n = await conn.read(this.#buf.subarray(this.#len));
    if (n === null) return false;
    this.#len += n;
    return true;
  }

  async #readResponse(readBody: boolean): Promise<Omit<H1Response, "ms" | "timedOut">> {
    this.#len = 0;
    let headEnd = -1;
    let from = 0;
    while (headEnd < 0) {
      if (!(await this.#fill())) {
        throw this.#len === 0 ? new EarlyEofError() : new ProtocolError("EOF in headers");
      }
      headEnd = indexOf(this.#buf, this.#len, CRLFCRLF, Math.max(0, from - 3));
      from = this.#len;
    }
    const head = decoder.decode(this.#buf.subarray(0, headEnd));
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) throw new ProtocolError("not an HTTP/1.x response");
    const status = Number(m[1]);
    const lower = head.toLowerCase();
    const close = /\r\nconnection:\s*close/.test(lower);
    const chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(lower);
    const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    let start = headEnd + 4;
    let body: Uint8Array;
    if (chunked) {
      body = await this.#readChunked(start);
    } else {
      const length = cl ? Number(cl[1]) : status === 204 || status === 304 || status < 200 ? 0 : -1;
      if (length < 0) throw new ProtocolError("no length: unsupported");
      while (this.#len - start < length) {
        if (!(await this.#fill())) throw new ProtocolError("EOF in body");
      }
      body = this.#buf.subarray(start, start + length);
      start += length;
    }
    const out = {
      status,
      bodyBytes: body.length,
      ...(readBody ? { body: decoder.decode(body) } : {}),
    };
    if (close) this.close();
    else this.#len = 0;
    return out;
  }

  async #readChunked(start: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let pos = start;
    while (true) {
      let lineEnd = indexOf(this.#buf, this.#len, [13, 10], pos);
      while (lineEnd < 0) {
        if (!(await this.#fill())) throw new ProtocolError("EOF in chunk size");
        lineEnd = indexOf(this.#buf, this.#len, [13, 10], pos);
      }
      const size = parseInt(decoder.decode(this.#buf.subarray(pos, lineEnd)).split(";")[0], 16);
      if (!Number.isFinite(size) || size < 0) throw new ProtocolError("bad chunk size");
      pos = lineEnd + 2;
      if (size === 0) {
        // Trailers (none expected): wait for the final CRLF.
        let end = indexOf(this.#buf, this.#len, [13, 10], pos);
        while (end < 0) {
          if (!(await this.#fill())) throw new ProtocolError("EOF in trailer");
          end = indexOf(this.#buf, this.#len, [13, 10], pos);
        }
        break;
      }
      while (this.#len < pos + size + 2) {
        if (!(await this.#fill())) throw new ProtocolError("EOF in chunk");
      }
      parts.push(this.#buf.slice(pos, pos + size));
      pos += size + 2;
    }
    return concatBytes(parts);
  }
}

class EarlyEofError extends Error {
  constructor() {
    super("connection closed before the response");
  }
}

function indexOf(buf: Uint8Array, len: number, needle: number[], from: number): number {
  const last = len - needle.length;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (buf[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}
