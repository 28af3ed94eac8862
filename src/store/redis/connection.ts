/**
 * One socket to Redis speaking RESP2: every command issued in the same tick goes out in one write,
 * and replies, parsed by `npm:redis-parser`, are matched to their commands through a FIFO (Redis
 * answers in order). Used once: when it drops (closed, a failed read or write, not RESP, or
 * dropped by its owner, client.ts), everything in flight fails with {@link RedisConnectionError}
 * and nothing is resent (docs/DESIGN.md "Conventions").
 *
 * @module
 */
import { Buffer } from "node:buffer";
import Parser from "redis-parser";
import { concatBytes, writeAll } from "../../util/bytes.ts";

/** A value Redis returns to a command, as the store reads it (RESP2). */
export type Reply = string | number | null | Reply[];

/** Raised for commands issued while the connection is down, and for those it dropped. */
export class RedisConnectionError extends Error {
  override name = "RedisConnectionError";
}

/** Bytes asked of the socket per read. */
const READ_CHUNK = 64 * 1024;
/** Consumed FIFO slots kept before the FIFO is compacted. */
const COMPACT_AFTER = 1024;

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
 * One open socket and its pending replies. The FIFO's length is the number of commands in flight,
 * bounded by the callers' own concurrency; the outbox holds what was issued in this tick.
 */
export class Connection {
  readonly #conn: Deno.Conn;
  readonly #onDrop: (error: Error) => void;
  #pending: Pending[] = [];
  #head = 0;
  #outbox: Uint8Array[] = [];
  #flushing = false;
  #dropped = false;

  /**
   * Starts reading `conn` (Nagle's algorithm off on TCP).
   *
   * @param onDrop called once, after the connection dropped and failed what was in flight, with
   *   the cause.
   */
  constructor(conn: Deno.Conn, onDrop: (error: Error) => void) {
    this.#conn = conn;
    this.#onDrop = onDrop;
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    this.#readLoop();
  }

  /**
   * Sends one raw command; resolves with its reply, rejects with the Redis error, or with
   * {@link RedisConnectionError} when the connection drops first (or already has).
   */
  send(args: (string | number)[]): Promise<Reply> {
    if (this.#dropped) {
      return Promise.reject(new RedisConnectionError("Redis connection is not open"));
    }
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#outbox.push(encode(args));
      if (!this.#flushing) {
        this.#flushing = true;
        // Everything sent until the microtask runs goes out in the same write.
        queueMicrotask(() => this.#flush());
      }
    });
  }

  /**
   * Closes the socket and fails every pending command with {@link RedisConnectionError}
   * (`Redis connection lost: <cause>`), then calls `onDrop(error)`. Only the first call acts.
   */
  drop(error: Error): void {
    if (this.#dropped) return;
    this.#dropped = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    this.#outbox = [];
    const failure = new RedisConnectionError(`Redis connection lost: ${error.message}`);
    for (const p of pending) p.reject(failure);
    this.#onDrop(error);
  }

  /** Writes everything queued, in order, in as few writes as possible. */
  async #flush(): Promise<void> {
    try {
      while (this.#outbox.length > 0 && !this.#dropped) {
        const chunks = this.#outbox;
        this.#outbox = [];
        const bytes = chunks.length === 1 ? chunks[0] : concatBytes(chunks);
        await writeAll(this.#conn, bytes);
      }
    } catch (error) {
      this.drop(error as Error);
    } finally {
      this.#flushing = false;
    }
  }

  async #readLoop(): Promise<void> {
    const parser = new Parser({
      returnReply: (reply: Reply) => this.#shift()?.resolve(reply),
      returnError: (error: Error) => this.#shift()?.reject(error),
      returnFatalError: (error: Error) => this.drop(error),
    });
    const chunk = new Uint8Array(READ_CHUNK);
    let error: Error = new RedisConnectionError("Redis closed the connection");
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        // The parser may keep a partial reply's bytes: give it its own copy.
        const bytes = chunk.slice(0, n);
        parser.execute(Buffer.from(bytes.buffer, 0, n));
      }
    } catch (cause) {
      error = cause as Error;
    }
    this.drop(error);
  }

  /** The oldest pending command, taken off the FIFO. */
  #shift(): Pending | undefined {
    const next = this.#pending[this.#head];
    if (next === undefined) return undefined;
    this.#pending[this.#head++] = undefined as unknown as Pending;
    if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }
}
