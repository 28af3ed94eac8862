/**
 * The crash recovery loop of every instance (docs/DESIGN.md "Background loops", which gives the
 * rule and why the grace; docs/GUARANTEES.md): every `intervalMs` it gives back to the queue
 * (store/recovery.ts) the processing lists of owners whose heartbeat is missing in two
 * observations at least `graceMs` apart, with every Redis call in between successful. Never its
 * own list: that is taken back once at start-up (lifecycle/startup.ts `comeAlive`).
 *
 * @module
 */
import { info, warn } from "../log.ts";
import type { Recovery } from "../store/recovery.ts";
import { runEvery } from "../util/periodic.ts";

/** Spacing of crash-recovery rounds, ms. */
export const RECOVERY_INTERVAL_MS = 1_000;
/** Least time between the first and the confirming sighting of a missing heartbeat, ms. */
export const RECOVERY_GRACE_MS = 2_000;

/** Options of {@link runRecoveryLoop}; times in ms, `now` in epoch ms (`Date.now` by default). */
interface RecoveryLoopOptions {
  recovery: Recovery;
  /** This instance: its own list is never touched by the loop. */
  instanceId: string;
  /** {@link RECOVERY_INTERVAL_MS} and {@link RECOVERY_GRACE_MS} by default. */
  intervalMs?: number;
  graceMs?: number;
  signal: AbortSignal;
  now?: () => number;
}

/** One instance's view of which owners look dead; {@link runRecoveryLoop} runs its rounds. */
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
        if (askedAt - firstSeen < (this.#options.graceMs ?? RECOVERY_GRACE_MS)) continue;
        const moved = await recovery.recover(owner, { onlyIfDead: true, nowMs: now() });
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
    intervalMs: options.intervalMs ?? RECOVERY_INTERVAL_MS,
    signal: options.signal,
    round: async () => {
      for (const [owner, moved] of await scanner.round()) {
        info(`recovered ${moved} payments of dead instance ${owner} back to the queue`);
      }
    },
    onError: (error) => warn("recovery", String(error)),
  });
}
