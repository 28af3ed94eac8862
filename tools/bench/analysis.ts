/**
 * Post-run analysis of a full run: how the processors shared the payments over time, and the
 * exactly-once audit (audit.ts). Not part of the test: its calls are never recorded, so they never
 * enter the p99 nor the score.
 *
 * @module
 */

import { auditExactlyOnce, type AuditResult } from "./audit.ts";
import { ProcessorAdmin } from "./clients.ts";

/** Processors' counts over one bucket of the run. */
export interface SharePoint {
  /** Bucket start, ms from the start of the load. */
  t: number;
  len: number;
  default: number;
  fallback: number;
}

/** The audit, or why it could not be made. */
export type AuditOutcome = AuditResult | { available: false; reason: string };

/** What {@linkcode analyseRun} needs. */
interface AnalysisInput {
  processors: { default: ProcessorAdmin; fallback: ProcessorAdmin };
  /** Wall-clock ms (`Date.now()`) of the start of the load. */
  loadStartWall: number;
  /** Length of the load, ms. */
  loadMs: number;
  /** Most buckets of the share timeseries. */
  shareBuckets: number;
  /** Whether the processors list their payments (the audit needs it). */
  trackIds: boolean;
  /** correlationIds of the accepted POSTs, in order. */
  accepted: readonly string[];
  /** Most ids tracked; reaching it makes the audit unavailable. */
  maxIds: number;
}

/**
 * Reads the share over time, then audits exactly-once delivery, through unrecorded copies of the
 * processors' admin clients.
 */
export async function analyseRun(
  input: AnalysisInput,
): Promise<{ share: SharePoint[]; audit: AuditOutcome }> {
  const quiet = (p: ProcessorAdmin) => new ProcessorAdmin(p.name, p.baseUrl, p.token);
  const d = quiet(input.processors.default);
  const f = quiet(input.processors.fallback);
  const share = await collectShare(
    d,
    f,
    input.loadStartWall,
    Math.max(input.loadMs, 1000),
    input.shareBuckets,
  );
  return { share, audit: await audit(d, f, input) };
}

async function audit(d: ProcessorAdmin, f: ProcessorAdmin, input: AnalysisInput) {
  if (!input.trackIds) {
    return { available: false, reason: "processors have no GET /admin/debug/payments" } as const;
  }
  const [ld, lf] = await Promise.all([d.debugPayments(), f.debugPayments()]);
  if (input.accepted.length >= input.maxIds) {
    return {
      available: false,
      reason: `more than ${input.maxIds} accepted ids: not tracked`,
    } as const;
  }
  return ld && lf
    ? auditExactlyOnce(
      input.accepted,
      ld.map((p) => p.correlationId),
      lf.map((p) => p.correlationId),
    )
    : { available: false, reason: "GET /admin/debug/payments failed after the run" } as const;
}

/**
 * Reads both processors' admin summaries bucket by bucket over the run (inclusive bounds, so a
 * bucket ends 1 ms before the next starts), 8 requests at a time.
 */
async function collectShare(
  d: ProcessorAdmin,
  f: ProcessorAdmin,
  loadStartWall: number,
  loadMs: number,
  maxBuckets: number,
): Promise<SharePoint[]> {
  const len = Math.max(1000, Math.ceil(loadMs / maxBuckets / 1000) * 1000);
  const n = Math.ceil(loadMs / len);
  const out: SharePoint[] = [];
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < n; i++) {
    const from = new Date(loadStartWall + i * len).toISOString();
    const to = new Date(loadStartWall + (i + 1) * len - 1).toISOString();
    const point: SharePoint = { t: i * len, len, default: 0, fallback: 0 };
    out.push(point);
    jobs.push(async () => {
      const [a, b] = await Promise.all([d.summary(from, to, false), f.summary(from, to, false)]);
      point.default = a.summary.totalRequests;
      point.fallback = b.summary.totalRequests;
    });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
  return out;
}
