/**
 * How the stack knows a service is up: a probe polled until it says so, a deadline, the
 * processes whose death ends the wait early, and the probes themselves (one fresh connection each,
 * probe.ts).
 *
 * @module
 */

import { LOCALHOST } from "./locations.ts";
import { httpGet, type ProbeTarget } from "./probe.ts";
import type { ManagedProcess } from "./processes.ts";
import { StackError } from "./stack_error.ts";

/** Timeout of one probe, ms. */
const PROBE_TIMEOUT_MS = 1_000;
/** Pause between two probes, ms. */
const POLL_MS = 100;

/** What ends a wait besides success. */
export interface WaitLimits {
  /** Epoch ms after which the wait fails. */
  readonly deadline: number;
  /** Processes whose exit fails the wait at once (with their output). */
  readonly watched: readonly ManagedProcess[];
  /** Aborts the wait with its reason. */
  readonly signal?: AbortSignal;
}

/**
 * Polls `check` every 100 ms until it returns true; a `check` that throws counts as "not yet".
 *
 * @param what names the awaited service in error messages.
 * @throws {StackError} when the deadline passes or a watched process exits; `signal.reason` when
 *   the signal aborts.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  limits: WaitLimits,
): Promise<void> {
  while (true) {
    limits.signal?.throwIfAborted();
    const dead = limits.watched.find((p) => p.exited);
    if (dead) {
      throw new StackError(`${dead.name} exited while waiting for ${what}:\n${dead.tail()}`);
    }
    try {
      if (await check()) return;
    } catch {
      // Not up yet: refused, reset or timed out.
    }
    if (Date.now() > limits.deadline) throw new StackError(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Asks an instance (or the load balancer in front of some) `GET /healthcheck`.
 *
 * @returns the answering instance's `instanceId`; `""` when the 200's body does not name one;
 *   `undefined` when the answer is not 200.
 * @throws the connection error when nothing answers within 1 s.
 */
export async function instanceId(target: ProbeTarget): Promise<string | undefined> {
  const response = await httpGet(target, "/healthcheck", AbortSignal.timeout(PROBE_TIMEOUT_MS));
  if (response.status !== 200) return undefined;
  try {
    const body = JSON.parse(response.body);
    return typeof body?.instanceId === "string" ? body.instanceId : "";
  } catch {
    return "";
  }
}

/**
 * True when the simulator on `port` answers its admin summary with 200 (so it listens and takes
 * `token`).
 *
 * @throws the connection error when nothing answers within 1 s.
 */
export async function simulatorAnswers(port: number, token: string): Promise<boolean> {
  const target = { transport: "tcp", hostname: LOCALHOST, port } as const;
  const headers = { "X-Rinha-Token": token };
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  return (await httpGet(target, "/admin/payments-summary", signal, headers)).status === 200;
}
