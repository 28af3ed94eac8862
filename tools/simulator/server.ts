/**
 * Runs the Payment Processor simulator on a socket, for the local stack, the end-to-end tests and
 * the benchmark runner.
 *
 * @example
 * ```ts
 * const processor = startProcessor({ port: 0, fee: "0.07" });
 * await fetch(`${processor.url}/payments/service-health`);
 * await processor.shutdown();
 * ```
 *
 * @module
 */

import { createProcessorHandler, type ProcessorHandlerOptions } from "./processor.ts";
import { ProcessorState, type ProcessorStateOptions } from "./processor_state.ts";

/** Options of {@linkcode startProcessor}. */
export interface StartProcessorOptions
  extends ProcessorStateOptions, Omit<ProcessorHandlerOptions, "signal"> {
  /** TCP port; 0 picks a free one. Default 8001 (the default processor's port, docs/CONTRACT.md §2). */
  readonly port?: number;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Aborting it shuts the processor down (as {@linkcode RunningProcessor.shutdown}). */
  readonly signal?: AbortSignal;
}

/** A listening simulator. */
export interface RunningProcessor {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8001`. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** Live configuration and stored payments. */
  readonly state: ProcessorState;
  /**
   * Stops accepting connections, ends pending payment delays and limiter waits at once (those
   * requests answer 503 and store nothing) and resolves when every connection is closed. Safe to
   * call twice.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts a simulator listening on `hostname:port`.
 *
 * @throws {RangeError} for invalid options (see {@linkcode ProcessorState},
 *   {@linkcode createProcessorHandler}); `Deno.errors.AddrInUse` if the port is taken.
 */
export function startProcessor(options: StartProcessorOptions = {}): RunningProcessor {
  const state = new ProcessorState(options);
  const stopping = new AbortController();
  const handler = createProcessorHandler(state, { ...options, signal: stopping.signal });
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve(
    { port: options.port ?? 8001, hostname, onListen: () => {} },
    (request) => handler(request),
  );
  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    options.signal?.removeEventListener("abort", shutdown);
    stopping.abort();
    return stopped ??= server.shutdown();
  };
  if (options.signal?.aborted) shutdown();
  else options.signal?.addEventListener("abort", shutdown, { once: true });
  const port = server.addr.port;
  const host = hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  return { url: `http://${host}:${port}`, port, state, shutdown };
}
