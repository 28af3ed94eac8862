/**
 * Configuration of one API instance, read from environment variables and validated at start
 * (docs/DESIGN.md "Conventions"). Every variable has a default, so `deno task start` works with
 * Redis at 127.0.0.1:6379 and the simulators at :8001/:8002 (`deno task stack`); the README's
 * configuration table lists them with their meaning and range.
 *
 * @module
 */
import { parseRedisUrl } from "./store/redis/url.ts";
import { parseOrigin } from "./util/origin.ts";

/** Where the HTTP server listens: a TCP port or a unix domain socket path. */
export type Listen =
  | { kind: "tcp"; hostname: string; port: number; reusePort: boolean }
  | { kind: "unix"; path: string };

/**
 * The validated configuration of one instance: a field per variable of the README's table
 * (`INSTANCE_ID` → `instanceId`, …; the four listener variables → `listen`). Times in ms, sizes in
 * bytes.
 */
export interface Config {
  instanceId: string;
  listen: Listen;
  redisUrl: string;
  redisPrefix: string;
  /** Origins `http://host[:port]` of the processors (docs/CONTRACT.md §2), no trailing slash. */
  defaultUrl: string;
  fallbackUrl: string;
  workers: number;
  fetchBatch: number;
  fetchPauseMs: number;
  channelCapacity: number;
  persistBatch: number;
  /** Spacing of service-health calls per processor, cluster-wide; ≥ 5000 (docs/CONTRACT.md §2). */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  paymentTimeoutMs: number;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
}

/** Raised when environment variables hold values that cannot be used: all of them, `; `-joined. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A part could not start (main.ts exits 1); one line: `<part>: <cause> (<variables to change>)`. */
export class StartError extends Error {
  constructor(part: string, cause: unknown, variables: string) {
    const text = String((cause as Error)?.message ?? cause).replace(/ \(os error \d+\)$/, "");
    super(`${part}: ${text.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())} (${variables})`);
  }
}

type Source = { env: Record<string, string | undefined>; problems: string[] };

function int(src: Source, name: string, fallback: number, min: number, max: number): number {
  const text = src.env[name];
  if (!text) return fallback;
  if (/^[0-9]+$/.test(text) && +text >= min && +text <= max) return +text;
  src.problems.push(`${name} must be a decimal integer in [${min}, ${max}], got "${text}"`);
  return fallback;
}

function url(src: Source, name: string, fallback: string): string {
  const text = src.env[name] || fallback;
  try {
    // The processors speak plain HTTP/1.1 (docs/CONTRACT.md §2); the pool connects to an origin.
    parseOrigin(text);
  } catch {
    src.problems.push(`${name} must be an http://host[:port] origin, got "${text}"`);
  }
  return text.replace(/\/+$/, "");
}

function bool(src: Source, name: string, fallback: boolean): boolean {
  const text = src.env[name];
  if (!text) return fallback;
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  src.problems.push(`${name} must be true/false/1/0, got "${text}"`);
  return fallback;
}

/**
 * Reads and validates the configuration from `env` (`Deno.env.toObject()` by default); an empty
 * variable takes its default, as an unset one.
 *
 * @throws {ConfigError} naming every unusable variable and its accepted range or form.
 */
export function loadConfig(env: Source["env"] = Deno.env.toObject()): Config {
  const src: Source = { env, problems: [] };
  const socketPath = env.SOCKET_PATH;
  const listen: Listen = socketPath ? { kind: "unix", path: socketPath } : {
    kind: "tcp",
    hostname: env.HOSTNAME_BIND || "0.0.0.0",
    port: int(src, "PORT", 8080, 0, 65535),
    reusePort: bool(src, "REUSE_PORT", false),
  };
  const redisUrl = env.REDIS_URL || "redis://127.0.0.1:6379";
  try {
    parseRedisUrl(redisUrl);
  } catch (error) {
    src.problems.push(`REDIS_URL: ${(error as Error).message}`);
  }
  const redisPrefix = env.REDIS_PREFIX || "rinha:";
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(redisPrefix)) {
    src.problems.push(`REDIS_PREFIX must match [A-Za-z0-9:_-]{1,64}, got "${redisPrefix}"`);
  }
  const instanceId = env.INSTANCE_ID || `${Deno.hostname?.() ?? "api"}-${Deno.pid}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    src.problems.push(`INSTANCE_ID must match [A-Za-z0-9._-]{1,64}, got "${instanceId}"`);
  }
  const config: Config = {
    instanceId,
    listen,
    redisUrl,
    redisPrefix,
    defaultUrl: url(src, "PROCESSOR_DEFAULT_URL", "http://127.0.0.1:8001"),
    fallbackUrl: url(src, "PROCESSOR_FALLBACK_URL", "http://127.0.0.1:8002"),
    workers: int(src, "WORKERS", 128, 1, 4096),
    fetchBatch: int(src, "FETCH_BATCH", 32, 1, 1000),
    fetchPauseMs: int(src, "FETCH_PAUSE_MS", 50, 0, 1_000),
    channelCapacity: int(src, "CHANNEL_CAPACITY", 128, 1, 100_000),
    persistBatch: int(src, "PERSIST_BATCH", 64, 1, 10_000),
    healthIntervalMs: int(src, "HEALTH_INTERVAL_MS", 5_200, 5_000, 60_000),
    healthTimeoutMs: int(src, "HEALTH_TIMEOUT_MS", 1_000, 50, 10_000),
    paymentTimeoutMs: int(src, "PAYMENT_TIMEOUT_MS", 8_000, 100, 60_000),
    maxBodyBytes: int(src, "MAX_BODY_BYTES", 1_024, 64, 1_048_576),
    shutdownTimeoutMs: int(src, "SHUTDOWN_TIMEOUT_MS", 8_000, 100, 60_000),
  };
  if (src.problems.length) throw new ConfigError(src.problems.join("; "));
  return config;
}
