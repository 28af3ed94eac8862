import assert from "node:assert/strict";
import { createHandler, type RouteDeps } from "../../src/http/routes.ts";
import type { Payment } from "../../src/domain/payment.ts";

const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";

function fakeDeps(overrides: Partial<RouteDeps> = {}) {
  const enqueued: Payment[] = [];
  const deps: RouteDeps = {
    enqueue: (payment) => {
      enqueued.push(payment);
      return Promise.resolve("accepted");
    },
    summary: () =>
      Promise.resolve({
        default: { totalRequests: 3, totalCents: 6015 },
        fallback: { totalRequests: 1, totalCents: 2005 },
      }),
    purge: () => Promise.resolve(4),
    health: () => Promise.resolve({ ok: true }),
    accepting: () => true,
    maxBodyBytes: 256,
    ...overrides,
  };
  return { handler: createHandler(deps), enqueued };
}

function post(path: string, body: string, type = "application/json") {
  return new Request(`http://x${path}`, {
    method: "POST",
    body,
    headers: { "content-type": type },
  });
}

Deno.test("POST /payments answers 202 after the enqueue resolved", async () => {
  const { handler, enqueued } = fakeDeps();
  const response = await handler(post("/payments", `{"correlationId":"${ID}","amount":20.05}`));
  assert.equal(response.status, 202);
  assert.deepEqual(enqueued, [{ correlationId: ID, amountCents: 2005 }]);
});

Deno.test("POST /payments: replay is 202, other amount is 409, Redis down is 503", async () => {
  const body = `{"correlationId":"${ID}","amount":20.05}`;
  const replay = fakeDeps({ enqueue: () => Promise.resolve("replayed") });
  assert.equal((await replay.handler(post("/payments", body))).status, 202);
  const conflict = fakeDeps({ enqueue: () => Promise.resolve("conflict") });
  const answer = await conflict.handler(post("/payments", body));
  assert.equal(answer.status, 409);
  assert.match((await answer.json()).error, /another amount/);
  const down = fakeDeps({ enqueue: () => Promise.reject(new Error("The client is closed")) });
  const unavailable = await down.handler(post("/payments", body));
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.headers.get("content-type"), "application/json");
});

Deno.test("POST /payments rejects bad input with a JSON 4xx and enqueues nothing", async () => {
  const { handler, enqueued } = fakeDeps();
  const cases: [Request, number][] = [
    [post("/payments", `{"correlationId":"${ID}","amount":20.05}`, "text/plain"), 415],
    [post("/payments", "{", "application/json"), 400],
    [post("/payments", `{"correlationId":"${ID}","amount":-1}`), 422],
    [post("/payments", `{"correlationId":"${ID}","amount":1,"pad":"${"x".repeat(300)}"}`), 413],
    [new Request("http://x/payments", { method: "GET" }), 405],
    [new Request("http://x/nowhere", { method: "GET" }), 404],
  ];
  for (const [request, status] of cases) {
    const response = await handler(request);
    assert.equal(response.status, status, `${request.method} ${request.url}`);
    assert.equal(typeof (await response.json()).error, "string");
  }
  assert.equal(enqueued.length, 0);
});

Deno.test("POST /payments answers 503 while shutting down", async () => {
  const { handler, enqueued } = fakeDeps({ accepting: () => false });
  const response = await handler(post("/payments", `{"correlationId":"${ID}","amount":20.05}`));
  assert.equal(response.status, 503);
  assert.equal(enqueued.length, 0);
});

Deno.test("GET /payments-summary answers the RINHA shape with 2-decimal amounts", async () => {
  const { handler } = fakeDeps();
  const response = await handler(new Request("http://x/payments-summary"));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    default: { totalRequests: 3, totalAmount: 60.15 },
    fallback: { totalRequests: 1, totalAmount: 20.05 },
  });
  const bad = await handler(new Request("http://x/payments-summary?from=x&to=y"));
  assert.equal(bad.status, 400);
});

Deno.test("POST /purge-payments and GET /healthcheck", async () => {
  const { handler } = fakeDeps();
  const purge = await handler(new Request("http://x/purge-payments", { method: "POST" }));
  assert.deepEqual([purge.status, await purge.json()], [200, { purged: 4 }]);
  const unhealthy = fakeDeps({
    health: () => Promise.resolve({ ok: false, status: "redis unreachable" }),
  });
  const health = await unhealthy.handler(new Request("http://x/healthcheck"));
  assert.equal(health.status, 503);
  assert.equal((await health.json()).status, "redis unreachable");
});
