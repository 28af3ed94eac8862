/**
 * Checks the submission files against the rules of docs/CONTRACT.md §5 without a Docker engine:
 * docker-compose.yml (limits, port, networks, forbidden settings), nginx.conf (upstream sockets
 * agree with the compose volume and the instances' SOCKET_PATH) and the Dockerfile (base image,
 * non-root user).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseMemory, parseMilliCpus } from "../../tools/stack/compose_limits.ts";
import { parse } from "yaml";
import { renderNginxConf, upstreamSockets } from "../../tools/stack/nginx.ts";
import { findExecutable } from "../../tools/stack/processes.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";

const ROOT = new URL("../../", import.meta.url);
const EXPECTED_DEFAULT_URL = "http://payment-processor-default:8080";
const EXPECTED_FALLBACK_URL = "http://payment-processor-fallback:8080";
/** docs/CONTRACT.md §5: all services together. */
const MAX_MILLI_CPUS = 1500;
const MAX_MEMORY_BYTES = 350 * 1024 * 1024;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readText(name: string): string {
  return Deno.readTextFileSync(new URL(name, ROOT));
}

/** The environment of a service, from either the map or the `KEY=VALUE` list form. */
function environmentOf(service: Json): Record<string, string> {
  const env = service.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const text = String(entry);
      const eq = text.indexOf("=");
      return eq < 0 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)];
    }));
  }
  assert.ok(isObject(env), "environment must be a map or a list");
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? "" : String(v)]));
}

/** The networks a service joins, from either the list or the map form. */
function networksOf(service: Json): string[] {
  const networks = service.networks;
  if (networks === undefined) return [];
  if (Array.isArray(networks)) return networks.map(String);
  assert.ok(isObject(networks), "networks must be a list or a map");
  return Object.keys(networks);
}

interface Mount {
  source: string;
  target: string;
}

/** The mounts of a service, from the short (`src:dst[:mode]`) or the long syntax. */
function mountsOf(service: Json): Mount[] {
  const volumes = service.volumes;
  if (volumes === undefined) return [];
  assert.ok(Array.isArray(volumes), "volumes must be a list");
  return volumes.map((volume) => {
    if (typeof volume === "string") {
      const [source, target] = volume.split(":");
      assert.ok(source && target, `volume "${volume}" must name a source and a target`);
      return { source, target };
    }
    assert.ok(isObject(volume), "a volume must be a string or a map");
    return { source: String(volume.source), target: String(volume.target) };
  });
}

/** The published host ports of a service, as `{ published, target }` numbers. */
function portsOf(service: Json): { published: number; target: number }[] {
  const ports = service.ports;
  if (ports === undefined) return [];
  assert.ok(Array.isArray(ports), "ports must be a list");
  return ports.map((port) => {
    if (isObject(port)) return { published: Number(port.published), target: Number(port.target) };
    const parts = String(port).split("/")[0].split(":");
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : NaN;
    return { published, target };
  });
}

function loadCompose(): { services: Record<string, Json>; doc: Json } {
  const doc = parse(readText("docker-compose.yml"), { merge: true, uniqueKeys: true });
  assert.ok(isObject(doc), "docker-compose.yml must be a map");
  assert.ok(isObject(doc.services), "docker-compose.yml must have services");
  const services: Record<string, Json> = {};
  for (const [name, service] of Object.entries(doc.services)) {
    assert.ok(isObject(service), `service ${name} must be a map`);
    services[name] = service;
  }
  return { services, doc };
}

/** The API services: those configured with both processor URLs. */
function apiServices(services: Record<string, Json>): [string, Json][] {
  return Object.entries(services).filter(([, service]) => {
    const env = environmentOf(service);
    return env.PROCESSOR_DEFAULT_URL !== undefined || env.PROCESSOR_FALLBACK_URL !== undefined;
  });
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

Deno.test("parseMemory reads Docker's size forms in binary units", () => {
  assert.equal(parseMemory("100M"), 100 * 1024 * 1024);
  assert.equal(parseMemory("100MB"), 100 * 1024 * 1024);
  assert.equal(parseMemory("100mb"), 100 * 1024 * 1024);
  assert.equal(parseMemory("0.1G"), Math.round(0.1 * 1024 ** 3));
  assert.equal(parseMemory("512k"), 512 * 1024);
  assert.equal(parseMemory(1048576), 1048576);
  assert.equal(parseMemory("2048"), 2048);
  assert.throws(() => parseMemory("lots"), RangeError);
  assert.throws(() => parseMemory("0M"), RangeError);
  assert.throws(() => parseMemory(undefined), RangeError);
});

Deno.test("parseMilliCpus sums exactly", () => {
  assert.equal(parseMilliCpus("0.55") * 2 + parseMilliCpus(0.2) * 2, 1500);
  assert.throws(() => parseMilliCpus("-1"), RangeError);
  assert.throws(() => parseMilliCpus(undefined), RangeError);
});

Deno.test("upstreamSockets ignores comments and non-upstream servers", () => {
  const conf = `
    # upstream old { server unix:/old.sock; }
    upstream api { server unix:/s/a.sock weight=2; server unix:/s/b.sock; keepalive 8; }
    server { listen 9999; }`;
  assert.deepEqual(upstreamSockets(conf), ["/s/a.sock", "/s/b.sock"]);
});

Deno.test("compose: every service is limited and the total fits 1.5 CPU / 350 MB", () => {
  const { services } = loadCompose();
  let milliCpus = 0;
  let memory = 0;
  for (const [name, service] of Object.entries(services)) {
    const deploy = service.deploy;
    assert.ok(isObject(deploy), `${name}: deploy missing`);
    assert.ok(isObject(deploy.resources), `${name}: deploy.resources missing`);
    const limits = deploy.resources.limits;
    assert.ok(isObject(limits), `${name}: deploy.resources.limits missing`);
    assert.ok(limits.cpus !== undefined, `${name}: cpus limit missing`);
    assert.ok(limits.memory !== undefined, `${name}: memory limit missing`);
    milliCpus += parseMilliCpus(limits.cpus);
    memory += parseMemory(limits.memory);
  }
  assert.ok(milliCpus <= MAX_MILLI_CPUS, `total cpus ${milliCpus / 1000} > 1.5`);
  assert.ok(
    memory <= MAX_MEMORY_BYTES,
    `total memory ${(memory / 1024 / 1024).toFixed(1)} MB > 350 MB`,
  );
});

Deno.test("compose: every service restarts by itself unless stopped (crash, OOM kill)", () => {
  const { services } = loadCompose();
  assert.deepEqual(Object.keys(services).sort(), ["api1", "api2", "nginx", "redis"]);
  for (const [name, service] of Object.entries(services)) {
    // `on-failure` would leave a service down after a clean exit; `no` (the default) after any.
    assert.ok(
      service.restart === "unless-stopped" || service.restart === "always",
      `${name}: restart must be unless-stopped or always, got ${service.restart}`,
    );
    if (isObject(service.deploy)) {
      assert.equal(service.deploy.restart_policy, undefined, `${name}: one policy, not two`);
    }
  }
});

Deno.test("compose: port 9999 is published by the load balancer only", () => {
  const { services } = loadCompose();
  const publishers = Object.entries(services).filter(([, service]) =>
    portsOf(service).some((port) => port.published === 9999)
  );
  assert.equal(publishers.length, 1, "exactly one service publishes host port 9999");
  const [name, service] = publishers[0];
  assert.ok(String(service.image ?? "").startsWith("nginx"), `${name} must be the nginx service`);
  const port = portsOf(service).find((p) => p.published === 9999)!;
  const listens = [...readText("nginx.conf").matchAll(/\blisten\s+(\d+)/g)].map((m) => +m[1]);
  assert.ok(listens.includes(port.target), `nginx.conf listens on ${listens}, not ${port.target}`);
  const mounts = mountsOf(service);
  assert.ok(
    mounts.some((m) => m.source === "./nginx.conf" && m.target === "/etc/nginx/nginx.conf"),
    "nginx must mount ./nginx.conf as /etc/nginx/nginx.conf",
  );
});

Deno.test("compose: payment-processor network is external and joined by the APIs", () => {
  const { services, doc } = loadCompose();
  assert.ok(isObject(doc.networks), "top-level networks missing");
  const pp = doc.networks["payment-processor"];
  assert.ok(isObject(pp) && pp.external === true, "payment-processor must be external: true");
  const apis = apiServices(services);
  assert.ok(apis.length >= 2, `at least 2 API services, found ${apis.length}`);
  for (const [name, service] of apis) {
    const env = environmentOf(service);
    assert.equal(env.PROCESSOR_DEFAULT_URL, EXPECTED_DEFAULT_URL, `${name} default URL`);
    assert.equal(env.PROCESSOR_FALLBACK_URL, EXPECTED_FALLBACK_URL, `${name} fallback URL`);
    assert.ok(networksOf(service).includes("payment-processor"), `${name} must join it`);
    assert.ok(
      networksOf(service).some((n) => n !== "payment-processor"),
      `${name} must also join the internal network (Redis)`,
    );
  }
  const ids = apis.map(([, service]) => environmentOf(service).INSTANCE_ID);
  assert.equal(new Set(ids).size, apis.length, `INSTANCE_IDs must be distinct: ${ids}`);
});

Deno.test("compose: no privileged, host network, non-bridge network_mode or replicas", () => {
  const { services, doc } = loadCompose();
  for (const [name, service] of Object.entries(services)) {
    assert.notEqual(service.privileged, true, `${name} is privileged`);
    if (service.network_mode !== undefined) {
      assert.equal(service.network_mode, "bridge", `${name}: network_mode ${service.network_mode}`);
    }
    assert.equal(service.scale, undefined, `${name}: scale is forbidden`);
    if (isObject(service.deploy)) {
      assert.equal(service.deploy.replicas, undefined, `${name}: deploy.replicas is forbidden`);
      assert.notEqual(service.deploy.mode, "global", `${name}: deploy.mode global`);
    }
  }
  if (isObject(doc.networks)) {
    for (const [name, network] of Object.entries(doc.networks)) {
      if (isObject(network) && network.driver !== undefined) {
        assert.equal(network.driver, "bridge", `network ${name} must use the bridge driver`);
      }
    }
  }
});

Deno.test("compose: redis keeps nothing on disk and never evicts", () => {
  const { services } = loadCompose();
  const redis = Object.values(services).find((s) => String(s.image ?? "").startsWith("redis"));
  assert.ok(redis, "a redis service");
  const command = Array.isArray(redis.command) ? redis.command.map(String) : [];
  const arg = (flag: string) => command[command.indexOf(flag) + 1];
  assert.ok(command.includes("--save") && arg("--save") === "", '--save ""');
  assert.equal(arg("--appendonly"), "no");
  assert.equal(arg("--maxmemory-policy"), "noeviction");
});

Deno.test("compose: the APIs reach Redis over its unix socket in a volume they share with it", () => {
  const { services } = loadCompose();
  const redis = Object.values(services).find((s) => String(s.image ?? "").startsWith("redis"));
  assert.ok(redis, "a redis service");
  const command = Array.isArray(redis.command) ? redis.command.map(String) : [];
  const arg = (flag: string) => command[command.indexOf(flag) + 1];
  const socket = arg("--unixsocket");
  assert.ok(socket?.startsWith("/"), "redis --unixsocket <absolute path>");
  assert.equal(arg("--unixsocketperm"), "777", "the instances run as another user");
  const dir = dirname(socket);
  const redisMount = mountsOf(redis).find((m) => m.target === dir);
  assert.ok(redisMount, `redis must mount a volume at ${dir}`);
  // The image's entrypoint hands its working directory to the redis user (socket creation).
  assert.equal(redis.working_dir, dir, "redis working_dir = the socket's directory");
  const dockerfile = readText("Dockerfile");
  for (const [name, service] of apiServices(services)) {
    const url = String(environmentOf(service).REDIS_URL);
    assert.deepEqual(parseRedisUrl(url).connect, { transport: "unix", path: socket }, name);
    const mount = mountsOf(service).find((m) => m.target === dir);
    assert.equal(mount?.source, redisMount.source, `${name} and redis share ${dir}`);
  }
  for (const flag of ["--allow-read", "--allow-write"]) {
    const granted = dockerfile.match(new RegExp(`"${flag}=([^"]+)"`))?.[1].split(",") ?? [];
    assert.ok(granted.includes(dir), `Dockerfile ${flag} must include ${dir}`);
  }
});

Deno.test("nginx.conf upstream sockets match the APIs' SOCKET_PATH and the shared volume", () => {
  const { services } = loadCompose();
  const sockets = upstreamSockets(readText("nginx.conf"));
  assert.ok(sockets.length >= 2, `nginx.conf must list ≥ 2 unix upstreams, found ${sockets}`);
  const apis = apiServices(services);
  const socketPaths = apis.map(([, service]) => environmentOf(service).SOCKET_PATH);
  assert.deepEqual([...socketPaths].sort(), [...sockets].sort(), "upstreams = SOCKET_PATHs");

  const nginx = Object.values(services).find((s) => String(s.image ?? "").startsWith("nginx"));
  assert.ok(nginx, "an nginx service");
  for (const [name, service] of apis) {
    const socket = environmentOf(service).SOCKET_PATH;
    const dir = dirname(socket);
    const apiMount: Mount | undefined = mountsOf(service).find((m) => m.target === dir);
    assert.ok(apiMount, `${name} must mount a volume at ${dir}`);
    const nginxMount: Mount | undefined = mountsOf(nginx).find((m) => m.target === dir);
    assert.ok(nginxMount, `nginx must mount a volume at ${dir}`);
    assert.equal(nginxMount.source, apiMount.source, `${name} and nginx share ${dir}`);
  }
});

Deno.test("Dockerfile: official denoland/deno base, non-root USER, runs src/main.ts", () => {
  const lines = readText("Dockerfile").split("\n").map((l) => l.trim()).filter((l) =>
    l && !l.startsWith("#")
  );
  const from = lines.filter((l) => /^FROM\s/i.test(l));
  assert.ok(from.length >= 1, "a FROM line");
  assert.match(from.at(-1)!, /^FROM\s+denoland\/deno:\d+\.\d+\.\d+\b/i, "pinned denoland/deno");
  const users = lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.ok(users.length >= 1, "a USER line");
  const user = users.at(-1)!.split(":")[0];
  assert.ok(user !== "root" && user !== "0", `final USER must not be root, got ${user}`);
  const cmd = lines.filter((l) => /^(CMD|ENTRYPOINT)\s/i.test(l)).at(-1) ?? "";
  assert.match(cmd, /src\/main\.ts/, "CMD runs src/main.ts");
  assert.doesNotMatch(cmd, /--allow-all|\s-A\b/, "no blanket permissions");
});

async function nginxAccepts(conf: string, dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const result = await new Deno.Command(findExecutable("nginx")!, {
    args: [
      "-t",
      "-p",
      `${dir}/`,
      "-c",
      `${dir}/nginx.conf`,
      "-e",
      "stderr",
      "-g",
      `pid ${dir}/nginx.pid;`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
}

Deno.test({
  name: "nginx.conf passes nginx -t with the local stack's substitutions (sockets, port, count)",
  ignore: !findExecutable("nginx"),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "nginx-conf-test-" });
    try {
      const conf = renderNginxConf(readText("nginx.conf"), dir, 19_999);
      assert.ok(conf.includes(`unix:${dir}/api1.sock`) && !conf.includes("/sockets/"));
      assert.match(conf, /\blisten\s+19999\b/);
      await nginxAccepts(conf, dir);
      // The stack's copy for 3 instances (compose's file stays at 2 upstreams).
      const three = renderNginxConf(readText("nginx.conf"), dir, 19_999, [
        "api1.sock",
        "api2.sock",
        "api3.sock",
      ]);
      assert.deepEqual(upstreamSockets(three), [1, 2, 3].map((i) => `${dir}/api${i}.sock`));
      await nginxAccepts(three, dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
