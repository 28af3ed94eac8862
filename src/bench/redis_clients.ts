/**
 * Redis client benchmark under Deno: npm:ioredis@6.0.0 vs npm:redis@6.3.1 (node-redis) vs the
 * product's own client, `store` (`src/store/redis.ts`). The measurements behind the choice
 * recorded in docs/REDIS_CLIENT.md.
 *
 * ```sh
 * deno task bench:redis [--client ioredis|redis|store] [--mode throughput|soak|behaviour] [--seconds N] [--runs N]
 * ```
 *
 * - `throughput` (default): 200,000 LPUSH, then 200,000 EVALSHA of a SADD+LPUSH script (typed
 *   API, then raw API), 1,000 in flight. Without `--client`: `--runs` (5) runs per client, each in
 *   a fresh process, the client order reversed every other run; prints median/min/max ops/s, CPU
 *   µs per command, RSS right after connecting (idle) and RSS at the end.
 * - `soak`: ~3,000 mixed ops/s plus a BLMOVE loop for `--seconds` (600), sampling RSS every 10 s.
 *   Without `--client`: all clients at once, one process each.
 * - `behaviour` (ioredis and node-redis only): offline-queue, resend and reconnect experiments
 *   against a throwaway `redis-server` on port 6390 that this mode starts and kills (needs
 *   `redis-server` and `redis-cli` on PATH).
 *
 * Redis at 127.0.0.1:6379; only keys under `bench:redisclients:` are used and deleted afterwards.
 *
 * @module
 */
import {
  behaviour,
  BEHAVIOUR_CLIENTS,
  type BehaviourClientName,
  type ClientName,
  CLIENTS,
  type Rate,
  soak,
  throughput,
  type ThroughputResult,
} from "./redis_clients_worker.ts";

/** Command-line options. */
interface Options {
  client?: ClientName;
  mode: "throughput" | "soak" | "behaviour";
  seconds: number;
  runs: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { mode: "throughput", seconds: 600, runs: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--client" && (CLIENTS as readonly string[]).includes(value)) {
      opts.client = value as ClientName;
    } else if (flag === "--mode" && ["throughput", "soak", "behaviour"].includes(value)) {
      opts.mode = value as Options["mode"];
    } else if ((flag === "--seconds" || flag === "--runs") && Number(value) > 0) {
      opts[flag === "--seconds" ? "seconds" : "runs"] = Number(value);
    } else {
      throw new Error(`bad argument ${flag} ${value ?? ""}`);
    }
  }
  if (opts.mode === "behaviour" && opts.client === "store") {
    throw new Error(
      "--mode behaviour compares ioredis and node-redis option sets and connection events; " +
        "store has neither (its connection-loss behaviour is tested in tests/store/redis_test.ts)",
    );
  }
  return opts;
}

/** Runs this script for one client in a fresh Deno process; returns its JSON output lines. */
async function child(client: ClientName, args: string[], onLine = (_: string) => {}) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--allow-net=127.0.0.1", "--allow-env", import.meta.filename!]
      .concat(["--client", client], args),
    stdout: "piped",
  });
  const proc = cmd.spawn();
  const lines: unknown[] = [];
  let buf = "";
  for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
      lines.push(JSON.parse(line));
    }
  }
  const { code } = await proc.status;
  if (code !== 0) throw new Error(`${client} child exited with ${code}`);
  return lines;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function throughputAll(runs: number) {
  const results: Record<string, ThroughputResult[]> = {};
  const rate = (r: Rate) => `${fmt(r.opsPerSec)} ops/s ${r.cpuUsPerOp.toFixed(1)} µs CPU/op`;
  const commands = ["lpush", "evalsha", "evalshaRaw"] as const;
  const mib = (n: number) => n.toFixed(1);
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
    for (const client of order) {
      const [r] = await child(client, ["--mode", "throughput"]) as ThroughputResult[];
      const rates = commands.map((cmd) => `${cmd} ${rate(r[cmd])}`).join(", ");
      const rss = `RSS idle ${mib(r.rssIdleMiB)} MiB, end ${mib(r.rssMiB)} MiB`;
      console.log(`run ${run + 1} ${client.padEnd(7)} ${rates}, ${rss}`);
      (results[client] ??= []).push(r);
    }
  }
  const cell = (xs: number[], f: (n: number) => string) =>
    `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
  const us = (n: number) => n.toFixed(1);
  const columns = commands.map((c) => `${c} ops/s | ${c} µs CPU/op`).join(" | ");
  console.log(`\n| client | ${columns} | RSS idle MiB | RSS end MiB |`);
  console.log(`| --- |${" --- | --- |".repeat(commands.length + 1)}`);
  for (const client of CLIENTS) {
    const rs = results[client];
    const cells = commands.map((cmd) =>
      `${cell(rs.map((r) => r[cmd].opsPerSec), fmt)} | ${
        cell(rs.map((r) => r[cmd].cpuUsPerOp), us)
      }`
    );
    const rss = `${cell(rs.map((r) => r.rssIdleMiB), mib)} | ${cell(rs.map((r) => r.rssMiB), mib)}`;
    console.log(`| ${client} | ${cells.join(" | ")} | ${rss} |`);
  }
  console.log("median (min–max) over", runs, "fresh processes per client");
}

type SoakLine = Parameters<Parameters<typeof soak>[2]>[0];

async function soakAll(seconds: number) {
  const print = (client: string) => (line: string) => console.log(client.padEnd(7), line);
  const all = await Promise.all(
    CLIENTS.map((c) => child(c, ["--mode", "soak", "--seconds", String(seconds)], print(c))),
  ) as SoakLine[][];
  console.log(
    "\n| client | RSS start MiB | RSS max MiB | RSS end MiB | heapUsed start→end MiB | ops/s | BLMOVE | errors |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  CLIENTS.forEach((client, i) => {
    const s = all[i], first = s[0], last = s[s.length - 1];
    console.log(
      `| ${client} | ${first.rssMiB} | ${Math.max(...s.map((x) => x.rssMiB))} | ${last.rssMiB} | ` +
        `${first.heapUsedMiB}→${last.heapUsedMiB} | ${
          fmt(last.ops / last.t)
        } | ${last.blmoves} | ` +
        `${last.errors} |`,
    );
  });
}

if (import.meta.main) {
  const opts = parseOptions(Deno.args);
  if (opts.mode === "behaviour") {
    const clients = opts.client ? [opts.client as BehaviourClientName] : BEHAVIOUR_CLIENTS;
    for (const client of clients) await behaviour(client);
  } else if (opts.client && opts.mode === "throughput") {
    console.log(JSON.stringify(await throughput(opts.client)));
  } else if (opts.client) {
    await soak(opts.client, opts.seconds, (s) => console.log(JSON.stringify(s)));
  } else if (opts.mode === "throughput") {
    await throughputAll(opts.runs);
  } else {
    await soakAll(opts.seconds);
  }
}
