import assert from "node:assert/strict";
import { keysFor } from "../../src/store/keys.ts";

Deno.test("every key and pattern lies under the prefix; each pattern matches its keys", () => {
  const keys = keysFor("p:");
  const names = [keys.queue, keys.accepted, keys.deadLetters, keys.healthLock, keys.health];
  names.push(keys.processing("a"), keys.heartbeat("a"), keys.settled("default", 1));
  names.push(keys.amounts("fallback"));
  for (const name of names) assert.ok(name.startsWith("p:"), name);
  const matches = (pattern: string, key: string) =>
    pattern.endsWith("*") && key.startsWith(pattern.slice(0, -1));
  assert.ok(matches(keys.processingPattern, keys.processing("api1")));
  assert.ok(matches(keys.settledPattern, keys.settled("fallback", 2005)));
  assert.ok(matches(keys.amountsPattern, keys.amounts("default")));
  for (const name of names) assert.ok(matches(keys.allPattern, name), name);
  assert.ok(!matches(keys.processingPattern, keys.heartbeat("api1")));
});

Deno.test("settledPrefix and ownerOf are the inverses the summary and recovery rely on", () => {
  const keys = keysFor("rinha:");
  assert.equal(keys.settled("default", 2005), `${keys.settledPrefix("default")}2005`);
  assert.equal(keys.settled("fallback", "1"), `${keys.settledPrefix("fallback")}1`);
  for (const id of ["api1", "api-2", "with:colon", ""]) {
    assert.equal(keys.ownerOf(keys.processing(id)), id);
  }
});
