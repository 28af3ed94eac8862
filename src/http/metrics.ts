/**
 * `GET /metrics`: this instance's state in the Prometheus text exposition format 0.0.4
 * (`text/plain; version=0.0.4`). docs/OBSERVABILITY.md lists every series and its meaning.
 *
 * Written here rather than with `npm:prom-client` (15.1.3, which does run under Deno): measured on
 * this machine, its labelled `Counter.inc` costs ~295 ns a call against ~5 ns for the plain
 * object increment {@link HttpCounters} does on every request, importing it takes ~110 ms and
 * brings three packages (`@opentelemetry/api`, `tdigest`, `bintrees`), and nearly every value here
 * already lives in plain counters (health_gate.ts, pipeline.ts) read once per scrape — which
 * prom-client can only model with `collect()` callbacks re-setting gauges. What remains is a fixed-
 * bucket histogram and a small text formatter with the format's escaping rules, in metrics/:
 *
 * - metrics/histogram.ts, metrics/http_counters.ts: the two things fed on the hot path;
 * - metrics/exposition.ts: the text format (families, samples, escaping);
 * - metrics/catalogue.ts: every series, one row each (name, type, help, samples of a snapshot);
 * - this file: what the instance wires up, and gathering one scrape ({@link collectMetrics}).
 *
 * @module
 */
import { perProcessor, type ProcessorName } from "../domain/processor.ts";
import type { PipelineCounters } from "../pipeline/pipeline.ts";
import type { ProcessorCounters } from "../processors/health_gate.ts";
import type { ProcessorView, Verdict } from "../processors/policy.ts";
import { formatMetrics, type MetricsSnapshot, type ProcessorMetrics } from "./metrics/catalogue.ts";
import { METRICS_CONTENT_TYPE } from "./metrics/exposition.ts";
import { Histogram, LATENCY_BUCKETS_SECONDS } from "./metrics/histogram.ts";
import { HttpCounters } from "./metrics/http_counters.ts";

/** What the instance wires up (app.ts) and serves with (routes.ts). */
export { Histogram, HttpCounters, LATENCY_BUCKETS_SECONDS, METRICS_CONTENT_TYPE };

/** Where {@link collectMetrics} reads from: the instance's parts (app.ts), or fakes in tests. */
interface MetricsSources {
  instanceId: string;
  accepting(): boolean;
  /** Redis reads (queue.ts); a failure only leaves the two lengths out. */
  queue: { length(): Promise<number>; processingLength(): Promise<number> };
  pipeline: { readonly buffered: Record<string, number>; readonly counters: PipelineCounters };
  gate: {
    state(): Record<
      ProcessorName,
      { verdict: Verdict; view: ProcessorView; counters: ProcessorCounters }
    >;
  };
  /** Payment-call latency per processor, fed by the gate's `onCall` (health_gate.ts). */
  latency: Record<ProcessorName, Histogram>;
  http: HttpCounters;
}

/** Gathers a snapshot (two Redis reads) and formats it (metrics/catalogue.ts). Never rejects. */
export async function collectMetrics(sources: MetricsSources): Promise<string> {
  const [queue, processing] = await Promise.all([
    sources.queue.length(),
    sources.queue.processingLength(),
  ]).catch(() => [undefined, undefined]);
  const state = sources.gate.state();
  const processor = (name: ProcessorName): ProcessorMetrics => {
    const { verdict, view, counters } = state[name];
    return {
      verdict,
      inFlight: view.inFlight,
      consecutiveFailures: view.consecutiveFailures,
      latencyMs: view.latencyMs,
      reported: view.reported,
      counters,
      latency: sources.latency[name].snapshot(),
    };
  };
  const snapshot: MetricsSnapshot = {
    instanceId: sources.instanceId,
    accepting: sources.accepting(),
    queue,
    processing,
    buffered: { ...sources.pipeline.buffered },
    pipeline: { ...sources.pipeline.counters },
    processors: perProcessor(processor),
    http: sources.http.snapshot(),
  };
  return formatMetrics(snapshot);
}
