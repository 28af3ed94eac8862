/**
 * The stack does not start Redis: it checks, before starting anything, that one answers where the
 * instances will look for it.
 *
 * @module
 */

import { parseRedisUrl, type RedisEndpoint } from "../../src/store/redis/url.ts";
import { optionError } from "./options.ts";
import { StackError } from "./stack_error.ts";

/** How long the connection attempt may take, ms. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Fails fast, with a clear message, when the Redis URL is malformed or nothing listens there.
 *
 * @returns where the URL points (a unix socket path needs a file permission for the instances).
 * @throws {RangeError} (options.ts wording) on a malformed URL or a socket path with a comma
 *   (Deno's permission lists are comma-separated).
 * @throws {StackError} when nothing answers within 2 s.
 */
export async function checkRedis(redisUrl: string): Promise<RedisEndpoint["connect"]> {
  let endpoint;
  try {
    endpoint = parseRedisUrl(redisUrl).connect;
  } catch (error) {
    throw optionError("redisUrl", redisUrl, (error as Error).message);
  }
  if (endpoint.transport === "unix" && endpoint.path.includes(",")) {
    throw optionError("redisUrl", redisUrl, "a comma in the socket path cannot be granted to Deno");
  }
  try {
    const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
    const conn = await Deno.connect({ ...endpoint, signal } as Deno.ConnectOptions);
    conn.close();
    return endpoint;
  } catch (error) {
    throw optionError(
      "redisUrl",
      redisUrl,
      `Redis does not answer (${(error as Error).message}); start it first, e.g. ` +
        `redis-server --daemonize yes --save "" --appendonly no`,
      StackError,
    );
  }
}
