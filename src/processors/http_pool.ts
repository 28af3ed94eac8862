/**
 * Keep-alive HTTP/1.1 connections (http_connection.ts) to one processor, instead of `fetch`
 * (docs/decisions/0003-own-http-pool.md): idle ones reused newest first, at most `maxIdle` kept,
 * one idle longer than `idleMs` closed at the next release, one the processor closes dropped at
 * once. Nothing is ever sent twice: a request whose connection breaks after it was written fails
 * (the caller resolves it, docs/CONTRACT.md §6.2).
 *
 * @module
 */
import {
  connectFailure,
  type Done,
  encodeRequest,
  HttpConnection,
  type HttpReply,
  NotSentError,
} from "./http_connection.ts";
import { parseOrigin } from "../util/origin.ts";

/** Options of {@link HttpPool}: idle connections kept (256), and their longest idle time, ms. */
export interface HttpPoolOptions {
  maxIdle?: number;
  /** 30,000 by default: under the official processor's server keep-alive. */
  idleMs?: number;
}

/** Keep-alive connections to one origin (`http://host:port`). */
export class HttpPool {
  readonly #origin: URL;
  readonly #maxIdle: number;
  readonly #idleMs: number;
  readonly #onClose = (closed: HttpConnection): void => {
    const at = this.#idle.indexOf(closed);
    if (at >= 0) this.#idle.splice(at, 1);
  };
  #idle: HttpConnection[] = [];
  #closed = false;

  /**
   * @param origin `http://host[:port]`; a path, query or other scheme is refused.
   * @throws {TypeError} if `origin` is not a plain `http://` origin.
   */
  constructor(origin: string, options: HttpPoolOptions = {}) {
    this.#origin = parseOrigin(origin);
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
   *   (a `ConnectionClosedError` when the connection broke) once the request was written or the
   *   response was malformed: the request may have reached the processor then.
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
    const bytes = encodeRequest(method, path, this.#origin.host, body);
    return new Promise((resolve, reject) => {
      let connection: HttpConnection | undefined;
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
        reject(error);
      };
      const onAbort = () => finish(signal.reason);
      const timer = setTimeout(() => {
        const error = new DOMException("request timed out", "TimeoutError");
        finish(connection ? error : connectFailure(this.#origin.host, error));
      }, timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      const start = (acquired: HttpConnection): void => {
        if (finished) return this.#release(acquired);
        // The processor may have closed it after #acquire took it from the idle list (its read
        // loop ran first): nothing was sent on it, so take another one.
        if (acquired.closed) return void this.#acquire().then(start, finish);
        connection = acquired;
        acquired.send(bytes, finish);
      };
      this.#acquire().then(start, finish);
    });
  }

  /** Closes every idle connection; connections in use close when their request ends. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }

  #acquire(): Promise<HttpConnection> {
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      if (!connection.closed) return Promise.resolve(connection);
    }
    return HttpConnection.open(this.#origin, this.#onClose);
  }

  #release(connection: HttpConnection): void {
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
