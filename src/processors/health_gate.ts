/**
 * The health gate of one instance (docs/DESIGN.md "Health gate"): what is known of each processor
 * — the shared health report and this instance's live observations — and the policy's decision
 * for each payment (policy.ts). Synchronous and in memory: the hot path never waits on Redis.
 *
 * @module
 */
import { perProcessor, PROCESSOR_NAMES, type ProcessorName } from "../domain/processor.ts";
import type { HealthSnapshot } from "../domain/processor.ts";
import type { Outcome } from "./outcome.ts";
import {
  decide,
  type Decision,
  judge,
  type PolicyOptions,
  type ProcessorView,
  type Verdict,
} from "./policy.ts";

/** Weight of the newest latency in the moving average when it is higher, and when it is lower. */
const EWMA_UP = 0.5;
const EWMA_DOWN = 0.2;
/** First back-off after a definite failure, ms; doubles per failure up to {@link MAX_TRIP_MS}. */
const FIRST_TRIP_MS = 50;
const MAX_TRIP_MS = 2_000;
/** A report older than this is ignored, ms (the poller refreshes every ~5 s). */
const REPORT_MAX_AGE_MS = 20_000;

/** Counters of one processor, for /healthcheck and /metrics: calls by outcome, and probes. */
export type ProcessorCounters = Record<Outcome["kind"] | "probes", number>;

/** What the gate shows of one processor (/healthcheck, /metrics). */
interface ProcessorState {
  verdict: Verdict;
  view: ProcessorView;
  counters: ProcessorCounters;
}

/** A call in flight, from {@link HealthGate.begin} to {@link HealthGate.end}. */
export interface CallTicket {
  readonly processor: ProcessorName;
  readonly startedAt: number;
  readonly id: number;
}

/** Options of {@link HealthGate}: the policy's tunables and an optional call observer. */
export interface HealthGateOptions extends PolicyOptions {
  /** Told synchronously of every call's end (latency in ms); must be cheap and must not throw. */
  onCall?: (processor: ProcessorName, outcome: Outcome, latencyMs: number) => void;
}

/** Per-instance gate. `now` is injectable for tests. */
export class HealthGate {
  readonly #options: HealthGateOptions;
  readonly #now: () => number;
  readonly #views: Record<ProcessorName, ProcessorView>;
  readonly #inFlight: Record<ProcessorName, Map<number, number>> = perProcessor(() => new Map());
  readonly #counters: Record<ProcessorName, ProcessorCounters>;
  #nextId = 0;

  constructor(options: HealthGateOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
    const view = (): ProcessorView => ({
      lastSuccessAt: 0,
      latencyAt: 0,
      consecutiveFailures: 0,
      trippedUntil: 0,
      inFlight: 0,
      lastProbeAt: 0,
      lastAmbiguousAt: 0,
    });
    this.#views = perProcessor(view);
    const counters = () => ({ confirmed: 0, duplicate: 0, rejected: 0, ambiguous: 0, probes: 0 });
    this.#counters = perProcessor(counters);
  }

  /** Takes in a health snapshot published by the poller; stale entries are ignored. */
  report(snapshot: HealthSnapshot | undefined): void {
    const now = this.#now();
    for (const name of PROCESSOR_NAMES) {
      const health = snapshot?.[name];
      this.#views[name].reported = health && now - health.checkedAt <= REPORT_MAX_AGE_MS
        ? health
        : undefined;
    }
  }

  /** The policy's decision for the next payment (policy.ts). */
  decide(): Decision {
    const now = this.#now();
    this.#refreshInFlight();
    const decision = decide(this.#views, now, this.#options);
    if (decision.kind === "send" && decision.probe) {
      this.#views[decision.processor].lastProbeAt = now;
      this.#counters[decision.processor].probes++;
    }
    return decision;
  }

  /** Copies the calls in flight now into the views the policy reads. */
  #refreshInFlight(): void {
    for (const name of PROCESSOR_NAMES) {
      const first = this.#inFlight[name].values().next();
      this.#views[name].inFlight = this.#inFlight[name].size;
      this.#views[name].oldestInFlightAt = first.done ? undefined : first.value;
    }
  }

  /** Records the start of a call to `processor`. */
  begin(processor: ProcessorName): CallTicket {
    const ticket = { processor, startedAt: this.#now(), id: this.#nextId++ };
    this.#inFlight[processor].set(ticket.id, ticket.startedAt);
    return ticket;
  }

  /** Records the outcome of a call begun with {@link begin}. */
  end(ticket: CallTicket, outcome: Outcome): void {
    const now = this.#now();
    const view = this.#views[ticket.processor];
    this.#inFlight[ticket.processor].delete(ticket.id);
    this.#counters[ticket.processor][outcome.kind]++;
    const latency = now - ticket.startedAt;
    this.#options.onCall?.(ticket.processor, outcome, latency);
    // An ambiguous call says nothing of the latency, but it trips: a processor that drops
    // connections or times out would otherwise stay `ok` and bind every payment sent to it.
    if (outcome.kind === "ambiguous") view.lastAmbiguousAt = now;
    else {
      const previous = view.latencyMs ?? latency;
      view.latencyMs = previous +
        (latency > previous ? EWMA_UP : EWMA_DOWN) * (latency - previous);
      view.latencyAt = now;
    }
    if (outcome.kind === "rejected" || outcome.kind === "ambiguous") {
      view.consecutiveFailures++;
      const backoff = Math.min(MAX_TRIP_MS, FIRST_TRIP_MS * 2 ** (view.consecutiveFailures - 1));
      view.trippedUntil = Math.max(
        view.trippedUntil,
        now + Math.max(backoff, outcome.kind === "rejected" ? outcome.retryAfterMs ?? 0 : 0),
      );
    } else {
      view.consecutiveFailures = 0;
      view.trippedUntil = 0;
      view.lastSuccessAt = now;
    }
  }

  /** The state of both processors, for /healthcheck and /metrics. */
  state(): Record<ProcessorName, ProcessorState> {
    const now = this.#now();
    // Without this, an idle gate would show the verdict of the last decision (e.g. `suspect`).
    this.#refreshInFlight();
    const one = (name: ProcessorName) => ({
      verdict: judge(this.#views[name], now, this.#options),
      view: { ...this.#views[name] },
      counters: { ...this.#counters[name] },
    });
    return perProcessor(one);
  }
}
