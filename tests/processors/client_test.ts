import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { parseStoredInstant, ProcessorClient } from "../../src/processors/client.ts";
import { startProcessor } from "../../tools/simulator/server.ts";

Deno.test("parseStoredInstant reads the processor's zone-less echo as UTC", () => {
  const ms = Date.UTC(2025, 7, 21, 0, 40, 25, 70);
  assert.equal(parseStoredInstant("2025-08-21T00:40:25.07"), ms);
  assert.equal(parseStoredInstant("2025-08-21T00:40:25.070Z"), ms);
  assert.equal(parseStoredInstant("2025-08-21T03:40:25.07+03:00"), ms);
  assert.equal(parseStoredInstant("2025-08-21T00:40:25"), Date.UTC(2025, 7, 21, 0, 40, 25));
  assert.throws(() => parseStoredInstant("yesterday"), RangeError);
});

Deno.test("lookup finds a payment with the exact requestedAt it was sent with", async () => {
  const processor = startProcessor({ port: 0 });
  try {
    const client = new ProcessorClient("default", processor.url);
    const signal = new AbortController().signal;
    const payment = { correlationId: crypto.randomUUID(), amountCents: 2005 };
    for (const requestedAt of [Date.UTC(2025, 7, 21, 0, 40, 25, 70), Date.UTC(2025, 7, 21)]) {
      const id = { ...payment, correlationId: crypto.randomUUID() };
      assert.deepEqual(await client.pay(id, requestedAt, 5_000, signal), { kind: "confirmed" });
      assert.deepEqual(await client.lookup(id.correlationId, 5_000, signal), {
        kind: "found",
        requestedAt,
        amountCents: 2005,
      });
    }
    assert.deepEqual(await client.lookup(payment.correlationId, 5_000, signal), {
      kind: "missing",
    });
  } finally {
    await processor.shutdown();
  }
});

Deno.test("config: a processor URL must be a plain http://host[:port] origin", () => {
  const base = { INSTANCE_ID: "test-1" };
  for (const name of ["PROCESSOR_DEFAULT_URL", "PROCESSOR_FALLBACK_URL"]) {
    for (
      const bad of [
        "https://x",
        "http://x/api",
        "http://x?a=1",
        "http://x#f",
        "http://u@x",
        "ftp://x",
        "not a url",
      ]
    ) {
      assert.throws(() => loadConfig({ ...base, [name]: bad }), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${name}=${bad}: ${error}`);
        assert.match(error.message, new RegExp(name));
        return true;
      });
      // The client refuses it too.
      assert.throws(() => new ProcessorClient("default", bad), TypeError);
    }
    const config = loadConfig({ ...base, [name]: "http://x:8080/" });
    const origin = name === "PROCESSOR_DEFAULT_URL" ? config.defaultUrl : config.fallbackUrl;
    assert.equal(origin, "http://x:8080");
    new ProcessorClient("default", origin).close();
  }
  const defaults = loadConfig(base);
  assert.equal(defaults.defaultUrl, "http://127.0.0.1:8001");
  assert.equal(defaults.fallbackUrl, "http://127.0.0.1:8002");
});
