/**
 * Per-service CPU and memory of the stack under test, sampled from Linux's `/proc`.
 *
 * The performance work asks for the RSS per service of the final scenario (docs/BENCHMARKS.md). Those figures
 * came from an ad-hoc script; this sampler lets `deno task bench` report them itself. At every
 * tick it reads `/proc/<pid>/stat`, `status` and `schedstat` of each listed process and of its
 * direct children (nginx's workers), and keeps only per-service aggregates (plus the last
 * counters of each pid seen), never a per-tick history.
 *
 * Units: bytes for memory, seconds for CPU, milliseconds for intervals. On a platform without
 * `/proc` (macOS, Windows), or without the permission to read it (Deno 2.9 asks `--allow-all` for
 * `/proc`), the sampler does nothing and reports nothing.
 *
 * @module
 */

/** One process of the stack, as known at the time of a tick. */
export interface ServiceProcess {
  /** Service name (e.g. "api1", "redis"); several processes may share it. */
  service: string;
  /** Its pid; a restarted process gets a new one. */
  pid: number;
}

/** What the processes of one service used while the sampler ran. */
export interface ServiceResources {
  service: string;
  /** Distinct pids sampled at least once (0: the service was listed but never readable). */
  processes: number;
  /** User + system CPU during sampling, summed over its pids (last minus first sample), 3 decimals. */
  cpuSeconds: number;
  /** Largest VmRSS of a single process, in bytes (not a sum over processes). */
  peakRssBytes: number;
  /** RssAnon (private heap, stacks, buffers) of that process in that same sample, bytes. */
  peakAnonBytes: number;
  /** RssFile (pages mapped from files, e.g. the executable) of that process in that sample, bytes. */
  peakFileBytes: number;
  /**
   * Time the main threads (the event loops) were runnable but waiting for a CPU, summed over its
   * pids, seconds with 3 decimals (`/proc/<pid>/schedstat` field 2; 0 where the kernel has none).
   * Next to `cpuSeconds` it tells how much of a request's latency is the machine's contention.
   */
  runQueueWaitSeconds: number;
}

/** Options of {@linkcode ResourceSampler}. */
interface ResourceSamplerOptions {
  /** The processes to sample, called at every tick since the set can change. */
  processes: () => readonly ServiceProcess[];
  /** Time between ticks in ms (default 1000). */
  intervalMs?: number;
  /** Root of the proc filesystem (default "/proc"; tests pass a fake one). */
  procRoot?: string;
  /**
   * Clock ticks per second of the stat CPU counters (Linux USER_HZ). 100 on every mainstream
   * kernel; `getconf CLK_TCK` would need --allow-run, hence an option (default 100).
   */
  ticksPerSecond?: number;
}

/** Memory figures of one /proc/<pid>/status, in bytes. */
interface StatusMemory {
  rssBytes: number;
  anonBytes: number;
  fileBytes: number;
}

/**
 * utime + stime (fields 14 and 15, in clock ticks) of a /proc/<pid>/stat line. Fields are counted
 * after the last ')' since the comm field (2) may hold spaces and parentheses.
 *
 * @throws {Error} when the line has no ')' or the fields are not numbers.
 */
export function parseStatCpuTicks(text: string): number {
  // After ')': field 3 (state) is index 0, so fields 14 and 15 are indexes 11 and 12.
  const fields = text.slice(text.lastIndexOf(")") + 1).trim().split(/\s+/);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!text.includes(")") || !Number.isFinite(ticks)) {
    throw new Error(`malformed /proc stat line: ${text.slice(0, 80)}`);
  }
  return ticks;
}

/**
 * VmRSS, RssAnon and RssFile (kB in the file) of a /proc/<pid>/status text, in bytes; a missing
 * line (e.g. a kernel thread or a zombie) counts 0.
 */
export function parseStatusMemory(text: string): StatusMemory {
  const kB = (key: string): number => {
    const m = text.match(new RegExp(`^${key}:\\s*(\\d+)\\s*kB`, "m"));
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rssBytes: kB("VmRSS"), anonBytes: kB("RssAnon"), fileBytes: kB("RssFile") };
}

/**
 * Run-queue wait (field 2, ns) of a /proc/<pid>/schedstat line: "<on-cpu ns> <waiting ns> <slices>".
 *
 * @throws {Error} when the field is not a number.
 */
export function parseSchedstatWaitNs(text: string): number {
  const wait = Number(text.trim().split(/\s+/)[1]);
  if (!Number.isFinite(wait)) {
    throw new Error(`malformed /proc schedstat line: ${text.slice(0, 80)}`);
  }
  return wait;
}

/** Cumulative CPU time of the whole machine, in clock ticks (the `cpu` line of /proc/stat). */
export interface MachineCpuTimes {
  /** Online CPUs (`cpuN` lines): the machine's, whatever this process's affinity. */
  cores: number;
  /** user + nice + system + irq + softirq (guest time is inside user). */
  busy: number;
  /** Time the hypervisor ran something else while this machine wanted the CPU. */
  steal: number;
  /** Every field but guest and guest_nice (counted in user and nice already). */
  total: number;
}

/**
 * The machine's CPU counters from `/proc/stat`, or undefined where it cannot be read (not Linux,
 * or no `--allow-all`).
 */
export function readMachineCpu(procRoot = "/proc"): MachineCpuTimes | undefined {
  try {
    const lines = Deno.readTextFileSync(`${procRoot}/stat`).split("\n");
    const line = lines[0];
    const cores = lines.filter((l) => /^cpu\d+ /.test(l)).length;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9)
      .map(Number);
    const busy = user + nice + system + irq + softirq;
    const total = busy + idle + iowait + steal;
    return Number.isFinite(total) && line.startsWith("cpu ") && cores > 0
      ? { cores, busy, steal, total }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cores busy and cores stolen on average between two readings, 2 decimals: e.g. 0.71 of the
 * machine's 2 cores busy with our processes and everything else, 0.05 taken by the hypervisor.
 */
export function machineCpuBetween(
  before: MachineCpuTimes,
  after: MachineCpuTimes,
): { cores: number; busyCores: number; stealCores: number } {
  const total = after.total - before.total;
  const share = (x: number) => total > 0 ? Math.round((x / total) * after.cores * 100) / 100 : 0;
  return {
    cores: after.cores,
    busyCores: share(after.busy - before.busy),
    stealCores: share(after.steal - before.steal),
  };
}

/** Bytes as decimal megabytes (10^6 bytes) with one decimal, e.g. "79.4 MB". */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

interface ServiceState {
  /** Last CPU counter (ticks) of each pid seen. */
  lastTicks: Map<number, number>;
  cpuTicks: number;
  /** Last run-queue wait (ns) of each pid seen with a schedstat file. */
  lastWaitNs: Map<number, number>;
  waitNs: number;
  peakRss: number;
  peakAnon: number;
  peakFile: number;
}

/** True when an error means the process is gone (exited between listing and reading). */
function vanished(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || (err as { code?: string }).code === "ESRCH";
}

/**
 * Samples the CPU and memory of the stack's processes every `intervalMs` and reports, per service,
 * the CPU used and the peak memory of its largest process.
 *
 * A process that vanished between ticks is skipped silently; its earlier samples still count.
 * Other read errors (e.g. permissions, a malformed file) are thrown by {@linkcode sampleNow}; in
 * timer ticks and in {@linkcode stop} the first one is kept in {@linkcode error} instead, so a
 * monitoring problem never crashes the benchmark.
 */
export class ResourceSampler {
  /** First error of a timer tick or of the final sample, if any. */
  error: unknown = undefined;
  readonly #processes: () => readonly ServiceProcess[];
  readonly #intervalMs: number;
  readonly #procRoot: string;
  readonly #ticksPerSecond: number;
  readonly #available: boolean;
  readonly #services = new Map<string, ServiceState>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #signal: AbortSignal | undefined;

  constructor(options: ResourceSamplerOptions) {
    this.#processes = options.processes;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#ticksPerSecond = options.ticksPerSecond ?? 100;
    this.#available = ResourceSampler.available(this.#procRoot);
  }

  /** True when `${procRoot}/self/stat` is readable (Linux, with read permission). */
  static available(procRoot = "/proc"): boolean {
    try {
      Deno.readTextFileSync(`${procRoot}/self/stat`);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Takes a sample at once, then one every `intervalMs` (setTimeout, never overlapping) until
   * `signal` aborts (which takes a final sample) or {@linkcode stop} is called. No-op without /proc,
   * when already started or stopped, or when `signal` is already aborted.
   */
  start(signal?: AbortSignal): void {
    if (!this.#available || this.#stopped || this.#timer !== undefined) return;
    if (signal?.aborted) return;
    this.#signal = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#tick();
  }

  /** Takes one sample of every listed process now (start() uses it; tests call it directly). */
  sampleNow(): void {
    if (!this.#available) return;
    for (const { service, pid: listed } of this.#processes()) {
      let s = this.#services.get(service);
      if (!s) {
        s = {
          lastTicks: new Map(),
          cpuTicks: 0,
          lastWaitNs: new Map(),
          waitNs: 0,
          peakRss: 0,
          peakAnon: 0,
          peakFile: 0,
        };
        this.#services.set(service, s);
      }
      for (const pid of [listed, ...this.#children(listed)]) this.#sample(s, pid);
    }
  }

  /** Direct children of `pid` (e.g. nginx's workers), from `task/<pid>/children`; [] if none. */
  #children(pid: number): number[] {
    try {
      const text = Deno.readTextFileSync(`${this.#procRoot}/${pid}/task/${pid}/children`);
      return text.split(/\s+/).filter(Boolean).map(Number);
    } catch (err) {
      if (vanished(err)) return [];
      throw err;
    }
  }

  /** Samples one process into its service's aggregates; a vanished one is skipped. */
  #sample(s: ServiceState, pid: number): void {
    let stat: string, status: string, schedstat: string | undefined;
    try {
      stat = Deno.readTextFileSync(`${this.#procRoot}/${pid}/stat`);
      status = Deno.readTextFileSync(`${this.#procRoot}/${pid}/status`);
    } catch (err) {
      if (vanished(err)) return;
      throw err;
    }
    try {
      schedstat = Deno.readTextFileSync(`${this.#procRoot}/${pid}/schedstat`);
    } catch (err) {
      if (!vanished(err)) throw err; // absent: a kernel without CONFIG_SCHEDSTATS, or gone
    }
    if (schedstat !== undefined) {
      const wait = parseSchedstatWaitNs(schedstat);
      const lastWait = s.lastWaitNs.get(pid);
      if (lastWait !== undefined && wait >= lastWait) s.waitNs += wait - lastWait;
      s.lastWaitNs.set(pid, wait);
    }
    const ticks = parseStatCpuTicks(stat);
    const last = s.lastTicks.get(pid);
    // A counter going down means a reused pid: start again from its new value.
    if (last !== undefined && ticks >= last) s.cpuTicks += ticks - last;
    s.lastTicks.set(pid, ticks);
    const mem = parseStatusMemory(status);
    if (mem.rssBytes > s.peakRss) {
      // The split of the peak itself, so that anon + file add up to the RSS reported.
      s.peakRss = mem.rssBytes;
      s.peakAnon = mem.anonBytes;
      s.peakFile = mem.fileBytes;
    }
  }

  /**
   * Takes a final sample (unless already stopped), stops the timer and returns one entry per
   * service, in first-seen order. Without /proc: [].
   */
  stop(): ServiceResources[] {
    if (!this.#stopped) this.#finish();
    return [...this.#services].map(([service, s]) => ({
      service,
      processes: s.lastTicks.size,
      cpuSeconds: Math.round((s.cpuTicks / this.#ticksPerSecond) * 1000) / 1000,
      peakRssBytes: s.peakRss,
      peakAnonBytes: s.peakAnon,
      peakFileBytes: s.peakFile,
      runQueueWaitSeconds: Math.round(s.waitNs / 1e6) / 1000,
    }));
  }

  #onAbort = (): void => {
    if (!this.#stopped) this.#finish();
  };

  #finish(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#sampleSafely();
  }

  #tick = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#sampleSafely();
    this.#timer = setTimeout(this.#tick, this.#intervalMs);
  };

  #sampleSafely(): void {
    try {
      this.sampleNow();
    } catch (err) {
      this.error ??= err;
    }
  }
}
