import assert from "node:assert/strict";
import { parseJsonGuid, parseRouteGuid } from "../../../tools/simulator/guid.ts";

const ID = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";

Deno.test("bodies take only the hyphenated form, any case", () => {
  assert.equal(parseJsonGuid(ID.toUpperCase()), ID);
  for (const bad of [ID.replaceAll("-", ""), `{${ID}}`, ` ${ID}`, "not-a-guid"]) {
    assert.equal(parseJsonGuid(bad), undefined, bad);
  }
});

Deno.test("route values take the D, N, B and P forms, trimmed", () => {
  for (const form of [ID, ID.replaceAll("-", "").toUpperCase(), `{${ID}}`, `(${ID})`, ` ${ID} `]) {
    assert.equal(parseRouteGuid(form), ID, form);
  }
  for (const bad of [`{${ID})`, ID.slice(1), "x".repeat(32)]) {
    assert.equal(parseRouteGuid(bad), undefined, bad);
  }
});
