/**
 * The body of `GET /healthcheck` (routes.ts): whether this instance is fit to take traffic, and
 * what it holds. `ok` false makes the route answer 503.
 *
 * @module
 */
import type { PipelineCounters } from "../pipeline/pipeline.ts";

/** Where {@link healthReport} reads from: the instance's parts (app.ts), or fakes in tests. */
interface HealthSources {
  instanceId: string;
  /** Redis reads (queue.ts); a failure reports Redis unreachable. */
  queue: { length(): Promise<number>; processingLength(): Promise<number> };
  /** The pipeline supervisor (lifecycle/supervisor.ts): the pipeline now, intake open or not. */
  supervisor: {
    readonly accepting: boolean;
    readonly pipeline: {
      readonly running: boolean;
      readonly buffered: Record<string, number>;
      readonly counters: PipelineCounters;
    };
  };
  /** The health gate (processors/health_gate.ts): its state is reported as is. */
  gate: { state(): unknown };
}

/**
 * The /healthcheck body: `ok` when Redis answers, the pipeline runs and intake is open. A type, not
 * an interface, so it fits routes.ts' `Record<string, unknown>`.
 */
type HealthReport = {
  ok: boolean;
  status: "ok" | "stopping" | "redis unreachable";
  instanceId: string;
  /** Payments waiting in the shared queue; absent when Redis did not answer. */
  queue?: number;
  /** Payments in this instance's processing list; absent when Redis did not answer. */
  processing?: number;
  buffered: Record<string, number>;
  booked: PipelineCounters;
  gate: unknown;
};

/** Gathers the /healthcheck body (two Redis reads). Never rejects. */
export async function healthReport(sources: HealthSources): Promise<HealthReport> {
  const { queue, supervisor } = sources;
  const [backlog, processing] = await Promise.all([queue.length(), queue.processingLength()])
    .catch(() => [undefined, undefined]);
  const { accepting, pipeline } = supervisor;
  return {
    ok: backlog !== undefined && pipeline.running && accepting,
    status: backlog === undefined ? "redis unreachable" : accepting ? "ok" : "stopping",
    instanceId: sources.instanceId,
    queue: backlog,
    processing,
    buffered: pipeline.buffered,
    booked: pipeline.counters,
    gate: sources.gate.state(),
  };
}
