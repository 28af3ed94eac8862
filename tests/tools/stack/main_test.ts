import assert from "node:assert/strict";

const MAIN = new URL("../../../tools/stack/main.ts", import.meta.url).pathname;

/** Runs `deno task stack` (its main.ts) with `args`; it must fail before starting anything. */
async function stack(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno task stack words a bad option as the library does, and starts nothing", async () => {
  const notInteger = await stack("--port", "abc");
  assert.equal(notInteger.code, 1);
  assert.equal(notInteger.stderr.trim(), "stack: --port abc: must be an integer");
  const half = await stack("--port", "0", "--pp-fallback", "http://127.0.0.1:1");
  assert.equal(half.code, 1);
  assert.match(
    half.stderr,
    /^stack: --pp-fallback http:\/\/127\.0\.0\.1:1: given without --pp-default/,
  );
});

Deno.test("deno task stack --help names --fail-fast and --instances behind nginx", async () => {
  const help = await stack("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--fail-fast/);
  assert.match(help.stdout, /--instances N +API instances, 1 to 16 \(behind nginx too\)/);
  const unknown = await stack("--replicas", "3");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--replicas/);
});
