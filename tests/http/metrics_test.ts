/**
 * `GET /metrics` (src/http/metrics.ts): the exposition is valid Prometheus text format 0.0.4 line
 * by line, the histogram's buckets are cumulative, and counters only grow while payments go
 * through a real instance and two processor simulators (src/simulator).
 *
 * The integration test needs Redis at 127.0.0.1:6379 (or `REDIS_URL`); its keys live under
 * `test:<uuid>:` and every port is random.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { App } from "../../src/app.ts";
import { startTestApp } from "../support/app.ts";
import {
  formatMetrics,
  Histogram,
  HttpCounters,
  LATENCY_BUCKETS_SECONDS,
  type MetricsSnapshot,
  type ProcessorMetrics,
} from "../../src/http/metrics.ts";
import { type RunningProcessor, startProcessor } from "../../tools/simulator/server.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";
import { Redis } from "../../src/store/redis/client.ts";

/** One parsed sample line. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition: families by name (type, help) and samples in order. */
interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function parseValue(text: string): number {
  assert.match(text, VALUE, `bad value "${text}"`);
  return text === "+Inf" ? Infinity : text === "-Inf" ? -Infinity : Number(text);
}

/** Parses `{a="x",b="y\"z"}` from `text` at `at`; returns the labels and the index after `}`. */
function parseLabels(text: string, at: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = at + 1;
  while (text[i] !== "}") {
    const eq = text.indexOf("=", i);
    assert.ok(eq > i, `label without "=" in ${text}`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL_NAME, `bad label name in ${text}`);
    assert.equal(text[eq + 1], '"', `unquoted label value in ${text}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        assert.ok(next === "\\" || next === '"' || next === "n", `bad escape in ${text}`);
        value += next === "n" ? "\n" : next;
      } else {
        assert.notEqual(text[j], "\n");
        value += text[j];
      }
    }
    assert.equal(text[j], '"', `unterminated label value in ${text}`);
    assert.ok(!(name in labels), `label ${name} twice in ${text}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else assert.equal(text[i], "}", `expected "," or "}" in ${text}`);
  }
  return [labels, i + 1];
}

/** Parses and validates every line of a 0.0.4 text exposition; throws on the first bad one. */
function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith("\n"), "exposition must end with a newline");
  const out: Exposition = { types: new Map(), helps: new Map(), samples: [] };
  const familyOf = (name: string) => {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && out.types.get(base) === "histogram") return base;
    }
    return name;
  };
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const [name, ...rest] = line.slice(7).split(" ");
      assert.match(name, METRIC_NAME, line);
      assert.ok(!out.helps.has(name), `HELP twice: ${line}`);
      out.helps.set(name, rest.join(" "));
    } else if (line.startsWith("# TYPE ")) {
      const [name, type, ...rest] = line.slice(7).split(" ");
      assert.match(name, METRIC_NAME, line);
      assert.deepEqual(rest, [], line);
      assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(type), line);
      assert.ok(!out.types.has(name), `TYPE twice: ${line}`);
      out.types.set(name, type);
    } else {
      assert.ok(!line.startsWith("#") && line.trim() !== "", `stray line "${line}"`);
      const nameEnd = line.search(/[{ ]/);
      const name = line.slice(0, nameEnd);
      assert.match(name, METRIC_NAME, line);
      let labels: Record<string, string> = {};
      let at = nameEnd;
      if (line[at] === "{") [labels, at] = parseLabels(line, at);
      assert.equal(line[at], " ", `expected a space before the value: ${line}`);
      const [value, timestamp, ...rest] = line.slice(at + 1).split(" ");
      assert.deepEqual(rest, [], line);
      if (timestamp !== undefined) assert.match(timestamp, /^-?\d+$/, line);
      const family = familyOf(name);
      assert.ok(out.types.has(family), `sample before its TYPE: ${line}`);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      assert.ok(!seen.has(key), `duplicate series: ${line}`);
      seen.add(key);
      out.samples.push({ name, labels, value: parseValue(value) });
    }
  }
  return out;
}

const seriesKey = (sample: Sample) => `${sample.name}${JSON.stringify(sample.labels)}`;

/** The one sample of `name` whose labels include `labels`. */
function value(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = exposition.samples.filter((sample) =>
    sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

/** Checks every histogram: buckets ascending in `le`, counts cumulative, +Inf = _count. */
function checkHistograms(exposition: Exposition): void {
  for (const [family, type] of exposition.types) {
    if (type !== "histogram") continue;
    const groups = new Map<string, Sample[]>();
    for (const sample of exposition.samples) {
      if (sample.name !== `${family}_bucket`) continue;
      const { le, ...rest } = sample.labels;
      assert.ok(le !== undefined, `bucket without le: ${JSON.stringify(sample)}`);
      const key = JSON.stringify(rest);
      groups.set(key, [...groups.get(key) ?? [], sample]);
    }
    assert.ok(groups.size > 0, `histogram ${family} has no buckets`);
    for (const [key, buckets] of groups) {
      const bounds = buckets.map((bucket) => parseValue(bucket.labels.le));
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(bounds[i] > bounds[i - 1], `${family}${key}: le not ascending`);
        assert.ok(buckets[i].value >= buckets[i - 1].value, `${family}${key}: not cumulative`);
      }
      assert.equal(bounds.at(-1), Infinity, `${family}${key}: no +Inf bucket`);
      const labels = JSON.parse(key);
      assert.equal(buckets.at(-1)!.value, value(exposition, `${family}_count`, labels));
      assert.ok(value(exposition, `${family}_sum`, labels) >= 0);
    }
  }
}

function processorMetrics(overrides: Partial<ProcessorMetrics> = {}): ProcessorMetrics {
  return {
    verdict: "ok",
    inFlight: 0,
    consecutiveFailures: 0,
    counters: { confirmed: 0, duplicate: 0, rejected: 0, ambiguous: 0, probes: 0 },
    latency: new Histogram(LATENCY_BUCKETS_SECONDS).snapshot(),
    ...overrides,
  };
}

Deno.test("Histogram counts each observation in its bucket and reports them cumulatively", () => {
  const histogram = new Histogram([0.01, 0.1, 1]);
  for (const seconds of [0.001, 0.01, 0.05, 0.1, 0.5, 2, 30, NaN]) histogram.observe(seconds);
  const snapshot = histogram.snapshot();
  assert.deepEqual(snapshot.buckets, [[0.01, 2], [0.1, 4], [1, 5], [Infinity, 7]]);
  assert.equal(snapshot.count, 7);
  assert.ok(Math.abs(snapshot.sum - 32.661) < 1e-9);
  assert.throws(() => new Histogram([]), RangeError);
  assert.throws(() => new Histogram([1, 1]), RangeError);
  assert.throws(() => new Histogram([1, Infinity]), RangeError);
});

Deno.test("formatMetrics writes valid exposition text, escaping label values", () => {
  const http = new HttpCounters();
  http.count("/payments", 202);
  http.count("/payments", 202);
  http.count("unmatched", 404);
  const latency = new Histogram(LATENCY_BUCKETS_SECONDS);
  for (const ms of [3, 7, 40, 900, 12_000]) latency.observe(ms / 1000);
  const snapshot: MetricsSnapshot = {
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

const PAYMENTS = 6;

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
    const scrape = async () => {
      const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(response.status, 200);
      assert.equal(
        response.headers.get("content-type"),
        "text/plain; version=0.0.4; charset=utf-8",
      );
      const exposition = parseExposition(await response.text());
      checkHistograms(exposition);
      return exposition;
    };

    const before = await scrape();
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
    let after = await scrape();
    while (!settled(after)) {
      assert.ok(Date.now() < deadline, "payments not booked within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await scrape();
    }

    // Every counter series only grew.
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
    const stored = processors.reduce((total, p) => total + p.state.ledger.size, 0);
    assert.equal(stored, PAYMENTS);
  } finally {
    await app?.stop();
    await Promise.all(processors.map((processor) => processor.shutdown()));
    await deleteKeys(redis, prefix);
    await redis.close();
  }
});
