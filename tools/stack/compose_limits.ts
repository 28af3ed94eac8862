/**
 * The CPU and memory limits of docker-compose.yml (`deploy.resources.limits`), read so the local
 * stack can run its services under them (`deno task stack --limits`) and the deploy test can check
 * their sum (docs/CONTRACT.md §5: ≤ 1.5 CPU and ≤ 350 MB in total).
 *
 * @module
 */
import { parse } from "yaml";

/** One service's limits: CPU in thousandths (exact sums), memory in bytes. */
export interface ServiceLimits {
  milliCpus: number;
  memoryBytes: number;
}

/**
 * Parses a compose memory size as Docker does (binary units): `100M`, `100MB`, `100mb`, `0.1G`,
 * `512k`, `1048576b` or a plain number of bytes.
 *
 * @throws {RangeError} when the value is not a size.
 */
export function parseMemory(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  if (typeof value !== "string") throw new RangeError(`not a memory size: ${String(value)}`);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$/i.exec(value);
  if (!match) throw new RangeError(`not a memory size: "${value}"`);
  const power = { "": 0, b: 0, k: 1, m: 2, g: 3 }[match[2].toLowerCase()]!;
  const bytes = Number(match[1]) * 1024 ** power;
  if (!(bytes > 0)) throw new RangeError(`memory size must be positive: "${value}"`);
  return Math.round(bytes);
}

/**
 * Parses a compose CPU limit (`"0.55"` or `0.55`) into thousandths of a CPU, so sums are exact.
 *
 * @throws {RangeError} when the value is not a positive number.
 */
export function parseMilliCpus(value: unknown): number {
  const cpus = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  if (!Number.isFinite(cpus) || cpus <= 0) throw new RangeError(`not a cpu limit: ${value}`);
  return Math.round(cpus * 1000);
}

/**
 * The limits of every service of a compose file that sets both.
 *
 * @param composeYaml the text of docker-compose.yml.
 * @throws {RangeError} on a limit that is not a CPU count or a memory size.
 */
export function readComposeLimits(composeYaml: string): Map<string, ServiceLimits> {
  const services = (parse(composeYaml)?.services ?? {}) as Record<string, {
    deploy?: { resources?: { limits?: { cpus?: unknown; memory?: unknown } } };
  }>;
  const limits = new Map<string, ServiceLimits>();
  for (const [name, service] of Object.entries(services)) {
    const set = service?.deploy?.resources?.limits;
    if (set?.cpus === undefined || set?.memory === undefined) continue;
    limits.set(name, {
      milliCpus: parseMilliCpus(set.cpus),
      memoryBytes: parseMemory(set.memory),
    });
  }
  return limits;
}
