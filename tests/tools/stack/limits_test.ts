import assert from "node:assert/strict";
import { Cgroups, processTree } from "../../../tools/stack/cgroups.ts";
import { readComposeLimits } from "../../../tools/stack/compose_limits.ts";

const COMPOSE = new URL("../../../docker-compose.yml", import.meta.url);

Deno.test("readComposeLimits reads every service's compose limits", async () => {
  const limits = readComposeLimits(await Deno.readTextFile(COMPOSE));
  assert.deepEqual([...limits.keys()].sort(), ["api1", "api2", "nginx", "redis"]);
  const total = [...limits.values()].reduce((sum, l) => sum + l.milliCpus, 0);
  assert.ok(total <= 1_500, `total ${total} milli-CPUs`);
  for (const [name, l] of limits) assert.ok(l.milliCpus > 0 && l.memoryBytes > 0, name);
  const sample = "services:\n  a:\n    deploy:\n      resources:\n        limits:\n" +
    '          cpus: "0.55"\n          memory: 120MB\n';
  assert.deepEqual(readComposeLimits(sample).get("a"), {
    milliCpus: 550,
    memoryBytes: 120 * 1024 * 1024,
  });
  assert.deepEqual(readComposeLimits("services:\n  x:\n    image: y\n"), new Map());
});

const PREFIX = `rinha-test-${crypto.randomUUID().slice(0, 8)}`;
const cgroups = Cgroups.open(PREFIX);
if (typeof cgroups === "string") console.warn(`limits_test: skipping the cgroup test (${cgroups})`);

Deno.test({
  name: "a limited service's process tree runs in groups with the compose limits [allow-all]",
  ignore: typeof cgroups === "string",
  async fn() {
    const limiter = cgroups as Cgroups;
    const child = new Deno.Command("sh", { args: ["-c", "sleep 30 & wait"] }).spawn();
    let pids: number[] = [child.pid];
    try {
      await new Promise((r) => setTimeout(r, 200)); // let the shell fork its sleep
      pids = processTree(child.pid);
      assert.equal(pids.length, 2, `shell and sleep: ${pids}`);
      limiter.limit("svc", pids, { milliCpus: 550, memoryBytes: 100 * 1024 * 1024 });
      for (const pid of pids) {
        const groups = await Deno.readTextFile(`/proc/${pid}/cgroup`);
        assert.match(groups, /rinha-test-[0-9a-f]{8}-svc/, groups);
      }
      const [quota, memory] = limiter.version === "v2"
        ? [`/sys/fs/cgroup/${PREFIX}-svc/cpu.max`, `/sys/fs/cgroup/${PREFIX}-svc/memory.max`]
        : [
          `/sys/fs/cgroup/cpu/${PREFIX}-svc/cpu.cfs_quota_us`,
          `/sys/fs/cgroup/memory/${PREFIX}-svc/memory.limit_in_bytes`,
        ];
      assert.match(await Deno.readTextFile(quota), /^55000\b/);
      assert.equal((await Deno.readTextFile(memory)).trim(), String(100 * 1024 * 1024));
    } finally {
      for (const pid of pids.reverse()) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await child.status;
      await new Promise((r) => setTimeout(r, 100));
      limiter.remove();
    }
    const left = [
      ...Deno.readDirSync(limiter.version === "v2" ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu"),
    ]
      .filter((entry) => entry.name.startsWith(PREFIX));
    assert.deepEqual(left, [], "groups removed once empty");
  },
});
