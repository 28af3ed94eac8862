/**
 * `GET /metrics`: this instance's state in the Prometheus text exposition format 0.0.4, written by
 * our own formatter (docs/decisions/0006-own-metrics-format.md); docs/OBSERVABILITY.md lists every
 * series. Here: the HTTP counter the routes feed on every response, and one scrape
 * ({@link collectMetrics}). In metrics/: the latency histogram, the text format (exposition.ts)
 * and every series, one row each (catalogue.ts).
 *
 * @module
 */
import { perProcessor, type ProcessorName } from "../domain/processor.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import { type InstanceParts, queueLengths } from "./health.ts";
import {
  formatMetrics,
  type HttpCount,
  type MetricsSnapshot,
  type ProcessorMetrics,
} from "./metrics/catalogue.ts";
import { METRICS_CONTENT_TYPE } from "./metrics/exposition.ts";
import { Histogram, LATENCY_BUCKETS_SECONDS } from "./metrics/histogram.ts";

/** What the instance wires up (app.ts) and serves with (routes.ts). */
export { Histogram, LATENCY_BUCKETS_SECONDS, METRICS_CONTENT_TYPE };

/**
 * HTTP responses counted by route and status. The route is a fixed label (the matched path, or
 * `unmatched`), so the number of series stays bounded whatever clients send.
 */
export class HttpCounters {
  readonly #byRoute: Record<string, Record<number, number>> = Object.create(null);

  /** Counts one response; a plain object increment, cheap enough for the hot path. */
  count(route: string, status: number): void {
    const byStatus = this.#byRoute[route] ??= Object.create(null);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  }

  /** Every `[route, status, count]` so far. */
  snapshot(): HttpCount[] {
    return Object.entries(this.#byRoute).flatMap(([route, byStatus]) =>
      Object.entries(byStatus).map(([status, count]): HttpCount => [route, Number(status), count])
    );
  }
}

/** Where {@link collectMetrics} reads from; a failed Redis read only leaves the lengths out. */
interface MetricsSources extends InstanceParts {
  gate: Pick<HealthGate, "state">;
  /** Payment-call latency per processor, fed by the gate's `onCall`, in seconds. */
  latency: Record<ProcessorName, Histogram>;
  http: HttpCounters;
}

/** Gathers a snapshot (two Redis reads) and formats it (metrics/catalogue.ts). Never rejects. */
export async function collectMetrics(sources: MetricsSources): Promise<string> {
  const lengths = await queueLengths(sources.queue);
  const { accepting, pipeline } = sources.supervisor;
  const state = sources.gate.state();
  const processor = (name: ProcessorName): ProcessorMetrics => {
    const { verdict, view, counters } = state[name];
    const { inFlight, consecutiveFailures, latencyMs, reported } = view;
    const latency = sources.latency[name].snapshot();
    return { verdict, inFlight, consecutiveFailures, latencyMs, reported, counters, latency };
  };
  const snapshot: MetricsSnapshot = {
    instanceId: sources.instanceId,
    accepting,
    ...lengths,
    buffered: { ...pipeline.buffered },
    pipeline: { ...pipeline.counters },
    processors: perProcessor(processor),
    http: sources.http.snapshot(),
  };
  return formatMetrics(snapshot);
}
