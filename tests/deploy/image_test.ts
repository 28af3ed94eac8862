/**
 * The API image holds the product and nothing else, checked without a Docker engine: the
 * Dockerfile's COPY and `deno` RUN steps are replayed in a scratch folder with a fresh Deno cache,
 * then the instance is started from that cache alone.
 *
 * - Only `deno.json`, `deno.lock` and `src/` are copied: no tool, no test
 *   (docs/DESIGN.md "Where things live").
 * - `deno install --entrypoint src/main.ts` caches the product's npm packages and their own
 *   dependencies only, never the dev-only ones of the workspace members tools/ and tests/.
 * - The copied tree runs with `--cached-only` and without warnings about absent members.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
/** What src/ imports from npm (root deno.json "imports"), with the packages they depend on. */
const PRODUCT_PACKAGES = ["http-parser-js", "redis-errors", "redis-parser"];

interface Step {
  kind: "COPY" | "RUN";
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerSteps(text: string): Step[] {
  const joined = text.split("\n").filter((line) => !line.trim().startsWith("#")).join("\n")
    .replace(/\\\n/g, " ");
  return joined.split("\n").map((line) => line.trim()).flatMap((line) => {
    const match = /^(COPY|RUN)\s+(.*)$/i.exec(line);
    return match ? [{ kind: match[1].toUpperCase() as Step["kind"], args: match[2] }] : [];
  });
}

/** The sources of a COPY line (flags such as `--chown` dropped, the destination last). */
function copySources(args: string): string[] {
  const words = args.split(/\s+/).filter((word) => !word.startsWith("--"));
  return words.slice(0, -1);
}

async function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const output = await new Deno.Command(command, { args, cwd, env, stdin: "null" }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test("Dockerfile copies only deno.json, deno.lock and src/", () => {
  const steps = dockerSteps(Deno.readTextFileSync(new URL("Dockerfile", ROOT)));
  const sources = steps.filter((step) => step.kind === "COPY").flatMap((s) => copySources(s.args));
  assert.ok(sources.length > 0, "the Dockerfile copies something");
  for (const source of sources) {
    assert.match(source, /^(deno\.json|deno\.lock\*?|src\/?)$/, `COPY ${source}`);
  }
});

Deno.test("the image's build steps cache the product's npm packages only, and it starts cached", async () => {
  const steps = dockerSteps(Deno.readTextFileSync(new URL("Dockerfile", ROOT)));
  const work = await Deno.makeTempDir({ prefix: "image-" });
  const env = { DENO_DIR: `${work}/.deno`, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  const app = `${work}/app`;
  await Deno.mkdir(app);
  try {
    for (const step of steps) {
      if (step.kind === "COPY") {
        for (const source of copySources(step.args)) {
          const cp = await run("cp", ["-r", new URL(source, ROOT).pathname, app], app, env);
          assert.equal(cp.code, 0, cp.stderr);
        }
      } else if (step.args.startsWith("deno ")) {
        const replay = await run("sh", ["-c", step.args], app, env);
        assert.equal(replay.code, 0, `RUN ${step.args}\n${replay.stderr}`);
      }
    }
    const cached = [...Deno.readDirSync(`${env.DENO_DIR}/npm/registry.npmjs.org`)]
      .map((entry) => entry.name).sort();
    assert.deepEqual(cached, PRODUCT_PACKAGES);
    // A configuration error exits 2 once every module has loaded from the cache.
    const start = await run(
      Deno.execPath(),
      ["run", "--cached-only", "--allow-env", "--allow-sys=hostname", "src/main.ts"],
      app,
      { ...env, PORT: "not-a-port" },
    );
    assert.equal(start.code, 2, start.stderr);
    assert.match(start.stderr, /configuration error: PORT/);
    assert.doesNotMatch(start.stderr, /[Ww]orkspace|not found/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
