/**
 * Redis connections and Lua scripts: `Deno.connect` for the socket, `npm:redis-parser` (the RESP
 * parser node-redis and ioredis were built on) for replies. docs/REDIS_CLIENT.md records why not
 * ioredis: importing it takes a bare `Deno.serve` process from 33 to 59 MB RSS (the Node
 * compatibility layer for `node:net`/`node:stream` plus the client), against the performance work's target
 * of 60 MB per instance, and its socket layer cost more CPU per command than this one.
 *
 * Only raw commands ({@link send}) and {@link Script} are used by the store. docs/DESIGN.md: no
 * library-level replay — a command issued while the connection is down fails at once, commands
 * in flight when it drops fail with it, and nothing is ever resent; retries are decided by our
 * code. Commands issued in the same tick go out in one write (pipelining).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import Parser from "redis-parser";
import { parseRedisUrl, type RedisEndpoint } from "./url.ts";
import { concatBytes } from "../../util/bytes.ts";

export { parseRedisUrl };

/** A value Redis returns to a command, as the store reads it (RESP2). */
export type Reply = string | number | null | Reply[];

/** Options of {@link connectRedis}. */
export interface ConnectOptions {
  /** Shown in `CLIENT LIST` (`CLIENT SETNAME`). */
  name: string;
  /** Called on connection errors (they never throw); rate-limit in the callback if needed. */
  onError?: (error: Error) => void;
}

/** Raised for commands issued while the connection is down, and for those it dropped. */
export class RedisConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisConnectionError";
  }
}

/** Longest wait for a connection (and its set-up replies), ms. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delay after the n-th failed attempt: min(n × 50, 500) ms. */
const RECONNECT_STEP_MS = 50;
const RECONNECT_MAX_MS = 500;
/** Longest wait for the reply to QUIT when closing, ms. */
const QUIT_TIMEOUT_MS = 1_000;
/** Bytes asked of the socket per read. */
const READ_CHUNK = 64 * 1024;

const encoder = new TextEncoder();

/** RESP encoding of one command: an array of bulk strings. */
function encode(args: (string | number)[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    const s = String(arg);
    text += `$${utf8Length(s)}\r\n${s}\r\n`;
  }
  return encoder.encode(text);
}

/** UTF-8 byte length of `s` without encoding it. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      i++; // a surrogate pair: 4 bytes for its 2 code units
      n += 2;
    } else n += 2; // 3 bytes, U+FFFD for a lone surrogate (as TextEncoder writes it)
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

/**
 * One Redis connection that, once up, reconnects by itself (every 50–500 ms) and rejects
 * commands while disconnected. Replies arrive in order, so the pending commands are a FIFO whose
 * length is the number of commands in flight (bounded by the callers' own concurrency).
 */
export class Redis {
  readonly #endpoint: RedisEndpoint;
  readonly #options: ConnectOptions;
  #conn: Deno.Conn | undefined;
  #pending: Pending[] = [];
  #head = 0;
  #outbox: Uint8Array[] = [];
  #flushing = false;
  #closed = false;
  #attempts = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(url: string, options: ConnectOptions) {
    this.#endpoint = parseRedisUrl(url);
    this.#options = options;
  }

  /** Whether commands can be sent now. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** Opens the socket and runs the set-up commands (AUTH, SELECT, CLIENT SETNAME). */
  async open(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connecting = Deno.connect(this.#endpoint.connect as Deno.ConnectOptions);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisConnectionError("Redis connect timed out")),
        CONNECT_TIMEOUT_MS,
      );
    });
    let conn: Deno.Conn;
    try {
      conn = await Promise.race([connecting, timeout]);
    } catch (error) {
      connecting.then((late) => late.close(), () => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) {
      conn.close();
      throw new RedisConnectionError("Redis connection closed");
    }
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    this.#conn = conn;
    this.#readLoop(conn);
    const { db, username, password } = this.#endpoint;
    const setup: Promise<Reply>[] = [];
    if (password !== undefined) {
      setup.push(this.send(username ? ["AUTH", username, password] : ["AUTH", password]));
    }
    if (db !== 0) setup.push(this.send(["SELECT", db]));
    setup.push(this.send(["CLIENT", "SETNAME", this.#options.name]));
    try {
      await Promise.all(setup);
      this.#attempts = 0;
    } catch (error) {
      this.#drop(conn, error as Error);
      throw error;
    }
  }

  /** Sends one raw command; resolves with its reply, rejects with the Redis error. */
  send(args: (string | number)[]): Promise<Reply> {
    const conn = this.#conn;
    if (conn === undefined) {
      return Promise.reject(new RedisConnectionError("Redis connection is not open"));
    }
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#outbox.push(encode(args));
      if (!this.#flushing) {
        this.#flushing = true;
        // Everything sent until the microtask runs goes out in the same write.
        queueMicrotask(() => this.#flush(conn));
      }
    });
  }

  /**
   * Closes for good: QUIT when connected (waiting at most {@link QUIT_TIMEOUT_MS} for the reply,
   * so a stalled Redis cannot hold a shutdown), then drops the socket. Never rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const conn = this.#conn;
    if (conn === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, QUIT_TIMEOUT_MS));
    await Promise.race([this.send(["QUIT"]).catch(() => {}), deadline]);
    clearTimeout(timer);
    this.#drop(conn, new RedisConnectionError("closed"));
  }

  /** Writes everything queued, in order, in as few writes as possible. */
  async #flush(conn: Deno.Conn): Promise<void> {
    try {
      while (this.#outbox.length > 0 && this.#conn === conn) {
        const chunks = this.#outbox;
        this.#outbox = [];
        const bytes = chunks.length === 1 ? chunks[0] : concatBytes(chunks);
        for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
      }
    } catch (error) {
      this.#drop(conn, error as Error);
    } finally {
      this.#flushing = false;
      // Commands queued for a newer connection while this one was being written to.
      const current = this.#conn;
      if (current !== undefined && this.#outbox.length > 0) {
        this.#flushing = true;
        queueMicrotask(() => this.#flush(current));
      }
    }
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    const parser = new Parser({
      returnReply: (reply: Reply) => this.#shift()?.resolve(reply),
      returnError: (error: Error) => this.#shift()?.reject(error),
      returnFatalError: (error: Error) => this.#drop(conn, error),
    });
    const chunk = new Uint8Array(READ_CHUNK);
    let error: Error = new RedisConnectionError("Redis closed the connection");
    try {
      for (;;) {
        const n = await conn.read(chunk);
        if (n === null) break;
        // The parser may keep a partial reply's bytes: give it its own copy.
        const bytes = chunk.slice(0, n);
        parser.execute(Buffer.from(bytes.buffer, 0, n));
      }
    } catch (cause) {
      error = cause as Error;
    }
    this.#drop(conn, error);
  }

  #shift(): Pending | undefined {
    const next = this.#pending[this.#head];
    if (next === undefined) return undefined;
    this.#pending[this.#head++] = undefined as unknown as Pending;
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** Forgets `conn`: fails what was in flight and, unless closed, reconnects later. */
  #drop(conn: Deno.Conn, error: Error): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    try {
      conn.close();
    } catch {
      // already closed
    }
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    this.#outbox = [];
    const failure = new RedisConnectionError(`Redis connection lost: ${error.message}`);
    for (const p of pending) p.reject(failure);
    if (this.#closed) return;
    this.#options.onError?.(error);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#reconnectTimer);
    this.#attempts++;
    const delay = Math.min(this.#attempts * RECONNECT_STEP_MS, RECONNECT_MAX_MS);
    this.#reconnectTimer = setTimeout(async () => {
      if (this.#closed) return;
      try {
        await this.open();
      } catch (error) {
        if (this.#closed) return;
        this.#options.onError?.(error as Error);
        if (this.#conn === undefined) this.#scheduleReconnect();
      }
    }, delay);
  }
}

/**
 * Opens a connection (see {@link Redis}).
 *
 * @param url `redis://[[user]:password@]host[:port][/db]` or `unix:///path/to.sock[?db=N]`.
 * @throws the connection error if the first connection fails (nothing is left running then).
 */
export async function connectRedis(url: string, options: ConnectOptions): Promise<Redis> {
  const redis = new Redis(url, options);
  try {
    await redis.open();
  } catch (error) {
    await redis.close();
    throw error;
  }
  return redis;
}

/** Closes a connection: QUIT when connected, else drop it. Never rejects. */
export function closeRedis(redis: Redis): Promise<void> {
  return redis.close();
}

/** Sends one raw command, e.g. `["LPUSH", key, value]`. Rejects while disconnected. */
export function send(redis: Redis, command: (string | number)[]): Promise<Reply> {
  return redis.send(command);
}

/**
 * Every key matching `pattern` (`SCAN … MATCH … COUNT 1000`), a page at a time. Keys added or
 * removed meanwhile may or may not be seen, as with SCAN itself.
 *
 * @throws the Redis error.
 */
export async function* scanKeys(redis: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const [next, found] = await send(redis, ["SCAN", cursor, "MATCH", pattern, "COUNT", 1000]) as [
      string,
      string[],
    ];
    if (found.length) yield found;
    cursor = next;
  } while (cursor !== "0");
}

/** Lowercase hex SHA-1 of `text`, as Redis names scripts. */
async function sha1Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A Lua script run by `EVALSHA`, falling back to `EVAL` once when Redis answers NOSCRIPT (after a
 * restart or `SCRIPT FLUSH`). Scripts are atomic on the server, which is what the store relies on.
 */
export class Script {
  readonly #source: string;
  readonly #sha: Promise<string>;

  /** @param source the Lua source; KEYS and ARGV as usual. */
  constructor(source: string) {
    this.#source = source;
    this.#sha = sha1Hex(source);
  }

  /** Runs the script with `keys` and `args`. Rejects with the Redis error otherwise. */
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
