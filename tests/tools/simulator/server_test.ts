import assert from "node:assert/strict";
import { startProcessor } from "../../../tools/simulator/server.ts";

const TOKEN = { "x-rinha-token": "123" };

async function status(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.body?.cancel();
  return response.status;
}

function postPayment(url: string, correlationId: string, signal?: AbortSignal) {
  return fetch(`${url}/payments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ correlationId, amount: 20.05, requestedAt: new Date().toISOString() }),
    signal,
  });
}

/** Polls until `probe` is true; generous deadline, so only a hang fails. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * With one permit and no queue, `GET /payments/{any}` answers 429 exactly while another request
 * holds the permit: a way to know the server is inside a payment's delay.
 */
const busy = (url: string) => async () =>
  await status(`${url}/payments/${crypto.randomUUID()}`) === 429;

Deno.test("startProcessor on a random port serves the API over HTTP", async () => {
  const processor = startProcessor({ port: 0, fee: "0.07" });
  try {
    assert.ok(processor.port > 0);
    assert.equal(processor.url, `http://127.0.0.1:${processor.port}`);
    const id = crypto.randomUUID();
    const created = await postPayment(processor.url, id);
    assert.deepEqual(await created.json(), { message: "payment processed successfully" });
    assert.equal(await status(`${processor.url}/payments/${id}`), 200);
    const summary = await fetch(`${processor.url}/admin/payments-summary`, { headers: TOKEN });
    assert.deepEqual(await summary.json(), {
      totalAmount: 20.05,
      totalRequests: 1,
      totalFee: 1.4035,
      feePerTransaction: 0.07,
    });
    assert.equal(processor.state.ledger.size, 1);
  } finally {
    await processor.shutdown();
  }
});

Deno.test("a client that gives up during the delay still gets its payment stored", async () => {
  const processor = startProcessor({
    port: 0,
    delayMs: 300,
    concurrencyLimit: 1,
    concurrencyQueueLimit: 0,
  });
  try {
    const id = crypto.randomUUID();
    const client = new AbortController();
    const attempt = postPayment(processor.url, id, client.signal).then(
      () => "answered",
      (error) => error.name,
    );
    await until(busy(processor.url), "the payment to enter its delay");
    client.abort();
    assert.equal(await attempt, "AbortError");
    await until(
      async () => await status(`${processor.url}/payments/${id}`) === 200,
      "the abandoned payment to be stored",
    );
  } finally {
    await processor.shutdown();
  }
});

Deno.test("shutdown ends pending delays at once: 503, nothing stored", async () => {
  const processor = startProcessor({
    port: 0,
    delayMs: 60_000,
    concurrencyLimit: 1,
    concurrencyQueueLimit: 0,
  });
  const id = crypto.randomUUID();
  const attempt = postPayment(processor.url, id);
  await until(busy(processor.url), "the payment to enter its delay");
  await processor.shutdown();
  const response = await attempt;
  assert.equal(response.status, 503);
  await response.body?.cancel();
  assert.equal(processor.state.ledger.get(id), undefined);
  await processor.shutdown(); // idempotent
});

Deno.test("aborting the signal option shuts the processor down", async () => {
  const stop = new AbortController();
  const processor = startProcessor({ port: 0, signal: stop.signal });
  assert.equal(await status(`${processor.url}/payments/service-health`), 200);
  stop.abort();
  await processor.shutdown();
  await assert.rejects(fetch(`${processor.url}/payments/service-health`));
});
