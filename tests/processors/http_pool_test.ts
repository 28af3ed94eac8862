import assert from "node:assert/strict";
import { MAX_BODY_BYTES } from "../../src/processors/http_connection.ts";
import { NotSentError } from "../../src/processors/http_connection.ts";
import { HttpPool } from "../../src/processors/http_pool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = encoder.encode("\r\n\r\n");
/** Generous: only a hang reaches it. */
const TIMEOUT_MS = 10_000;

/** Polls `condition` until it holds; fails after a deadline of several seconds. */
async function waitFor(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A request as the fake server read it. */
interface RawRequest {
  /** e.g. `POST /payments HTTP/1.1`. */
  line: string;
  /** The head as sent, without the blank line. */
  head: string;
  /** By lower-case name. */
  headers: Map<string, string>;
  body: Uint8Array;
}

/** One connection accepted by a {@link FakeServer}, read through a buffer. */
class Peer {
  readonly index: number;
  readonly conn: Deno.TcpConn;
  readonly requests: RawRequest[] = [];
  /** Set once a read saw the client's EOF (or an error: the client reset it). */
  eof = false;
  #buffer: Uint8Array = new Uint8Array(0);
  #closed = false;

  constructor(index: number, conn: Deno.TcpConn) {
    this.index = index;
    this.conn = conn;
  }

  /** Bytes received and not consumed by {@link readRequest}. */
  get buffered(): number {
    return this.#buffer.length;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await this.conn.read(chunk);
    } catch {
      n = null;
    }
    if (n === null) {
      this.eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /** The next request, or null at EOF. */
  async readRequest(): Promise<RawRequest | null> {
    let end;
    while ((end = indexOf(this.#buffer, CRLFCRLF)) < 0) if (!await this.#fill()) return null;
    const head = decoder.decode(this.#buffer.subarray(0, end));
    const [line, ...fields] = head.split("\r\n");
    const headers = new Map<string, string>();
    for (const field of fields) {
      const colon = field.indexOf(":");
      headers.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim());
    }
    const length = Number(headers.get("content-length") ?? 0);
    const start = end + CRLFCRLF.length;
    while (this.#buffer.length < start + length) if (!await this.#fill()) return null;
    const request = {
      line,
      head,
      headers,
      body: this.#buffer.slice(start, start + length),
    };
    this.#buffer = this.#buffer.slice(start + length);
    this.requests.push(request);
    return request;
  }

  /** Reads (and drops) everything until the client's EOF. */
  async untilEof(): Promise<void> {
    while (await this.#fill()) this.#buffer = new Uint8Array(0);
  }

  /** Writes all of `data`; false if the client is gone. */
  async write(data: string | Uint8Array): Promise<boolean> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    try {
      for (let written = 0; written < bytes.length;) {
        written += await this.conn.write(bytes.subarray(written));
      }
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch { /* closed already */ }
  }
}

/**
 * A raw TCP server on 127.0.0.1 writing exact bytes: `handle` runs once per accepted connection,
 * which is closed when it returns. {@link close} rethrows the first error of a handler.
 */
class FakeServer {
  readonly peers: Peer[] = [];
  readonly #listener: Deno.TcpListener;
  readonly #accepting: Promise<void>;
  readonly #handlers: Promise<void>[] = [];
  #error: unknown;

  constructor(handle: (peer: Peer) => Promise<void>) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    this.#accepting = (async () => {
      for (;;) {
        let conn;
        try {
          conn = await listener.accept();
        } catch {
          return; // listener closed
        }
        const peer = new Peer(this.peers.length, conn);
        this.peers.push(peer);
        this.#handlers.push(
          handle(peer).catch((error) => this.#error ??= error).finally(() => peer.close()),
        );
      }
    })();
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.peers.length;
  }

  /** Every request received, in order of connection then arrival. */
  get requests(): RawRequest[] {
    return this.peers.flatMap((peer) => peer.requests);
  }

  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const peer of this.peers) peer.close();
    await Promise.all(this.#handlers);
    if (this.#error !== undefined) throw this.#error;
  }
}

/** Answers every request of a connection with `reply(request, peer)` until the client's EOF. */
function answering(
  reply: (request: RawRequest, peer: Peer) => string | Uint8Array,
): (peer: Peer) => Promise<void> {
  return async (peer) => {
    for (let request; (request = await peer.readRequest());) {
      if (!await peer.write(reply(request, peer))) return;
    }
  };
}

function ok(body: string): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${encoder.encode(body).length}\r\n\r\n${body}`;
}

const text = (bytes: Uint8Array) => decoder.decode(bytes);
const never = () => new AbortController().signal;
/** The rejection of `promise`; fails if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (error) => error,
  );
}

// 1. requests ----------------------------------------------------------------------------------

Deno.test("http_pool: sequential requests reuse one connection; POST and GET are framed right", async () => {
  const server = new FakeServer(answering((request) => ok(`echo:${request.line}`)));
  const pool = new HttpPool(server.origin);
  try {
    const body = '{"name":"Zoë","note":"€ 😀"}';
    const bytes = encoder.encode(body);
    assert.notEqual(bytes.length, body.length); // the length must be counted in bytes

    const first = await pool.request("POST", "/payments", body, TIMEOUT_MS, never());
    assert.equal(first.status, 200);
    assert.equal(text(first.body), "echo:POST /payments HTTP/1.1");
    const second = await pool.request("GET", "/payments/abc", undefined, TIMEOUT_MS, never());
    assert.equal(text(second.body), "echo:GET /payments/abc HTTP/1.1");
    const third = await pool.request("POST", "/payments", "{}", TIMEOUT_MS, never());
    assert.equal(text(third.body), "echo:POST /payments HTTP/1.1");

    assert.equal(server.accepted, 1);
    assert.equal(pool.idle, 1);
    const [post, get, post2] = server.requests;
    assert.equal(server.requests.length, 3);
    assert.equal(post.headers.get("host"), `127.0.0.1:${server.port}`);
    assert.equal(post.headers.get("content-type"), "application/json");
    assert.equal(post.headers.get("content-length"), String(bytes.length));
    assert.deepEqual([...post.body], [...bytes]);
    assert.equal(text(post.body), body);

    assert.equal(get.head, `GET /payments/abc HTTP/1.1\r\nHost: 127.0.0.1:${server.port}`);
    assert.equal(get.headers.has("content-length"), false);
    assert.equal(get.headers.has("transfer-encoding"), false);
    assert.equal(get.body.length, 0);
    // Nothing trailed the GET: the next bytes on the connection were exactly the next request.
    assert.equal(post2.line, "POST /payments HTTP/1.1");
    assert.equal(post2.headers.get("content-length"), "2");
    assert.equal(text(post2.body), "{}");
    assert.equal(server.peers[0].buffered, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: the constructor takes only a plain http:// origin", () => {
  for (const origin of ["https://x", "http://x/api", "http://x?a=1", "http://u:p@x", "x:80"]) {
    assert.throws(() => new HttpPool(origin), TypeError, origin);
  }
  new HttpPool("http://x:8080/").close();
  new HttpPool("http://[::1]:8080").close();
});

// 2. responses ---------------------------------------------------------------------------------

Deno.test("http_pool: a Content-Length response, with status and lower-case headers", async () => {
  const server = new FakeServer(
    answering(() =>
      "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nX-Dup: a\r\nx-dup: b\r\n" +
      'Content-Length: 7\r\n\r\n{"a":1}'
    ),
  );
  const pool = new HttpPool(server.origin);
  try {
    const reply = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(reply.status, 429);
    assert.equal(reply.headers.get("retry-after"), "3");
    assert.equal(reply.headers.get("x-dup"), "b"); // the last one wins
    assert.equal(reply.headers.get("content-length"), "7");
    assert.equal(text(reply.body), '{"a":1}');
    assert.equal(pool.idle, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a chunked response with chunk extensions and trailers, then reuse", async () => {
  const server = new FakeServer(
    answering((request) =>
      request.line.startsWith("GET /chunked")
        ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
          '5;ext=1;name="v"\r\nhello\r\n' +
          "1\r\n \r\n" +
          "A\r\nworld 😀\r\n" + // 10 bytes: "world " + a 4-byte emoji
          "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        : ok("after")
    ),
  );
  const pool = new HttpPool(server.origin);
  try {
    const reply = await pool.request("GET", "/chunked", undefined, TIMEOUT_MS, never());
    assert.equal(reply.status, 200);
    assert.equal(text(reply.body), "hello world 😀");
    // The trailers were consumed: the next response on the same connection parses.
    const next = await pool.request("GET", "/next", undefined, TIMEOUT_MS, never());
    assert.equal(text(next.body), "after");
    assert.equal(server.accepted, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a response delivered one byte per write", async () => {
  const responses = [
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n" +
    "0\r\nT: 1\r\n\r\n",
    "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nfg€", // "€" is 3 bytes
  ];
  const server = new FakeServer(async (peer) => {
    peer.conn.setNoDelay(true);
    for (const response of responses) {
      if (!await peer.readRequest()) return;
      for (const byte of encoder.encode(response)) {
        assert.ok(await peer.write(new Uint8Array([byte])));
        await new Promise((resolve) => setTimeout(resolve, 0)); // let the client read it alone
      }
    }
    await peer.untilEof();
  });
  const pool = new HttpPool(server.origin);
  try {
    const first = await pool.request("GET", "/1", undefined, TIMEOUT_MS, never());
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-a"), "1");
    assert.equal(text(first.body), "abcde");
    const second = await pool.request("POST", "/2", "{}", TIMEOUT_MS, never());
    assert.equal(second.status, 201);
    assert.equal(text(second.body), "fg€");
    assert.equal(server.accepted, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: bytes after the response with no request pending destroy that connection", async () => {
  const server = new FakeServer(async (peer) => {
    if (peer.index === 0) {
      if (!await peer.readRequest()) return;
      // Two responses in one write: the second one answers nothing.
      await peer.write(ok("first") + ok("unsolicited"));
      await peer.untilEof();
    } else {
      await answering(() => ok("fresh"))(peer);
    }
  });
  const pool = new HttpPool(server.origin);
  try {
    const reply = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(reply.body), "first");
    await waitFor(() => server.peers[0].eof, "the poisoned connection to be closed");
    assert.equal(pool.idle, 0);
    const next = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(next.body), "fresh");
    assert.equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a response sent to an idle connection destroys it", async () => {
  let answered = false;
  const server = new FakeServer(async (peer) => {
    if (peer.index === 0) {
      if (!await peer.readRequest()) return;
      await peer.write(ok("one"));
      await waitFor(() => answered, "the client to have its answer");
      await peer.write(ok("nobody asked")); // while the connection is idle in the pool
      await peer.untilEof();
    } else {
      await answering(() => ok("two"))(peer);
    }
  });
  const pool = new HttpPool(server.origin);
  try {
    assert.equal(
      text((await pool.request("GET", "/", undefined, TIMEOUT_MS, never())).body),
      "one",
    );
    answered = true;
    await waitFor(() => server.peers[0].eof, "the idle connection to be closed");
    await waitFor(() => pool.idle === 0, "the pool to drop it");
    assert.equal(
      text((await pool.request("GET", "/", undefined, TIMEOUT_MS, never())).body),
      "two",
    );
    assert.equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: 204 and 304 carry no body and keep the connection", async () => {
  const server = new FakeServer(answering((request) => {
    if (request.line.startsWith("GET /204")) return "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
    // A length on a 304 describes the resource, not this message: no body follows.
    if (request.line.startsWith("GET /304")) {
      return "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n";
    }
    return ok("next");
  }));
  const pool = new HttpPool(server.origin);
  try {
    const noContent = await pool.request("GET", "/204", undefined, TIMEOUT_MS, never());
    assert.equal(noContent.status, 204);
    assert.equal(noContent.headers.get("x-a"), "1");
    assert.equal(noContent.body.length, 0);
    const notModified = await pool.request("GET", "/304", undefined, TIMEOUT_MS, never());
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    const next = await pool.request("GET", "/next", undefined, TIMEOUT_MS, never());
    assert.equal(text(next.body), "next");
    assert.equal(server.accepted, 1);
    assert.equal(pool.idle, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: an interim 1xx answer is skipped; the final one resolves the request", async () => {
  const server = new FakeServer(
    answering(() =>
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n" +
      "HTTP/1.1 100 Continue\r\n\r\n" + ok("final")
    ),
  );
  const pool = new HttpPool(server.origin);
  try {
    for (let i = 0; i < 2; i++) {
      const reply = await pool.request("POST", "/payments", "{}", TIMEOUT_MS, never());
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get("link"), undefined, "the interim headers are dropped");
      assert.equal(text(reply.body), "final");
    }
    assert.equal(server.accepted, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a Connection: close response is not reused; the client closes it", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    // The server does not close: the client must, and must not send a second request here.
    await peer.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    await peer.untilEof();
  });
  const pool = new HttpPool(server.origin);
  try {
    const reply = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(reply.body), "ok");
    assert.equal(reply.headers.get("connection"), "close");
    assert.equal(pool.idle, 0);
    await waitFor(() => server.peers[0].eof, "the client to close the connection");
    const again = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(again.body), "ok");
    assert.equal(server.accepted, 2);
    assert.deepEqual(server.peers.map((peer) => peer.requests.length), [1, 1]);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a body with no length and no chunking is read until close", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ");
    await peer.write("part two");
    // returning closes the connection: that ends the body
  });
  const pool = new HttpPool(server.origin);
  try {
    const reply = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(reply.status, 200);
    assert.equal(text(reply.body), "part one, part two");
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

// 3. the server closes idle connections --------------------------------------------------------

Deno.test("http_pool: a connection the server closes while idle leaves the pool at once", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.write(ok(`conn ${peer.index}`)); // keep-alive response, then the server closes
  });
  const pool = new HttpPool(server.origin);
  try {
    const first = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(first.body), "conn 0");
    await waitFor(() => pool.idle === 0, "the closed connection to leave the pool");
    const second = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(text(second.body), "conn 1");
    assert.equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a request right after the server closed the connection it reuses does not hang", async () => {
  // Regression: the server answers (keep-alive) and closes at once; the next request is sent
  // immediately. The read loop may see that EOF after #acquire took the connection from the idle
  // list but before the request was written on it: the request must then go on another
  // connection, not wait on the dead one until its timeout.
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.write(ok("ok"));
  });
  const pool = new HttpPool(server.origin);
  try {
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const outcome = await pool.request("GET", "/", undefined, 5_000, never()).then(
        (reply) => `${reply.status} ${text(reply.body)}`,
        (error) => error.name,
      );
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (outcome === "TimeoutError") break;
    }
    // A request written on the connection just before its EOF arrived may fail as ambiguous
    // ("Error"); none may wait for its timeout.
    assert.equal(outcomes.get("TimeoutError"), undefined, JSON.stringify([...outcomes]));
    assert.ok((outcomes.get("200 ok") ?? 0) > 0, JSON.stringify([...outcomes]));
  } finally {
    pool.close();
    await server.close();
  }
});

// 4. timeouts, aborts and connection failures --------------------------------------------------

Deno.test("http_pool: a timeout waiting for the answer rejects with TimeoutError and destroys the connection", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.untilEof(); // never answers
  });
  const pool = new HttpPool(server.origin);
  try {
    const error = await rejection(pool.request("POST", "/payments", "{}", 200, never()));
    assert.ok(error instanceof DOMException, String(error));
    assert.equal(error.name, "TimeoutError");
    assert.ok(!(error instanceof NotSentError));
    assert.equal(server.requests.length, 1); // it was sent
    await waitFor(() => server.peers[0].eof, "the server to see the connection close");
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: an abort after sending rejects with the signal's reason", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.untilEof();
  });
  const pool = new HttpPool(server.origin);
  try {
    const controller = new AbortController();
    const pending = pool.request("POST", "/payments", "{}", TIMEOUT_MS, controller.signal);
    await waitFor(() => server.requests.length === 1, "the request to arrive");
    const reason = new Error("shutting down");
    controller.abort(reason);
    assert.equal(await rejection(pending), reason);
    await waitFor(() => server.peers[0].eof, "the server to see the connection close");
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: an abort before the call sends nothing", async () => {
  const server = new FakeServer(answering((request) => ok(request.line)));
  const pool = new HttpPool(server.origin);
  try {
    const controller = new AbortController();
    const reason = new Error("already aborted");
    controller.abort(reason);
    let error: unknown;
    try {
      await pool.request("POST", "/aborted", "{}", TIMEOUT_MS, controller.signal);
    } catch (caught) {
      error = caught;
    }
    assert.equal(error, reason);
    // The first request the server ever sees is the next one.
    const reply = await pool.request("GET", "/next", undefined, TIMEOUT_MS, never());
    assert.equal(text(reply.body), "GET /next HTTP/1.1");
    assert.equal(server.accepted, 1);
    assert.deepEqual(server.requests.map((request) => request.line), ["GET /next HTTP/1.1"]);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: connection refused rejects with NotSentError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  const pool = new HttpPool(`http://127.0.0.1:${port}`);
  try {
    const error = await rejection(pool.request("POST", "/payments", "{}", TIMEOUT_MS, never()));
    assert.ok(error instanceof NotSentError, String(error));
    assert.ok((error as NotSentError).cause instanceof Deno.errors.ConnectionRefused);
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
  }
});

Deno.test("http_pool: a reset after the request left is an Error, not NotSentError", async () => {
  const server = new FakeServer(async (peer) => {
    // Read one byte and close with the rest unread: the kernel answers with a reset.
    await peer.conn.read(new Uint8Array(1));
  });
  const pool = new HttpPool(server.origin);
  try {
    const error = await rejection(pool.request("POST", "/payments", "{}", TIMEOUT_MS, never()));
    assert.ok(error instanceof Error, String(error));
    assert.ok(!(error instanceof NotSentError), String(error));
    assert.notEqual((error as Error).name, "TimeoutError");
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a connection closed before a complete answer is an Error, not NotSentError", async () => {
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await peer.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"); // 7 bytes short
  });
  const pool = new HttpPool(server.origin);
  try {
    const error = await rejection(pool.request("GET", "/", undefined, TIMEOUT_MS, never()));
    assert.ok(error instanceof Error, String(error));
    assert.ok(!(error instanceof NotSentError), String(error));
    assert.equal(pool.idle, 0);
  } finally {
    pool.close();
    await server.close();
  }
});

// 5. malformed or oversized answers ------------------------------------------------------------

Deno.test("http_pool: a body over MAX_BODY_BYTES fails and destroys the connection", async () => {
  const server = new FakeServer(async (peer) => {
    for (let request; (request = await peer.readRequest());) {
      const size = request.line.startsWith("GET /max") ? MAX_BODY_BYTES : MAX_BODY_BYTES + 1;
      await peer.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      if (!await peer.write(new Uint8Array(size).fill(0x61))) return;
    }
  });
  const pool = new HttpPool(server.origin);
  try {
    const max = await pool.request("GET", "/max", undefined, TIMEOUT_MS, never());
    assert.equal(max.body.length, MAX_BODY_BYTES);
    assert.ok(max.body.every((byte) => byte === 0x61));
    assert.equal(pool.idle, 1);

    const error = await rejection(pool.request("GET", "/over", undefined, TIMEOUT_MS, never()));
    assert.ok(error instanceof Error, String(error));
    assert.ok(!(error instanceof NotSentError));
    assert.match((error as Error).message, /body over/);
    await waitFor(() => server.peers[0].eof, "the server to see the connection close");
    assert.equal(pool.idle, 0);
    assert.equal(server.accepted, 1);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a malformed status line fails the request and destroys the connection", async () => {
  for (const answer of ["HTTP/1.1 abc OK\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n\r\n", "garbage\n\n"]) {
    const server = new FakeServer(async (peer) => {
      if (!await peer.readRequest()) return;
      await peer.write(answer);
      await peer.untilEof();
    });
    const pool = new HttpPool(server.origin);
    try {
      const error = await rejection(pool.request("GET", "/", undefined, TIMEOUT_MS, never()));
      assert.ok(error instanceof Error, `${JSON.stringify(answer)}: ${error}`);
      assert.ok(!(error instanceof NotSentError));
      await waitFor(() => server.peers[0].eof, "the server to see the connection close");
      assert.equal(pool.idle, 0);
    } finally {
      pool.close();
      await server.close();
    }
  }
});

// 6. bounds of the idle list -------------------------------------------------------------------

Deno.test("http_pool: maxIdle bounds the idle connections; the extra ones are closed", async () => {
  const concurrent = 5;
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    // Hold every answer until all the requests are in: each needs its own connection.
    await waitFor(() => server.requests.length === concurrent, "all requests to arrive");
    if (!await peer.write(ok(`conn ${peer.index}`))) return;
    await answering(() => ok("again"))(peer);
  });
  const pool = new HttpPool(server.origin, { maxIdle: 2 });
  try {
    const replies = await Promise.all(
      Array.from(
        { length: concurrent },
        () => pool.request("GET", "/", undefined, TIMEOUT_MS, never()),
      ),
    );
    assert.deepEqual(replies.map((reply) => text(reply.body)).sort(), [
      "conn 0",
      "conn 1",
      "conn 2",
      "conn 3",
      "conn 4",
    ]);
    assert.equal(server.accepted, concurrent);
    assert.equal(pool.idle, 2);
    await waitFor(
      () => server.peers.filter((peer) => peer.eof).length === concurrent - 2,
      "the extra connections to be closed",
    );
    // The two kept are live: two more requests need no new connection.
    await Promise.all([0, 1].map(() => pool.request("GET", "/", undefined, TIMEOUT_MS, never())));
    assert.equal(server.accepted, concurrent);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: an idle connection older than idleMs is closed at the next release", async () => {
  const idleMs = 50;
  let arrived = 0;
  const server = new FakeServer(async (peer) => {
    for (let request; (request = await peer.readRequest());) {
      arrived++;
      // The first two arrive together and are answered together, on two connections.
      await waitFor(() => arrived >= 2, "both first requests");
      if (!await peer.write(ok(`conn ${peer.index}`))) return;
      void request;
    }
  });
  const pool = new HttpPool(server.origin, { idleMs });
  try {
    await Promise.all([0, 1].map(() => pool.request("GET", "/", undefined, TIMEOUT_MS, never())));
    assert.equal(server.accepted, 2);
    assert.equal(pool.idle, 2);
    // Make sure both are older than idleMs (no assertion rests on this delay being short).
    await new Promise((resolve) => setTimeout(resolve, idleMs * 4));
    const reply = await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    const reused = Number(text(reply.body).split(" ")[1]);
    // Its release closed the other, older one.
    await waitFor(() => server.peers[1 - reused].eof, "the old idle connection to be closed");
    assert.equal(server.peers[reused].eof, false);
    assert.equal(pool.idle, 1);
    assert.equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: idle connections younger than idleMs are kept", async () => {
  let arrived = 0;
  const server = new FakeServer(async (peer) => {
    for (let request; (request = await peer.readRequest());) {
      arrived++;
      await waitFor(() => arrived >= 2, "both first requests");
      if (!await peer.write(ok("ok"))) return;
      void request;
    }
  });
  const pool = new HttpPool(server.origin); // idleMs 30 s
  try {
    await Promise.all([0, 1].map(() => pool.request("GET", "/", undefined, TIMEOUT_MS, never())));
    await pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    assert.equal(pool.idle, 2);
    assert.equal(server.accepted, 2);
    assert.deepEqual(server.peers.map((peer) => peer.eof), [false, false]);
  } finally {
    pool.close();
    await server.close();
  }
});

// 7. concurrency against a real HTTP server ----------------------------------------------------

Deno.test("http_pool: 200 concurrent requests to Deno.serve each get their own answer", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = await request.text();
      const url = new URL(request.url);
      return new Response(`${request.method} ${url.pathname} ${body}`, {
        headers: { "content-type": "text/plain", "x-id": url.pathname.slice(1) },
      });
    },
  );
  const pool = new HttpPool(`http://127.0.0.1:${server.addr.port}`, { maxIdle: 64 });
  try {
    for (let round = 0; round < 2; round++) {
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => {
          const body = i % 2 ? `{"i":${i},"r":${round},"s":"ç€😀${"x".repeat(i)}"}` : undefined;
          const method = body === undefined ? "GET" : "POST";
          return pool.request(method, `/${round}-${i}`, body, TIMEOUT_MS, never()).then(
            (reply) => ({
              reply,
              expected: `${method} /${round}-${i} ${body ?? ""}`,
              id: `${round}-${i}`,
            }),
          );
        }),
      );
      for (const { reply, expected, id } of replies) {
        assert.equal(reply.status, 200);
        assert.equal(reply.headers.get("x-id"), id);
        assert.equal(text(reply.body), expected);
      }
      assert.ok(pool.idle <= 64);
    }
  } finally {
    pool.close();
    await server.shutdown();
  }
});

// 8. close -------------------------------------------------------------------------------------

Deno.test("http_pool: close() closes the idle connections and refuses new requests as not sent", async () => {
  const server = new FakeServer(answering(() => ok("ok")));
  const pool = new HttpPool(server.origin);
  try {
    await Promise.all([0, 1].map(() => pool.request("GET", "/", undefined, TIMEOUT_MS, never())));
    assert.equal(pool.idle, 2);
    pool.close();
    assert.equal(pool.idle, 0);
    await waitFor(() => server.peers.every((peer) => peer.eof), "the server to see both close");
    const error = await rejection(pool.request("GET", "/", undefined, TIMEOUT_MS, never()));
    assert.ok(error instanceof NotSentError, String(error));
    assert.equal(server.accepted, 2);
  } finally {
    pool.close();
    await server.close();
  }
});

Deno.test("http_pool: a request in flight at close() completes, then its connection closes", async () => {
  let release = false;
  const server = new FakeServer(async (peer) => {
    if (!await peer.readRequest()) return;
    await waitFor(() => release, "the pool to be closed");
    await peer.write(ok("late"));
    await peer.untilEof();
  });
  const pool = new HttpPool(server.origin);
  try {
    const pending = pool.request("GET", "/", undefined, TIMEOUT_MS, never());
    await waitFor(() => server.requests.length === 1, "the request to arrive");
    pool.close();
    release = true;
    assert.equal(text((await pending).body), "late");
    assert.equal(pool.idle, 0);
    await waitFor(() => server.peers[0].eof, "the connection to be closed after its answer");
  } finally {
    pool.close();
    await server.close();
  }
});
