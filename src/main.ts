/**
 * Entry point of one API instance (`deno task start`): reads the configuration from the
 * environment (config.ts), starts the instance (app.ts) and shuts it down gracefully on SIGTERM
 * or SIGINT within `SHUTDOWN_TIMEOUT_MS`.
 *
 * @module
 */
import { type App, startApp } from "./app.ts";
import { ConfigError, loadConfig, StartError } from "./config.ts";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`configuration error: ${error.message}`);
  Deno.exit(2);
}
let app: App;
try {
  app = await startApp(config);
} catch (error) {
  // A StartError names its part (http/listen.ts); any other error at start is Redis's (app.ts).
  const where = config.redisUrl.replace(/\/\/[^@/]*@/, "//***@"); // no password in logs
  const redis = new StartError(`cannot reach Redis at ${where}`, error, "REDIS_URL");
  console.error((error instanceof StartError ? error : redis).message);
  Deno.exit(1);
}
const shutdown = () => {
  const hardStop = setTimeout(() => Deno.exit(1), config.shutdownTimeoutMs);
  app.stop().then(() => {
    clearTimeout(hardStop);
    Deno.exit(0);
  });
};
Deno.addSignalListener("SIGTERM", shutdown);
Deno.addSignalListener("SIGINT", shutdown);
