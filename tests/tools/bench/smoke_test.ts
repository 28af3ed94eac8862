/**
 * End-to-end smoke test of `deno task bench --stack`: a private Redis on a free port, the local
 * stack (tools/stack) on free ports (never 9999/8001/8002) with a random Redis prefix, an 18 s
 * compressed final test with 50 VUs (18 s keeps the whole test, stack start and stop included,
 * under 30 s), then checks of the results file. It tests the bench's mechanics, not the
 * backend's quality: a fined or lagging backend still passes. Skipped, with a message, when
 * redis-server is not installed.
 */
import assert from "node:assert/strict";
import { findExecutable } from "../../../tools/stack/processes.ts";
import { PrivateRedis } from "../../support/cluster.ts";

const ROOT = decodeURIComponent(new URL("../../../", import.meta.url).pathname);
const skip = PrivateRedis.executable ? "" : "redis-server not installed";
if (skip) console.warn(`smoke_test: skipping (${skip})`);

Deno.test({
  name: "bench smoke: --stack --duration 18 --vus 50 gives a complete results file",
  ignore: skip !== "",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
    const redis = new PrivateRedis();
    await redis.start();
    try {
      const out = `${dir}/results.json`;
      const report = `${dir}/report.html`;
      const t0 = performance.now();
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A", // as the bench task: Deno reads /proc (resources.ts) only with --allow-all
          `${ROOT}tools/bench/main.ts`,
          "--stack",
          "--redis-url",
          redis.url,
          "--duration",
          "18",
          "--vus",
          "50",
          "--quiet",
          "--out",
          out,
          "--report",
          report,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(90_000),
      }).output();
      const stderr = new TextDecoder().decode(run.stderr);
      const seconds = (performance.now() - t0) / 1000;
      assert.ok(run.success, `bench failed:\n${stderr.slice(-4000)}`);
      assert.match(stderr, /stack ready at http:\/\/127\.0\.0\.1:(\d+)/);
      const port = Number(/stack ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
      assert.ok(![9999, 8001, 8002].includes(port));
      assert.match(stderr, /prefix bench:[0-9a-f]{8}:/);

      const r = JSON.parse(await Deno.readTextFile(out));
      checkResults(r);
      const b = r.bench;
      if (Deno.build.os === "linux") checkResources(b.resources, stderr);
      const html = await Deno.readTextFile(report);
      assert.match(html, /id="chart-share"/);
      console.log(
        `smoke: ${
          seconds.toFixed(1)
        } s; ${b.posts.ok}/${b.posts.total} ok, score ${r.total_liquido}, ` +
          `p99 ${r.p99.valor}, inconsistencies ${r.multa.composicao.num_inconsistencias}, lag ${r.lag.lag}`,
      );
    } finally {
      await redis.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** The official keys and the bench's details of the results file. */
// deno-lint-ignore no-explicit-any
function checkResults(r: any): void {
  for (
    const key of [
      "total_liquido",
      "total_bruto",
      "total_taxas",
      "p99",
      "multa",
      "lag",
      "pagamentos_solicitados",
      "pagamentos_realizados_default",
      "pagamentos_realizados_fallback",
    ]
  ) assert.ok(key in r, `missing ${key}`);
  assert.match(r.p99.valor, /^\d+(\.\d+)?ms$/);
  const b = r.bench;
  // 50 VUs ramping over 18 s ≈ 460 iterations of ~1 s.
  assert.ok(b.posts.total > 300 && b.posts.total < 650, `posts ${b.posts.total}`);
  assert.equal(r.pagamentos_solicitados.qtd_sucesso, b.posts.ok);
  assert.ok(b.consistency.checks.length >= 14, `checks ${b.consistency.checks.length}`);
  assert.equal(b.faults.applied.length, 10, "every fault step applied");
  assert.ok(b.latency.posts.p99 > 0);
  assert.ok(b.timeseries.windows.length >= 17);
  assert.ok(b.timeseries.share.length >= 17);
  assert.equal(typeof b.generator.cpuPercentOfOneCore, "number");
  assert.ok(b.audit, "audit section present");
}

/** Every service of the stack, nginx with its worker, the private Redis by its pid. */
// deno-lint-ignore no-explicit-any
function checkResources(resources: any[], stderr: string): void {
  const services = resources.map((x: { service: string }) => x.service).sort();
  const lb = findExecutable("nginx") ? ["nginx"] : [];
  assert.deepEqual(services, ["api1", "api2", ...lb, "pp-default", "pp-fallback", "redis"]);
  for (const x of resources) {
    assert.ok(x.peakRssBytes > 1e6 && x.cpuSeconds >= 0, JSON.stringify(x));
  }
  const api1 = resources.find((x: { service: string }) => x.service === "api1");
  assert.ok(api1.cpuSeconds > 0, "api1 did work");
  assert.match(stderr, /api1: CPU [\d.]+ s, run-queue wait [\d.]+ s, peak RSS [\d.]+ MB/);
}
