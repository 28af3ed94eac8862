/**
 * The intake floor of the baseline (`deno task bench --floor intake`): the product's own
 * `POST /payments` path — routes.ts, validation, and the Redis intake script of queue.ts, acknowledged
 * before the 202 — with nothing behind it: no pipeline, no processor, no health poller. Its p99
 * under the test's load is the least any backend keeps that answers only once a payment is durable
 * (docs/CONTRACT.md §1, docs/DESIGN.md ingress); the gap between it and the no-op floor is the price of that
 * guarantee, the gap between it and the product the price of processing the payments on the same
 * cores.
 *
 * The summary answers zeros (nothing is ever processed); accepted payments stay in the queue under
 * the prefix given, which the bench deletes after the run.
 *
 * @module
 */
import { createHandler } from "../../src/http/routes.ts";
import { keysFor } from "../../src/store/keys.ts";
import { PaymentQueue } from "../../src/store/queue.ts";
import { Redis } from "../../src/store/redis/client.ts";

const NOTHING = { totalRequests: 0, totalCents: 0 };
/** Same body limit as an instance (`MAX_BODY_BYTES` default, config.ts). */
const MAX_BODY_BYTES = 1_024;

/** A running intake handler; `close()` closes its Redis connection. */
interface IntakeHandler {
  handler: (request: Request) => Promise<Response>;
  close(): Promise<void>;
}

/**
 * Connects to Redis and builds the handler.
 *
 * @param redisUrl `redis://…` or `unix:///path` (src/store/redis/url.ts).
 * @param prefix key prefix of the queue and the accepted-ids hash.
 * @param instanceId shown by `GET /healthcheck`.
 * @throws when Redis cannot be reached.
 */
export async function startIntakeHandler(
  redisUrl: string,
  prefix: string,
  instanceId: string,
): Promise<IntakeHandler> {
  const redis = await Redis.connect(redisUrl, { name: `${instanceId}-intake` });
  const queue = new PaymentQueue(redis, keysFor(prefix), instanceId);
  const handler = createHandler({
    enqueue: (payment) => queue.enqueue(payment),
    summary: () => Promise.resolve({ default: NOTHING, fallback: NOTHING }),
    purge: () => Promise.resolve(0),
    health: () => Promise.resolve({ ok: true, instanceId }),
    accepting: () => true,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  return { handler, close: () => redis.close() };
}
