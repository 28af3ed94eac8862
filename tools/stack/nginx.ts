/**
 * Runs the repository's nginx.conf outside Docker: the same file with the socket directory (and,
 * when asked, the port) substituted, started unprivileged with its prefix, pid and error log in
 * the stack's run directory.
 *
 * @module
 */

import { ManagedProcess, type OutputMode } from "./processes.ts";

/** The socket directory nginx.conf uses in compose (the shared volume's mount point). */
const COMPOSE_SOCKET_DIR = "/sockets";
/** The port nginx.conf listens on in compose (docs/CONTRACT.md §1). */
const COMPOSE_PORT = 9999;

/** Raised when nginx.conf does not have the shape the stack substitutes into. */
class NginxConfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NginxConfError";
  }
}

/**
 * The unix socket paths of the `upstream` blocks of an nginx configuration, in order.
 */
export function upstreamSockets(conf: string): string[] {
  const withoutComments = conf.replace(/#[^\n]*/g, "");
  const paths: string[] = [];
  for (const block of withoutComments.matchAll(/upstream\s+[\w.-]+\s*\{([^}]*)\}/g)) {
    for (const server of block[1].matchAll(/\bserver\s+unix:([^\s;]+)/g)) paths.push(server[1]);
  }
  return paths;
}

/**
 * Rewrites nginx.conf for a local run: `unix:/sockets/` becomes `unix:<socketDir>/`, `listen 9999`
 * becomes `listen <port>` when `port` differs from 9999, and, when `sockets` (file names in
 * `socketDir`) are given, the upstream balances those: the first `server unix:` line is repeated
 * once per socket, with its parameters, and the others are dropped (so the stack runs N instances
 * behind the same file compose runs with 2).
 *
 * @throws {NginxConfError} when the file has no `unix:/sockets/` upstream, more than one
 *   `upstream` block, or no `listen 9999`.
 */
export function renderNginxConf(
  template: string,
  socketDir: string,
  port: number,
  sockets?: readonly string[],
): string {
  const found = upstreamSockets(template);
  if (found.length === 0 || found.some((s) => !s.startsWith(`${COMPOSE_SOCKET_DIR}/`))) {
    throw new NginxConfError(`nginx.conf upstreams must be unix:${COMPOSE_SOCKET_DIR}/*.sock`);
  }
  const listen = new RegExp(`(\\blisten\\s+)${COMPOSE_PORT}\\b`, "g");
  if (!listen.test(template)) throw new NginxConfError(`nginx.conf must listen ${COMPOSE_PORT}`);
  let conf = sockets === undefined ? template : withUpstreamSockets(template, sockets);
  conf = conf.replaceAll(`unix:${COMPOSE_SOCKET_DIR}/`, `unix:${socketDir}/`);
  if (port !== COMPOSE_PORT) conf = conf.replace(listen, `$1${port}`);
  return conf;
}

/** `template` with its one upstream's `server unix:/sockets/…` lines replaced by `sockets`. */
function withUpstreamSockets(template: string, sockets: readonly string[]): string {
  const blocks = template.replace(/#[^\n]*/g, "").match(/\bupstream\s+[\w.-]+\s*\{/g) ?? [];
  if (blocks.length !== 1) {
    throw new NginxConfError(`nginx.conf must have one upstream block, not ${blocks.length}`);
  }
  const server = new RegExp(
    `^([ \\t]*)server[ \\t]+unix:${COMPOSE_SOCKET_DIR}/[^\\s;]+([^;\\n]*);[^\\n]*\\n`,
    "gm",
  );
  let first = true;
  return template.replace(server, (_line, indent: string, parameters: string) => {
    if (!first) return "";
    first = false;
    return sockets.map((name) =>
      `${indent}server unix:${COMPOSE_SOCKET_DIR}/${name}${parameters};\n`
    ).join("");
  });
}

/**
 * Where a rendered configuration's (first) `listen` directive binds: `0.0.0.0:<port>` (every IPv4
 * interface) for a bare port, else the address as written.
 */
export function listenAddress(conf: string): string {
  const target = /^\s*listen\s+([^\s;]+)/m.exec(conf.replace(/#[^\n]*/g, ""))?.[1] ?? "";
  return /^\d+$/.test(target) ? `0.0.0.0:${target}` : target;
}

/** How to start nginx for the local stack. */
interface NginxOptions {
  /** The nginx executable. */
  executable: string;
  /** Contents of the repository's nginx.conf. */
  template: string;
  /** Run directory: prefix, sockets, generated conf and pid live here; errors go to stderr. */
  runDir: string;
  port: number;
  /** The upstream's socket file names in `runDir`; nginx.conf's own names when absent. */
  sockets?: readonly string[];
  output: OutputMode;
}

/**
 * Writes the rendered configuration, checks it with `nginx -t`, and starts nginx in the
 * foreground (`daemon off`) as a child process.
 *
 * @throws {NginxConfError} when the template cannot be rendered or `nginx -t` rejects it.
 */
export async function startNginx(options: NginxOptions): Promise<ManagedProcess> {
  const { executable, runDir } = options;
  const confPath = `${runDir}/nginx.conf`;
  const conf = renderNginxConf(options.template, runDir, options.port, options.sockets);
  await Deno.writeTextFile(confPath, conf);
  const args = [
    "-p",
    `${runDir}/`,
    "-c",
    confPath,
    "-e",
    "stderr",
    "-g",
    `pid ${runDir}/nginx.pid; daemon off;`,
  ];
  const test = await new Deno.Command(executable, {
    args: ["-t", "-q", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!test.success) {
    const why = new TextDecoder().decode(test.stderr).trim();
    throw new NginxConfError(`nginx -t rejected ${confPath}: ${why}`);
  }
  return new ManagedProcess({
    name: "nginx",
    command: executable,
    args,
    output: options.output,
  });
}
