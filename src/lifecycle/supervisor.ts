/**
 * Keeps one instance's pipeline running across heartbeat lapses, and fences its payment calls
 * (docs/GUARANTEES.md, self-fencing; tests/e2e/lapse_test.ts).
 *
 * Rules:
 * - Restart on lapse: when the heartbeat loop finds the key had expired, peers may have recovered
 *   this instance's processing list. Every settlement is interrupted at once (the pipeline stops
 *   with a deadline of 0) and a new pipeline starts. A payment a peer took is no longer in our
 *   processing list, so its hand-back pushes nothing; the rest go back to the queue with what is
 *   known of their attempts. Once shutdown began, a lapse restarts nothing.
 * - Self-fencing: no payment call once the heartbeat went unrenewed for {@link FENCE_AFTER_MS}
 *   (peers presume us dead only after the key's time-to-live plus a grace), nor while the
 *   pipeline restarts after a lapse (peers may have recovered and may resend what it holds).
 *
 * @module
 */
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS } from "../background/heartbeat_loop.ts";

/**
 * No payment call after this long without a renewed heartbeat, ms: one refresh before the key
 * expires, hence well before a peer's recovery, which also waits a grace (recovery_loop.ts).
 */
const FENCE_AFTER_MS = HEARTBEAT_TTL_MS - HEARTBEAT_INTERVAL_MS;

/** What the supervisor needs of a pipeline (pipeline/pipeline.ts). */
interface Stoppable {
  /** Stops it; in-flight work is interrupted `deadlineMs` from now. */
  stop(deadlineMs: number): Promise<void>;
}

/** Options of {@link PipelineSupervisor}. */
interface SupervisorOptions<P extends Stoppable> {
  /**
   * Starts a pipeline whose payment calls ask `mayCall` first (settle.ts `mayCall`): once at
   * construction, and again after each lapse.
   */
  start: (mayCall: () => boolean) => P;
  /** When the heartbeat was last renewed, epoch ms (store/heartbeat.ts `lastBeatAt`). */
  lastBeatAt: () => number;
  /** The clock, epoch ms; `Date.now` by default (tests). */
  now?: () => number;
}

/** The pipeline of one instance, its restarts, and whether it may call a processor. */
export class PipelineSupervisor<P extends Stoppable> {
  readonly #options: SupervisorOptions<P>;
  #pipeline: P;
  #restart: Promise<void> | undefined;
  #stopping = false;

  /** Starts the first pipeline. */
  constructor(options: SupervisorOptions<P>) {
    this.#options = options;
    this.#pipeline = options.start(this.#mayCall);
  }

  /** The pipeline running now (or stopping, during a restart). */
  get pipeline(): P {
    return this.#pipeline;
  }

  /** False from {@link beginShutdown} on. */
  get accepting(): boolean {
    return !this.#stopping;
  }

  /** Whether a payment call may start now (the fence); lookups never ask. */
  readonly #mayCall = (): boolean => {
    const now = this.#options.now ?? Date.now;
    return !this.#restart && now() - this.#options.lastBeatAt() < FENCE_AFTER_MS;
  };

  /** The heartbeat had lapsed: interrupt everything and start afresh, unless already doing so. */
  onLapse(): void {
    if (this.#restart || this.#stopping) return;
    this.#restart = this.#pipeline.stop(0).then(() => {
      if (!this.#stopping) this.#pipeline = this.#options.start(this.#mayCall);
      this.#restart = undefined;
    });
  }

  /** Shutdown began: intake closes ({@link accepting}) and no lapse restarts the pipeline. */
  beginShutdown(): void {
    this.#stopping = true;
  }

  /** Waits for a restart in progress, then stops the pipeline with `deadlineMs` for its workers. */
  async stopPipeline(deadlineMs: number): Promise<void> {
    this.beginShutdown();
    await this.#restart;
    await this.#pipeline.stop(deadlineMs);
  }
}
