import assert from "node:assert/strict";
import {
  createProcessorHandler,
  type ProcessorHandlerOptions,
} from "../../../tools/simulator/processor.ts";
import {
  ProcessorState,
  type ProcessorStateOptions,
} from "../../../tools/simulator/processor_state.ts";

const BASE = "http://processor.test";
const TOKEN = { "x-rinha-token": "123" };
const AT = "2025-08-21T00:40:25.070Z";

interface RequestInit {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function request(method: string, path: string, init: RequestInit = {}): Request {
  const body = init.body === undefined
    ? undefined
    : typeof init.body === "string"
    ? init.body
    : JSON.stringify(init.body);
  const headers = { ...(body === undefined ? {} : { "content-type": "application/json" }) };
  return new Request(BASE + path, {
    method,
    body,
    headers: { ...headers, ...init.headers },
    signal: init.signal,
  });
}

function setup(stateOptions: ProcessorStateOptions = {}, options: ProcessorHandlerOptions = {}) {
  const state = new ProcessorState(stateOptions);
  return { state, handle: createProcessorHandler(state, options) };
}

function payment(correlationId: string, requestedAt = AT, amount: unknown = 20.05) {
  return { correlationId, amount, requestedAt };
}

function post(body: unknown, signal?: AbortSignal): Request {
  return request("POST", "/payments", { body, signal });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("POST /payments stores once: 200, then 422 for the same correlationId", async () => {
  const { state, handle } = setup();
  const id = crypto.randomUUID();
  const first = await handle(post(payment(id)));
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { message: "payment processed successfully" });
  const again = await handle(post(payment(id, "2025-08-21T00:40:26.000Z", 99)));
  assert.equal(again.status, 422);
  assert.match((await again.json()).message, new RegExp(`already exists: ${id}`));
  assert.equal(state.ledger.size, 1);
  assert.equal(state.ledger.get(id)?.amountCents, 2005, "the first payment is kept unchanged");
});

Deno.test("POST /payments: the failure switch is read after the delay", async (t) => {
  await t.step("failing at arrival, healed during the delay → 200, stored", async () => {
    const { state, handle } = setup({ delayMs: 300, failure: true });
    const id = crypto.randomUUID();
    const pending = handle(post(payment(id)));
    await sleep(30); // fires before the 300 ms delay timer: timers run in deadline order
    state.failing = false;
    assert.equal((await pending).status, 200);
    assert.ok(state.ledger.get(id));
  });
  await t.step(
    "healthy at arrival, failing during the delay → 500 empty, nothing stored",
    async () => {
      const { state, handle } = setup({ delayMs: 300 });
      const id = crypto.randomUUID();
      const pending = handle(post(payment(id)));
      await sleep(30);
      state.failing = true;
      const response = await pending;
      assert.equal(response.status, 500);
      assert.equal(await response.text(), "");
      assert.equal(state.ledger.get(id), undefined);
    },
  );
});

Deno.test("POST /payments: the delay is not cancelled when the client aborts", async () => {
  const { state, handle } = setup({ delayMs: 200 });
  const id = crypto.randomUUID();
  const client = new AbortController();
  const pending = handle(post(payment(id), client.signal));
  await sleep(20);
  client.abort();
  assert.equal(state.ledger.get(id), undefined, "not stored yet when the client leaves");
  assert.equal((await pending).status, 200);
  assert.ok(state.ledger.get(id), "stored after the delay although the client left");
});

Deno.test("concurrency limiter: permits + queue, then 429 with Retry-After", async () => {
  const { state, handle } = setup({ delayMs: 200 }, {
    concurrencyLimit: 1,
    concurrencyQueueLimit: 1,
  });
  const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  const holding = handle(post(payment(a))); // holds the only permit through its delay
  const queued = handle(post(payment(b))); // fills the queue
  const rejected = await handle(post(payment(c)));
  assert.equal(rejected.status, 429);
  assert.equal(rejected.headers.get("retry-after"), "5");
  await rejected.body?.cancel();
  const lookup = await handle(request("GET", `/payments/${a}`));
  assert.equal(lookup.status, 429, "GET /payments/{id} shares the limiter");
  await lookup.body?.cancel();
  const health = await handle(request("GET", "/payments/service-health"));
  assert.equal(health.status, 200, "service-health is not behind the concurrency limiter");
  await health.body?.cancel();
  assert.deepEqual([(await holding).status, (await queued).status], [200, 200]);
  assert.ok(state.ledger.get(b), "the queued request ran once a permit was released");
  assert.equal(state.ledger.get(c), undefined);
  assert.equal((await handle(request("GET", `/payments/${a}`))).status, 200);
});

Deno.test("GET /payments/{id}: echo, GUID forms, 400 and 404", async () => {
  const { handle } = setup();
  const id = crypto.randomUUID();
  await handle(post(`{"correlationId":"${id}","amount":19.90,"requestedAt":"${AT}"}`));
  const expected =
    `{"correlationId":"${id}","amount":19.90,"requestedAt":"2025-08-21T00:40:25.07"}`;
  const hex = id.replaceAll("-", "");
  for (
    const form of [id, id.toUpperCase(), hex, `{${id}}`, `(${id})`, encodeURIComponent(` ${id}`)]
  ) {
    const response = await handle(request("GET", `/payments/${form}`));
    assert.equal(response.status, 200, form);
    assert.equal(await response.text(), expected, form);
  }
  const invalid = await handle(request("GET", "/payments/not-a-guid"));
  assert.equal(invalid.status, 400);
  const unknown = await handle(request("GET", `/payments/${crypto.randomUUID()}`));
  assert.equal(unknown.status, 404);
  assert.equal(await unknown.text(), "");
});

Deno.test("POST /payments binding: 415/400 before the delay, .NET defaults and rounding", async (t) => {
  const { state, handle } = setup();
  const bad: Array<[string, Request, number]> = [
    ["no JSON content type", new Request(BASE + "/payments", { method: "POST", body: "{}" }), 415],
    ["malformed JSON", post("{"), 400],
    ["empty body", post(""), 400],
    ["not an object", post([]), 400],
    ["GUID not hyphenated", post(payment(crypto.randomUUID().replaceAll("-", ""))), 400],
    ["amount not numeric", post(payment(crypto.randomUUID(), AT, "abc")), 400],
    ["amount null", post(payment(crypto.randomUUID(), AT, null)), 400],
    ["requestedAt not ISO", post(payment(crypto.randomUUID(), "21/08/2025 00:40")), 400],
    ["requestedAt not a date", post(payment(crypto.randomUUID(), "2025-02-30T00:00:00Z")), 400],
  ];
  await t.step("refusals are answered before the delay", async () => {
    state.delayMs = 200;
    const order: string[] = [];
    const delayed = handle(post(payment(crypto.randomUUID()))).then((response) => {
      order.push("valid");
      assert.equal(response.status, 200);
    });
    const refusals = bad.map(([name, invalid, status]) =>
      handle(invalid).then((response) => {
        order.push(name);
        assert.equal(response.status, status, name);
      })
    );
    await Promise.all([delayed, ...refusals]);
    assert.equal(order.at(-1), "valid", "every refusal came before the delayed payment");
    state.delayMs = 0;
  });
  await t.step("absent fields take .NET defaults; a second {} is a duplicate", async () => {
    assert.equal((await handle(post({}))).status, 200);
    assert.equal((await handle(post({}))).status, 422);
    const stored = await handle(request("GET", "/payments/00000000-0000-0000-0000-000000000000"));
    assert.equal(
      await stored.text(),
      `{"correlationId":"00000000-0000-0000-0000-000000000000","amount":0,` +
        `"requestedAt":"0001-01-01T00:00:00"}`,
    );
  });
  await t.step("names are case-insensitive; amount may be a string; half-to-even", async () => {
    const cases: Array<[unknown, string]> = [
      ["19.90", "19.90"],
      [0.125, "0.12"],
      [0.135, "0.14"],
      [20, "20"],
      ["20.0", "20.0"],
      [20.051, "20.05"],
    ];
    for (const [amount, echoed] of cases) {
      const id = crypto.randomUUID();
      const body = { CorrelationID: id, AMOUNT: amount, requestedat: "2025-08-21T00:40:25Z" };
      assert.equal((await handle(post(body))).status, 200, String(amount));
      const found = await (await handle(request("GET", `/payments/${id}`))).text();
      assert.ok(found.includes(`"amount":${echoed},`), `${amount} → ${found}`);
      assert.ok(found.endsWith(`"requestedAt":"2025-08-21T00:40:25"}`), found);
    }
  });
  await t.step("a +json media type is JSON", async () => {
    const response = await handle(
      new Request(BASE + "/payments", {
        method: "POST",
        body: JSON.stringify(payment(crypto.randomUUID())),
        headers: { "content-type": "application/vnd.rinha+json; charset=utf-8" },
      }),
    );
    assert.equal(response.status, 200);
  });
});

Deno.test("admin endpoints answer 401 to a wrong or missing token", async () => {
  const { state, handle } = setup({ delayMs: 7 });
  const calls: Array<[string, string, unknown]> = [
    ["GET", "/admin/payments-summary", undefined],
    ["GET", "/admin/payments-summary?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", undefined],
    ["PUT", "/admin/configurations/token", { token: "x" }],
    ["PUT", "/admin/configurations/delay", { delay: 1 }],
    ["PUT", "/admin/configurations/failure", { failure: true }],
    ["POST", "/admin/purge-payments", undefined],
    ["GET", "/admin/debug/payments", undefined],
  ];
  await handle(post(payment(crypto.randomUUID())));
  const tokens: Array<Record<string, string>> = [{ "x-rinha-token": "1234" }, {}];
  for (const headers of tokens) {
    for (const [method, path, body] of calls) {
      const response = await handle(request(method, path, { body, headers }));
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(await response.text(), "");
    }
  }
  assert.deepEqual([state.token, state.delayMs, state.failing, state.ledger.size], [
    "123",
    7,
    false,
    1,
  ]);
});

Deno.test("admin endpoints: status codes and bodies", async (t) => {
  const { state, handle } = setup();
  const health = async () =>
    await (await handle(request("GET", "/payments/service-health"))).json();
  await t.step("PUT delay → 200 {config, was, is}", async () => {
    const response = await handle(
      request("PUT", "/admin/configurations/delay", { body: { delay: 100 }, headers: TOKEN }),
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `{"config":"delay","was":0,"is":100}`);
    assert.equal(state.delayMs, 100);
  });
  await t.step("PUT failure → 200 {config, was, is}", async () => {
    const response = await handle(
      request("PUT", "/admin/configurations/failure", { body: { failure: true }, headers: TOKEN }),
    );
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `{"config":"failure","was":false,"is":true}`);
    assert.deepEqual(await health(), { failing: true, minResponseTime: 100 });
  });
  await t.step("delay and failure bodies are typed like .NET", async () => {
    const put = (path: string, body: unknown) =>
      handle(request("PUT", path, { body, headers: TOKEN }));
    assert.equal((await put("/admin/configurations/delay", { delay: "0" })).status, 200);
    assert.equal((await put("/admin/configurations/delay", { delay: 1.5 })).status, 400);
    assert.equal((await put("/admin/configurations/failure", { failure: "false" })).status, 400);
    assert.equal((await put("/admin/configurations/failure", {})).status, 200);
    assert.deepEqual([state.delayMs, state.failing], [0, false]);
  });
  await t.step("POST purge → 200 {message}", async () => {
    const response = await handle(request("POST", "/admin/purge-payments", { headers: TOKEN }));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { message: "All payments purged." });
  });
  await t.step("GET summary → 200", async () => {
    const response = await handle(request("GET", "/admin/payments-summary", { headers: TOKEN }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    await response.body?.cancel();
  });
  await t.step("PUT token → 204 empty; the old token stops working", async () => {
    const response = await handle(
      request("PUT", "/admin/configurations/token", { body: { token: "s3cret" }, headers: TOKEN }),
    );
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    const purge = (token: string) =>
      handle(request("POST", "/admin/purge-payments", { headers: { "x-rinha-token": token } }));
    assert.equal((await purge("123")).status, 401);
    assert.equal((await purge("s3cret")).status, 200);
  });
  await t.step(
    "PUT token with no token → later requests pass only WITHOUT the header",
    async () => {
      const response = await handle(
        request("PUT", "/admin/configurations/token", {
          body: {},
          headers: { "x-rinha-token": "s3cret" },
        }),
      );
      assert.equal(response.status, 204);
      assert.equal(state.token, null);
      assert.equal((await handle(request("POST", "/admin/purge-payments"))).status, 200);
      const withHeader = await handle(request("POST", "/admin/purge-payments", { headers: TOKEN }));
      assert.equal(withHeader.status, 401);
    },
  );
});

Deno.test("admin binding comes before the token check (415/400, not 401)", async () => {
  const { handle } = setup();
  const wrong = { "x-rinha-token": "wrong" };
  const noType = new Request(BASE + "/admin/configurations/delay", {
    method: "PUT",
    body: `{"delay":1}`,
    headers: wrong,
  });
  assert.equal((await handle(noType)).status, 415);
  const malformed = request("PUT", "/admin/configurations/failure", { body: "{", headers: wrong });
  assert.equal((await handle(malformed)).status, 400);
  const badBound = request("GET", "/admin/payments-summary?from=yesterday&to=today");
  assert.equal((await handle(badBound)).status, 401, "a bad bound with a bad token is 401");
  const authorized = request("GET", "/admin/payments-summary?from=yesterday&to=today", {
    headers: TOKEN,
  });
  assert.equal((await handle(authorized)).status, 400);
});

Deno.test("summary: inclusive bounds at the exact ms; a missing bound means no filter", async () => {
  const { handle } = setup({ fee: "0.05" });
  for (const ms of ["069", "070", "071", "072"]) {
    await handle(post(payment(crypto.randomUUID(), `2025-08-21T00:40:25.${ms}Z`)));
  }
  const count = async (query: string) => {
    const response = await handle(
      request("GET", `/admin/payments-summary${query}`, { headers: TOKEN }),
    );
    assert.equal(response.status, 200, query);
    return (await response.json()).totalRequests;
  };
  const at = (ms: string) => `2025-08-21T00:40:25.${ms}Z`;
  assert.equal(await count(`?from=${at("070")}&to=${at("071")}`), 2);
  assert.equal(await count(`?from=${at("070")}&to=${at("070")}`), 1);
  assert.equal(await count(`?from=${at("073")}&to=${at("999")}`), 0);
  assert.equal(await count(`?from=${at("072")}&to=${at("069")}`), 0, "from > to matches nothing");
  assert.equal(await count(`?from=2025-08-21T00:40:25.070&to=2025-08-21T00:40:25.071`), 2);
  assert.equal(await count(`?from=2025-08-21T01:40:25.070%2B01:00&to=${at("071")}`), 2);
  assert.equal(await count(`?FROM=${at("070")}&To=${at("071")}`), 2, "names are case-insensitive");
  assert.equal(await count(`?from=${at("073")}`), 4, "no `to`: no filter at all");
  assert.equal(await count(`?to=${at("068")}`), 4, "no `from`: no filter at all");
  assert.equal(await count(`?from=&to=${at("068")}`), 4, "an empty bound is a missing one");
  assert.equal(await count(""), 4);
  const body = await handle(
    request("GET", `/admin/payments-summary?from=${at("070")}&to=${at("071")}`, { headers: TOKEN }),
  );
  assert.equal(
    await body.text(),
    `{"totalAmount":40.10,"totalRequests":2,"totalFee":2.0050,"feePerTransaction":0.05}`,
  );
});

Deno.test("summary of nothing keeps .NET decimal scales; the fee is echoed as configured", async () => {
  const { handle } = setup({ fee: 0.07 });
  const summary = async () =>
    await (await handle(request("GET", "/admin/payments-summary", { headers: TOKEN }))).text();
  assert.equal(
    await summary(),
    `{"totalAmount":0,"totalRequests":0,"totalFee":0.00,"feePerTransaction":0.07}`,
  );
  await handle(post(payment(crypto.randomUUID())));
  assert.equal(
    await summary(),
    `{"totalAmount":20.05,"totalRequests":1,"totalFee":1.4035,"feePerTransaction":0.07}`,
  );
});

Deno.test("purge empties the store; a purged correlationId is accepted again", async () => {
  const { state, handle } = setup();
  const id = crypto.randomUUID();
  await handle(post(payment(id)));
  const purge = await handle(request("POST", "/admin/purge-payments", { headers: TOKEN }));
  assert.equal(purge.status, 200);
  await purge.body?.cancel();
  assert.equal(state.ledger.size, 0);
  assert.equal((await handle(request("GET", `/payments/${id}`))).status, 404);
  const summary = await handle(request("GET", "/admin/payments-summary", { headers: TOKEN }));
  assert.equal((await summary.json()).totalRequests, 0);
  assert.equal((await handle(post(payment(id)))).status, 200);
});

Deno.test("debug endpoint (simulator only): every stored payment, requestedAt with Z", async () => {
  const { handle } = setup();
  const empty = await handle(request("GET", "/admin/debug/payments", { headers: TOKEN }));
  assert.deepEqual(await empty.json(), []);
  const ids = Array.from({ length: 1500 }, () => crypto.randomUUID());
  for (const id of ids) await handle(post(payment(id, "2025-08-21T00:40:25.0701Z", "19.9")));
  const response = await handle(request("GET", "/admin/debug/payments", { headers: TOKEN }));
  assert.equal(response.status, 200);
  const payments = await response.json();
  assert.deepEqual(payments.map((p: { correlationId: string }) => p.correlationId), ids);
  assert.deepEqual(payments[0], {
    correlationId: ids[0],
    amount: 19.9,
    requestedAt: "2025-08-21T00:40:25.070100Z",
  });
});

Deno.test("routing: methods, case, trailing slash, unknown paths", async () => {
  const { handle } = setup();
  const status = async (method: string, path: string) => {
    const response = await handle(request(method, path));
    await response.body?.cancel();
    return response.status;
  };
  assert.equal(await status("GET", "/PAYMENTS/Service-Health/"), 200);
  assert.equal(await status("GET", "/payments"), 405);
  assert.equal(await status("POST", "/payments/service-health"), 405);
  assert.equal(await status("DELETE", `/payments/${crypto.randomUUID()}`), 405);
  assert.equal(await status("GET", "/"), 404);
  assert.equal(await status("GET", "/payments/a/b"), 404);
});
