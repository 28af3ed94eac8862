/**
 * One fixed metrics state touching every series and every rule of the format: label values to
 * escape, histograms with observations in several buckets and beyond the last, fractional sums, a
 * processor with every optional value and one with none, several routes and statuses. Given both
 * as a {@link MetricsSnapshot} and as the sources {@link collectMetrics} gathers it from.
 *
 * The expected texts in testdata/ were written by the single-file src/http/metrics.ts, before it
 * was split into src/http/metrics/, from these same values.
 *
 * @module
 */
import type { ProcessorName } from "../../../src/domain/processor.ts";
import type { collectMetrics } from "../../../src/http/metrics.ts";
import type { MetricsSnapshot, ProcessorMetrics } from "../../../src/http/metrics/catalogue.ts";
import { Histogram, LATENCY_BUCKETS_SECONDS } from "../../../src/http/metrics/histogram.ts";
import { HttpCounters } from "../../../src/http/metrics.ts";
import type { ProcessorView } from "../../../src/processors/policy.ts";

/** The expected exposition of {@link representativeSnapshot}. */
export const FULL_TEXT = new URL("./testdata/full.txt", import.meta.url);
/** The expected exposition of {@link redisDownSnapshot}. */
export const REDIS_DOWN_TEXT = new URL("./testdata/redis_down.txt", import.meta.url);

/** A processor's metrics: all zero, verdict `ok`, no optional value; `overrides` replace fields. */
export function processorMetrics(overrides: Partial<ProcessorMetrics> = {}): ProcessorMetrics {
  return {
    verdict: "ok",
    inFlight: 0,
    consecutiveFailures: 0,
    counters: { confirmed: 0, duplicate: 0, rejected: 0, ambiguous: 0, probes: 0 },
    latency: new Histogram(LATENCY_BUCKETS_SECONDS).snapshot(),
    ...overrides,
  };
}

function httpCounters(): HttpCounters {
  const http = new HttpCounters();
  http.count("/payments", 202);
  http.count("/payments", 202);
  http.count("unmatched", 404);
  http.count("/payments", 400);
  http.count("/metrics", 200);
  return http;
}

function latencies(): Record<ProcessorName, Histogram> {
  const latency = new Histogram(LATENCY_BUCKETS_SECONDS);
  for (const ms of [3, 7, 40, 900, 12_000, 0.1, 0.2, 250]) latency.observe(ms / 1000);
  const fallback = new Histogram(LATENCY_BUCKETS_SECONDS);
  fallback.observe(0.0301);
  return { default: latency, fallback };
}

/** Every processor's metrics but the latency histogram. */
const PROCESSORS: Record<ProcessorName, Omit<ProcessorMetrics, "latency">> = {
  default: {
    verdict: "tripped",
    inFlight: 4,
    consecutiveFailures: 2,
    latencyMs: 12.5,
    reported: { failing: true, minResponseTime: 2000 },
    counters: { confirmed: 9, duplicate: 1, rejected: 2, ambiguous: 1, probes: 3 },
  },
  fallback: {
    verdict: "probing",
    inFlight: 0,
    consecutiveFailures: 0,
    reported: { failing: false, minResponseTime: 15 },
    counters: { confirmed: 0, duplicate: 0, rejected: 0, ambiguous: 0, probes: 0 },
  },
};

/** The representative snapshot; a new object each call. */
export function representativeSnapshot(): MetricsSnapshot {
  const latency = latencies();
  return {
    instanceId: 'odd "id"\\\nline',
    accepting: true,
    queue: 3,
    processing: 1,
    buffered: { fetched: 2, settled: 0 },
    pipeline: { booked: 10, skipped: 1 },
    processors: {
      default: { ...structuredClone(PROCESSORS.default), latency: latency.default.snapshot() },
      fallback: { ...structuredClone(PROCESSORS.fallback), latency: latency.fallback.snapshot() },
    },
    http: httpCounters().snapshot(),
  };
}

/** {@link representativeSnapshot} after Redis went away and shutdown began, `default` reset. */
export function redisDownSnapshot(): MetricsSnapshot {
  return {
    ...representativeSnapshot(),
    queue: undefined,
    processing: undefined,
    accepting: false,
    processors: { ...representativeSnapshot().processors, default: processorMetrics() },
  };
}

function view(metrics: Omit<ProcessorMetrics, "latency">): ProcessorView {
  return {
    reported: metrics.reported && { ...metrics.reported, checkedAt: 1_000 },
    latencyMs: metrics.latencyMs,
    latencyAt: 0,
    lastSuccessAt: 0,
    consecutiveFailures: metrics.consecutiveFailures,
    trippedUntil: 0,
    inFlight: metrics.inFlight,
    lastProbeAt: 0,
    lastAmbiguousAt: 0,
  };
}

/** What {@link collectMetrics} reads from. */
type MetricsSources = Parameters<typeof collectMetrics>[0];

/** Sources that gather into {@link representativeSnapshot}; `redisFails` makes both reads reject. */
export function representativeSources(redisFails = false): MetricsSources {
  const read = (value: number) =>
    redisFails ? Promise.reject(new Error("down")) : Promise.resolve(value);
  const state = (name: ProcessorName) => {
    const { verdict, counters } = PROCESSORS[name];
    return { verdict, view: view(PROCESSORS[name]), counters: { ...counters } };
  };
  return {
    instanceId: 'odd "id"\\\nline',
    queue: { length: () => read(3), processingLength: () => read(1) },
    supervisor: {
      accepting: true,
      pipeline: {
        running: true,
        buffered: { fetched: 2, settled: 0 },
        counters: { booked: 10, skipped: 1 },
      },
    },
    gate: { state: () => ({ default: state("default"), fallback: state("fallback") }) },
    latency: latencies(),
    http: httpCounters(),
  };
}
