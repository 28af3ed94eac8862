import assert from "node:assert/strict";
import { freePort } from "../../../tools/stack/processes.ts";
import { startStack } from "../../../tools/stack/stack.ts";

// Options are checked before anything starts: these fail without a process or a run directory.
// Every option error has one wording: `<option> <value>: <problem>` (tools/stack/options.ts).

Deno.test("startStack refuses an unknown load balancer, instance count or port", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => startStack({ lb: "haproxy" as any }),
    /RangeError: --lb haproxy: must be auto, nginx or reuseport$/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", instances: 0 }),
    /RangeError: --instances 0: must be an integer in \[1, 16\]$/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", instances: 17 }),
    /RangeError: --instances 17: must be an integer in \[1, 16\]$/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 70_000 }),
    /RangeError: --port 70000: must be a port in \[0, 65535\]$/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, defaultPort: -1 }),
    /RangeError: defaultPort -1: must be a port in \[0, 65535\]$/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, defaultPort: 0, fallbackFee: 1 }),
    /RangeError: fallbackFee 1: must be in \[0, 1\)$/,
  );
});

Deno.test("startStack takes both processor URLs or neither, and only http(s) ones", async () => {
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, defaultUrl: "http://127.0.0.1:1" }),
    /RangeError: --pp-default http:\/\/127\.0\.0\.1:1: given without --pp-fallback; give both/,
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, fallbackUrl: "http://127.0.0.1:1" }),
    /RangeError: --pp-fallback http:\/\/127\.0\.0\.1:1: given without --pp-default; give both/,
  );
  await assert.rejects(
    () => startStack({ port: 0, defaultUrl: "ftp://x", fallbackUrl: "http://127.0.0.1:1" }),
    /RangeError: --pp-default ftp:\/\/x: must be an http\(s\) URL$/,
  );
  await assert.rejects(
    () => startStack({ port: 0, defaultUrl: "nonsense", fallbackUrl: "http://127.0.0.1:1" }),
    /RangeError: --pp-default nonsense: must be an http\(s\) URL$/,
  );
});

Deno.test("startStack names a port in use: its own, or a simulator's", async () => {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    await assert.rejects(
      () => startStack({ lb: "reuseport", port }),
      (error: Error) =>
        error.name === "StackError" &&
        error.message.startsWith(`--port ${port}: in use (`) &&
        error.message.endsWith("; choose another --port"),
    );
    await assert.rejects(
      () => startStack({ lb: "reuseport", port: 0, fallbackPort: port }),
      (error: Error) =>
        error.name === "StackError" &&
        error.message.startsWith(`pp-fallback's port ${port} is in use (`) &&
        error.message.includes("give --pp-default URL --pp-fallback URL of running processors"),
    );
  } finally {
    listener.close();
  }
  const free = freePort();
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: free, defaultPort: free }),
    new RegExp(`RangeError: --port ${free}: also pp-default's port; choose another --port$`),
  );
});

Deno.test("startStack refuses a Redis that does not answer or a Redis URL it cannot use", async () => {
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, redisUrl: "redis://127.0.0.1:1" }),
    (error: Error) =>
      error.name === "StackError" &&
      error.message.startsWith("--redis-url redis://127.0.0.1:1: Redis does not answer ("),
  );
  await assert.rejects(
    () => startStack({ lb: "reuseport", port: 0, redisUrl: "http://127.0.0.1" }),
    (error: Error) =>
      error.name === "RangeError" && error.message.startsWith("--redis-url http://127.0.0.1: "),
  );
});

Deno.test("startStack does not start when its signal has already aborted", async () => {
  const reason = new Error("cancelled");
  await assert.rejects(() => startStack({ signal: AbortSignal.abort(reason) }), reason);
});
