import assert from "node:assert/strict";
import { parseBenchArgs } from "../../../tools/bench/cli.ts";

Deno.test("cli: defaults are the official final test", () => {
  const o = parseBenchArgs([]);
  assert.equal(o.scenario.name, "final");
  assert.equal(o.scenario.durationMs, 300_000);
  assert.equal(o.scenario.maxVus, 603);
  assert.equal(o.scenario.faults.length, 10);
  assert.equal(o.backend, "http://127.0.0.1:9999");
  assert.equal(o.ppDefault, "http://127.0.0.1:8001");
  assert.equal(o.ppFallback, "http://127.0.0.1:8002");
  assert.equal(o.token, "123");
  assert.equal(o.baseline, "no");
  assert.equal(o.floor, "noop");
  assert.equal(o.stack, false);
});

Deno.test("cli: --duration compresses, --vus/--amount override, faults choices", () => {
  const o = parseBenchArgs(["--duration", "60", "--vus", "50", "--amount", "19.9", "--baseline"]);
  assert.equal(o.scenario.durationMs, 60_000);
  assert.equal(o.scenario.faults[3].atMs, 18_000);
  assert.equal(o.scenario.maxVus, 50);
  assert.equal(o.scenario.amount, 19.9);
  assert.equal(o.baseline, "also");
  const r1 = parseBenchArgs(["--faults", "random", "--seed", "7", "--duration", "60"]);
  const r2 = parseBenchArgs(["--faults", "random", "--seed", "7", "--duration", "60"]);
  assert.deepEqual(r1.scenario.faults, r2.scenario.faults);
  assert.ok(r1.scenario.faults.every((s) => s.atMs < 60_000));
  assert.equal(parseBenchArgs(["--faults", "none"]).scenario.faults.length, 0);
  const p = parseBenchArgs(["--scenario", "preview", "--baseline-only"]);
  assert.equal(p.scenario.maxVus, 550);
  assert.equal(p.baseline, "only");
  assert.equal(parseBenchArgs(["--baseline", "--floor", "intake"]).floor, "intake");
});

Deno.test("cli: bad options are rejected", () => {
  assert.throws(() => parseBenchArgs(["--duration", "0"]), RangeError);
  assert.throws(() => parseBenchArgs(["--vus", "1.5"]), RangeError);
  assert.throws(() => parseBenchArgs(["--faults", "chaos"]), RangeError);
  assert.throws(() => parseBenchArgs(["--scenario", "semi"]), RangeError);
  assert.throws(() => parseBenchArgs(["--backend", "not a url"]), TypeError);
  assert.throws(() => parseBenchArgs(["--backend", "https://x"]), TypeError);
  assert.throws(() => parseBenchArgs(["--nope"]));
  assert.throws(() => parseBenchArgs(["--baseline", "--floor", "half"]), RangeError);
  assert.throws(() => parseBenchArgs(["--floor", "intake"]), /needs --baseline/);
});
