/**
 * Seeded random fault schedules, an alternative to the official timeline (`--faults random`).
 *
 * Each processor changes state independently every 5–30 s (uniform); a state is a delay drawn
 * uniformly from 0–5000 ms and a failure switch that is on with probability `failingRatio`.
 * The same seed always gives the same schedule (a small xorshift-multiply PRNG, mulberry32).
 *
 * @module
 */

import type { FaultStep, ProcessorFault } from "./scenario.ts";

/** Options of {@linkcode randomFaultSchedule}. */
interface RandomFaultOptions {
  /** Integer seed; the schedule is a pure function of it and the other options. */
  seed: number;
  /** Length of the run, ms; no change is scheduled at or after it. */
  durationMs: number;
  /** Shortest time between two changes of one processor, ms. Default 5000. */
  minHoldMs?: number;
  /** Longest time between two changes of one processor, ms. Default 30,000. */
  maxHoldMs?: number;
  /** Largest delay, ms. Default 5000. */
  maxDelayMs?: number;
  /** Probability that a state has the failure switch on. Default 0.3. */
  failingRatio?: number;
  /** Offset of the first step, ms (the official scripts apply their first stage at 1 s). Default 1000. */
  firstAtMs?: number;
}

/**
 * mulberry32: a 32-bit seeded PRNG returning floats in [0, 1). Deterministic per seed.
 * @param seed any number; only its low 32 bits are used.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds a reproducible random fault schedule. Steps are sorted by time; a step sets only the
 * processor(s) whose state changes at that instant. Both processors get a state at `firstAtMs`.
 * @throws {RangeError} on inconsistent bounds.
 */
export function randomFaultSchedule(options: RandomFaultOptions): FaultStep[] {
  const minHold = options.minHoldMs ?? 5000;
  const maxHold = options.maxHoldMs ?? 30_000;
  const maxDelay = options.maxDelayMs ?? 5000;
  const ratio = options.failingRatio ?? 0.3;
  const first = options.firstAtMs ?? 1000;
  if (!(minHold > 0 && maxHold >= minHold)) throw new RangeError("need 0 < minHoldMs ≤ maxHoldMs");
  if (!(maxDelay >= 0)) throw new RangeError("maxDelayMs must be ≥ 0");
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError("failingRatio must be in [0, 1]");
  if (!Number.isInteger(options.seed)) throw new RangeError("seed must be an integer");

  const byTime = new Map<number, FaultStep>();
  const names = ["default", "fallback"] as const;
  names.forEach((name, i) => {
    // Independent streams per processor, derived from the one seed.
    const rand = mulberry32(options.seed * 2 + i + 0x9e3779b9);
    let t = first;
    while (t < options.durationMs) {
      const state: ProcessorFault = {
        delayMs: Math.floor(rand() * (maxDelay + 1)),
        failing: rand() < ratio,
      };
      const step = byTime.get(t) ?? { atMs: t };
      step[name] = state;
      byTime.set(t, step);
      t += minHold + Math.floor(rand() * (maxHold - minHold + 1));
    }
  });
  return [...byTime.values()].sort((a, b) => a.atMs - b.atMs);
}
