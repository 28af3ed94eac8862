/**
 * The route stage's state machine for one payment: ask the gate, call a processor, classify, and
 * repeat until the payment is confirmed — or until shutdown, when it is handed back with what is
 * known of its attempts. The rules, one row per outcome: the table of docs/DESIGN.md "Route
 * stage" (docs/CONTRACT.md §6.1–6.2).
 *
 * @module
 */
import type { AttemptState, QueuedPayment, Settlement } from "../domain/payment.ts";
import { PROCESSOR_NAMES, type ProcessorName } from "../domain/processor.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";
import { sleep } from "../util/sleep.ts";

/** Options of {@link Settler}; times in ms. */
export interface SettlerOptions {
  clients: Record<ProcessorName, Pick<ProcessorClient, "pay" | "lookup">>;
  gate: HealthGate;
  /** How long after its recovery a payment found at neither processor waits before any send. */
  ambiguityHorizonMs: number;
  /** Timeout of every call; long on purpose (docs/DESIGN.md "Route stage"). */
  callTimeoutMs: number;
  maxBackoffMs: number;
  /**
   * The self-fence (docs/DESIGN.md "Route stage"): false while peers may presume this instance
   * dead, and then no payment call starts; lookups go on. Always true when absent.
   */
  mayCall?: () => boolean;
}

/** Pause while calls are not allowed, ms. */
const FENCED_PAUSE_MS = 100;

/** Longest back-off between retries in production, ms: no hot loop (docs/CONTRACT.md §6.4). */
export const MAX_BACKOFF_MS = 1_000;
/** Production `ambiguityHorizonMs` = call timeout + this, ms (docs/GUARANTEES.md, known limits). */
export const AMBIGUITY_SLACK_MS = 2_000;

/** How {@link Settler.settle} ended. */
export type SettleResult =
  | { kind: "settled"; settlement: Settlement }
  | { kind: "interrupted"; attempt: AttemptState };

/** Settles payments one at a time per caller; safe to share between workers. */
export class Settler {
  readonly #options: SettlerOptions;

  constructor(options: SettlerOptions) {
    this.#options = options;
  }

  /**
   * Settles `payment`. Resolves `interrupted` only when `signal` aborts, with the attempt state
   * to record when handing the payment back. Never rejects.
   */
  async settle(payment: QueuedPayment, signal: AbortSignal): Promise<SettleResult> {
    let attempt = payment.attempt;
    let failures = 0;
    const settled = (processor: ProcessorName, requestedAt: number): SettleResult => ({
      kind: "settled",
      settlement: { payment, processor, requestedAt },
    });
    while (!signal.aborted) {
      if (attempt.kind === "unknown") {
        const found = await this.#findAnywhere(payment, signal);
        if (found === "unknown") {
          await this.#backoff(++failures, signal);
          continue;
        }
        if (found) return settled(found.processor, found.requestedAt);
        if (Date.now() - attempt.since <= this.#options.ambiguityHorizonMs) {
          await this.#backoff(++failures, signal);
          continue;
        }
        attempt = { kind: "none" };
      }
      if (attempt.kind === "sent") {
        const stored = await this.#resolve(payment, attempt, signal);
        if (stored !== undefined) return settled(attempt.processor, stored);
        await this.#backoff(++failures, signal);
        continue;
      }
      if (!this.#mayCall()) {
        await sleep(FENCED_PAUSE_MS, signal);
        continue;
      }
      const decision = this.#options.gate.decide();
      if (decision.kind === "hold") {
        await sleep(decision.ms, signal);
        continue;
      }
      const { processor } = decision;
      const requestedAt = Date.now();
      const outcome = await this.#pay(processor, payment, requestedAt, signal);
      switch (outcome.kind) {
        case "confirmed":
          return settled(processor, requestedAt);
        case "duplicate": // stored there by an attempt we do not know of: look it up
        case "ambiguous":
          attempt = { kind: "sent", processor, requestedAt };
          break;
        case "rejected":
          await this.#backoff(++failures, signal, outcome.retryAfterMs);
          break;
      }
    }
    return { kind: "interrupted", attempt };
  }

  /**
   * One round of resolving an attempt of unknown outcome on its own processor: a lookup (it also
   * covers a 422 for an attempt we do not know of), then, if not found, a same-body retry.
   *
   * @returns the requestedAt stored there, or undefined to try again later.
   */
  async #resolve(
    payment: QueuedPayment,
    attempt: { processor: ProcessorName; requestedAt: number },
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const lookup = await this.#lookup(attempt.processor, payment, signal);
    if (lookup.kind === "found") return lookup.requestedAt;
    if (!this.#mayCall()) return undefined;
    const outcome = await this.#pay(attempt.processor, payment, attempt.requestedAt, signal);
    return outcome.kind === "confirmed" ? attempt.requestedAt : undefined;
  }

  /** One payment call, told to the gate at its start and its end. */
  async #pay(processor: ProcessorName, payment: QueuedPayment, at: number, signal: AbortSignal) {
    const ticket = this.#options.gate.begin(processor);
    const client = this.#options.clients[processor];
    const outcome = await client.pay(payment, at, this.#options.callTimeoutMs, signal);
    this.#options.gate.end(ticket, outcome);
    return outcome;
  }

  #lookup(processor: ProcessorName, payment: QueuedPayment, signal: AbortSignal) {
    const client = this.#options.clients[processor];
    return client.lookup(payment.correlationId, this.#options.callTimeoutMs, signal);
  }

  #mayCall(): boolean {
    return this.#options.mayCall?.() ?? true;
  }

  /** Looks a recovered payment up on both processors: where it is stored, nowhere, or unknown. */
  async #findAnywhere(payment: QueuedPayment, signal: AbortSignal) {
    const lookups = await Promise.all(
      PROCESSOR_NAMES.map((name) => this.#lookup(name, payment, signal)),
    );
    const at = lookups.findIndex((lookup) => lookup.kind === "found");
    if (at >= 0) {
      const found = lookups[at] as { requestedAt: number };
      return { processor: PROCESSOR_NAMES[at], requestedAt: found.requestedAt };
    }
    return lookups.some((lookup) => lookup.kind === "unknown") ? "unknown" : undefined;
  }

  /** Exponential back-off with full jitter, at least `floorMs`; ends early on abort. */
  async #backoff(failures: number, signal: AbortSignal, floorMs = 0): Promise<void> {
    const cap = Math.min(this.#options.maxBackoffMs, 25 * 2 ** Math.min(failures, 10));
    const ms = Math.max(floorMs, Math.random() * cap);
    await sleep(Math.min(ms, this.#options.maxBackoffMs * 4), signal);
  }
}
