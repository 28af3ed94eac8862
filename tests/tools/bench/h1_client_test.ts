import assert from "node:assert/strict";
import { H1Connection } from "../../../tools/bench/h1_client.ts";

function serve(handler: (req: Request) => Response | Promise<Response>) {
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    handler,
  );
  const port = (server.addr as Deno.NetAddr).port;
  return {
    port,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

Deno.test("h1 client: keep-alive, content-length and chunked bodies, status codes", async () => {
  const s = serve(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/payments") {
      const body = await req.text();
      return new Response(null, { status: JSON.parse(body).amount === 20.05 ? 202 : 400 });
    }
    if (path === "/chunked") {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("hello "));
          c.enqueue(new TextEncoder().encode("world"));
          c.close();
        },
      });
      return new Response(stream);
    }
    return Response.json({ ok: true, path });
  });
  const c = new H1Connection(`http://127.0.0.1:${s.port}`);
  try {
    const body = JSON.stringify({ correlationId: crypto.randomUUID(), amount: 20.05 });
    for (let i = 0; i < 5; i++) {
      const r = await c.request("POST", "/payments", body, 1500);
      assert.equal(r.status, 202);
      assert.ok(r.ms > 0);
    }
    assert.equal(c.connects, 1, "one connection reused");
    const j = await c.request("GET", "/x?from=1&to=2", undefined, 1500, true);
    assert.equal(j.status, 200);
    assert.deepEqual(JSON.parse(j.body!), { ok: true, path: "/x" });
    const ch = await c.request("GET", "/chunked", undefined, 1500, true);
    assert.equal(ch.status, 200);
    assert.equal(ch.body, "hello world");
    const bad = await c.request("POST", "/payments", '{"amount":1}', 1500);
    assert.equal(bad.status, 400);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("h1 client: a timeout gives status 0, drops the connection, the next request reconnects", async () => {
  let slow = true;
  const s = serve(async () => {
    if (slow) await new Promise((r) => setTimeout(r, 400));
    return new Response("ok");
  });
  const c = new H1Connection(`http://127.0.0.1:${s.port}`);
  try {
    const r = await c.request("GET", "/", undefined, 100);
    assert.equal(r.status, 0);
    assert.equal(r.timedOut, true);
    slow = false;
    const ok = await c.request("GET", "/", undefined, 1500, true);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "ok");
    assert.equal(c.connects, 2);
  } finally {
    c.close();
    await new Promise((r) => setTimeout(r, 450)); // let the slow handler finish
    await s.close();
  }
});

Deno.test("h1 client: refused connection is status 0, not a timeout", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const c = new H1Connection(`http://127.0.0.1:${port}`);
  const r = await c.request("GET", "/", undefined, 1000);
  assert.equal(r.status, 0);
  assert.equal(r.timedOut, false);
  assert.ok(r.error);
});

Deno.test("h1 client: a server closing an idle connection is retried once transparently", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      const n = accepted;
      (async () => {
        const buf = new Uint8Array(4096);
        await conn.read(buf);
        await conn.write(
          new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
        );
        if (n === 1) conn.close(); // closes after the first answer, without "Connection: close"
        else {
          await conn.read(buf).catch(() => null);
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })();
    }
  })();
  const c = new H1Connection(`http://127.0.0.1:${port}`);
  try {
    assert.equal((await c.request("GET", "/", undefined, 1000)).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    const again = await c.request("GET", "/", undefined, 1000);
    assert.equal(again.status, 200);
    assert.equal(c.connects, 2);
  } finally {
    c.close();
    listener.close();
    await serving.catch(() => {});
  }
});

/** What a {@link rawServer} connection does on a request: write `send`, then maybe close. */
type Step = { send: string; thenClose?: boolean } | "close";

/** A raw server: connection k (0-based) does `script(k, i)` on its request i. */
function rawServer(script: (connection: number, request: number) => Step) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const handlers: Promise<void>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      const k = accepted++;
      handlers.push((async () => {
        const buf = new Uint8Array(4096);
        for (let i = 0; (await conn.read(buf).catch(() => null)) !== null; i++) {
          const step = script(k, i);
          if (step === "close") break;
          await conn.write(new TextEncoder().encode(step.send));
          if (step.thenClose) break;
        }
        try {
          conn.close();
        } catch { /* closed */ }
      })());
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    accepted: () => accepted,
    close: async () => {
      listener.close();
      await serving.catch(() => {});
      await Promise.all(handlers);
    },
  };
}

const OK: Step = { send: "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok" };

Deno.test("h1 client: a reused connection closed before any byte of the answer is resent once", async () => {
  // The first connection answers its first request, then closes on the second without a byte.
  const s = rawServer((k, i) => k === 0 && i === 1 ? "close" : OK);
  const c = new H1Connection(s.url);
  try {
    assert.equal((await c.request("POST", "/payments", "{}", 1000)).status, 200);
    const again = await c.request("POST", "/payments", "{}", 1000, true);
    assert.equal(again.status, 200);
    assert.equal(again.body, "ok");
    assert.equal(c.connects, 2);
    assert.equal(s.accepted(), 2);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("h1 client: no resend on a new connection, nor after a byte of the answer", async () => {
  // A fresh connection closed before the answer: status 0, not sent again.
  const fresh = rawServer(() => "close");
  const c = new H1Connection(fresh.url);
  try {
    const r = await c.request("POST", "/payments", "{}", 1000);
    assert.equal(r.status, 0);
    assert.equal(r.timedOut, false);
    assert.match(r.error!, /closed/);
    assert.equal(c.connects, 1);
  } finally {
    c.close();
    await fresh.close();
  }
  // A reused connection closed after part of the answer: status 0, not sent again.
  const partial = rawServer((_, i) =>
    i === 0 ? OK : { send: "HTTP/1.1 200 OK\r\ncontent-le", thenClose: true }
  );
  const p = new H1Connection(partial.url);
  try {
    assert.equal((await p.request("POST", "/payments", "{}", 1000)).status, 200);
    const r = await p.request("POST", "/payments", "{}", 1000);
    assert.equal(r.status, 0);
    assert.equal(r.timedOut, false);
    assert.equal(p.connects, 1);
    assert.equal(partial.accepted(), 1);
  } finally {
    p.close();
    await partial.close();
  }
});
