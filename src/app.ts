/**
 * Wires one instance together: Redis connections, the store, the processors' clients, the health
 * gate and poller, the pipeline and the HTTP server (docs/DESIGN.md "Shape"). `main.ts` runs it as a
 * process; tests start it in-process.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "./config.ts";
import {
  collectMetrics,
  Histogram,
  HttpCounters,
  LATENCY_BUCKETS_SECONDS,
} from "./http/metrics.ts";
import { createHandler } from "./http/routes.ts";
import { perProcessor } from "./domain/processor.ts";
import { info, warn } from "./log.ts";
import { runHeartbeatLoop } from "./background/heartbeat_loop.ts";
import { Pipeline } from "./pipeline/pipeline.ts";
import { runRecoveryLoop } from "./background/recovery_loop.ts";
import { Settler } from "./pipeline/settle.ts";
import { ProcessorClient } from "./processors/client.ts";
import { HealthGate } from "./processors/health_gate.ts";
import { runHealthPoller } from "./background/health_poller.ts";
import { HealthBoard } from "./store/health_board.ts";
import { Heartbeat } from "./store/heartbeat.ts";
import { keysFor } from "./store/keys.ts";
import { Ledger } from "./store/ledger.ts";
import { Purge } from "./store/purge.ts";
import { PaymentQueue } from "./store/queue.ts";
import { Recovery } from "./store/recovery.ts";
import { Redis } from "./store/redis/client.ts";
import { SummaryReader } from "./store/summary.ts";

/**
 * Most expected latency for regular traffic, ms: the 2 s settlement deadline of docs/CONTRACT.md §6.3
 * minus room for the delay to rise before the rise is noticed (a random-fault run with a
 * processor at 1.45 s that jumped to 3.7 s booked 6 payments late: 1 inconsistency).
 */
const SETTLE_BUDGET_MS = 1_200;
/** Life of the heartbeat key without a refresh, ms (docs/GUARANTEES.md: two refreshes may be missed). */
const HEARTBEAT_TTL_MS = 3_000;
/** Spacing of heartbeat refreshes, ms. */
const HEARTBEAT_INTERVAL_MS = 1_000;
/** Spacing of crash-recovery rounds, ms (pipeline/recovery_loop.ts). */
const RECOVERY_INTERVAL_MS = 1_000;
/** A missing heartbeat must be seen again this much later before its list is taken, ms. */
const RECOVERY_GRACE_MS = 2_000;
/** No payment call after this long without a renewed heartbeat, ms (< TTL + grace). */
const FENCE_AFTER_MS = HEARTBEAT_TTL_MS - HEARTBEAT_INTERVAL_MS;

/** A running instance. */
export interface App {
  /** Where the server listens (`Deno.Addr`). */
  addr: Deno.Addr;
  /** Graceful shutdown (docs/DESIGN.md): stop intake, drain, hand back, close Redis. */
  stop(): Promise<void>;
  /** Resolves when the instance has stopped. */
  finished: Promise<void>;
}

/**
 * Starts an instance.
 *
 * @throws when Redis cannot be reached at start or the address cannot be bound.
 */
export async function startApp(config: Config): Promise<App> {
  const onError = (error: Error) => warn("redis", error.message);
  const redis = await Redis.connect(config.redisUrl, { name: `${config.instanceId}-cmd`, onError });
  const blocking = await Redis.connect(config.redisUrl, {
    name: `${config.instanceId}-fetch`,
    onError,
  });
  const keys = keysFor(config.redisPrefix);
  const queue = new PaymentQueue(redis, keys, config.instanceId);
  const ledger = new Ledger(redis, keys);
  const summaries = new SummaryReader(redis, keys);
  const recovery = new Recovery(redis, keys);
  const purge = new Purge(redis, keys);
  const processorUrls = { default: config.defaultUrl, fallback: config.fallbackUrl };
  const clients = perProcessor((name) => new ProcessorClient(name, processorUrls[name]));
  const latency = perProcessor(() => new Histogram(LATENCY_BUCKETS_SECONDS));
  const gate = new HealthGate({
    budgetMs: SETTLE_BUDGET_MS,
    probeIntervalMs: 1_000,
    maxHoldMs: 250,
    onCall: (processor, _outcome, latencyMs) => latency[processor].observe(latencyMs / 1_000),
  });
  // Crash recovery (docs/GUARANTEES.md): take back what a crashed earlier run with this id held, then show
  // this instance alive before its pipeline takes anything (pipeline/recovery_loop.ts).
  const recoveredOwn = await recovery.recover(config.instanceId, { onlyIfDead: false });
  if (recoveredOwn) info(`${config.instanceId} recovered ${recoveredOwn} payments of its last run`);
  const heartbeat = new Heartbeat(redis, keys, config.instanceId, HEARTBEAT_TTL_MS);
  await heartbeat.beat();
  // Self-fencing: no payment call once the heartbeat went unrenewed for FENCE_AFTER_MS (peers
  // presume us dead only after the TTL plus a grace), nor while the pipeline restarts after a
  // lapse (peers may have recovered and may resend what this instance holds).
  let restart: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const settler = new Settler({
    clients,
    gate,
    ambiguityHorizonMs: config.paymentTimeoutMs + 2_000,
    callTimeoutMs: config.paymentTimeoutMs,
    maxBackoffMs: 1_000,
    mayCall: () => !restart && Date.now() - heartbeat.lastBeatAt < FENCE_AFTER_MS,
  });
  const startPipeline = () =>
    new Pipeline({
      queue,
      ledger,
      settler,
      blocking,
      workers: config.workers,
      fetchBatch: config.fetchBatch,
      fetchPauseMs: config.fetchPauseMs,
      persistBatch: config.persistBatch,
      channelCapacity: config.channelCapacity,
    });
  let pipeline = startPipeline();
  const stopHeartbeat = new AbortController();
  const heartbeating = runHeartbeatLoop({
    heartbeat,
    intervalMs: HEARTBEAT_INTERVAL_MS,
    signal: stopHeartbeat.signal,
    // Our list may have been recovered by a peer: interrupt every settlement now. A payment a
    // peer took is no longer in our processing list, so its hand-back pushes nothing; the rest
    // go back to the queue with what is known of their attempts.
    onLapse: () => {
      if (restart || stopping) return;
      restart = pipeline.stop(0).then(() => {
        if (!stopping) pipeline = startPipeline();
        restart = undefined;
      });
    },
  });
  const stopRecovery = new AbortController();
  const recovering = runRecoveryLoop({
    recovery,
    instanceId: config.instanceId,
    intervalMs: RECOVERY_INTERVAL_MS,
    graceMs: RECOVERY_GRACE_MS,
    signal: stopRecovery.signal,
  });
  const stopPolling = new AbortController();
  const poller = runHealthPoller({
    board: new HealthBoard(redis, keys),
    clients: Object.values(clients),
    gate,
    instanceId: config.instanceId,
    intervalMs: config.healthIntervalMs,
    timeoutMs: config.healthTimeoutMs,
    readEveryMs: 500,
    signal: stopPolling.signal,
  });

  let accepting = true;
  const http = new HttpCounters();
  const handler = createHandler({
    enqueue: (payment) => queue.enqueue(payment),
    summary: (range) => summaries.read(range),
    purge: () => purge.payments(),
    health: async () => {
      const [backlog, processing] = await Promise.all([queue.length(), queue.processingLength()])
        .catch(() => [undefined, undefined]);
      return {
        ok: backlog !== undefined && pipeline.running && accepting,
        status: backlog === undefined ? "redis unreachable" : accepting ? "ok" : "stopping",
        instanceId: config.instanceId,
        queue: backlog,
        processing,
        buffered: pipeline.buffered,
        booked: pipeline.counters,
        gate: gate.state(),
      };
    },
    accepting: () => accepting,
    maxBodyBytes: config.maxBodyBytes,
    http,
    metrics: () =>
      collectMetrics({
        instanceId: config.instanceId,
        accepting: () => accepting,
        queue,
        pipeline,
        gate,
        latency,
        http,
      }),
  });
  const listen = config.listen;
  if (listen.kind === "unix") await removeStaleSocket(listen.path);
  const server = listen.kind === "unix"
    ? Deno.serve({ path: listen.path, onListen: () => {} }, handler)
    : Deno.serve(
      {
        hostname: listen.hostname,
        port: listen.port,
        reusePort: listen.reusePort,
        onListen: () => {},
      },
      handler,
    );
  // The load balancer runs as another user (in compose, another container): let it connect.
  if (listen.kind === "unix") await Deno.chmod(listen.path, 0o666);
  info(`${config.instanceId} listening on ${JSON.stringify(server.addr)}`);

  const stop = () =>
    stopping ??= (async () => {
      accepting = false;
      stopRecovery.abort();
      const deadline = config.shutdownTimeoutMs;
      // Open requests get a quarter of the deadline; the timer goes as soon as they are done.
      const grace = new AbortController();
      await Promise.race([
        server.shutdown(),
        sleep(deadline / 4, undefined, { signal: grace.signal }).catch(() => {}),
      ]);
      grace.abort();
      await restart;
      await pipeline.stop(deadline / 2);
      // Only now may others recover what is left in our processing list.
      stopHeartbeat.abort();
      await Promise.all([heartbeating, recovering]);
      await heartbeat.clear().catch((error) => warn("heartbeat", String(error)));
      stopPolling.abort();
      await poller;
      for (const client of Object.values(clients)) client.close();
      await Promise.all([redis.close(), blocking.close()]);
      info(`${config.instanceId} stopped`);
    })();
  return { addr: server.addr, stop, finished: server.finished.then(() => stopping) };
}

/** Removes a socket file left by a crashed predecessor, so binding the path does not fail. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if ((await Deno.lstat(path)).isSocket) await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
