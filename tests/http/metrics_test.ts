/**
 * `GET /metrics` (src/http/metrics.ts): responses are counted by route and status, a scrape
 * gathers its snapshot from the instance's parts (fakes here: byte for byte the text of
 * tests/http/metrics/testdata/), a Redis failure only leaves the queue lengths out, and on a real
 * instance with two processor simulators (tools/simulator) the text stays valid and counters only
 * grow while payments go through.
 *
 * The integration test needs Redis at 127.0.0.1:6379 (or `REDIS_URL`); its keys live under
 * `test:<uuid>:` and every port is random.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { App } from "../../src/app.ts";
import { collectMetrics, HttpCounters } from "../../src/http/metrics.ts";
import { startTestApp } from "../support/app.ts";
import { FULL_TEXT, representativeSources } from "./metrics/fixture.ts";
import {
  checkHistograms,
  type Exposition,
  parseExposition,
  seriesKey,
  value,
} from "./metrics/parse.ts";
import { type RunningProcessor, startProcessor } from "../../tools/simulator/server.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";
import { Redis } from "../../src/store/redis/client.ts";

Deno.test("HttpCounters counts per route and status, in first-seen route order", () => {
  const http = new HttpCounters();
  assert.deepEqual(http.snapshot(), []);
  for (const [route, status] of [["/payments", 202], ["unmatched", 404], ["/payments", 202]]) {
    http.count(route as string, status as number);
  }
  http.count("/payments", 400);
  http.count("__proto__", 404);
  assert.deepEqual(http.snapshot(), [
    ["/payments", 202, 2],
    ["/payments", 400, 1],
    ["unmatched", 404, 1],
    ["__proto__", 404, 1],
  ]);
});

Deno.test("collectMetrics gathers every source into the expected text", async () => {
  assert.equal(await collectMetrics(representativeSources()), await Deno.readTextFile(FULL_TEXT));
});

Deno.test("collectMetrics without Redis: redis_up 0, the two lengths left out, the rest kept", async () => {
  const down = parseExposition(await collectMetrics(representativeSources(true)));
  assert.equal(value(down, "rinha_redis_up"), 0);
  assert.ok(!down.types.has("rinha_queue_length"));
  assert.ok(!down.types.has("rinha_processing_length"));
  assert.equal(value(down, "rinha_payments_booked_total"), 10);
  assert.equal(value(down, "rinha_processor_in_flight", { processor: "default" }), 4);
});

const PAYMENTS = 6;

/** One scrape of `base`'s `/metrics`: status, content type, every line and histogram checked. */
async function scrape(base: string): Promise<Exposition> {
  const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  const exposition = parseExposition(await response.text());
  checkHistograms(exposition);
  return exposition;
}

/** The families a fresh instance shows, with HELP, and one verdict per processor. */
function checkFreshScrape(before: Exposition): void {
  for (
    const family of [
      "rinha_queue_length",
      "rinha_processing_length",
      "rinha_pipeline_buffered",
      "rinha_processor_in_flight",
      "rinha_processor_calls_total",
      "rinha_processor_probes_total",
      "rinha_processor_call_duration_seconds",
      "rinha_gate_verdict",
      "rinha_payments_booked_total",
      "rinha_payments_skipped_total",
      "rinha_http_responses_total",
    ]
  ) {
    assert.ok(before.types.has(family), `no family ${family}`);
    assert.ok(before.helps.get(family), `no HELP for ${family}`);
  }
  assert.equal(before.types.get("rinha_processor_calls_total"), "counter");
  assert.equal(before.types.get("rinha_processor_call_duration_seconds"), "histogram");
  for (const processor of ["default", "fallback"]) {
    const verdicts = before.samples.filter((s) =>
      s.name === "rinha_gate_verdict" && s.labels.processor === processor
    );
    assert.equal(
      verdicts.reduce((sum, s) => sum + s.value, 0),
      1,
      `one verdict for ${processor}`,
    );
  }
}

/** Posts {@link PAYMENTS} payments, then scrapes until all are booked and both lists are empty. */
async function payAndSettle(base: string): Promise<Exposition> {
  for (let i = 0; i < PAYMENTS; i++) {
    const response = await fetch(`${base}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ correlationId: crypto.randomUUID(), amount: 20.05 }),
    });
    await response.body?.cancel();
    assert.equal(response.status, 202);
  }
  // Generous on a loaded 2-core machine: the pipeline books within milliseconds when idle. A
  // scrape reads Redis before the in-memory counters, so wait until all three agree.
  const deadline = Date.now() + 30_000;
  const settled = (exposition: Exposition) =>
    value(exposition, "rinha_payments_booked_total") === PAYMENTS &&
    value(exposition, "rinha_queue_length") === 0 &&
    value(exposition, "rinha_processing_length") === 0;
  let after = await scrape(base);
  while (!settled(after)) {
    assert.ok(Date.now() < deadline, "payments not booked within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = await scrape(base);
  }
  return after;
}

/** Every counter and histogram series of `before` is still in `after`, and not lower. */
function checkCountersOnlyGrew(before: Exposition, after: Exposition): void {
  const counters = new Set(
    [...after.types].filter(([, type]) => type === "counter" || type === "histogram")
      .map(([name]) => name),
  );
  const afterByKey = new Map(after.samples.map((sample) => [seriesKey(sample), sample.value]));
  for (const sample of before.samples) {
    const family = sample.name.replace(/_(bucket|sum|count)$/, "");
    if (!counters.has(sample.name) && !counters.has(family)) continue;
    const later = afterByKey.get(seriesKey(sample));
    assert.ok(later !== undefined, `${seriesKey(sample)} disappeared`);
    assert.ok(
      later >= sample.value,
      `${seriesKey(sample)} went down: ${sample.value} → ${later}`,
    );
  }
}

/** The scrape after {@link PAYMENTS} payments counted them all. */
function checkPaymentsCounted(after: Exposition): void {
  const sum = (name: string, labels: Record<string, string>) =>
    after.samples.filter((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    ).reduce((total, s) => total + s.value, 0);
  assert.equal(value(after, "rinha_payments_booked_total"), PAYMENTS);
  assert.ok(sum("rinha_processor_calls_total", { outcome: "confirmed" }) >= PAYMENTS);
  assert.ok(sum("rinha_processor_call_duration_seconds_count", {}) >= PAYMENTS);
  assert.ok(
    value(after, "rinha_http_responses_total", { route: "/payments", status: "202" }) >= PAYMENTS,
  );
  assert.ok(
    value(after, "rinha_http_responses_total", { route: "/metrics", status: "200" }) >= 1,
  );
}

Deno.test("GET /metrics on a real instance: valid text, counters grow as payments go through", async () => {
  const prefix = testPrefix();
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-metrics" });
  const processors: RunningProcessor[] = [];
  let app: App | undefined;
  try {
    processors.push(
      startProcessor({ port: 0, fee: "0.05" }),
      startProcessor({ port: 0, fee: "0.15" }),
    );
    let base: string;
    ({ app, base } = await startTestApp({
      REDIS_PREFIX: prefix,
      INSTANCE_ID: `metrics-${crypto.randomUUID().slice(0, 8)}`,
      PROCESSOR_DEFAULT_URL: processors[0].url,
      PROCESSOR_FALLBACK_URL: processors[1].url,
    }));
    const before = await scrape(base);
    checkFreshScrape(before);
    const after = await payAndSettle(base);
    checkCountersOnlyGrew(before, after);
    checkPaymentsCounted(after);
    const stored = processors.reduce((total, p) => total + p.state.ledger.size, 0);
    assert.equal(stored, PAYMENTS);
  } finally {
    await app?.stop();
    await Promise.all(processors.map((processor) => processor.shutdown()));
    await deleteKeys(redis, prefix);
    await redis.close();
  }
});
