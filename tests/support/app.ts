/**
 * Test support: one API instance started in-process on a free loopback port, with its own Redis
 * key prefix, configured like production through `loadConfig`.
 *
 * @module
 */
import { type App, startApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { TEST_REDIS_URL } from "./redis.ts";

/** A started test instance. */
export interface TestApp {
  app: App;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/**
 * Starts an instance on 127.0.0.1:0 against the test Redis.
 *
 * @param env variables on top of the defaults (`REDIS_PREFIX`, `INSTANCE_ID` and the processor
 *   URLs are the caller's to give).
 */
export async function startTestApp(env: Record<string, string>): Promise<TestApp> {
  const app = await startApp(loadConfig({
    PORT: "0",
    HOSTNAME_BIND: "127.0.0.1",
    REDIS_URL: TEST_REDIS_URL,
    SHUTDOWN_TIMEOUT_MS: "2000",
    ...env,
  }));
  return { app, base: `http://127.0.0.1:${(app.addr as Deno.NetAddr).port}` };
}
