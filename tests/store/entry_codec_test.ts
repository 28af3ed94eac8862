import assert from "node:assert/strict";
import { decodeEntry, encodeEntry } from "../../src/store/entry_codec.ts";
import type { AttemptState } from "../../src/domain/payment.ts";

const payment = { correlationId: "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3", amountCents: 2005 };

Deno.test("queue entries round-trip every attempt state", () => {
  const states: AttemptState[] = [
    { kind: "none" },
    { kind: "sent", processor: "default", requestedAt: 1755736825070 },
    { kind: "sent", processor: "fallback", requestedAt: 1 },
    { kind: "unknown", since: 1755736825070 },
  ];
  for (const attempt of states) {
    const raw = encodeEntry(payment, attempt);
    assert.deepEqual(decodeEntry(raw), { ...payment, raw, attempt });
  }
  assert.equal(encodeEntry(payment), `${payment.correlationId}:2005`);
});

Deno.test("decodeEntry rejects text this product never writes", () => {
  for (
    const bad of [
      "",
      "x",
      "id:0",
      "id:-5",
      "id:1.5",
      "id:5:x:1",
      "id:5:d",
      "id:5:d:x",
      "id:5:?",
      "id:5:d:1:2",
    ]
  ) {
    assert.throws(() => decodeEntry(bad), TypeError, bad);
  }
});
