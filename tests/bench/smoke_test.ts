/**
 * End-to-end smoke test of `deno task bench --stack`: a private Redis on a free port, the local
 * stack (src/stack) on free ports (never 9999/8001/8002) with a random Redis prefix, an 18 s
 * compressed final test with 50 VUs (18 s keeps the whole test, stack start and stop included,
 * under 30 s), then checks of the results file. It tests the bench's mechanics, not the
 * backend's quality: a fined or lagging backend still passes. Skipped, with a message, when
 * redis-server or the backend, stack or simulator entry point is missing.
 */
import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function which(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/bin", "/usr/sbin"])) {
    if (dir && exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

const redisServer = which("redis-server");
const ready = exists(`${ROOT}src/main.ts`) && exists(`${ROOT}src/stack/stack.ts`) &&
  exists(`${ROOT}src/simulator/main.ts`);
const skip = !redisServer
  ? "redis-server not installed"
  : !ready
  ? "src/main.ts, src/stack/stack.ts or src/simulator/main.ts missing"
  : "";
if (skip) console.warn(`smoke_test: skipping (${skip})`);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "bench smoke: --stack --duration 18 --vus 50 gives a complete results file",
  ignore: skip !== "",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bench-smoke-" });
    const redisPort = freePort();
    const redis = new Deno.Command(redisServer!, {
      args: [
        "--port",
        String(redisPort),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const out = `${dir}/results.json`;
      const report = `${dir}/report.html`;
      const t0 = performance.now();
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-sys",
          `${ROOT}src/bench/main.ts`,
          "--stack",
          "--redis-url",
          `redis://127.0.0.1:${redisPort}`,
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
      const html = await Deno.readTextFile(report);
      assert.match(html, /id="chart-share"/);
      console.log(
        `smoke: ${
          seconds.toFixed(1)
        } s; ${b.posts.ok}/${b.posts.total} ok, score ${r.total_liquido}, ` +
          `p99 ${r.p99.valor}, inconsistencies ${r.multa.composicao.num_inconsistencias}, lag ${r.lag.lag}`,
      );
    } finally {
      try {
        redis.kill("SIGTERM");
      } catch { /* exited */ }
      await redis.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
