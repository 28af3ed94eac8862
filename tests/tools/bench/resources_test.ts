import assert from "node:assert/strict";
import {
  formatMB,
  machineCpuBetween,
  parseSchedstatWaitNs,
  parseStatCpuTicks,
  parseStatusMemory,
  readMachineCpu,
  ResourceSampler,
  type ServiceProcess,
} from "../../../tools/bench/resources.ts";

const MB = 2 ** 20;

/** A /proc/<pid>/stat line with the given comm, utime and stime (fields 14, 15). */
function statLine(pid: number, comm: string, utime: number, stime: number): string {
  // Fields 3..13, then utime, stime, then 16..52.
  const head = ["S", 1, pid, pid, 0, -1, 4194560, 1000, 0, 0, 0];
  const tail = Array.from({ length: 37 }, (_, i) => i + 16);
  return `${pid} (${comm}) ${[...head, utime, stime, ...tail].join(" ")}\n`;
}

/** A /proc/<pid>/status excerpt with the given memory figures in kB. */
function statusText(rssKB: number, anonKB: number, fileKB: number): string {
  return [
    "Name:\tdeno",
    "State:\tS (sleeping)",
    "Pid:\t4242",
    "VmPeak:\t 3350160 kB",
    "VmSize:\t 3284624 kB",
    "VmHWM:\t   95012 kB",
    `VmRSS:\t ${rssKB} kB`,
    `RssAnon:\t ${anonKB} kB`,
    `RssFile:\t ${fileKB} kB`,
    "RssShmem:\t       0 kB",
    "VmData:\t  190040 kB",
    "Threads:\t9",
    "",
  ].join("\n");
}

/** A fake proc root: `self/stat` plus one directory per live pid. */
class FakeProc {
  constructor(readonly root: string) {}

  static async create(): Promise<FakeProc> {
    const root = await Deno.makeTempDir({ prefix: "fake_proc_" });
    await Deno.mkdir(`${root}/self`);
    await Deno.writeTextFile(`${root}/self/stat`, statLine(1, "deno", 0, 0));
    return new FakeProc(root);
  }

  /**
   * Writes (or rewrites) the stat and status of `pid`; memory in MB, RssFile = rss - anon; and its
   * schedstat when `waitMs` (run-queue wait so far) is given.
   */
  set(pid: number, utime: number, stime: number, rss: number, anon: number, waitMs?: number): void {
    const dir = `${this.root}/${pid}`;
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${dir}/stat`, statLine(pid, "deno (x) y", utime, stime));
    Deno.writeTextFileSync(
      `${dir}/status`,
      statusText(rss * 1024, anon * 1024, (rss - anon) * 1024),
    );
    if (waitMs !== undefined) {
      Deno.writeTextFileSync(`${dir}/schedstat`, `${utime * 1e7} ${waitMs * 1e6} 42\n`);
    }
  }

  /** Lists `children` as the direct children of `pid` (task/<pid>/children). */
  children(pid: number, children: number[]): void {
    Deno.mkdirSync(`${this.root}/${pid}/task/${pid}`, { recursive: true });
    Deno.writeTextFileSync(`${this.root}/${pid}/task/${pid}/children`, children.join(" ") + " ");
  }

  /** Runs `fn` with a fresh fake root, removed afterwards. */
  static async use(fn: (proc: FakeProc) => void | Promise<void>): Promise<void> {
    const proc = await FakeProc.create();
    try {
      await fn(proc);
    } finally {
      await proc.cleanup();
    }
  }

  kill(pid: number): void {
    Deno.removeSync(`${this.root}/${pid}`, { recursive: true });
  }

  cleanup(): Promise<void> {
    return Deno.remove(this.root, { recursive: true });
  }
}

Deno.test("resources: parseStatCpuTicks counts fields after the last ')' of comm", () => {
  assert.equal(parseStatCpuTicks(statLine(1234, "a b) c", 250, 75)), 325);
  assert.equal(parseStatCpuTicks(statLine(7, "deno", 0, 0)), 0);
  assert.equal(parseStatCpuTicks(statLine(8, ") (", 1, 2)), 3);
  assert.throws(() => parseStatCpuTicks("garbage"), /malformed/);
  assert.throws(() => parseStatCpuTicks("1 (x) S 1 2"), /malformed/);
});

Deno.test("resources: parseSchedstatWaitNs reads the run-queue wait", () => {
  assert.equal(parseSchedstatWaitNs("123456789 987654321 4242\n"), 987654321);
  assert.throws(() => parseSchedstatWaitNs("garbage"), /malformed/);
});

Deno.test("resources: machine CPU busy and stolen between two /proc/stat readings", async () => {
  const root = await Deno.makeTempDir({ prefix: "fake_proc_" });
  try {
    // user nice system idle iowait irq softirq steal guest guest_nice
    Deno.writeTextFileSync(
      `${root}/stat`,
      "cpu  100 0 50 800 10 5 5 30 7 0\ncpu0 1 2 3\ncpu1 4 5 6\nintr 1\n",
    );
    const before = readMachineCpu(root)!;
    assert.deepEqual(before, { cores: 2, busy: 160, steal: 30, total: 1000 });
    Deno.writeTextFileSync(
      `${root}/stat`,
      "cpu  400 0 150 1260 10 25 25 130 9 0\ncpu0 1\ncpu1 2\n",
    );
    const after = readMachineCpu(root)!;
    // Δbusy 440, Δsteal 100, Δtotal 1000 → on 2 cores: 0.88 busy, 0.2 stolen.
    assert.deepEqual(machineCpuBetween(before, after), {
      cores: 2,
      busyCores: 0.88,
      stealCores: 0.2,
    });
    assert.deepEqual(machineCpuBetween(after, after), { cores: 2, busyCores: 0, stealCores: 0 });
    assert.equal(readMachineCpu(`${root}/missing`), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("resources: parseStatusMemory reads VmRSS, RssAnon, RssFile in bytes", () => {
  assert.deepEqual(parseStatusMemory(statusText(79_400, 34_300, 45_100)), {
    rssBytes: 79_400 * 1024,
    anonBytes: 34_300 * 1024,
    fileBytes: 45_100 * 1024,
  });
  // A kernel thread has no memory lines.
  assert.deepEqual(parseStatusMemory("Name:\tkthreadd\nState:\tS (sleeping)\n"), {
    rssBytes: 0,
    anonBytes: 0,
    fileBytes: 0,
  });
  assert.equal(formatMB(79_400_000), "79.4 MB");
});

Deno.test("resources: sampler aggregates CPU deltas and per-process peaks per service", async () => {
  await FakeProc.use((proc) => {
    let list: ServiceProcess[] = [{ service: "api", pid: 10 }, { service: "redis", pid: 20 }];
    const sampler = new ResourceSampler({ processes: () => list, procRoot: proc.root });

    // Tick 1: baselines (CPU used before sampling does not count).
    proc.set(10, 100, 50, 40, 10, 1000);
    proc.set(20, 500, 500, 8, 5);
    sampler.sampleNow();

    // Tick 2: api 10 grows; a second api process and nginx (listed first) appear.
    proc.set(10, 200, 100, 70, 30, 1250); // +150 ticks, waited +250 ms
    proc.set(11, 1000, 0, 60, 35, 7000); // baseline
    proc.set(20, 520, 510, 9, 6); // +30 ticks
    proc.set(30, 5, 5, 6, 2);
    list = [{ service: "nginx", pid: 30 }, ...list, { service: "api", pid: 11 }];
    sampler.sampleNow();

    // Tick 3: api 10 vanished (still listed), api 11 grows, its memory shrinks.
    proc.kill(10);
    proc.set(11, 1040, 10, 50, 20, 7100); // +50 ticks, waited +100 ms
    sampler.sampleNow();

    // Final sample in stop(): redis +20 ticks, nginx unchanged.
    proc.set(20, 530, 520, 7, 4);
    const got = sampler.stop();
    assert.equal(sampler.error, undefined);
    assert.deepEqual(got, [
      {
        service: "api",
        processes: 2,
        cpuSeconds: 2, // (150 + 50) ticks / 100
        peakRssBytes: 70 * MB, // api 10 at tick 2, not 70 + 60
        peakAnonBytes: 30 * MB, // api 10 at tick 2: the split of the peak, not api 11's 35
        peakFileBytes: 40 * MB, // api 10 at tick 2
        runQueueWaitSeconds: 0.35, // 250 + 100 ms
      },
      {
        service: "redis",
        processes: 1,
        cpuSeconds: 0.5,
        peakRssBytes: 9 * MB,
        peakAnonBytes: 6 * MB,
        peakFileBytes: 3 * MB,
        runQueueWaitSeconds: 0, // no schedstat file
      },
      {
        service: "nginx",
        processes: 1,
        cpuSeconds: 0,
        peakRssBytes: 6 * MB,
        peakAnonBytes: 2 * MB,
        peakFileBytes: 4 * MB,
        runQueueWaitSeconds: 0,
      },
    ]);
    // stop() is idempotent: no further sample.
    proc.set(20, 9000, 9000, 500, 400);
    assert.deepEqual(sampler.stop(), got);
  });
});

Deno.test("resources: a listed process's children count in its service (nginx workers)", async () => {
  await FakeProc.use((proc) => {
    const sampler = new ResourceSampler({
      processes: () => [{ service: "nginx", pid: 30 }],
      procRoot: proc.root,
    });
    proc.set(30, 1, 1, 6, 1); // master: idle
    proc.set(31, 100, 100, 9, 3, 500); // worker
    proc.children(30, [31]);
    sampler.sampleNow();
    proc.set(30, 1, 1, 6, 1);
    proc.set(31, 300, 200, 12, 4, 800);
    proc.children(30, [31]);
    const [nginx] = sampler.stop();
    assert.equal(nginx.processes, 2);
    assert.equal(nginx.cpuSeconds, 3); // the worker's 300 ticks
    assert.equal(nginx.peakRssBytes, 12 * MB);
    assert.equal(nginx.runQueueWaitSeconds, 0.3);
  });
});

Deno.test("resources: a reused pid restarts from its new counter; custom ticksPerSecond", async () => {
  await FakeProc.use((proc) => {
    const sampler = new ResourceSampler({
      processes: () => [{ service: "api", pid: 10 }],
      procRoot: proc.root,
      ticksPerSecond: 1000,
    });
    proc.set(10, 400, 0, 1, 1);
    sampler.sampleNow();
    proc.set(10, 3, 0, 1, 1); // new process with the same pid
    sampler.sampleNow();
    proc.set(10, 10, 1, 1, 1);
    assert.equal(sampler.stop()[0].cpuSeconds, 0.008);
  });
});

Deno.test("resources: a service never readable is listed with zeros; read errors are kept", async () => {
  await FakeProc.use((proc) => {
    const sampler = new ResourceSampler({
      processes: () => [{ service: "gone", pid: 99 }, { service: "bad", pid: 12 }],
      procRoot: proc.root,
    });
    proc.set(12, 1, 1, 1, 1);
    Deno.writeTextFileSync(`${proc.root}/12/stat`, "12 (bad");
    assert.throws(() => sampler.sampleNow(), /malformed/);
    const got = sampler.stop(); // the final sample fails the same way but does not throw
    assert.match(String(sampler.error), /malformed/);
    assert.deepEqual(got.map((r) => [r.service, r.processes, r.peakRssBytes]), [
      ["gone", 0, 0],
      ["bad", 0, 0],
    ]);
  });
});

Deno.test("resources: without /proc, start does nothing and stop returns []", () => {
  const root = "/nonexistent/proc";
  assert.equal(ResourceSampler.available(root), false);
  let calls = 0;
  const sampler = new ResourceSampler({
    processes: () => (calls++, [{ service: "api", pid: 1 }]),
    procRoot: root,
  });
  sampler.start();
  sampler.sampleNow();
  assert.deepEqual(sampler.stop(), []);
  assert.equal(calls, 0);
});

// Deno 2.9 runs the ops and resources sanitizers only when asked: ask, so a leaked timer or child
// process fails these tests.
const sanitize = { sanitizeOps: true, sanitizeResources: true };

Deno.test({
  name: "resources: start samples at once, then on a timer until the signal aborts",
  ...sanitize,
  async fn() {
    await FakeProc.use(async (proc) => {
      proc.set(10, 0, 0, 1, 1);
      let calls = 0;
      let reached: () => void = () => {};
      const threeTicks = new Promise<void>((resolve) => (reached = resolve));
      const sampler = new ResourceSampler({
        processes: () => {
          if (++calls === 3) reached();
          return [{ service: "api", pid: 10 }];
        },
        procRoot: proc.root,
        intervalMs: 1,
      });
      const ac = new AbortController();
      sampler.start(ac.signal);
      assert.equal(calls, 1); // first sample taken synchronously
      await threeTicks;
      proc.set(10, 100, 0, 2, 1);
      ac.abort(); // final sample, timer cleared (the test's sanitizers catch a leaked timer)
      const after = calls;
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(calls, after);
      assert.equal(sampler.stop()[0].cpuSeconds, 1);
      assert.equal(calls, after); // already stopped: no sample in stop()

      // stop() clears a pending timer (else the test's sanitizers report a leaked timer).
      const slow = new ResourceSampler({
        processes: () => [],
        procRoot: proc.root,
        intervalMs: 60_000,
      });
      slow.start();
      assert.deepEqual(slow.stop(), []);
    });
  },
});

Deno.test({
  name: "resources: samples a real child process from /proc [allow-all]",
  ignore: !ResourceSampler.available(),
  ...sanitize,
  async fn() {
    const code = `
      const a = new Uint8Array(40 * 2 ** 20).fill(1);
      const end = Date.now() + 300;
      let x = 0;
      while (Date.now() < end) x++;
      console.log("ready", a[7] + (x & 0));
      setTimeout(() => {}, 60_000);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const sampler = new ResourceSampler({
        processes: () => [{ service: "child", pid: child.pid }],
      });
      sampler.sampleNow();
      // Wait until the child has allocated and spun.
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      await reader.cancel();
      assert.match(out, /^ready 1/);
      sampler.sampleNow();
      const [got] = sampler.stop();
      assert.equal(sampler.error, undefined);
      assert.equal(got.service, "child");
      assert.equal(got.processes, 1);
      assert.ok(got.peakRssBytes >= 30 * MB, `peakRssBytes ${got.peakRssBytes}`);
      assert.ok(got.peakAnonBytes >= 30 * MB, `peakAnonBytes ${got.peakAnonBytes}`);
      assert.ok(got.cpuSeconds > 0, `cpuSeconds ${got.cpuSeconds}`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  },
});
