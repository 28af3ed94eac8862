/**
 * The route stage's state machine for one payment: ask the gate, call a processor, classify, and
 * repeat until the payment is confirmed — or until shutdown, when it is handed back with what is
 * known of its attempts. Rules (RINHA.md §6.1–6.2; DESIGN.md route stage):
 *
 * - 200 → settled with the requestedAt sent.
 * - 422 after our own ambiguous attempt with the same body → settled with that requestedAt.
 * - 422 otherwise → `GET /payments/{id}` on that processor; settled with the stored requestedAt.
 * - 500 / 429 / unreachable → back off, then anywhere with a fresh requestedAt.
 * - timeout / reset after sending → ambiguous: retry the SAME processor with the SAME body until
 *   the payment is found there. Only when `ambiguityHorizonMs` passed since the last send to it
 *   (every send may still be held in that processor's delay) and `GET /payments/{id}` says the
 *   payment is not there, may it go elsewhere.
 * - recovered from a dead instance (attempt unknown) → look it up on both processors; it may go
 *   anywhere only when neither has it and `ambiguityHorizonMs` passed since its recovery.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import type {
  AttemptState,
  ProcessorName,
  QueuedPayment,
  Settlement,
} from "../payments/payment.ts";
import type { ProcessorClient } from "../processors/client.ts";
import type { HealthGate } from "../processors/health_gate.ts";

/** Options of {@link Settler}; times in ms. */
export interface SettlerOptions {
  clients: Record<ProcessorName, Pick<ProcessorClient, "pay" | "lookup">>;
  gate: HealthGate;
  /** After this long without an answer, an ambiguous attempt may be released by a lookup. */
  ambiguityHorizonMs: number;
  /**
   * Timeout of every call to a processor. Long on purpose: an abort does not stop the processor
   * (its delay is not cancelled, RINHA.md §2), it only makes the outcome ambiguous and the
   * booking late — the late booking is what a consistency check catches (RINHA.md §6.3).
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
    // Last send of the attempt in `attempt`; unknown for a handed-back entry, so count from now.
    let lastSentAt = Date.now();
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
        const result = await this.#resolve(payment, attempt, lastSentAt, signal);
        if (result.kind === "found") return settled(attempt.processor, result.requestedAt);
        if (result.kind === "released") attempt = { kind: "none" };
        else {
          lastSentAt = result.lastSentAt;
          await this.#backoff(++failures, signal);
        }
        continue;
      }
      if (!this.#mayCall()) {
        await sleep(FENCED_PAUSE_MS, undefined, { signal }).catch(() => {});
        continue;
      }
      const decision = this.#options.gate.decide();
      if (decision.kind === "hold") {
        await sleep(decision.ms, undefined, { signal }).catch(() => {});
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
          lastSentAt = requestedAt;
          break;
        case "rejected":
          await this.#backoff(++failures, signal, outcome.retryAfterMs);
          break;
      }
    }
    return { kind: "interrupted", attempt };
  }

  /**
   * Resolves an attempt of unknown outcome on its own processor: a lookup first (it also covers a
   * 422 for an attempt we do not know of), then a same-body retry.
   *
   * @returns `found` with the stored requestedAt; `released` when the payment is not stored there
   *   and no send can still be held in the processor's delay; else `pending` with the time of the
   *   latest send.
   */
  async #resolve(
    payment: QueuedPayment,
    attempt: { processor: ProcessorName; requestedAt: number },
    lastSentAt: number,
    signal: AbortSignal,
  ): Promise<
    | { kind: "found"; requestedAt: number }
    | { kind: "released" }
    | { kind: "pending"; lastSentAt: number }
  > {
    const client = this.#options.clients[attempt.processor];
    const timeout = this.#options.callTimeoutMs;
    const lookup = await client.lookup(payment.correlationId, timeout, signal);
    if (lookup.kind === "found") return { kind: "found", requestedAt: lookup.requestedAt };
    if (lookup.kind === "unknown") return { kind: "pending", lastSentAt };
    if (Date.now() - lastSentAt > this.#options.ambiguityHorizonMs) return { kind: "released" };
    if (!this.#mayCall()) return { kind: "pending", lastSentAt };
    const sentAt = Date.now();
    const ticket = this.#options.gate.begin(attempt.processor);
    const outcome = await client.pay(payment, attempt.requestedAt, timeout, signal);
    this.#options.gate.end(ticket, outcome);
    if (outcome.kind === "confirmed") return { kind: "found", requestedAt: attempt.requestedAt };
    // A definite rejection (nothing stored by this send) keeps the earlier send's horizon.
    return { kind: "pending", lastSentAt: outcome.kind === "rejected" ? lastSentAt : sentAt };
  }

  #mayCall(): boolean {
    return this.#options.mayCall?.() ?? true;
  }

  /** Looks a recovered payment up on both processors: where it is stored, nowhere, or unknown. */
  async #findAnywhere(payment: QueuedPayment, signal: AbortSignal) {
    const names = ["default", "fallback"] as const;
    const lookups = await Promise.all(
      names.map((name) =>
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
      return { processor: names[at], requestedAt: found.requestedAt };
    }
    return lookups.some((lookup) => lookup.kind === "unknown") ? "unknown" : undefined;
  }

  /** Exponential back-off with full jitter, at least `floorMs`; ends early on abort. */
  async #backoff(failures: number, signal: AbortSignal, floorMs = 0): Promise<void> {
    const cap = Math.min(this.#options.maxBackoffMs, 25 * 2 ** Math.min(failures, 10));
    const ms = Math.max(floorMs, Math.random() * cap);
    await sleep(Math.min(ms, this.#options.maxBackoffMs * 4), undefined, { signal }).catch(
      () => {},
    );
  }
}
