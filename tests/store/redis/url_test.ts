/** Tests of Redis URL parsing (src/store/redis/url.ts). */
import assert from "node:assert/strict";
import { parseRedisUrl } from "../../../src/store/redis/url.ts";

Deno.test({
  name: "parseRedisUrl reads host, port, db and credentials of redis:// and unix:// URLs",
  fn: () => {
    const tcp = (hostname: string, port: number) => ({ transport: "tcp" as const, hostname, port });
    const cases: [string, ReturnType<typeof parseRedisUrl>][] = [
      [
        "redis://redis.internal:6380/3",
        { connect: tcp("redis.internal", 6380), db: 3, username: undefined, password: undefined },
      ],
      [
        "redis://localhost",
        { connect: tcp("localhost", 6379), db: 0, username: undefined, password: undefined },
      ],
      [
        "redis://127.0.0.1:6379/",
        { connect: tcp("127.0.0.1", 6379), db: 0, username: undefined, password: undefined },
      ],
      [
        "redis://app:p%40ss%3Aword@cache:7000/15",
        { connect: tcp("cache", 7000), db: 15, username: "app", password: "p@ss:word" },
      ],
      [
        "redis://:secret@cache",
        { connect: tcp("cache", 6379), db: 0, username: undefined, password: "secret" },
      ],
      [
        "redis://[::1]:7001/2",
        { connect: tcp("::1", 7001), db: 2, username: undefined, password: undefined },
      ],
      [
        "unix:///path/x.sock?db=2",
        {
          connect: { transport: "unix", path: "/path/x.sock" },
          db: 2,
          username: undefined,
          password: undefined,
        },
      ],
      [
        "unix:///var/run/redis/redis%20server.sock",
        {
          connect: { transport: "unix", path: "/var/run/redis/redis server.sock" },
          db: 0,
          username: undefined,
          password: undefined,
        },
      ],
    ];
    for (const [url, expected] of cases) assert.deepEqual(parseRedisUrl(url), expected, url);
  },
});

Deno.test({
  name: "parseRedisUrl throws TypeError for another scheme, a bad db or no URL at all",
  fn: () => {
    for (
      const url of [
        "http://127.0.0.1:6379",
        "rediss://127.0.0.1:6379",
        "tcp://127.0.0.1:6379",
        "redis://127.0.0.1:6379/abc",
        "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:6379/1.5",
        "redis://127.0.0.1:6379/0/1",
        "redis://127.0.0.1:99999",
        "unix:///tmp/r.sock?db=x",
        "unix:///tmp/r.sock?db=-1",
        "unix:///tmp/r.sock?db=0.5",
        "unix:///tmp/r.sock?db=",
        "unix://",
        "unix:",
        "unix://tmp/r.sock", // a host, not a path: a typo of unix:///tmp/r.sock
        "redis://127.0.0.1:6379?db=3", // the db goes in the path
        "redis://user@127.0.0.1:6379", // a user without a password
        "127.0.0.1:6379",
        "",
      ]
    ) {
      assert.throws(() => parseRedisUrl(url), TypeError, url);
    }
    assert.throws(() => parseRedisUrl("http://h"), /not a redis:\/\/ or unix:\/\/ URL/);
    assert.throws(() => parseRedisUrl("redis://h/x"), /bad db/);
    assert.throws(() => parseRedisUrl("unix:///r.sock?db=x"), /bad db/);
    assert.throws(() => parseRedisUrl("unix://"), /absolute path/);
  },
});
