/**
 * Lua scripts: run by `EVALSHA`, falling back to `EVAL` once when Redis answers NOSCRIPT (after a
 * restart or `SCRIPT FLUSH`). Scripts are atomic on the server, which is what the store relies on.
 *
 * @module
 */
import type { Redis } from "./client.ts";
import type { Reply } from "./connection.ts";

/** Lowercase hex SHA-1 of `text`, as Redis names scripts. */
async function sha1Hex(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One Lua script; KEYS and ARGV as usual. */
export class Script {
  readonly #source: string;
  readonly #sha: Promise<string>;

  /** @param source the Lua source. */
  constructor(source: string) {
    this.#source = source;
    this.#sha = sha1Hex(source);
  }

  /**
   * Runs the script with `keys` and `args` on `redis`.
   *
   * @throws the Redis error (a script error included), or the connection error.
   */
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<Reply> {
    const sha = await this.#sha;
    try {
      return await redis.send(["EVALSHA", sha, keys.length, ...keys, ...args]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return await redis.send(["EVAL", this.#source, keys.length, ...keys, ...args]);
    }
  }
}
