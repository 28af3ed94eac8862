/**
 * Child processes of the local stack: spawned with piped output, their lines either prefixed with
 * the service name on stderr or kept as a bounded tail for diagnostics, and stopped by pid with
 * SIGTERM then SIGKILL after a deadline.
 *
 * @module
 */

/** Where a child's output goes: prefixed lines on stderr, or only a bounded in-memory tail. */
export type OutputMode = "prefix" | "quiet";

/** How to start one child process. */
interface ManagedProcessOptions {
  /** Service name, used as the line prefix (`[api1] ...`). */
  name: string;
  /** Executable path or name on PATH. */
  command: string;
  args: string[];
  cwd?: string;
  /** Variables set on top of the inherited environment. */
  env?: Record<string, string>;
  output: OutputMode;
  /** Lines of output kept for {@linkcode ManagedProcess.tail}; 200 by default. */
  tailLines?: number;
}

const encoder = new TextEncoder();

/** How long the output of an exited child is still read, ms. */
const PUMP_DRAIN_MS = 2_000;

/**
 * One child process this stack started. Never signals anything but its own pid.
 */
export class ManagedProcess {
  /** Service name. */
  readonly name: string;
  /** Resolves with the exit status once the process has ended. */
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #tail: string[] = [];
  #tailLines: number;
  #output: OutputMode;
  #exited = false;
  #stopping = false;
  #pumps: Promise<void>[];
  /** Cancels the output pumps (a grandchild may hold the pipes open after the child exited). */
  #pumpsAbort = new AbortController();

  /**
   * Spawns the process at once.
   *
   * @throws {Deno.errors.NotFound} when the command does not exist.
   */
  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.#output = options.output;
    this.#tailLines = options.tailLines ?? 200;
    this.#child = new Deno.Command(options.command, {
      args: options.args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = [this.#pump(this.#child.stdout), this.#pump(this.#child.stderr)];
    this.status = this.#child.status.then(async (status) => {
      this.#exited = true;
      // An orphaned grandchild (e.g. an nginx worker whose master was killed) can keep the pipes
      // open: read what is left for a moment, then stop reading rather than wait for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        Promise.allSettled(this.#pumps).then(() => true),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), PUMP_DRAIN_MS)),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.#line(`output still open ${PUMP_DRAIN_MS} ms after the exit: no longer read`);
        this.#pumpsAbort.abort();
        await Promise.allSettled(this.#pumps);
      }
      return status;
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** True once the process has ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** True once {@linkcode stop} was called: an exit after that is expected. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** The last lines of output (stdout and stderr interleaved), newline-joined. */
  tail(): string {
    return this.#tail.join("\n");
  }

  /**
   * Sends `signal` (SIGTERM by default) and waits for the exit; sends SIGKILL when the process is
   * still running after `timeoutMs` (10 s by default). Safe to call more than once.
   */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<Deno.CommandStatus> {
    this.#stopping = true;
    if (!this.#exited) {
      this.#kill(signal);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        this.status.then(() => false),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs)),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.#line(`did not stop within ${timeoutMs} ms after ${signal}: SIGKILL`);
        this.#kill("SIGKILL");
      }
    }
    return await this.status;
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited between the check and the signal.
    }
  }

  #line(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > this.#tailLines) this.#tail.shift();
    if (this.#output === "prefix") {
      Deno.stderr.writeSync(encoder.encode(`[${this.name}] ${line}\n`));
    }
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    try {
      const text = stream.pipeThrough(new TextDecoderStream(), { signal: this.#pumpsAbort.signal });
      for await (const chunk of text) {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          this.#line(pending.slice(0, newline).trimEnd());
          pending = pending.slice(newline + 1);
        }
        // A process printing without newlines must not grow the buffer without bound.
        if (pending.length > 8192) {
          this.#line(pending);
          pending = "";
        }
      }
    } catch {
      // The pipe broke because the process died; what was read is kept.
    }
    if (pending) this.#line(pending.trimEnd());
  }
}

/**
 * Deno's read and write permissions on `paths` (a run directory, a unix socket: connecting to one
 * needs both); no flag when there is no path.
 */
export function fileAccessFlags(paths: readonly string[]): string[] {
  return paths.length
    ? [`--allow-read=${paths.join(",")}`, `--allow-write=${paths.join(",")}`]
    : [];
}

/**
 * Finds an executable on PATH (and in the sbin directories, where Debian puts nginx).
 *
 * @returns its absolute path, or `undefined` when there is none.
 */
export function findExecutable(name: string): string | undefined {
  const path = Deno.env.get("PATH") ?? "";
  const dirs = [...path.split(":").filter(Boolean), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    const candidate = `${dir}/${name}`;
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * Picks a TCP port that is free on all interfaces right now, by binding port 0 and closing it.
 * Another process may take it before the caller binds it; the window is short.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
