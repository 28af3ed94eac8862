/**
 * The body of `GET /healthcheck` (routes.ts; docs/OBSERVABILITY.md): whether this instance is fit
 * to take traffic, and what it holds. `ok` false makes the route answer 503.
 *
 * @module
 */
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { PaymentQueue } from "../store/queue.ts";

type QueueReads = Pick<PaymentQueue, "length" | "processingLength">;

/** What /healthcheck and /metrics read: the instance's parts (app.ts), or fakes in tests. */
export interface InstanceParts {
  instanceId: string;
  queue: QueueReads;
  /** The pipeline supervisor (lifecycle/supervisor.ts): the pipeline now, intake open or not. */
  supervisor: {
    readonly accepting: boolean;
    readonly pipeline: Pick<Pipeline, "running" | "buffered" | "counters">;
  };
}

/**
 * The shared backlog and this instance's processing-list length (two Redis reads), or neither
 * when Redis does not answer. Never rejects.
 */
export async function queueLengths(
  queue: QueueReads,
): Promise<{ queue?: number; processing?: number }> {
  try {
    const [backlog, processing] = await Promise.all([queue.length(), queue.processingLength()]);
    return { queue: backlog, processing };
  } catch {
    return {};
  }
}

/**
 * Gathers the /healthcheck body (fields: docs/OBSERVABILITY.md): `ok` when Redis answers, the
 * pipeline runs and intake is open; `status` `ok`, `stopping` or `redis unreachable`.
 */
export async function healthReport(sources: InstanceParts & { gate: { state(): unknown } }) {
  const { queue, processing } = await queueLengths(sources.queue);
  const { accepting, pipeline } = sources.supervisor;
  return {
    ok: queue !== undefined && pipeline.running && accepting,
    status: queue === undefined ? "redis unreachable" : accepting ? "ok" : "stopping",
    instanceId: sources.instanceId,
    queue,
    processing,
    buffered: pipeline.buffered,
    booked: pipeline.counters,
    gate: sources.gate.state(),
  };
}
