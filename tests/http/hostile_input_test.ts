/**
 * Hostile input against a real instance (docs/GUARANTEES.md): well over 100 bad requests —
 * malformed JSON, wrong content types, wrong fields, bad amounts, garbage bytes, oversized and
 * chunked bodies, wrong methods, unknown paths, bad summary bounds, odd request lines and Host
 * headers sent over a raw socket. Every one must get a 4xx with a JSON `{"error": string}` body,
 * nothing may reach the queue, and the instance must serve normally afterwards.
 *
 * The instance runs in-process on a random port with its own Redis prefix `test:<uuid>:`; both
 * processor URLs point at a port that was just closed, so nothing is ever processed. Needs Redis
 * at 127.0.0.1:6379 (or `REDIS_URL`).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { App } from "../../src/app.ts";
import { startTestApp } from "../support/app.ts";
import { keysFor } from "../../src/store/keys.ts";
import { Redis } from "../../src/store/redis/client.ts";
import { deleteKeys, TEST_REDIS_URL, testPrefix } from "../support/redis.ts";

const MAX_BODY = 1024;
const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";
/** Generous per request: a hang fails the case, not the whole run. */
const TIMEOUT_MS = 10_000;
const VALID = `{"correlationId":"${ID}","amount":20.05}`;
const JSON_TYPE = "application/json";

/** What a case got back. HEAD answers have no body; `body` is then "". */
interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

interface Case {
  name: string;
  /** The expected 4xx. */
  status: number;
  send(port: number): Promise<Answer>;
}

async function answer(response: Response): Promise<Answer> {
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

/** A request through `fetch`. A string body gets the given content type (none when null). */
function http(
  method: string,
  path: string,
  options: { body?: BodyInit; type?: string | null; headers?: Record<string, string> } = {},
): (port: number) => Promise<Answer> {
  return async (port) => {
    const headers = new Headers(options.headers);
    const type = options.type === undefined ? JSON_TYPE : options.type;
    if (type !== null) headers.set("content-type", type);
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      body: options.body,
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return await answer(response);
  };
}

const post = (body: BodyInit, type: string | null = JSON_TYPE) =>
  http("POST", "/payments", { body, type });
const payment = (fields: string) => post(`{${fields}}`);
const withAmount = (amount: string) => payment(`"correlationId":"${ID}","amount":${amount}`);
const withId = (id: string) => payment(`"correlationId":${id},"amount":20.05`);
const summary = (query: string) => http("GET", `/payments-summary?${query}`, { type: null });
const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Writes `request` on a fresh TCP connection and reads one response, by its Content-Length (the
 * server need not close). `closeWrite` half-closes after writing, as a client that gives up
 * sending would.
 */
function raw(request: string, closeWrite = false): (port: number) => Promise<Answer> {
  return async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const timer = setTimeout(() => conn.close(), TIMEOUT_MS);
    try {
      await conn.write(utf8(request));
      if (closeWrite) await conn.closeWrite();
      let received = new Uint8Array(0);
      const buffer = new Uint8Array(16 * 1024);
      for (;;) {
        const text = new TextDecoder().decode(received);
        const end = text.indexOf("\r\n\r\n");
        if (end >= 0) {
          const head = text.slice(0, end).split("\r\n");
          const header = (name: string) =>
            head.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1)
              .trim() ?? null;
          const length = Number(header("content-length") ?? NaN);
          const body = received.subarray(new TextEncoder().encode(text.slice(0, end + 4)).length);
          if (Number.isFinite(length) && body.length >= length) {
            return {
              status: Number(head[0].split(" ")[1]),
              contentType: header("content-type"),
              body: new TextDecoder().decode(body.subarray(0, length)),
            };
          }
        }
        const n = await conn.read(buffer);
        if (n === null) throw new Error(`connection closed after ${JSON.stringify(text)}`);
        const next = new Uint8Array(received.length + n);
        next.set(received);
        next.set(buffer.subarray(0, n), received.length);
        received = next;
      }
    } finally {
      clearTimeout(timer);
      try {
        conn.close();
      } catch { /* closed by the timer */ }
    }
  };
}

/** A streamed (chunked) body of `total` bytes of spaces that then stalls until aborted. */
function stalledStream(total: number, signal: AbortSignal): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent >= total) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        controller.close();
        return;
      }
      const size = Math.min(512, total - sent);
      controller.enqueue(new Uint8Array(size).fill(0x20));
      sent += size;
    },
  });
}

const cases: Case[] = [];
const add = (status: number, name: string, send: (port: number) => Promise<Answer>) =>
  cases.push({ name, status, send });

// --- Malformed, truncated or non-object JSON: 400. (A leading UTF-8 BOM is not among them: the
// decoder drops it, as RFC 8259 §8.1 allows, and the payment is accepted.)
for (
  const body of [
    "",
    " ",
    "{",
    "}",
    "{]",
    "[",
    "nope",
    "null",
    "true",
    "1",
    "20.05",
    `"${ID}"`,
    "[]",
    `[${VALID}]`,
    VALID.slice(0, -1),
    VALID.slice(0, VALID.indexOf("20.05")),
    VALID.slice(0, VALID.indexOf("20.05") + 3),
    `{"correlationId":"${ID}"`,
    `{"correlationId":"4a79`,
    `{'correlationId':'${ID}','amount':20.05}`,
    `{correlationId:"${ID}",amount:20.05}`,
    `{"correlationId":"${ID}","amount":20.05,}`,
    `{/* c */"correlationId":"${ID}","amount":20.05}`,
    `${VALID}${VALID}`,
    `${VALID} x`,
    `${VALID}\u0000`,
    `{"correlationId":"${ID}","amount":20.05}\n{"correlationId":"${ID}","amount":1}`,
  ]
) add(400, `malformed JSON ${JSON.stringify(body.slice(0, 60))}`, post(body));

// --- NaN/Infinity and other non-JSON number tokens: 400.
for (
  const token of ["NaN", "Infinity", "-Infinity", "undefined", "0x10", ".5", "5.", "+1", "01.00"]
) add(400, `bare token amount ${token}`, withAmount(token));
add(400, "numeric separator 1_000", withAmount("1_000"));
add(400, "comma decimal 20,05", withAmount("20,05"));

// --- Numbers and words as strings, arrays and objects as fields: 422.
for (
  const amount of [
    `"NaN"`,
    `"Infinity"`,
    `"-Infinity"`,
    `"20.05"`,
    `"1e3"`,
    `""`,
    "true",
    "false",
    "null",
    "[]",
    "[20.05]",
    "{}",
    `{"value":20.05}`,
  ]
) add(422, `amount ${amount}`, withAmount(amount));

// --- Amounts out of range or with more than 2 decimals: 422.
for (
  const amount of [
    "0",
    "-0",
    "0.00",
    "-1",
    "-20.05",
    "0.001",
    "0.009",
    "20.055",
    "20.051",
    "1234567.891", // was accepted as 123456789 cents before money.ts checked exactly
    "1000000.001",
    "1e-9",
    "1e400",
    "-1e400",
    "1e12",
    "10000000.01",
    "9007199254740993",
    "1e308",
    `0.${"0".repeat(600)}1`,
  ]
) add(422, `amount ${amount.slice(0, 40)}`, withAmount(amount));

// --- Missing, null, extra or misspelt fields: 422.
for (
  const fields of [
    "",
    `"amount":20.05`,
    `"correlationId":"${ID}"`,
    `"correlationId":null,"amount":20.05`,
    `"correlationId":"${ID}","amount":null`,
    `"correlationId":"${ID}","amount":20.05,"requestedAt":"2025-08-21T00:40:25.070Z"`,
    `"correlationId":"${ID}","amount":20.05,"__proto__":{"x":1}`,
    `"correlationId":"${ID}","amount":20.05,"constructor":1`,
    `"correlationId":"${ID}","amount":20.05,"":1`,
    `"CorrelationId":"${ID}","amount":20.05`,
    `"correlationid":"${ID}","amount":20.05`,
    `"correlationId":"${ID}","Amount":20.05`,
    `"correlationId":"${ID}","amount":20.05,"amount ":1`,
    `"correlationId":"${ID}","correlationId":"x","amount":20.05`,
  ]
) add(422, `fields {${fields.slice(0, 70)}}`, payment(fields));

// --- correlationIds that are not UUID strings: 422.
for (
  const id of [
    `""`,
    `"not-a-uuid"`,
    `"${ID.replaceAll("-", "")}"`,
    `"{${ID}}"`,
    `"${ID}x"`,
    `"${ID.slice(0, -1)}"`,
    `"${ID.slice(0, -1)}g"`,
    `" ${ID}"`,
    `"${ID}\\n"`,
    `"\u200b${ID}"`,
    `"${ID.replace("4", "\uFF14")}"`,
    `"${ID.replace("a", "\u{1F4A5}")}"`,
    `"urn:uuid:${ID}"`,
    "123",
    "true",
    `["${ID}"]`,
    `{"id":"${ID}"}`,
  ]
) add(422, `correlationId ${id.slice(0, 50)}`, withId(id));

// --- Missing or wrong content type: 415.
add(415, "no content type (bytes body)", post(utf8(VALID), null));
for (
  const type of [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json-patch+json",
    "application/problem+json",
    "text/json",
    "json",
    "application/json , text/plain",
    "*/*",
  ]
) add(415, `content type ${type}`, post(VALID, type));

// --- Bytes that are not UTF-8 text, or not JSON: 400.
add(400, "invalid UTF-8 0xff 0xfe", post(bytes(0xff, 0xfe, 0x7b, 0x7d)));
add(400, "UTF-8 encoded lone surrogate", post(bytes(0x22, 0xed, 0xa0, 0x80, 0x22)));
add(400, "overlong UTF-8 encoding", post(bytes(0x7b, 0xc0, 0xaf, 0x7d)));
add(400, "truncated UTF-8 sequence", post(bytes(0x7b, 0x22, 0xe2, 0x82)));
add(
  400,
  "UTF-16LE encoded JSON",
  post(new Uint8Array(new Uint16Array([...VALID].map((c) => c.charCodeAt(0))).buffer)),
);
add(400, "binary zeros", post(new Uint8Array(64)));
add(400, "random bytes", post(new Uint8Array(200).map((_, i) => (i * 73 + 41) % 256)));
add(400, "emoji body", post("\u{1F4A9}\u{1F4B8}"));
add(400, "right-to-left override and zero-width text", post("\u202E}\u200b{"));
add(400, "gzip-compressed JSON body", async (port) => {
  const gzip = new Blob([VALID]).stream().pipeThrough(new CompressionStream("gzip"));
  const body = new Uint8Array(await new Response(gzip).arrayBuffer());
  return await http("POST", "/payments", { body, headers: { "content-encoding": "gzip" } })(port);
});

// --- Bodies over the size limit: 413.
add(
  413,
  "body one byte over the limit",
  post(`${VALID}${" ".repeat(MAX_BODY + 1 - VALID.length)}`),
);
add(413, "1 MiB body", post(" ".repeat(1024 * 1024)));
add(413, "a 2,000-digit amount", withAmount("1".repeat(2_000)));
add(
  413,
  "declared Content-Length 100 MB, nothing sent (raw)",
  raw(
    `POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 100000000\r\n\r\n`,
  ),
);
add(
  413,
  "chunked body over the limit, no Content-Length (raw)",
  raw(
    `POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nTransfer-Encoding: chunked\r\n\r\n` +
      `200\r\n${" ".repeat(512)}\r\n`.repeat(3),
  ),
);
add(413, "streamed fetch body over the limit, client still sending", async (port) => {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/payments`, {
      method: "POST",
      body: stalledStream(MAX_BODY + 200, stop.signal),
      headers: { "content-type": JSON_TYPE },
      signal: stop.signal,
    });
    return await answer(response);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
});

// --- A body cut short: the client half-closes before sending what it declared: 400 (was 503).
add(
  400,
  "Content-Length 100, 7 bytes sent, then half-close (raw)",
  raw(
    `POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 100\r\n\r\n{"a":1}`,
    true,
  ),
);

// --- Wrong methods on every route: 405.
const WRONG_METHODS: Record<string, string[]> = {
  "/payments": ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
  "/payments-summary": ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"],
  "/purge-payments": ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"],
  "/healthcheck": ["POST", "PUT", "DELETE", "PATCH"],
  "/metrics": ["POST", "PUT", "DELETE"],
};
for (const [path, methods] of Object.entries(WRONG_METHODS)) {
  for (const method of methods) {
    const body = method === "GET" || method === "HEAD" ? undefined : VALID;
    add(405, `${method} ${path}`, http(method, path, { body }));
  }
}
add(405, "custom method FOO /payments", http("FOO", "/payments", { body: VALID }));
for (const method of ["constructor", "__proto__", "toString", "hasOwnProperty", "TRACE"]) {
  add(
    405,
    `method ${method} /payments (raw)`,
    raw(`${method} /payments HTTP/1.1\r\nHost: x\r\n\r\n`),
  );
}

// --- Unknown paths: 404.
for (
  const path of [
    "/",
    "/payment",
    "/payments/",
    "/Payments",
    "/PAYMENTS",
    `/payments/${ID}`,
    "//payments",
    "/payments%2F",
    "/payments;x",
    "/payments.json",
    "/payments-summary/",
    "/healthcheck/x",
    "/purge",
    "/admin/purge-payments",
    "/%00",
    "/p%C3%A7",
    `/${"a".repeat(4_000)}`,
  ]
) add(404, `path ${path.slice(0, 40)}`, http("POST", path, { body: VALID }));
add(404, "request target * (raw)", raw("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"));

// --- Bad summary bounds: 400.
const FROM = "2025-08-21T00:40:25.070Z";
const TO = "2025-08-21T00:40:26.000Z";
for (
  const query of [
    `from=x&to=y`,
    `from=yesterday&to=${TO}`,
    `from=${FROM}&to=tomorrow`,
    `from=2025-13-01T00:00:00.000Z&to=${TO}`,
    `from=2025-02-30T00:00:00.000Z&to=${TO}`,
    `from=2025-08-21T24:00:00.000Z&to=${TO}`,
    `from=2025-08-21&to=${TO}`,
    `from=1724200825070&to=${TO}`,
    `from=2025-08-21T00:40:25.070&to=${TO}`,
    `from=2025-08-21t00:40:25.070z&to=${TO}`,
    `from=NaN&to=${TO}`,
    `from=Infinity&to=${TO}`,
    `from=%ZZ&to=${TO}`,
    `from=%3Cscript%3E&to=${TO}`,
    `from=${FROM}%00&to=${TO}`,
    `from=${"9".repeat(2_000)}&to=${TO}`,
    `from=yesterday`,
    `to=tomorrow`,
    `from=${TO}&to=${FROM}`,
    `from=2025-08-21T00:40:25.071Z&to=2025-08-21T00:40:25.070Z`,
    `from=2025-08-21T00:40:25.070Z&to=2025-08-21T03:40:25.069 03:00`,
  ]
) add(400, `summary ?${query.slice(0, 60)}`, summary(query));

// --- Odd Host headers (Deno puts them in request.url; `new URL()` on it used to throw → 500).
for (const host of ["[bad", "a b", "x:99999", "u@x"]) {
  add(
    400,
    `Host ${host} with a malformed body (raw)`,
    raw(
      `POST /payments HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: 1\r\n\r\n{`,
    ),
  );
  add(
    404,
    `Host ${host} on an unknown path (raw)`,
    raw(`GET /nowhere HTTP/1.1\r\nHost: ${host}\r\n\r\n`),
  );
}

function isJsonError(result: Answer): string | undefined {
  if (!result.contentType?.startsWith(JSON_TYPE)) return `content type ${result.contentType}`;
  try {
    const body = JSON.parse(result.body);
    if (typeof body?.error !== "string" || Object.keys(body).length !== 1) {
      return `body ${result.body.slice(0, 200)}`;
    }
  } catch {
    return `non-JSON body ${result.body.slice(0, 200)}`;
  }
}

Deno.test("hostile input: every bad request is a JSON 4xx, nothing is enqueued, the instance stays healthy", async () => {
  assert.ok(cases.length >= 100, `only ${cases.length} cases`);
  const prefix = testPrefix();
  const keys = keysFor(prefix);
  const instanceId = `hostile-${crypto.randomUUID().slice(0, 8)}`;
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const redis = await Redis.connect(TEST_REDIS_URL, { name: "test-hostile" });
  let app: App | undefined;
  try {
    ({ app } = await startTestApp({
      REDIS_PREFIX: prefix,
      INSTANCE_ID: instanceId,
      PROCESSOR_DEFAULT_URL: `http://127.0.0.1:${closedPort}`,
      PROCESSOR_FALLBACK_URL: `http://127.0.0.1:${closedPort}`,
      MAX_BODY_BYTES: String(MAX_BODY),
    }));
    const port = (app.addr as Deno.NetAddr).port;
    const stored = async () => ({
      queue: await redis.send(["LLEN", keys.queue]),
      accepted: await redis.send(["HLEN", keys.accepted]),
      processing: await redis.send(["LLEN", keys.processing(instanceId)]),
    });

    const failures: string[] = [];
    for (const { name, status, send } of cases) {
      let result: Answer;
      try {
        result = await send(port);
      } catch (error) {
        failures.push(`${name}: no answer (${error})`);
        continue;
      }
      if (result.status !== status) {
        failures.push(
          `${name}: status ${result.status}, expected ${status}: ${result.body.slice(0, 200)}`,
        );
      }
      const head = name.startsWith("HEAD ");
      const bad = head
        ? (result.contentType?.startsWith(JSON_TYPE)
          ? undefined
          : `content type ${result.contentType}`)
        : isJsonError(result);
      if (bad) failures.push(`${name}: ${bad}`);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed`);
    assert.deepEqual(await stored(), { queue: 0, accepted: 0, processing: 0 });

    // Still healthy: the healthcheck answers 200 and a valid payment is accepted.
    const health = await fetch(`http://127.0.0.1:${port}/healthcheck`);
    assert.equal(health.status, 200, await health.text());
    const accepted = await post(VALID)(port);
    assert.equal(accepted.status, 202, accepted.body);
    assert.equal(await redis.send(["HGET", keys.accepted, ID]), "2005");
  } finally {
    await app?.stop();
    await deleteKeys(redis, prefix);
    await redis.close();
  }
});
