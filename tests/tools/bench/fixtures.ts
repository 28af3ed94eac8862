/** A synthetic RunResult (final scenario compressed to 60 s) for report tests. */
import type { RunResult } from "../../../tools/bench/run.ts";
import { scaleScenario, scenarioByName } from "../../../tools/bench/scenario.ts";
import { scoreRun } from "../../../tools/bench/score.ts";

export function fakeRun(label = "backend", mode: "full" | "baseline" = "full"): RunResult {
  const sc = scaleScenario(scenarioByName("final"), 60_000);
  const { faults, ...rest } = sc;
  const windows = fakeWindows();
  return {
    label,
    mode,
    scenario: { ...rest, faultSteps: faults.length },
    backendUrl: "http://127.0.0.1:9999",
    startedAt: "2025-01-01T00:00:00.000Z",
    endedAt: "2025-01-01T00:01:02.000Z",
    commit: "0123abc",
    deno: "2.9.6",
    loadMs: 61_000,
    ...(mode === "full" ? { official: fakeOfficial() } : {}),
    latency: {
      expected: { count: 17_100, min: 0.3, mean: 1.1, p50: 0.9, p90: 2, p99: 3.1, max: 40 },
      posts: { count: 17_000, min: 0.3, mean: 1.1, p50: 0.9, p90: 2, p99: 3.05, max: 40 },
    },
    posts: {
      total: 17_009,
      ok: 17_000,
      fail: 9,
      timeouts: 2,
      errors: 0,
      byStatus: { "202": 17_000, "0": 9 },
    },
    consistency: { total: 2, checks: fakeChecks() },
    faults: { planned: faults, applied: [] },
    timeseries: {
      windows,
      backlog: windows.map((w) => ({ t: w.t, queue: (w.t / 1000) % 13 })),
      share: windows.map((w) => ({ t: w.t, len: 1000, default: w.ok * 0.7, fallback: w.ok * 0.3 })),
    },
    audit: { available: false, reason: "fixture </script><script>alert(1)</script>" },
    ...fakeCosts(),
  };
}

function fakeWindows() {
  return Array.from({ length: 60 }, (_, i) => ({
    t: i * 1000,
    len: 1000,
    posts: 10 * i,
    ok: 10 * i - (i % 7 === 0 ? 1 : 0),
    fail: i % 7 === 0 ? 1 : 0,
    timeouts: 0,
    p50: 0.8 + i / 100,
    p90: 1.5 + i / 50,
    p99: 2.5 + (i % 10) / 5,
    max: 9,
    vus: 10 * i,
  }));
}

function fakeChecks() {
  return Array.from({ length: 30 }, (_, i) => ({
    atMs: i * 2000,
    from: "2025-01-01T00:00:00.000Z",
    to: "2025-01-01T00:00:13.000Z",
    backend: { default: 100 + i, fallback: 20 },
    processors: { default: 100 + i + (i === 12 ? 2 : 0), fallback: 20 },
    processorsOk: { default: true, fallback: true },
    inconsistencies: i === 12 ? 2 : 0,
    ms: 3,
  }));
}

function fakeOfficial() {
  return scoreRun({
    successfulPosts: 17_000,
    failedPosts: 9,
    p99Ms: 3.1,
    inconsistencies: 2,
    default: { totalRequests: 12_000, totalAmount: 240_600, feePerTransaction: 0.07 },
    fallback: { totalRequests: 5000, totalAmount: 100_250, feePerTransaction: 0.1 },
    maxVus: 603,
  });
}

/** The machine's, the services' and the generator's figures. */
function fakeCosts(): Pick<RunResult, "machine" | "resources" | "generator"> {
  return {
    machine: {
      cores: 2,
      cpuModel: "Fixture CPU <x> @ 2.6GHz",
      loadavgBefore: [0.1, 0.2, 0.3],
      loadavgAfter: [0.9, 0.5, 0.4],
      cpu: { cores: 2, busyCores: 0.45, stealCores: 0.08 },
    },
    resources: [{
      service: "api1<b>",
      processes: 1,
      cpuSeconds: 5.5,
      runQueueWaitSeconds: 3.7,
      peakRssBytes: 81.5e6,
      peakAnonBytes: 34.5e6,
      peakFileBytes: 47e6,
    }],
    generator: {
      cpuUserMs: 4000,
      cpuSystemMs: 1000,
      cpuPercentOfOneCore: 8.2,
      rssBytes: 100e6,
      loopLagP99Ms: 1.2,
      loopLagMaxMs: 4,
    },
  };
}
