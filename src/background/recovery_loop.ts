/**
 * Crash recovery, run by every instance (docs/GUARANTEES.md; docs/DESIGN.md fetch stage: "a crash
 * leaves them recoverable"). Every `intervalMs` it lists the processing lists in Redis and gives
 * back to the queue (store/recovery.ts) those whose owner is dead.
 *
 * Rules:
 * - An owner is dead when its heartbeat key (store/heartbeat.ts, time-to-live 3 s, refreshed
 *   every 1 s) is absent in two observations at least `graceMs` apart with every Redis call in
 *   between successful, and still absent when the move runs (checked inside the atomic script).
 *   The grace matters after a Redis outage: every heartbeat expires while Redis is away, and
 *   without it the first instance back would take the lists of live instances still working on
 *   them. A live owner refreshes within `graceMs` of Redis coming back.
 * - This instance never recovers its own list in the loop; it does so once at start-up
 *   (lifecycle/startup.ts), before its pipeline takes anything.
 * - Recovered entries are marked `?:<now>`: their next taker looks them up on both processors and
 *   waits the ambiguity horizon before sending them (settle.ts; docs/CONTRACT.md §6.2).
 *
 * @module
 */
import { info, warn } from "../log.ts";
import type { Recovery } from "../store/recovery.ts";
import { runEvery } from "../util/periodic.ts";

/** Spacing of crash-recovery rounds, ms: a crash is acted on within about a second of its proof. */
export const RECOVERY_INTERVAL_MS = 1_000;
/**
 * A missing heartbeat must be seen again this much later before its list is taken, ms: a live
 * owner refreshes within it once Redis is back (its heartbeat loop runs every second).
 */
export const RECOVERY_GRACE_MS = 2_000;

/** Options of {@link runRecoveryLoop}; times in ms. */
interface RecoveryLoopOptions {
  /** The processing lists of every instance (store/recovery.ts). */
  recovery: Recovery;
  /** This instance: its own list is never touched by the loop. */
  instanceId: string;
  /** Spacing of rounds. */
  intervalMs: number;
  /** Least time between the first and the confirming observation of a missing heartbeat. */
  graceMs: number;
  signal: AbortSignal;
  /** The clock, epoch ms; `Date.now` by default (tests). */
  now?: () => number;
}

/**
 * One instance's view of which owners look dead. {@link runRecoveryLoop} runs one round per
 * interval; tests call {@link RecoveryScanner.round} directly.
 */
export class RecoveryScanner {
  readonly #options: RecoveryLoopOptions;
  /** Owner → when its heartbeat was first seen missing (epoch ms, when the reply came). */
  readonly #suspects = new Map<string, number>();

  constructor(options: RecoveryLoopOptions) {
    this.#options = options;
  }

  /**
   * Lists the processing lists and recovers those of owners confirmed dead.
   *
   * @returns the owners whose entries were moved, with how many.
   * @throws the Redis error; every suspicion is then forgotten (the observations must be
   *   consecutive successful ones).
   */
  async round(): Promise<Map<string, number>> {
    const { recovery, instanceId } = this.#options;
    const now = this.#options.now ?? Date.now;
    const recovered = new Map<string, number>();
    try {
      const owners = (await recovery.owners()).filter((id) => id !== instanceId);
      for (const suspect of this.#suspects.keys()) {
        if (!owners.includes(suspect)) this.#suspects.delete(suspect);
      }
      for (const owner of owners) {
        const askedAt = now();
        if (await recovery.isAlive(owner)) {
          this.#suspects.delete(owner);
          continue;
        }
        const firstSeen = this.#suspects.get(owner);
        if (firstSeen === undefined) {
          this.#suspects.set(owner, now());
          continue;
        }
        // Conservative both ways: the first sighting dates from its reply, this one from its ask.
        if (askedAt - firstSeen < this.#options.graceMs) continue;
        const moved = await recovery.recover(owner, {
          onlyIfDead: true,
          nowMs: now(),
        });
        this.#suspects.delete(owner);
        if (moved !== "alive" && moved > 0) recovered.set(owner, moved);
      }
    } catch (error) {
      this.#suspects.clear();
      throw error;
    }
    return recovered;
  }
}

/**
 * Runs recovery rounds every `intervalMs` until `signal` aborts. Never rejects: a failed round
 * is logged and the next one starts afresh.
 */
export function runRecoveryLoop(options: RecoveryLoopOptions): Promise<void> {
  const scanner = new RecoveryScanner(options);
  return runEvery({
    intervalMs: options.intervalMs,
    signal: options.signal,
    round: async () => {
      for (const [owner, moved] of await scanner.round()) {
        info(`recovered ${moved} payments of dead instance ${owner} back to the queue`);
      }
    },
    onError: (error) => warn("recovery", String(error)),
  });
}
