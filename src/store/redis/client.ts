/**
 * The Redis client the store uses (docs/decisions/0002-own-redis-connection.md): one connection
 * (connection.ts) kept up by a supervisor that, once the first connection is up, reconnects by
 * itself every 50–500 ms, and the Lua scripts run on it. No library-level replay (docs/DESIGN.md
 * "Conventions"): a command issued while disconnected fails at once, and nothing is ever resent.
 * URLs: url.ts.
 *
 * @module
 */
import { Connection, RedisConnectionError, type Reply } from "./connection.ts";
import { parseRedisUrl, type RedisEndpoint } from "./url.ts";

/** Options of {@link Redis.connect}: the `CLIENT SETNAME`, and who is told of connection errors. */
interface ConnectOptions {
  name: string;
  onError?: (error: Error) => void;
}

/** Longest wait for a connection: the socket and the set-up commands (AUTH, SELECT, …), ms. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect delay after the n-th failed attempt: min(n × 50, 500) ms. */
const RECONNECT_STEP_MS = 50;
const RECONNECT_MAX_MS = 500;
/** Longest wait for the reply to QUIT when closing, ms. */
const QUIT_TIMEOUT_MS = 1_000;
/** Keys asked of each `SCAN` step. */
const SCAN_COUNT = 1000;

/** One supervised Redis connection. */
export class Redis {
  readonly #endpoint: RedisEndpoint;
  readonly #options: ConnectOptions;
  #connection: Connection | undefined;
  #closed = false;
  #attempts = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(url: string, options: ConnectOptions) {
    this.#endpoint = parseRedisUrl(url);
    this.#options = options;
  }

  /**
   * Opens a connection to `url` (url.ts) and runs its set-up commands (AUTH, SELECT, CLIENT
   * SETNAME).
   *
   * @throws {TypeError} on a bad URL; the connection or set-up error if the first connection fails
   *   (nothing is left running then).
   */
  static async connect(url: string, options: ConnectOptions): Promise<Redis> {
    const redis = new Redis(url, options);
    try {
      await redis.#open();
    } catch (error) {
      await redis.close();
      throw error;
    }
    return redis;
  }

  /** Whether commands can be sent now. */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * Sends one raw command, e.g. `["LPUSH", key, value]`; resolves with its reply, rejects with
   * the Redis error, or with {@link RedisConnectionError} at once while disconnected.
   */
  send(args: (string | number)[]): Promise<Reply> {
    const connection = this.#connection;
    if (connection === undefined) {
      return Promise.reject(new RedisConnectionError("Redis connection is not open"));
    }
    return connection.send(args);
  }

  /**
   * Every key matching `pattern` (`SCAN … MATCH … COUNT 1000`), a page at a time. Keys added or
   * removed meanwhile may or may not be seen, as with SCAN itself.
   *
   * @throws the Redis error.
   */
  async *scan(pattern: string): AsyncGenerator<string[]> {
    let cursor = "0";
    do {
      const reply = await this.send(["SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT]);
      const [next, found] = reply as [string, string[]];
      if (found.length) yield found;
      cursor = next;
    } while (cursor !== "0");
  }

  /**
   * Closes for good: QUIT when connected (waiting at most {@link QUIT_TIMEOUT_MS} for the reply,
   * so a stalled Redis cannot hold a shutdown), then drops the socket; no reconnect afterwards.
   * Idempotent; never rejects.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const connection = this.#connection;
    if (connection === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => timer = setTimeout(resolve, QUIT_TIMEOUT_MS));
    await Promise.race([connection.send(["QUIT"]).catch(() => {}), deadline]);
    clearTimeout(timer);
    connection.drop(new RedisConnectionError("closed"));
  }

  /** Connects and runs the set-up commands, all within CONNECT_TIMEOUT_MS; a failure drops it. */
  async #open(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = `no answer to connect and set-up within ${CONNECT_TIMEOUT_MS} ms`;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisConnectionError(late)), CONNECT_TIMEOUT_MS);
    });
    let connection: Connection | undefined;
    try {
      const conn = await this.#dial(deadline);
      if (this.#closed) {
        conn.close();
        throw new RedisConnectionError("Redis connection closed");
      }
      connection = new Connection(conn, (error) => this.#lost(connection!, error));
      this.#connection = connection;
      const { db, username, password } = this.#endpoint;
      const setup: Promise<Reply>[] = [];
      if (password !== undefined) {
        setup.push(connection.send(username ? ["AUTH", username, password] : ["AUTH", password]));
      }
      if (db !== 0) setup.push(connection.send(["SELECT", db]));
      setup.push(connection.send(["CLIENT", "SETNAME", this.#options.name]));
      await Promise.race([Promise.all(setup), deadline]);
      this.#attempts = 0;
    } catch (error) {
      connection?.drop(error as Error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The socket, unless `deadline` rejects first; a socket connected too late is closed. */
  async #dial(deadline: Promise<never>): Promise<Deno.Conn> {
    const connecting = Deno.connect(this.#endpoint.connect as Deno.ConnectOptions);
    try {
      return await Promise.race([connecting, deadline]);
    } catch (error) {
      connecting.then((late) => late.close(), () => {});
      throw error;
    }
  }

  /** `connection` dropped: forget it and, unless closed, report and reconnect later. */
  #lost(connection: Connection, error: Error): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
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
        await this.#open();
      } catch (error) {
        if (this.#closed) return;
        this.#options.onError?.(error as Error);
        if (this.#connection === undefined) this.#scheduleReconnect();
      }
    }, delay);
  }
}

/** Lowercase hex SHA-1 of `text`, as Redis names scripts. */
async function sha1Hex(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * One Lua script, atomic on the server (what the store relies on); KEYS and ARGV as usual. Run by
 * `EVALSHA`, falling back to `EVAL` once when Redis answers NOSCRIPT (after a restart or
 * `SCRIPT FLUSH`).
 */
export class Script {
  readonly #source: string;
  readonly #sha: Promise<string>;

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
