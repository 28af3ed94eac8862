/**
 * Where a bench run came from: the repository's commit, the Deno version and the machine (logical
 * cores and CPU model), so two results can be told apart (docs/BENCHMARKS.md "Output"). Never
 * throws: what cannot be read is reported as "unknown" (outside a git checkout, without
 * `--allow-run`, or without `/proc/cpuinfo`, which Deno 2.9 reads only with `--allow-all`).
 *
 * @module
 */

/** What {@linkcode readProvenance} finds. */
export interface Provenance {
  /** `git rev-parse --short HEAD` of the checkout holding this file, or "unknown". */
  commit: string;
  /** `Deno.version.deno`, e.g. "2.9.6". */
  deno: string;
  /** Logical CPUs: `processor` entries of /proc/cpuinfo, else `navigator.hardwareConcurrency`. */
  cores: number;
  /** The first `model name` of /proc/cpuinfo, or "unknown". */
  cpuModel: string;
}

/** Reads the commit (a `git` child process, 5 s at most), the Deno version and the machine. */
export async function readProvenance(): Promise<Provenance> {
  let cpuinfo = "";
  try {
    cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  } catch { /* not Linux, or no permission */ }
  const processors = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  return {
    commit: await gitCommit(),
    deno: Deno.version.deno,
    cores: processors || navigator.hardwareConcurrency,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() || "unknown",
  };
}

async function gitCommit(): Promise<string> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "--short", "HEAD"],
      cwd: import.meta.dirname,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    const commit = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]{4,64}$/.test(commit) ? commit : "unknown";
  } catch {
    return "unknown"; // no git, no --allow-run, or too slow
  }
}
