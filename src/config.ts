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

/** Raised when an environment variable holds a value that cannot be used. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  try {
    // The processors speak plain HTTP/1.1 (docs/CONTRACT.md §2); the pool connects to an origin.
    parseOrigin(raw);
  } catch {
    throw new ConfigError(`${name} must be an http://host[:port] origin, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true/false/1/0, got "${raw}"`);
}

/**
 * Reads and validates the configuration from `env` (`Deno.env.toObject()` by default).
 *
 * @throws {ConfigError} naming the variable and the accepted range when a value is unusable.
 */
export function loadConfig(env: Env = Deno.env.toObject()): Config {
  const socketPath = env.SOCKET_PATH;
  const listen: Listen = socketPath ? { kind: "unix", path: socketPath } : {
    kind: "tcp",
    hostname: env.HOSTNAME_BIND || "0.0.0.0",
    port: int(env, "PORT", 8080, 0, 65535),
    reusePort: bool(env, "REUSE_PORT", false),
  };
  const redisUrl = env.REDIS_URL || "redis://127.0.0.1:6379";
  try {
    parseRedisUrl(redisUrl);
  } catch (error) {
    throw new ConfigError(`REDIS_URL: ${(error as Error).message}`);
  }
  const redisPrefix = env.REDIS_PREFIX ?? "rinha:";
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError(`REDIS_PREFIX must match [A-Za-z0-9:_-]{1,64}, got "${redisPrefix}"`);
  }
  const instanceId = env.INSTANCE_ID || `${Deno.hostname?.() ?? "api"}-${Deno.pid}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) {
    throw new ConfigError(`INSTANCE_ID must match [A-Za-z0-9._-]{1,64}, got "${instanceId}"`);
  }
  return {
    instanceId,
    listen,
    redisUrl,
    redisPrefix,
    defaultUrl: url(env, "PROCESSOR_DEFAULT_URL", "http://127.0.0.1:8001"),
    fallbackUrl: url(env, "PROCESSOR_FALLBACK_URL", "http://127.0.0.1:8002"),
    workers: int(env, "WORKERS", 128, 1, 4096),
    fetchBatch: int(env, "FETCH_BATCH", 32, 1, 1000),
    fetchPauseMs: int(env, "FETCH_PAUSE_MS", 50, 0, 1_000),
    channelCapacity: int(env, "CHANNEL_CAPACITY", 128, 1, 100_000),
    persistBatch: int(env, "PERSIST_BATCH", 64, 1, 10_000),
    healthIntervalMs: int(env, "HEALTH_INTERVAL_MS", 5_200, 5_000, 60_000),
    healthTimeoutMs: int(env, "HEALTH_TIMEOUT_MS", 1_000, 50, 10_000),
    paymentTimeoutMs: int(env, "PAYMENT_TIMEOUT_MS", 8_000, 100, 60_000),
    maxBodyBytes: int(env, "MAX_BODY_BYTES", 1_024, 64, 1_048_576),
    shutdownTimeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 8_000, 100, 60_000),
  };
}
