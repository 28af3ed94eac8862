import assert from "node:assert/strict";
import { classifyError, classifyStatus, STATUS_UNREACHABLE } from "../../src/processors/outcome.ts";

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
  const connect = new TypeError("fetch failed", {
    cause: new Error(
      "client error (Connect): tcp connect error: Connection refused (os error 111)",
    ),
  });
  assert.deepEqual(classifyError(connect), { kind: "rejected", status: STATUS_UNREACHABLE });
  const reset = new TypeError("fetch failed", {
    cause: new Error("client error (SendRequest): connection closed before message completed"),
  });
  assert.equal(classifyError(reset).kind, "ambiguous");
  const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
  assert.equal(classifyError(timeout).kind, "ambiguous");
  assert.equal(classifyError(new DOMException("aborted", "AbortError")).kind, "ambiguous");
});

Deno.test("classifyError matches what Deno's fetch really throws", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  const refused = await fetch(`http://127.0.0.1:${port}/payments`, { method: "POST", body: "{}" })
    .then(() => undefined, (error) => error);
  assert.deepEqual(classifyError(refused), { kind: "rejected", status: STATUS_UNREACHABLE });

  const resetter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    const conn = await resetter.accept();
    await conn.read(new Uint8Array(1024)); // the request left; the answer never comes
    conn.close();
  })();
  const reset = await fetch(`http://127.0.0.1:${(resetter.addr as Deno.NetAddr).port}/payments`, {
    method: "POST",
    body: "{}",
  }).then(() => undefined, (error) => error);
  await accepting;
  resetter.close();
  assert.equal(classifyError(reset).kind, "ambiguous");
});
