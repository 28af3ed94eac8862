import assert from "node:assert/strict";
import { runPaymentsLoad } from "../../../tools/bench/load.ts";
import { RunMetrics } from "../../../tools/bench/metrics.ts";

/** RunMetrics that stops the load (hard abort) once `posts` POSTs were recorded. */
class StopAfter extends RunMetrics {
  readonly stop = new AbortController();
  readonly #posts: number;

  constructor(posts: number) {
    super();
    this.#posts = posts;
  }

  override recordPost(status: number, ms: number, timedOut: boolean): void {
    super.recordPost(status, ms, timedOut);
    if (this.counts.total === this.#posts) this.stop.abort(new Error("enough"));
  }
}

/** One VU posting against `backendUrl` until `metrics` has recorded enough POSTs. */
async function oneVu(backendUrl: string, metrics: StopAfter, onAccepted?: (id: string) => void) {
  await runPaymentsLoad({
    backendUrl,
    startVus: 1,
    maxVus: 1,
    durationMs: 60_000,
    amount: 20.05,
    timeoutMs: 100,
    thinkTimeMs: 50,
    startedAt: performance.now(),
    metrics,
    onAccepted,
    signal: metrics.stop.signal,
  }).done;
}

/** Deno.serve on a free port that also counts the client connections it saw. */
function serve(handler: (request: Request) => Response | Promise<Response>) {
  const ac = new AbortController();
  const connections = new Set<number>();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    (request, info) => {
      connections.add(info.remoteAddr.port);
      return handler(request);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    connections,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

Deno.test("load: one keep-alive connection per VU; the payment body, statuses and accepted ids", async () => {
  const seen: string[] = [];
  const s = serve(async (request) => {
    const body = await request.json();
    assert.equal(new URL(request.url).pathname, "/payments");
    assert.equal(request.headers.get("content-type"), "application/json");
    assert.deepEqual(Object.keys(body), ["correlationId", "amount"]);
    assert.equal(body.amount, 20.05);
    seen.push(body.correlationId);
    return new Response(null, { status: seen.length === 5 ? 400 : 202 });
  });
  const metrics = new StopAfter(5);
  const accepted: string[] = [];
  try {
    await oneVu(s.url, metrics, (id) => accepted.push(id));
  } finally {
    await s.close();
  }
  assert.equal(s.connections.size, 1, "one connection reused");
  assert.deepEqual(metrics.counts, {
    total: 5,
    ok: 4,
    fail: 1,
    timeouts: 0,
    errors: 0,
    byStatus: { "202": 4, "400": 1 },
  });
  assert.deepEqual(accepted, seen.slice(0, 4));
  assert.equal(metrics.posts.count, 4);
  assert.ok(metrics.posts.max > 0);
});

Deno.test("load: a timeout gives status 0, drops the connection, the next POST reconnects", async () => {
  let slow: Promise<void> | undefined;
  const s = serve(async () => {
    if (!slow) {
      slow = new Promise((resolve) => setTimeout(resolve, 400));
      await slow;
    }
    return new Response(null, { status: 202 });
  });
  const metrics = new StopAfter(2);
  try {
    await oneVu(s.url, metrics);
    await slow; // let the slow handler finish
  } finally {
    await s.close();
  }
  assert.equal(metrics.counts.timeouts, 1);
  assert.deepEqual(metrics.counts.byStatus, { "0": 1, "202": 1 });
  assert.equal(s.connections.size, 2);
});

Deno.test("load: a refused connection is status 0, an error, not a timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const metrics = new StopAfter(1);
  await oneVu(`http://127.0.0.1:${port}`, metrics);
  assert.deepEqual(metrics.counts, {
    total: 1,
    ok: 0,
    fail: 1,
    timeouts: 0,
    errors: 1,
    byStatus: { "0": 1 },
  });
});

Deno.test("load: a connection the server closed while idle is replaced, the POST succeeds", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      const buffer = new Uint8Array(4096);
      await conn.read(buffer);
      await conn.write(
        new TextEncoder().encode("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"),
      );
      conn.close(); // after the answer, without "Connection: close"
    }
  })();
  const metrics = new StopAfter(2);
  try {
    await oneVu(`http://127.0.0.1:${listener.addr.port}`, metrics);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
  assert.deepEqual(metrics.counts.byStatus, { "202": 2 });
  assert.equal(accepted, 2);
});
