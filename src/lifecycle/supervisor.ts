/**
 * Keeps one instance's pipeline running across heartbeat lapses, and fences its payment calls
 * (docs/GUARANTEES.md, invariant 5; docs/DESIGN.md "Background loops"; tests/e2e/lapse_test.ts): on
 * a lapse every settlement is interrupted at once (a stop with a deadline of 0) and a new pipeline
 * starts, unless shutdown began; no payment call starts once the heartbeat went unrenewed for
 * {@link FENCE_AFTER_MS}, nor while the pipeline restarts.
 *
 * @module
 */
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS } from "../background/heartbeat_loop.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";

/** No payment call after this long without a renewed heartbeat, ms: before the key expires. */
const FENCE_AFTER_MS = HEARTBEAT_TTL_MS - HEARTBEAT_INTERVAL_MS;

/** Options of {@link PipelineSupervisor}; times in epoch ms, `now` is `Date.now` by default. */
interface SupervisorOptions<P extends Pick<Pipeline, "stop">> {
  /** Starts a pipeline whose payment calls ask `mayCall` first (settle.ts). */
  start: (mayCall: () => boolean) => P;
  /** When the heartbeat was last renewed (store/heartbeat.ts `lastBeatAt`). */
  lastBeatAt: () => number;
  now?: () => number;
}

/** The pipeline of one instance, its restarts, and whether it may call a processor. */
export class PipelineSupervisor<P extends Pick<Pipeline, "stop">> {
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
