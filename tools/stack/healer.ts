/**
 * The running stack heals like compose's `restart: unless-stopped` (docker-compose.yml): an API
 * instance that exits on its own (crash, `kill -9`, OOM) is started again in its place, with the
 * same id, so it takes its own processing list back at start (src/lifecycle/startup.ts); one that
 * keeps exiting is restarted after a growing pause. nginx and the simulators are not restarted
 * (a simulator would come back without the payments it holds; nginx's orphaned workers would
 * still hold the port): their exit, or any exit with `failFast`, settles {@linkcode Healer.failed}.
 *
 * @module
 */

import type { StackChildren } from "./children.ts";
import type { ManagedProcess } from "./processes.ts";
import type { WaitLimits } from "./readiness.ts";

/** Pause before the restart of an instance that had run long enough, ms (docker's first pause). */
const FIRST_PAUSE_MS = 100;
/** Longest pause between two restarts, ms. */
const MAX_PAUSE_MS = 30_000;
/** A run shorter than this counts as "keeps exiting": the next pause doubles, ms. */
const SHORT_RUN_MS = 10_000;
/** How long a restarted instance may take to serve before the stack says so, ms. */
const READY_WITHIN_MS = 60_000;
/** Lines of {@linkcode Healer.notes} kept. */
const NOTES_KEPT = 50;

/**
 * The pause before a restart, ms: 100 ms, doubled for each short run (< 10 s) in a row that came
 * right before the run that just ended, at most 30 s (as docker's restart back-off).
 *
 * @param shortRuns short runs in a row before the one that ended (0 when that one ran long).
 */
function restartPauseMs(shortRuns: number): number {
  return Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(shortRuns, 20));
}

/** What the healer works with: the stack's children and how to bring an instance back. */
interface HealerSetup {
  children: StackChildren;
  /** Starts the replacement of `dead` (same name, same place, same limits). */
  respawn(dead: ManagedProcess): ManagedProcess;
  /** Resolves once `fresh` serves where the load balancer reaches it. */
  ready(fresh: ManagedProcess, limits: WaitLimits): Promise<void>;
  /** Restart nothing: the first exit settles `failed`. */
  failFast: boolean;
  /** Told each note as it happens (besides {@linkcode Healer.notes}). */
  onNote?: (line: string) => void;
}

/** Watches a started stack's children and restarts its instances. */
export class Healer {
  /**
   * Resolves with why the stack no longer runs whole (e.g. `nginx exited with code 1`): a child
   * that is not restarted exited on its own. Never rejects; never settles after {@linkcode stop}.
   */
  readonly failed: Promise<string>;
  readonly #setup: HealerSetup;
  readonly #fail: (reason: string) => void;
  readonly #stop = new AbortController();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #notes: string[] = [];

  /** Starts watching every child `setup.children` holds now. */
  constructor(setup: HealerSetup) {
    this.#setup = setup;
    const { promise, resolve } = Promise.withResolvers<string>();
    this.failed = promise;
    this.#fail = resolve;
    for (const child of setup.children.all) this.#watch(child, 0);
  }

  /** What happened since the start: exits, restarts, instances back (the last 50 lines). */
  notes(): string {
    return this.#notes.join("\n");
  }

  /** Restarts nothing more: cancels pending restarts and readiness waits. Idempotent. */
  stop(): void {
    this.#stop.abort(new Error("the stack is stopping"));
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Reacts to `child`'s exit; `shortRuns`: short runs in a row right before `child`'s. */
  #watch(child: ManagedProcess, shortRuns: number): void {
    const startedAt = Date.now();
    child.status.then((status) => {
      if (this.#stop.signal.aborted || child.stopping) return;
      const ranMs = Date.now() - startedAt;
      const exit = `${child.name} exited with code ${status.code}` +
        `${status.signal ? ` (${status.signal})` : ""} after ${seconds(ranMs)}`;
      const role = this.#setup.children.roleOf(child);
      if (this.#setup.failFast || role !== "api") {
        this.#note(exit, false);
        this.#fail(this.#setup.failFast ? exit : `${exit}; only the instances are restarted`);
        return;
      }
      const short = ranMs < SHORT_RUN_MS;
      const pauseMs = restartPauseMs(short ? shortRuns : 0);
      const runs = short ? shortRuns + 1 : 0;
      const streak = runs > 1 ? ` (${runs} short runs in a row)` : "";
      this.#note(`${exit}${streak}; restarting it in ${seconds(pauseMs)}`);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#restart(child, runs);
      }, pauseMs);
      this.#timers.add(timer);
    });
  }

  /** Starts `dead`'s replacement in its place and says when it serves. */
  #restart(dead: ManagedProcess, shortRuns: number): void {
    if (this.#stop.signal.aborted) return;
    let fresh: ManagedProcess;
    try {
      fresh = this.#setup.respawn(dead);
    } catch (error) {
      const reason = `${dead.name} could not be restarted: ${(error as Error).message}`;
      this.#note(reason, false);
      this.#fail(reason);
      return;
    }
    this.#setup.children.replace(dead, fresh);
    this.#watch(fresh, shortRuns);
    const limits = {
      deadline: Date.now() + READY_WITHIN_MS,
      watched: [fresh],
      signal: this.#stop.signal,
    };
    this.#setup.ready(fresh, limits).then(
      () => this.#note(`${fresh.name} is back (pid ${fresh.pid})`),
      (error) => {
        // An exit is told by #watch; a stop needs no note.
        if (fresh.exited || this.#stop.signal.aborted) return;
        this.#note(`${fresh.name} restarted but does not serve: ${(error as Error).message}`);
      },
    );
  }

  /** Keeps `line`; tells it too unless `failed` will carry it (`tell` false). */
  #note(line: string, tell = true): void {
    this.#notes.push(line);
    if (this.#notes.length > NOTES_KEPT) this.#notes.shift();
    if (tell) this.#setup.onNote?.(line);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
