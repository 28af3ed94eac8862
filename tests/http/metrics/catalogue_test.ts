/**
 * Every series of `GET /metrics` (src/http/metrics/catalogue.ts): the text is valid exposition
 * format 0.0.4 line by line, byte for byte what the single-file formatter wrote before the split
 * (testdata/, see fixture.ts), and every family is listed in docs/OBSERVABILITY.md with its type.
 *
 * @module
 */
import assert from "node:assert/strict";
import { formatMetrics, type MetricsSnapshot } from "../../../src/http/metrics/catalogue.ts";
import { Histogram, LATENCY_BUCKETS_SECONDS } from "../../../src/http/metrics/histogram.ts";
import { HttpCounters } from "../../../src/http/metrics.ts";
import {
  FULL_TEXT,
  processorMetrics,
  REDIS_DOWN_TEXT,
  redisDownSnapshot,
  representativeSnapshot,
} from "./fixture.ts";
import { checkHistograms, parseExposition, value } from "./parse.ts";

/** A snapshot with an instance id to escape and one busy processor. */
function escapingSnapshot(): MetricsSnapshot {
  const http = new HttpCounters();
  http.count("/payments", 202);
  http.count("/payments", 202);
  http.count("unmatched", 404);
  const latency = new Histogram(LATENCY_BUCKETS_SECONDS);
  for (const ms of [3, 7, 40, 900, 12_000]) latency.observe(ms / 1000);
  return {
    instanceId: 'odd "id"\\\nline',
    accepting: true,
    queue: 3,
    processing: 1,
    buffered: { fetched: 2, settled: 0 },
    pipeline: { booked: 10, skipped: 1 },
    processors: {
      default: processorMetrics({
        verdict: "tripped",
        inFlight: 4,
        latencyMs: 12.5,
        reported: { failing: true, minResponseTime: 2000 },
        counters: { confirmed: 9, duplicate: 1, rejected: 2, ambiguous: 1, probes: 3 },
        latency: latency.snapshot(),
      }),
      fallback: processorMetrics(),
    },
    http: http.snapshot(),
  };
}

Deno.test("formatMetrics writes valid exposition text, escaping label values", () => {
  const snapshot = escapingSnapshot();
  const exposition = parseExposition(formatMetrics(snapshot));
  checkHistograms(exposition);
  assert.equal(value(exposition, "rinha_instance_info"), 1);
  assert.equal(
    exposition.samples.find((s) => s.name === "rinha_instance_info")!.labels.instance_id,
    'odd "id"\\\nline',
  );
  assert.equal(value(exposition, "rinha_queue_length"), 3);
  assert.equal(value(exposition, "rinha_processing_length"), 1);
  assert.equal(value(exposition, "rinha_redis_up"), 1);
  assert.equal(value(exposition, "rinha_pipeline_buffered", { channel: "fetched" }), 2);
  assert.equal(value(exposition, "rinha_payments_booked_total"), 10);
  assert.equal(value(exposition, "rinha_payments_skipped_total"), 1);
  assert.equal(value(exposition, "rinha_processor_in_flight", { processor: "default" }), 4);
  const calls = (processor: string, outcome: string) =>
    value(exposition, "rinha_processor_calls_total", { processor, outcome });
  assert.deepEqual(
    ["confirmed", "duplicate", "rejected", "ambiguous"].map((o) => calls("default", o)),
    [9, 1, 2, 1],
  );
  assert.equal(value(exposition, "rinha_processor_probes_total", { processor: "default" }), 3);
  assert.equal(
    value(exposition, "rinha_gate_verdict", { processor: "default", verdict: "tripped" }),
    1,
  );
  assert.equal(value(exposition, "rinha_gate_verdict", { processor: "default", verdict: "ok" }), 0);
  assert.equal(
    value(exposition, "rinha_gate_verdict", { processor: "fallback", verdict: "ok" }),
    1,
  );
  const bucket = (le: string) =>
    value(exposition, "rinha_processor_call_duration_seconds_bucket", { processor: "default", le });
  assert.deepEqual(["0.005", "0.01", "0.05", "1", "10", "+Inf"].map(bucket), [1, 2, 3, 4, 4, 5]);
  assert.equal(
    value(exposition, "rinha_processor_latency_ewma_seconds", { processor: "default" }),
    0.0125,
  );
  assert.equal(value(exposition, "rinha_processor_reported_failing", { processor: "default" }), 1);
  assert.equal(
    value(exposition, "rinha_processor_reported_min_response_seconds", { processor: "default" }),
    2,
  );
  assert.equal(
    value(exposition, "rinha_http_responses_total", { route: "/payments", status: "202" }),
    2,
  );
  // Unknown values are left out rather than guessed.
  const down = parseExposition(
    formatMetrics({ ...snapshot, queue: undefined, processing: undefined }),
  );
  assert.equal(value(down, "rinha_redis_up"), 0);
  assert.ok(!down.samples.some((s) => s.name === "rinha_queue_length"));
  assert.ok(
    !down.samples.some((s) =>
      s.name === "rinha_processor_latency_ewma_seconds" && s.labels.processor === "fallback"
    ),
  );
});

Deno.test("formatMetrics writes byte for byte the text of the formatter before the split", async () => {
  assert.equal(formatMetrics(representativeSnapshot()), await Deno.readTextFile(FULL_TEXT));
  assert.equal(formatMetrics(redisDownSnapshot()), await Deno.readTextFile(REDIS_DOWN_TEXT));
  checkHistograms(parseExposition(formatMetrics(representativeSnapshot())));
});

Deno.test("docs/OBSERVABILITY.md lists every family with its type, and no other", async () => {
  const doc = await Deno.readTextFile(new URL("../../../docs/OBSERVABILITY.md", import.meta.url));
  const listed = new Map<string, string>();
  for (const [, name, type] of doc.matchAll(/^\| `(rinha_[a-z_]+)` +\| (\w+) +\|/gm)) {
    listed.set(name, type);
  }
  const { types } = parseExposition(formatMetrics(representativeSnapshot()));
  assert.deepEqual(new Map([...listed].sort()), new Map([...types].sort()));
});
