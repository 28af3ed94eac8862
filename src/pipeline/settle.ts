/**
 * The route stage's state machine for one payment: ask the gate, call a processor, classify, and
 * repeat until the payment is confirmed — or until shutdown, when it is handed back with what is
 * known of its attempts. Rules (docs/CONTRACT.md §6.1–6.2; docs/DESIGN.md route stage):
 *
 * - 200 → settled with the requestedAt sent.
 * - 422 after our own ambiguous attempt with the same body → settled with that requestedAt.
 * - 422 otherwise → `GET /payments/{id}` on that processor; settled with the stored requestedAt.
 * - 500 / 429 / unreachable → back off, then anywhere with a fresh requestedAt.
 * - timeout / reset after sending → ambiguous: the payment stays bound to that processor — a
 *   lookup, then a same-body retry, again and again — until the processor has it. It never goes
 *   elsewhere: the earlier send may still be waiting in that processor (its delay, its limiter's
 *   queue, a stall), and a "not found" now says nothing about later.
 * - recovered from a dead instance (attempt unknown) → look it up on both processors; it may go
 *   anywhere only when neither has it and `ambiguityHorizonMs` passed since its recovery.
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
  /**
   * How long after its recovery a payment of a dead instance, found at neither processor, waits
   * before it may be sent: the dead instance's last send may still be in a processor's delay.
   */
  ambiguityHorizonMs: number;
  /**
   * Timeout of every call to a processor. Long on purpose: an abort does not stop the processor
   * (its delay is not cancelled, docs/CONTRACT.md §2), it only makes the outcome ambiguous and the
   * booking late — the late booking is what a consistency check catches (docs/CONTRACT.md §6.3).
   */
  callTimeoutMs: number;
  /** Longest back-off between retries. */
  maxBackoffMs: number;
  /**
   * False while this instance may be presumed dead by its peers (its heartbeat could not be
   * renewed): no payment call starts then, since a peer may recover and resend the same
   * payments. Lookups go on. Always true when absent.
   */
  mayCall?: () => boolean;
}

/** Pause while calls are not allowed, ms. */
const FENCED_PAUSE_MS = 100;

/**
 * Longest back-off between retries in production, ms (`maxBackoffMs`): a processor that comes
 * back is tried again within a second, while failing calls stay few (docs/CONTRACT.md §6.4: no
 * hot loop).
 */
export const MAX_BACKOFF_MS = 1_000;
/**
 * Slack past the payment-call timeout in the production ambiguity horizon, ms
 * (`ambiguityHorizonMs` = call timeout + this): a dead instance's last send may still sit in a
 * processor's delay, its limiter's queue or a stall when its payment is recovered
 * (docs/CONTRACT.md §6.2).
 */
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
      const ticket = this.#options.gate.begin(processor);
      const outcome = await this.#options.clients[processor].pay(
        payment,
        requestedAt,
        this.#options.callTimeoutMs,
        signal,
      );
      this.#options.gate.end(ticket, outcome);
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
    const client = this.#options.clients[attempt.processor];
    const timeout = this.#options.callTimeoutMs;
    const lookup = await client.lookup(payment.correlationId, timeout, signal);
    if (lookup.kind === "found") return lookup.requestedAt;
    if (!this.#mayCall()) return undefined;
    const ticket = this.#options.gate.begin(attempt.processor);
    const outcome = await client.pay(payment, attempt.requestedAt, timeout, signal);
    this.#options.gate.end(ticket, outcome);
    return outcome.kind === "confirmed" ? attempt.requestedAt : undefined;
  }

  #mayCall(): boolean {
    return this.#options.mayCall?.() ?? true;
  }

  /** Looks a recovered payment up on both processors: where it is stored, nowhere, or unknown. */
  async #findAnywhere(payment: QueuedPayment, signal: AbortSignal) {
    const lookups = await Promise.all(
      PROCESSOR_NAMES.map((name) =>
        this.#options.clients[name].lookup(
          payment.correlationId,
          this.#options.callTimeoutMs,
          signal,
        )
      ),
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
