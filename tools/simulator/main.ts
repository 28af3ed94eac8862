/**
 * `deno task processor`: runs the Payment Processor simulator (server.ts) with the options of
 * args.ts. Prints one line once listening; SIGINT or SIGTERM stops it.
 *
 * @module
 */

import { parseProcessorArgs } from "./args.ts";
import { formatDecimal } from "./decimal.ts";
import { startProcessor } from "./server.ts";

if (import.meta.main) {
  try {
    const options = parseProcessorArgs(Deno.args);
    const stop = new AbortController();
    const processor = startProcessor({ ...options, signal: stop.signal });
    const signals = ["SIGINT", "SIGTERM"] as const;
    const onSignal = () => {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
      stop.abort();
    };
    for (const signal of signals) Deno.addSignalListener(signal, onSignal);
    console.log(
      `payment processor simulator listening on ${processor.url} ` +
        `(fee ${formatDecimal(processor.state.fee)})`,
    );
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
}
