/**
 * Every series `GET /metrics` shows, one row each: name, type and help text written once, and how
 * its samples come out of a {@link MetricsSnapshot}. docs/OBSERVABILITY.md explains each row; keep
 * the two in step (tests/http/metrics/catalogue_test.ts checks that every family is listed there).
 *
 * @module
 */
import type { ProcessorHealth, ProcessorName } from "../../domain/processor.ts";
import type { PipelineCounters } from "../../pipeline/pipeline.ts";
import type { ProcessorCounters } from "../../processors/health_gate.ts";
import { type ProcessorView, type Verdict, VERDICTS } from "../../processors/policy.ts";
import type { HistogramSnapshot } from "./histogram.ts";
import {
  type Family,
  formatFamilies,
  formatValue,
  type Labels,
  type Sample,
} from "./exposition.ts";

/** What one processor looks like to /metrics: the gate's state of it, and its call latency. */
export interface ProcessorMetrics
  extends Pick<ProcessorView, "inFlight" | "consecutiveFailures" | "latencyMs"> {
  verdict: Verdict;
  reported?: Pick<ProcessorHealth, "failing" | "minResponseTime">;
  counters: ProcessorCounters;
  latency: HistogramSnapshot;
}

/** One counted series of HTTP responses: `[route, status code, responses]`. */
export type HttpCount = [route: string, status: number, count: number];

/** Everything `GET /metrics` shows, gathered once per scrape; lengths undefined without Redis. */
export interface MetricsSnapshot {
  instanceId: string;
  accepting: boolean;
  queue?: number;
  processing?: number;
  /** Payments buffered per pipeline channel (pipeline.ts `buffered`). */
  buffered: Record<string, number>;
  pipeline: PipelineCounters;
  processors: Record<ProcessorName, ProcessorMetrics>;
  http: HttpCount[];
}

/** Outcomes of a call, as counted by the gate (outcome.ts); probes are counted apart. */
const OUTCOMES = ["confirmed", "duplicate", "rejected", "ambiguous"] as const;

/**
 * One row of the catalogue: a family less its samples, and how to take them from a snapshot.
 * `samples` returns `undefined` to leave the whole family out (its value is unknown this scrape),
 * or a possibly empty list to write its HELP and TYPE lines either way.
 */
interface Series extends Omit<Family, "samples"> {
  samples(snapshot: MetricsSnapshot): Sample[] | undefined;
}

/** One sample without labels. */
const single = (value: number): Sample[] => [{ labels: {}, value }];

/** `samplesOf(processor, metrics)` for every processor in turn, concatenated. */
function eachProcessor(
  snapshot: MetricsSnapshot,
  samplesOf: (processor: ProcessorName, metrics: ProcessorMetrics) => Sample[],
): Sample[] {
  const names = Object.keys(snapshot.processors) as ProcessorName[];
  return names.flatMap((processor) => samplesOf(processor, snapshot.processors[processor]));
}

/** One sample labelled `processor` per processor; an undefined value leaves that one out. */
function byProcessor(
  snapshot: MetricsSnapshot,
  value: (metrics: ProcessorMetrics) => number | undefined,
): Sample[] {
  return eachProcessor(snapshot, (processor, metrics) => {
    const v = value(metrics);
    return v === undefined ? [] : [{ labels: { processor }, value: v }];
  });
}

/** A histogram's `_bucket` lines (with `le`), then `_sum` and `_count`, all carrying `labels`. */
function histogramSamples(labels: Labels, histogram: HistogramSnapshot): Sample[] {
  return [
    ...histogram.buckets.map(([le, count]): Sample => ({
      suffix: "_bucket",
      labels: { ...labels, le: formatValue(le) },
      value: count,
    })),
    { suffix: "_sum", labels, value: histogram.sum },
    { suffix: "_count", labels, value: histogram.count },
  ];
}

/** The catalogue, in exposition order. */
const CATALOGUE: readonly Series[] = [
  {
    name: "rinha_instance_info",
    type: "gauge",
    help: "Always 1; labels name this instance.",
    samples: (s) => [{ labels: { instance_id: s.instanceId }, value: 1 }],
  },
  {
    name: "rinha_accepting",
    type: "gauge",
    help: "1 while POST /payments is accepted, 0 once shutdown began.",
    samples: (s) => single(s.accepting ? 1 : 0),
  },
  {
    name: "rinha_redis_up",
    type: "gauge",
    help: "1 if this scrape could read the queue lengths in Redis.",
    samples: (s) => single(s.queue !== undefined && s.processing !== undefined ? 1 : 0),
  },
  {
    name: "rinha_queue_length",
    type: "gauge",
    help: "Payments accepted and not yet taken (backlog).",
    samples: (s) => s.queue === undefined ? undefined : single(s.queue),
  },
  {
    name: "rinha_processing_length",
    type: "gauge",
    help: "Payments this instance took from the queue and has not booked or handed back.",
    samples: (s) => s.processing === undefined ? undefined : single(s.processing),
  },
  {
    name: "rinha_pipeline_buffered",
    type: "gauge",
    help: "Payments waiting in a pipeline channel.",
    samples: (s) =>
      Object.entries(s.buffered).map(([channel, size]) => ({ labels: { channel }, value: size })),
  },
  {
    name: "rinha_payments_booked_total",
    type: "counter",
    help: "Payments booked in the ledger.",
    samples: (s) => single(s.pipeline.booked),
  },
  {
    name: "rinha_payments_skipped_total",
    type: "counter",
    help: "Settlements acknowledged without booking: already booked before (a replay).",
    samples: (s) => single(s.pipeline.skipped),
  },
  {
    name: "rinha_processor_in_flight",
    type: "gauge",
    help: "Calls to the processor in flight now.",
    samples: (s) => byProcessor(s, (p) => p.inFlight),
  },
  {
    name: "rinha_processor_calls_total",
    type: "counter",
    help:
      "Payment calls (POST /payments) ended, by outcome: confirmed, duplicate, rejected, ambiguous.",
    samples: (s) =>
      eachProcessor(
        s,
        (processor, p) =>
          OUTCOMES.map((outcome) => ({
            labels: { processor, outcome },
            value: p.counters[outcome],
          })),
      ),
  },
  {
    name: "rinha_processor_probes_total",
    type: "counter",
    help: "Calls the gate sent as probes.",
    samples: (s) => byProcessor(s, (p) => p.counters.probes),
  },
  {
    name: "rinha_processor_call_duration_seconds",
    type: "histogram",
    help: "Duration of payment calls of every outcome, timeouts included.",
    samples: (s) => eachProcessor(s, (processor, p) => histogramSamples({ processor }, p.latency)),
  },
  {
    name: "rinha_gate_verdict",
    type: "gauge",
    help:
      "1 for the gate's current verdict on the processor (ok, failing, tripped, slow, suspect, probing), 0 for the others.",
    samples: (s) =>
      eachProcessor(s, (processor, p) =>
        VERDICTS.map((verdict) => ({
          labels: { processor, verdict },
          value: p.verdict === verdict ? 1 : 0,
        }))),
  },
  {
    name: "rinha_processor_consecutive_failures",
    type: "gauge",
    help: "Definite failures (500, 429, unreachable) since the last success.",
    samples: (s) => byProcessor(s, (p) => p.consecutiveFailures),
  },
  {
    name: "rinha_processor_latency_ewma_seconds",
    type: "gauge",
    help: "Moving average of answered payment calls' latency; absent before the first.",
    samples: (s) =>
      byProcessor(s, (p) => p.latencyMs === undefined ? undefined : p.latencyMs / 1000),
  },
  {
    name: "rinha_processor_reported_failing",
    type: "gauge",
    help:
      "The latest fresh service-health report's failing flag (1/0); absent without a fresh report.",
    samples: (s) => byProcessor(s, (p) => p.reported && (p.reported.failing ? 1 : 0)),
  },
  {
    name: "rinha_processor_reported_min_response_seconds",
    type: "gauge",
    help:
      "The latest fresh service-health report's minResponseTime; absent without a fresh report.",
    samples: (s) => byProcessor(s, (p) => p.reported && p.reported.minResponseTime / 1000),
  },
  {
    name: "rinha_http_responses_total",
    type: "counter",
    help: "HTTP responses by route (the matched path, or unmatched) and status.",
    samples: (s) =>
      s.http.map(([route, status, count]) => ({ labels: { route, status }, value: count })),
  },
];

/** Formats a snapshot as the exposition text. Series whose value is unknown are left out. */
export function formatMetrics(snapshot: MetricsSnapshot): string {
  return formatFamilies(CATALOGUE.flatMap(({ samples, ...family }) => {
    const taken = samples(snapshot);
    return taken === undefined ? [] : [{ ...family, samples: taken }];
  }));
}
