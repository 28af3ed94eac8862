/**
 * The composition root: wires one instance's parts — Redis connections, the store, the processors'
 * clients, the health gate, the pipeline and its supervisor, the background loops and the HTTP
 * server (docs/DESIGN.md "Shape"). Rules live in the parts; this file only joins them. `main.ts`
 * runs it as a process; tests start it in-process.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { info, warn } from "./log.ts";
import { perProcessor } from "./domain/processor.ts";
import { healthReport } from "./http/health.ts";
import { serve } from "./http/listen.ts";
import {
  collectMetrics,
  Histogram,
  HttpCounters,
  LATENCY_BUCKETS_SECONDS,
} from "./http/metrics.ts";
import { createHandler } from "./http/routes.ts";
import { BEFORE_PIPELINE, comeAlive, startBackgroundLoops, undoing } from "./lifecycle/startup.ts";
import { shutDown } from "./lifecycle/shutdown.ts";
import { PipelineSupervisor } from "./lifecycle/supervisor.ts";
import { Pipeline } from "./pipeline/pipeline.ts";
import { AMBIGUITY_SLACK_MS, MAX_BACKOFF_MS, Settler } from "./pipeline/settle.ts";
import { ProcessorClient } from "./processors/client.ts";
import { HealthGate } from "./processors/health_gate.ts";
import { PRODUCTION_POLICY } from "./processors/policy.ts";
import { keysFor } from "./store/keys.ts";
import { Ledger } from "./store/ledger.ts";
import { Purge } from "./store/purge.ts";
import { PaymentQueue } from "./store/queue.ts";
import { Redis } from "./store/redis/client.ts";
import { SummaryReader } from "./store/summary.ts";

/** A running instance. */
export interface App {
  /** Where the server listens (`Deno.Addr`). */
  addr: Deno.Addr;
  /** Graceful shutdown (lifecycle/shutdown.ts): stop intake, drain, hand back, close Redis. */
  stop(): Promise<void>;
  /** Resolves when the instance has stopped. */
  finished: Promise<void>;
}

/**
 * Starts an instance in the order of docs/DESIGN.md "Start-up": Redis, the listener, its own
 * leftovers back and a first heartbeat, and only then the pipeline and the loops.
 *
 * @throws {StartError} when the listener cannot bind (http/listen.ts); else the error of Redis,
 *   unreachable or refusing us. What was opened is closed again.
 */
export async function startApp(config: Config): Promise<App> {
  const { instanceId } = config;
  const onError = (error: Error) => warn("redis", error.message);
  const redis = await Redis.connect(config.redisUrl, { name: `${instanceId}-cmd`, onError });
  const blocking = await Redis.connect(config.redisUrl, { name: `${instanceId}-fetch`, onError });
  const closeRedis = async () => void await Promise.all([redis.close(), blocking.close()]);
  const keys = keysFor(config.redisPrefix);
  const [queue, ledger] = [new PaymentQueue(redis, keys, instanceId), new Ledger(redis, keys)];
  const latency = perProcessor(() => new Histogram(LATENCY_BUCKETS_SECONDS));
  const gate = new HealthGate({
    ...PRODUCTION_POLICY,
    onCall: (processor, _outcome, latencyMs) => latency[processor].observe(latencyMs / 1_000),
  });
  const [summaries, purge] = [new SummaryReader(redis, keys), new Purge(redis, keys)];
  const http = new HttpCounters();
  const shown = { instanceId, queue, supervisor: BEFORE_PIPELINE, gate }; // /healthcheck, /metrics
  const handler = createHandler({
    enqueue: (payment) => queue.enqueue(payment), // only writes to Redis: fine before the pipeline
    summary: (range) => summaries.read(range),
    purge: () => purge.payments(),
    health: () => healthReport(shown),
    accepting: () => shown.supervisor.accepting,
    maxBodyBytes: config.maxBodyBytes,
    http,
    metrics: () => collectMetrics({ ...shown, latency, http }),
  });
  const server = await serve(config.listen, handler).catch(undoing(closeRedis));
  const heartbeat = await comeAlive(redis, keys, instanceId) // before the pipeline starts
    .catch(undoing(() => Promise.all([server.shutdown(), closeRedis()])));
  const urls = { default: config.defaultUrl, fallback: config.fallbackUrl };
  const clients = perProcessor((name) => new ProcessorClient(name, urls[name]));
  const timeouts = { callTimeoutMs: config.paymentTimeoutMs, maxBackoffMs: MAX_BACKOFF_MS };
  const horizon = { ambiguityHorizonMs: config.paymentTimeoutMs + AMBIGUITY_SLACK_MS };
  const supervisor = new PipelineSupervisor({
    start: (mayCall) => {
      const settler = new Settler({ clients, gate, ...timeouts, ...horizon, mayCall });
      return new Pipeline({ ...config, queue, ledger, settler, blocking }); // sizes from config
    },
    lastBeatAt: () => heartbeat.lastBeatAt,
  });
  shown.supervisor = supervisor;
  const loops = startBackgroundLoops({ redis, keys, config, heartbeat, supervisor, clients, gate });
  info(`${instanceId} listening on ${JSON.stringify(server.addr)}`);
  const parts = { ...loops, instanceId, supervisor, server, heartbeat, clients };
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= shutDown({ ...parts, closeRedis }, config.shutdownTimeoutMs);
  return { addr: server.addr, stop, finished: server.finished.then(() => stopping) };
}
