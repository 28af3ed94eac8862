import assert from "node:assert/strict";
import { parseDateTime } from "../../../tools/simulator/date_time.ts";
import { Ledger, LedgerFullError, type StoredPayment } from "../../../tools/simulator/ledger.ts";

const at = (text: string) => parseDateTime(text)!;
const payment = (requestedAt: string, amountCents = 2005, amountScale = 2): StoredPayment => ({
  correlationId: crypto.randomUUID(),
  amountCents,
  amountScale,
  requestedAt: at(requestedAt),
});

Deno.test("summaries filter inclusively down to the microsecond", () => {
  const ledger = new Ledger();
  ledger.insert(payment("2025-08-21T00:40:25.070Z", 2000, 0));
  ledger.insert(payment("2025-08-21T00:40:25.070001Z", 1990, 1));
  const from = at("2025-08-21T00:40:25.070Z");
  assert.deepEqual(ledger.summarize(from, from), { totalRequests: 1, totalCents: 2000n, scale: 0 });
  assert.deepEqual(ledger.summarize(from, at("2025-08-21T00:40:25.070001Z")), {
    totalRequests: 2,
    totalCents: 3990n,
    scale: 1,
  });
  assert.deepEqual(ledger.summarize(null, from), { totalRequests: 2, totalCents: 3990n, scale: 1 });
});

Deno.test("duplicates are refused; the bound is enforced", () => {
  const ledger = new Ledger({ maxPayments: 1 });
  const first = payment("2025-08-21T00:40:25.070Z");
  assert.equal(ledger.insert(first), true);
  assert.equal(ledger.insert({ ...first, amountCents: 1 }), false);
  assert.equal(ledger.get(first.correlationId)?.amountCents, 2005);
  assert.throws(() => ledger.insert(payment("2025-08-21T00:40:25.071Z")), LedgerFullError);
  ledger.purge();
  assert.equal(ledger.size, 0);
  assert.throws(() => new Ledger({ maxPayments: 0 }), RangeError);
});
