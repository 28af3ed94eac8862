/**
 * The order of a graceful shutdown (docs/DESIGN.md "Graceful shutdown"; docs/GUARANTEES.md,
 * SIGTERM / SIGINT): stop intake, drain, hand back, and only then let peers recover what is
 * left, then close the connections.
 *
 * @module
 */
import { info, warn } from "../log.ts";
import { sleep } from "../util/sleep.ts";

/** Share of the shutdown deadline that open requests get before the pipeline stops. */
const SERVER_GRACE_SHARE = 1 / 4;
/** Share of the shutdown deadline that workers get to finish before they are interrupted. */
const WORKERS_SHARE = 1 / 2;

/** A background loop that can be stopped and awaited separately (background_task.ts). */
interface Loop {
  abort(): void;
  done: Promise<void>;
}

/** The parts of a running instance that {@link shutDown} stops, in the order it stops them. */
interface ShutdownParts {
  /** Named in the last log line. */
  instanceId: string;
  /** Intake refused from now on (503), and no lapse restarts the pipeline (supervisor.ts). */
  supervisor: { beginShutdown(): void; stopPipeline(deadlineMs: number): Promise<void> };
  recovery: Loop;
  /** The HTTP server: `shutdown()` stops listening and resolves when open requests are done. */
  server: { shutdown(): Promise<void> };
  heartbeatLoop: Loop;
  /** This instance's heartbeat key: `clear()` deletes it; a failure is only logged. */
  heartbeat: { clear(): Promise<unknown> };
  poller: Loop;
  /** The processors' clients (their connection pools). */
  clients: Record<string, { close(): void }>;
  /** Closes the Redis connections. */
  closeRedis(): Promise<void>;
}

/**
 * Stops an instance, its waits sized by `deadlineMs` (past it, main.ts exits 1), in this order:
 * 1. intake stops; 2. recovery stops (no payment of a peer is taken any more);
 * 3. open requests get a quarter of the deadline (the timer goes as soon as they are done);
 * 4. a pipeline restart in progress is awaited; 5. the pipeline stops, workers interrupted at half
 * the deadline; 6. only now may others recover what is left in our processing list: the heartbeat
 * loop stops; 7. the heartbeat and recovery loops are awaited; 8. the heartbeat key is deleted;
 * 9. the health poller stops and is awaited; 10. the processors' clients close; 11. Redis closes.
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
