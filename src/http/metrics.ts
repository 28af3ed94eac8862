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
 * bucket histogram and a small text formatter with the format's escaping rules, below.
 *
 * @module
 */
import { perProcessor, type ProcessorName } from "../domain/processor.ts";
import type { PipelineCounters } from "../pipeline/pipeline.ts";
import type { ProcessorCounters } from "../processors/health_gate.ts";
import type { ProcessorView, Verdict } from "../processors/policy.ts";

/** Content type of the text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Upper bounds of the payment-call latency buckets, in seconds (Prometheus' usual defaults). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Every verdict of policy.ts; a `Record` so that a new verdict fails type-checking here. */
const VERDICTS: Record<Verdict, true> = {
  ok: true,
  failing: true,
  tripped: true,
  slow: true,
  suspect: true,
  probing: true,
};

/** Outcomes of a call, as counted by the gate (outcome.ts); probes are counted apart. */
const OUTCOMES = ["confirmed", "duplicate", "rejected", "ambiguous"] as const;

/** A histogram's state: cumulative counts per upper bound (the last is `+Inf`), sum and count. */
export interface HistogramSnapshot {
  /** `[upper bound, observations ≤ bound]`, bounds ascending, ending with `Infinity`. */
  buckets: [number, number][];
  sum: number;
  count: number;
}

/** A histogram with fixed buckets: `observe` is a short scan and two additions, no allocation. */
export class Histogram {
  readonly #bounds: readonly number[];
  /** Non-cumulative counts; the last slot is everything above the last bound. */
  readonly #counts: number[];
  #sum = 0;

  /**
   * @param bounds ascending finite upper bounds (e.g. {@link LATENCY_BUCKETS_SECONDS}).
   * @throws {RangeError} when the bounds are empty, not finite or not strictly ascending.
   */
  constructor(bounds: readonly number[]) {
    if (
      bounds.length === 0 ||
      bounds.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= bounds[i - 1]))
    ) {
      throw new RangeError(`bucket bounds must be finite and ascending, got ${bounds}`);
    }
    this.#bounds = [...bounds];
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  /** Records one observation (same unit as the bounds). NaN is ignored. */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]) i++;
    this.#counts[i]++;
    this.#sum += value;
  }

  /** Cumulative counts, as the exposition format wants them. */
  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    let running = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      running += this.#counts[i];
      buckets.push([i < this.#bounds.length ? this.#bounds[i] : Infinity, running]);
    }
    return { buckets, sum: this.#sum, count: running };
  }
}

/**
 * HTTP responses counted by route and status. The route is a fixed label (the matched path, or
 * `unmatched` for a 404 on an unknown path), so the number of series stays bounded whatever
 * clients send.
 */
export class HttpCounters {
  readonly #byRoute: Record<string, Record<number, number>> = Object.create(null);

  /** Counts one response; a plain object increment, cheap enough for the hot path. */
  count(route: string, status: number): void {
    const byStatus = this.#byRoute[route] ??= Object.create(null);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  /** Every `[route, status, count]` so far. */
  snapshot(): [string, number, number][] {
    const out: [string, number, number][] = [];
    for (const route of Object.keys(this.#byRoute)) {
      const byStatus = this.#byRoute[route];
      for (const status of Object.keys(byStatus)) {
        out.push([route, Number(status), byStatus[Number(status)]]);
      }
    }
    return out;
  }
}

/** What one processor looks like to /metrics. */
export interface ProcessorMetrics {
  verdict: Verdict;
  inFlight: number;
  consecutiveFailures: number;
  /** Smoothed latency of answered calls, ms; undefined before the first. */
  latencyMs?: number;
  /** The latest fresh health report, if any (docs/CONTRACT.md §2 service-health). */
  reported?: { failing: boolean; minResponseTime: number };
  counters: ProcessorCounters;
  latency: HistogramSnapshot;
}

/** Everything `GET /metrics` shows, gathered once per scrape. */
export interface MetricsSnapshot {
  instanceId: string;
  /** False once shutdown began. */
  accepting: boolean;
  /** Shared queue length (backlog); undefined when Redis could not be read. */
  queue?: number;
  /** This instance's processing-list length; undefined when Redis could not be read. */
  processing?: number;
  /** Items buffered per pipeline channel (pipeline.ts `buffered`). */
  buffered: Record<string, number>;
  pipeline: PipelineCounters;
  processors: Record<ProcessorName, ProcessorMetrics>;
  http: [string, number, number][];
}

type Labels = Record<string, string | number>;

/** Builds an exposition text family by family; escaping per the 0.0.4 format. */
class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    const pairs = Object.entries(labels).map(([key, raw]) =>
      `${key}="${String(raw).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`
    );
    const set = pairs.length ? `{${pairs.join(",")}}` : "";
    this.#lines.push(`${name}${set} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** A sample value: Go-style `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest round-trip form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Formats a snapshot as the exposition text. Series whose value is unknown are left out. */
export function formatMetrics(snapshot: MetricsSnapshot): string {
  const out = new Exposition();
  const names = Object.keys(snapshot.processors) as ProcessorName[];
  const each = (fn: (processor: ProcessorName, metrics: ProcessorMetrics) => void) => {
    for (const name of names) fn(name, snapshot.processors[name]);
  };

  out.family("rinha_instance_info", "gauge", "Always 1; labels name this instance.")
    .sample("rinha_instance_info", { instance_id: snapshot.instanceId }, 1);
  out.family(
    "rinha_accepting",
    "gauge",
    "1 while POST /payments is accepted, 0 once shutdown began.",
  )
    .sample("rinha_accepting", {}, snapshot.accepting ? 1 : 0);
  const redisUp = snapshot.queue !== undefined && snapshot.processing !== undefined;
  out.family("rinha_redis_up", "gauge", "1 if this scrape could read the queue lengths in Redis.")
    .sample("rinha_redis_up", {}, redisUp ? 1 : 0);
  if (snapshot.queue !== undefined) {
    out.family("rinha_queue_length", "gauge", "Payments accepted and not yet taken (backlog).")
      .sample("rinha_queue_length", {}, snapshot.queue);
  }
  if (snapshot.processing !== undefined) {
    out.family(
      "rinha_processing_length",
      "gauge",
      "Payments this instance took from the queue and has not booked or handed back.",
    ).sample("rinha_processing_length", {}, snapshot.processing);
  }
  out.family("rinha_pipeline_buffered", "gauge", "Payments waiting in a pipeline channel.");
  for (const [channel, size] of Object.entries(snapshot.buffered)) {
    out.sample("rinha_pipeline_buffered", { channel }, size);
  }
  out.family("rinha_payments_booked_total", "counter", "Payments booked in the ledger.")
    .sample("rinha_payments_booked_total", {}, snapshot.pipeline.booked);
  out.family(
    "rinha_payments_skipped_total",
    "counter",
    "Settlements acknowledged without booking: already booked before (a replay).",
  ).sample("rinha_payments_skipped_total", {}, snapshot.pipeline.skipped);

  out.family("rinha_processor_in_flight", "gauge", "Calls to the processor in flight now.");
  each((processor, p) => out.sample("rinha_processor_in_flight", { processor }, p.inFlight));
  out.family(
    "rinha_processor_calls_total",
    "counter",
    "Payment calls (POST /payments) ended, by outcome: confirmed, duplicate, rejected, ambiguous.",
  );
  each((processor, p) => {
    for (const outcome of OUTCOMES) {
      out.sample("rinha_processor_calls_total", { processor, outcome }, p.counters[outcome]);
    }
  });
  out.family("rinha_processor_probes_total", "counter", "Calls the gate sent as probes.");
  each((processor, p) =>
    out.sample("rinha_processor_probes_total", { processor }, p.counters.probes)
  );
  out.family(
    "rinha_processor_call_duration_seconds",
    "histogram",
    "Duration of payment calls of every outcome, timeouts included.",
  );
  each((processor, p) => {
    for (const [le, count] of p.latency.buckets) {
      out.sample(
        "rinha_processor_call_duration_seconds_bucket",
        { processor, le: formatValue(le) },
        count,
      );
    }
    out.sample("rinha_processor_call_duration_seconds_sum", { processor }, p.latency.sum);
    out.sample("rinha_processor_call_duration_seconds_count", { processor }, p.latency.count);
  });
  out.family(
    "rinha_gate_verdict",
    "gauge",
    "1 for the gate's current verdict on the processor (ok, failing, tripped, slow, suspect, probing), 0 for the others.",
  );
  each((processor, p) => {
    for (const verdict of Object.keys(VERDICTS)) {
      out.sample("rinha_gate_verdict", { processor, verdict }, p.verdict === verdict ? 1 : 0);
    }
  });
  out.family(
    "rinha_processor_consecutive_failures",
    "gauge",
    "Definite failures (500, 429, unreachable) since the last success.",
  );
  each((processor, p) =>
    out.sample("rinha_processor_consecutive_failures", { processor }, p.consecutiveFailures)
  );
  out.family(
    "rinha_processor_latency_ewma_seconds",
    "gauge",
    "Moving average of answered payment calls' latency; absent before the first.",
  );
  each((processor, p) => {
    if (p.latencyMs !== undefined) {
      out.sample("rinha_processor_latency_ewma_seconds", { processor }, p.latencyMs / 1000);
    }
  });
  out.family(
    "rinha_processor_reported_failing",
    "gauge",
    "The latest fresh service-health report's failing flag (1/0); absent without a fresh report.",
  );
  each((processor, p) => {
    if (p.reported) {
      out.sample("rinha_processor_reported_failing", { processor }, p.reported.failing ? 1 : 0);
    }
  });
  out.family(
    "rinha_processor_reported_min_response_seconds",
    "gauge",
    "The latest fresh service-health report's minResponseTime; absent without a fresh report.",
  );
  each((processor, p) => {
    if (p.reported) {
      out.sample(
        "rinha_processor_reported_min_response_seconds",
        { processor },
        p.reported.minResponseTime / 1000,
      );
    }
  });
  out.family(
    "rinha_http_responses_total",
    "counter",
    "HTTP responses by route (the matched path, or unmatched) and status.",
  );
  for (const [route, status, count] of snapshot.http) {
    out.sample("rinha_http_responses_total", { route, status }, count);
  }
  return out.text();
}

/** Where {@link collectMetrics} reads from: the instance's parts (app.ts), or fakes in tests. */
export interface MetricsSources {
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

/** Gathers a {@link MetricsSnapshot} (two Redis reads) and formats it. Never rejects. */
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
  return formatMetrics({
    instanceId: sources.instanceId,
    accepting: sources.accepting(),
    queue,
    processing,
    buffered: { ...sources.pipeline.buffered },
    pipeline: { ...sources.pipeline.counters },
    processors: perProcessor(processor),
    http: sources.http.snapshot(),
  });
}
