/**
 * End to end through the local stack (tools/stack/): 2,000 payments through the load balancer, then
 * the backend's summary must equal what each Payment Processor simulator holds, for the whole
 * range and for ranges whose bounds fall exactly on booked `requestedAt` values (docs/CONTRACT.md §1, §3:
 * one inconsistency costs the 35 % fine). Runs through nginx (2 instances, as compose, and 3: the
 * stack renders the count into its copy of nginx.conf) and through SO_REUSEPORT.
 *
 * Needs Redis at 127.0.0.1:6379 (or `REDIS_URL`). Every port is random and the Redis prefix is
 * `test:<uuid>:`, so it runs beside a developer's own stack on 9999/8001/8002.
 *
 * @module
 */

import assert from "node:assert/strict";
import { findExecutable } from "../../tools/stack/processes.ts";
import { type Stack, startStack } from "../../tools/stack/stack.ts";

const PAYMENTS = 2_000;
const CONCURRENCY = 64;
/** docs/CONTRACT.md §1: the final test always sends 20.05. */
const AMOUNT = 20.05;
const TOKEN = "123";
/** Generous: two cores shared by the test, two simulators, two instances, nginx and Redis. */
const DRAIN_DEADLINE_MS = 180_000;
const REQUEST_TIMEOUT_MS = 15_000;
const NGINX = findExecutable("nginx");

if (!NGINX) {
  console.warn("stack_test: nginx is not installed: the nginx variant is skipped (CI installs it)");
}

interface Totals {
  totalRequests: number;
  /** In cents, so equality is exact. */
  cents: number;
}

interface BackendSummary {
  default: Totals;
  fallback: Totals;
}

function cents(amount: unknown): number {
  assert.equal(typeof amount, "number", `totalAmount must be a number, got ${amount}`);
  return Math.round((amount as number) * 100);
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  assert.equal(response.status, 200, `GET ${url} → ${response.status} ${text}`);
  return JSON.parse(text);
}

function query(range?: { from: string; to: string }): string {
  return range ? `?from=${range.from}&to=${range.to}` : "";
}

async function backendSummary(stack: Stack, range?: { from: string; to: string }) {
  const body = await getJson(`${stack.url}/payments-summary${query(range)}`) as Record<
    string,
    { totalRequests: number; totalAmount: number }
  >;
  const totals = (name: "default" | "fallback"): Totals => {
    assert.ok(body[name], `summary has no "${name}": ${JSON.stringify(body)}`);
    return { totalRequests: body[name].totalRequests, cents: cents(body[name].totalAmount) };
  };
  return { default: totals("default"), fallback: totals("fallback") } satisfies BackendSummary;
}

async function processorSummaries(
  stack: Stack,
  range?: { from: string; to: string },
): Promise<BackendSummary> {
  const one = async (base: string): Promise<Totals> => {
    const body = await getJson(`${base}/admin/payments-summary${query(range)}`, {
      "X-Rinha-Token": TOKEN,
    }) as { totalRequests: number; totalAmount: number };
    return { totalRequests: body.totalRequests, cents: cents(body.totalAmount) };
  };
  const [def, fb] = await Promise.all([one(stack.defaultUrl), one(stack.fallbackUrl)]);
  return { default: def, fallback: fb };
}

async function backlog(stack: Stack): Promise<number | undefined> {
  const response = await fetch(`${stack.url}/healthcheck`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200) return undefined;
  const queue = JSON.parse(text).queue;
  return typeof queue === "number" ? queue : undefined;
}

/** Sends every payment with at most `CONCURRENCY` in flight; returns each answer's status. */
async function postPayments(stack: Stack, ids: string[]): Promise<number[]> {
  const statuses = new Array<number>(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      try {
        const response = await fetch(`${stack.url}/payments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ correlationId: ids[i], amount: AMOUNT }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.body?.cancel();
        statuses[i] = response.status;
      } catch {
        statuses[i] = 0;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return statuses;
}

/**
 * Waits until the backlog is empty and the backend's summary has stopped moving with every
 * payment booked (or the deadline passed: the assertions after it then say what is missing).
 */
async function waitForDrain(stack: Stack): Promise<string> {
  const deadline = Date.now() + DRAIN_DEADLINE_MS;
  let previous = "";
  let stableRounds = 0;
  let last = "";
  while (Date.now() < deadline) {
    const [queue, summary] = await Promise.all([backlog(stack), backendSummary(stack)]);
    const booked = summary.default.totalRequests + summary.fallback.totalRequests;
    const snapshot = JSON.stringify(summary);
    stableRounds = snapshot === previous ? stableRounds + 1 : 0;
    previous = snapshot;
    last = `queue ${queue}, booked ${booked}/${PAYMENTS}: ${snapshot}`;
    if (queue === 0 && booked === PAYMENTS && stableRounds >= 2) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `deadline passed; last: ${last}`;
}

/** Every payment a processor stores, from the simulator's `GET /admin/debug/payments`. */
async function storedPayments(
  base: string,
): Promise<{ correlationId: string; requestedAt: string }[]> {
  const body = await getJson(`${base}/admin/debug/payments`, { "X-Rinha-Token": TOKEN });
  assert.ok(Array.isArray(body), `${base}/admin/debug/payments must be an array`);
  return body;
}

function assertSameAsProcessors(
  label: string,
  backend: BackendSummary,
  processors: BackendSummary,
  logs: () => string,
): void {
  assert.deepEqual(
    backend,
    processors,
    `${label}: backend ${JSON.stringify(backend)} ≠ processors ${JSON.stringify(processors)}` +
      `\n${logs()}`,
  );
}

async function endToEnd(lb: "nginx" | "reuseport", instances = 2): Promise<void> {
  const stack = await startStack({
    lb,
    instances,
    port: 0,
    defaultPort: 0,
    fallbackPort: 0,
    token: TOKEN,
    redisUrl: Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
    redisPrefix: `test:${crypto.randomUUID()}:`,
    output: "quiet",
    readyTimeoutMs: 120_000,
  });
  try {
    assert.equal(stack.lb, lb);
    const ids = Array.from({ length: instances }, (_, i) => `api${i + 1}`);
    assert.deepEqual(stack.processes.map((p) => p.name).filter((n) => n.startsWith("api")), ids);
    if (lb === "nginx") {
      const conf = await Deno.readTextFile(`${stack.runDir}/nginx.conf`);
      const servers = [...conf.matchAll(/\bserver unix:\S+\/(api\d+)\.sock;/g)].map((m) => m[1]);
      assert.deepEqual(servers, ids, "the stack's nginx.conf balances every instance");
      assert.match(stack.description, /\(nginx on 0\.0\.0\.0:\d+ → api1, api2/);
    }
    const payments = Array.from({ length: PAYMENTS }, () => crypto.randomUUID());
    const statuses = await postPayments(stack, payments);
    const refused = statuses.filter((s) => s !== 202);
    assert.equal(
      refused.length,
      0,
      `${refused.length} POST /payments not 202: ${[...new Set(refused)]}\n${stack.logs()}`,
    );

    const drained = await waitForDrain(stack);

    const all = await backendSummary(stack);
    assertSameAsProcessors(
      `whole range (${drained})`,
      all,
      await processorSummaries(stack),
      stack.logs,
    );
    assert.equal(all.default.totalRequests + all.fallback.totalRequests, PAYMENTS, drained);
    assert.equal(all.default.cents + all.fallback.cents, Math.round(PAYMENTS * AMOUNT * 100));

    // Every accepted payment is stored by exactly one processor: none lost, none charged twice.
    const [onDefault, onFallback] = await Promise.all([
      storedPayments(stack.defaultUrl),
      storedPayments(stack.fallbackUrl),
    ]);
    const stored = [...onDefault, ...onFallback];
    const storedIds = new Set(stored.map((p) => p.correlationId.toLowerCase()));
    assert.equal(stored.length, PAYMENTS, "processors hold each payment once");
    assert.equal(storedIds.size, PAYMENTS, "no payment is stored twice");
    assert.ok(payments.every((id) => storedIds.has(id)), "every posted payment is stored");

    const times = stored.map((p) => p.requestedAt).sort();
    for (const time of times) assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const ranges = [
      { from: times[Math.floor(times.length / 4)], to: times[Math.floor((3 * times.length) / 4)] },
      { from: times[Math.floor(times.length / 2)], to: times[Math.floor(times.length / 2)] },
    ];
    for (const range of ranges) {
      const backend = await backendSummary(stack, range);
      assertSameAsProcessors(
        `range ${range.from} … ${range.to}`,
        backend,
        await processorSummaries(stack, range),
        stack.logs,
      );
      // Both bounds are booked instants, so inclusive bounds count the payments on them too.
      const inRange = times.filter((t) => t >= range.from && t <= range.to).length;
      const count = backend.default.totalRequests + backend.fallback.totalRequests;
      assert.ok(inRange >= 1);
      assert.equal(count, inRange, `range ${range.from} … ${range.to}: inclusive at both ends`);
    }
  } finally {
    await fetch(`${stack.url}/purge-payments`, {
      method: "POST",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).then((r) => r.body?.cancel()).catch(() => {});
    await stack.stop();
  }
}

Deno.test({
  name: "e2e: 2,000 payments through nginx; summaries equal the processors'",
  ignore: !NGINX,
  fn: () => endToEnd("nginx"),
});

Deno.test({
  name: "e2e: 2,000 payments through nginx to 3 instances; summaries equal the processors'",
  ignore: !NGINX,
  fn: () => endToEnd("nginx", 3),
});

Deno.test({
  name: "e2e: 2,000 payments through SO_REUSEPORT; summaries equal the processors'",
  fn: () => endToEnd("reuseport"),
});
