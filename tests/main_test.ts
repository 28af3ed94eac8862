/**
 * src/main.ts as a process: every configuration error on one line with exit code 2, and a start
 * failure as one line naming the part and the variable to change, with exit code 1 and the Redis
 * password masked.
 */
import assert from "node:assert/strict";
import { freePort } from "../tools/stack/processes.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Runs main.ts with `env` on top of this environment; its exit code and its stderr. */
async function runMain(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const flags = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-sys"];
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, MAIN],
    env: { SOCKET_PATH: "", HOSTNAME_BIND: "127.0.0.1", PORT: "0", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("main: all configuration errors at once, exit 2", async () => {
  const { code, stderr } = await runMain({ WORKERS: "abc", FETCH_BATCH: "-1", PORT: "x" });
  assert.equal(code, 2, stderr);
  assert.equal(
    stderr,
    'configuration error: PORT must be a decimal integer in [0, 65535], got "x"; ' +
      'WORKERS must be a decimal integer in [1, 4096], got "abc"; ' +
      'FETCH_BATCH must be a decimal integer in [1, 1000], got "-1"\n',
  );
});

Deno.test("main: Redis refusing is named with REDIS_URL, password masked, exit 1", async () => {
  const port = freePort();
  const { code, stderr } = await runMain({ REDIS_URL: `redis://me:s3cret@127.0.0.1:${port}` });
  assert.equal(code, 1, stderr);
  assert.equal(
    stderr,
    `cannot reach Redis at redis://***@127.0.0.1:${port}: connection refused (REDIS_URL)\n`,
  );
});
