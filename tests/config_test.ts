/**
 * src/config.ts: every unusable variable is reported at once, integers are decimal digits only,
 * and an empty variable means its default (README "Configuration"). Processor URLs:
 * tests/processors/client_test.ts.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig, StartError } from "../src/config.ts";

/** The ConfigError message of `env`. */
function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`no ConfigError for ${JSON.stringify(env)}`);
}

Deno.test("config: every unusable variable is named at once, in the table's order", () => {
  assert.equal(
    problems({ WORKERS: "abc", FETCH_BATCH: "-1", PORT: "x" }),
    'PORT must be a decimal integer in [0, 65535], got "x"; ' +
      'WORKERS must be a decimal integer in [1, 4096], got "abc"; ' +
      'FETCH_BATCH must be a decimal integer in [1, 1000], got "-1"',
  );
  const message = problems({
    REUSE_PORT: "yes",
    REDIS_URL: "http://x",
    REDIS_PREFIX: "a b",
    INSTANCE_ID: "a/b",
    PROCESSOR_DEFAULT_URL: "https://x",
    HEALTH_INTERVAL_MS: "4999",
  });
  for (
    const name of [
      "REUSE_PORT",
      "REDIS_URL",
      "REDIS_PREFIX",
      "INSTANCE_ID",
      "PROCESSOR_DEFAULT_URL",
      "HEALTH_INTERVAL_MS",
    ]
  ) {
    assert.match(message, new RegExp(`(^|; )${name}`), message);
  }
  assert.equal(message.split("; ").length, 6, message);
});

Deno.test("config: an integer is decimal digits only", () => {
  for (const bad of ["0x4AAF", " 19111", "19111 ", "1e3", "19111.0", "+80", "0b1"]) {
    assert.match(problems({ PORT: bad }), /^PORT must be a decimal integer in \[0, 65535\]/, bad);
  }
  const listen = loadConfig({ PORT: "019111", HOSTNAME_BIND: "127.0.0.1" }).listen;
  assert.deepEqual(listen, { kind: "tcp", hostname: "127.0.0.1", port: 19111, reusePort: false });
});

const VARIABLES = [
  "PORT",
  "HOSTNAME_BIND",
  "REUSE_PORT",
  "SOCKET_PATH",
  "REDIS_URL",
  "REDIS_PREFIX",
  "INSTANCE_ID",
  "PROCESSOR_DEFAULT_URL",
  "PROCESSOR_FALLBACK_URL",
  "WORKERS",
  "FETCH_BATCH",
  "FETCH_PAUSE_MS",
  "CHANNEL_CAPACITY",
  "PERSIST_BATCH",
  "HEALTH_INTERVAL_MS",
  "HEALTH_TIMEOUT_MS",
  "PAYMENT_TIMEOUT_MS",
  "MAX_BODY_BYTES",
  "SHUTDOWN_TIMEOUT_MS",
];

Deno.test("config: an empty variable means its default, REDIS_PREFIX included", () => {
  const empty = Object.fromEntries(VARIABLES.map((name) => [name, ""]));
  assert.deepEqual(loadConfig(empty), loadConfig({}));
  assert.equal(loadConfig({ REDIS_PREFIX: "" }).redisPrefix, "rinha:");
});

Deno.test("StartError: one line naming the part, the cause without the OS error number", () => {
  const busy = new Deno.errors.AddrInUse("Address already in use (os error 98)");
  assert.equal(
    new StartError("cannot listen on 0.0.0.0:80", busy, "PORT/HOSTNAME_BIND").message,
    "cannot listen on 0.0.0.0:80: address already in use (PORT/HOSTNAME_BIND)",
  );
  assert.equal(
    new StartError("cannot reach Redis at redis://h", new Error("WRONGPASS bad"), "REDIS_URL")
      .message,
    "cannot reach Redis at redis://h: WRONGPASS bad (REDIS_URL)",
  );
});
