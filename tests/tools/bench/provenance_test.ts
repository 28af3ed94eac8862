import assert from "node:assert/strict";
import { readProvenance } from "../../../tools/bench/provenance.ts";

/** Deno 2.9 reads /proc only with --allow-all (`deno task test:allow-all` runs this test). */
const PROC_READABLE = (() => {
  try {
    return Deno.readTextFileSync("/proc/cpuinfo").length > 0;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "provenance: the checkout's commit, the Deno version and the machine [allow-all]",
  ignore: !PROC_READABLE,
  fn: async () => {
    const p = await readProvenance();
    assert.match(p.commit, /^([0-9a-f]{4,64}|unknown)$/);
    assert.equal(p.deno, Deno.version.deno);
    assert.ok(Number.isInteger(p.cores) && p.cores >= 1, `cores ${p.cores}`);
    assert.ok(p.cpuModel.length > 0);
    if (Deno.build.os === "linux") {
      assert.equal(
        p.cores,
        Deno.readTextFileSync("/proc/cpuinfo").match(/^processor\s*:/gm)?.length,
      );
    }
  },
});

Deno.test({
  name: "provenance: without permission to run git or read /proc, still an answer",
  permissions: { read: false, run: false },
  async fn() {
    const p = await readProvenance();
    assert.equal(p.commit, "unknown");
    assert.equal(p.cpuModel, "unknown");
    assert.equal(p.cores, navigator.hardwareConcurrency);
    assert.equal(p.deno, Deno.version.deno);
  },
});
