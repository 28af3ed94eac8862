import assert from "node:assert/strict";
import { classifyError, classifyStatus, STATUS_UNREACHABLE } from "../../src/processors/outcome.ts";
import { NotSentError } from "../../src/processors/http_connection.ts";
import { HttpPool } from "../../src/processors/http_pool.ts";

Deno.test("classifyStatus: 200 confirmed, 422 duplicate, anything else a definite rejection", () => {
  assert.deepEqual(classifyStatus(200), { kind: "confirmed" });
  assert.deepEqual(classifyStatus(422), { kind: "duplicate" });
  assert.deepEqual(classifyStatus(500), { kind: "rejected", status: 500 });
  assert.deepEqual(classifyStatus(429, "5"), { kind: "rejected", status: 429, retryAfterMs: 5000 });
  assert.deepEqual(classifyStatus(429, "soon"), { kind: "rejected", status: 429 });
  assert.deepEqual(classifyStatus(400), { kind: "rejected", status: 400 });
  for (const status of [502, 503, 504]) {
    assert.equal(classifyStatus(status).kind, "ambiguous", `${status} may have been forwarded`);
  }
});

Deno.test("classifyError: a connect failure is a rejection, anything after sending is ambiguous", () => {
  const connect = new NotSentError("cannot connect", {
    cause: new Deno.errors.ConnectionRefused(),
  });
  assert.deepEqual(classifyError(connect), { kind: "rejected", status: STATUS_UNREACHABLE });
  assert.equal(classifyError(new Error("connection closed by the processor")).kind, "ambiguous");
  const timeout = new DOMException("request timed out", "TimeoutError");
  assert.equal(classifyError(timeout).kind, "ambiguous");
  assert.equal(classifyError(new DOMException("aborted", "AbortError")).kind, "ambiguous");
});

Deno.test("classifyError matches what the processor pool really throws", async () => {
  const signal = new AbortController().signal;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  const refused = await new HttpPool(`http://127.0.0.1:${port}`)
    .request("POST", "/payments", "{}", 5_000, signal)
    .then(() => undefined, (error) => error);
  assert.deepEqual(classifyError(refused), { kind: "rejected", status: STATUS_UNREACHABLE });

  const resetter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    const conn = await resetter.accept();
    await conn.read(new Uint8Array(1024)); // the request left; the answer never comes
    conn.close();
  })();
  const reset = await new HttpPool(`http://127.0.0.1:${(resetter.addr as Deno.NetAddr).port}`)
    .request("POST", "/payments", "{}", 5_000, signal)
    .then(() => undefined, (error) => error);
  await accepting;
  resetter.close();
  assert.equal(classifyError(reset).kind, "ambiguous");
});
