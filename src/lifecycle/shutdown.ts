/**
 * The order of a graceful shutdown (docs/DESIGN.md "Graceful shutdown"; docs/GUARANTEES.md,
 * SIGTERM / SIGINT): stop intake, drain, hand back, and only then let peers recover what is
 * left, then close the connections.
 *
 * @module
 */
import type { ProcessorName } from "../domain/processor.ts";
import { info, warn } from "../log.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { Heartbeat } from "../store/heartbeat.ts";
import { sleep } from "../util/sleep.ts";
import type { background } from "./startup.ts";
import type { PipelineSupervisor } from "./supervisor.ts";

/** Share of the shutdown deadline that open requests get before the pipeline stops. */
const SERVER_GRACE_SHARE = 1 / 4;
/** Share of the shutdown deadline that workers get to finish before they are interrupted. */
const WORKERS_SHARE = 1 / 2;

type Loop = ReturnType<typeof background>;

/** The parts of a running instance that {@link shutDown} stops, and the last log line's name. */
interface ShutdownParts {
  instanceId: string;
  supervisor: Pick<PipelineSupervisor<Pipeline>, "beginShutdown" | "stopPipeline">;
  recovery: Loop;
  server: Pick<Deno.HttpServer, "shutdown">;
  heartbeatLoop: Loop;
  heartbeat: Pick<Heartbeat, "clear">;
  poller: Loop;
  clients: Record<ProcessorName, Pick<ProcessorClient, "close">>;
  closeRedis(): Promise<void>;
}

/**
 * Stops an instance in the order of docs/DESIGN.md "Graceful shutdown", its waits sized by
 * `deadlineMs` (past it, main.ts exits 1): intake and recovery stop; open requests get a quarter of
 * the deadline; a pipeline restart in progress is awaited, then the pipeline stops with workers
 * interrupted at half the deadline; only then does the heartbeat loop stop and the heartbeat key
 * go (a failure to delete it is only logged); then the poller, the processors' clients and Redis.
 * Never rejects unless a part's `close` or `shutdown` does.
 */
export async function shutDown(parts: ShutdownParts, deadlineMs: number): Promise<void> {
  parts.supervisor.beginShutdown();
  parts.recovery.abort();
  const grace = new AbortController();
  await Promise.race([
    parts.server.shutdown(),
    sleep(deadlineMs * SERVER_GRACE_SHARE, grace.signal),
  ]);
  grace.abort();
  await parts.supervisor.stopPipeline(deadlineMs * WORKERS_SHARE);
  parts.heartbeatLoop.abort();
  await Promise.all([parts.heartbeatLoop.done, parts.recovery.done]);
  await parts.heartbeat.clear().catch((error) => warn("heartbeat", String(error)));
  parts.poller.abort();
  await parts.poller.done;
  for (const client of Object.values(parts.clients)) client.close();
  await parts.closeRedis();
  info(`${parts.instanceId} stopped`);
}
