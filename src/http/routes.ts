/**
 * The HTTP API (docs/CONTRACT.md §1; docs/DESIGN.md "Ingress"): `POST /payments`,
 * `GET /payments-summary`, `POST /purge-payments`, `GET /healthcheck`, `GET /metrics`. Every error
 * is a JSON body `{"error": "<what is wrong>"}`.
 *
 * @module
 */
import { fromCents } from "../domain/money.ts";
import { perProcessor } from "../domain/processor.ts";
import type { Payment } from "../domain/payment.ts";
import type { Summary } from "../store/summary.ts";
import type { IntakeResult } from "../store/queue.ts";
import { readText } from "./body.ts";
import { type HttpCounters, METRICS_CONTENT_TYPE } from "./metrics.ts";
import {
  parsePaymentBody,
  parseSummaryRange,
  type SummaryRange,
  ValidationError,
} from "./validation.ts";

/** What the routes need from the rest of the instance. */
export interface RouteDeps {
  /** Pushes a payment to the queue; resolves after Redis acknowledged (queue.ts). */
  enqueue(payment: Payment): Promise<IntakeResult>;
  summary(range: SummaryRange): Promise<Summary>;
  purge(): Promise<number>;
  /** Liveness details; `ok` false → 503. */
  health(): Promise<{ ok: boolean } & Record<string, unknown>>;
  /** False once shutdown began: new payments get 503. */
  accepting(): boolean;
  maxBodyBytes: number;
  /** Counts every response by route and status, when given (metrics.ts). */
  http?: HttpCounters;
  /** The Prometheus exposition text; `GET /metrics` exists only when given (metrics.ts). */
  metrics?(): Promise<string>;
}

const JSON_HEADERS = { "content-type": "application/json" };
const ACCEPTED = () => new Response(null, { status: 202 });

/** A JSON response. */
export function json(status: number, body: unknown, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function error(status: number, message: string, headers?: HeadersInit): Response {
  return json(status, { error: message }, headers);
}

type Handle = (request: Request, search: string) => Promise<Response>;

/**
 * The path and the query (without `?`) of a request URL, by string search: cheaper than
 * `new URL()`, which threw on a Host such as `a b` or `[x` (Deno puts it in `request.url`). The
 * Host is not used here, so it is not validated.
 */
function splitUrl(url: string): [path: string, search: string] {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return ["/", ""];
  const query = url.indexOf("?", start);
  return query < 0 ? [url.slice(start), ""] : [url.slice(start, query), url.slice(query + 1)];
}

/** Builds the request handler for `Deno.serve`. Never rejects: faults become 5xx JSON. */
export function createHandler(deps: RouteDeps): (request: Request) => Promise<Response> {
  // Null-prototype tables: a method or path such as `constructor` or `__proto__` finds nothing.
  const table = (methods: Record<string, Handle>) => Object.assign(Object.create(null), methods);
  const routes: Record<string, Record<string, Handle>> = table({
    "/payments": table({ POST: (request) => postPayment(deps, request) }),
    "/payments-summary": table({ GET: (_, search) => getSummary(deps, search) }),
    "/purge-payments": table({ POST: async () => json(200, { purged: await deps.purge() }) }),
    "/healthcheck": table({
      GET: async () => {
        const health = await deps.health();
        return json(health.ok ? 200 : 503, health);
      },
    }),
  });
  const metrics = deps.metrics;
  if (metrics) {
    routes["/metrics"] = table({
      GET: async () =>
        new Response(await metrics(), { headers: { "content-type": METRICS_CONTENT_TYPE } }),
    });
  }
  const http = deps.http;
  return async (request) => {
    const [path, search] = splitUrl(request.url);
    const route = routes[path];
    let response: Response;
    if (!route) response = error(404, `no route for ${path}`);
    else {
      const handle = route[request.method];
      if (!handle) {
        response = error(405, `${request.method} not allowed on ${path}`, {
          allow: Object.keys(route).join(", "),
        });
      } else {
        try {
          response = await handle(request, search);
        } catch (caught) {
          response = caught instanceof ValidationError
            ? error(caught.status, caught.message)
            : error(503, `service unavailable: ${(caught as Error)?.message ?? caught}`);
        }
      }
    }
    http?.count(route ? path : "unmatched", response.status);
    return response;
  };
}

async function postPayment(deps: RouteDeps, request: Request): Promise<Response> {
  if (!deps.accepting()) return error(503, "shutting down", { "retry-after": "1" });
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return error(415, "content-type must be application/json");
  }
  const payment = parsePaymentBody(await readText(request, deps.maxBodyBytes));
  const result = await deps.enqueue(payment);
  if (result === "conflict") {
    return error(409, `correlationId ${payment.correlationId} was accepted with another amount`);
  }
  return ACCEPTED(); // accepted now, or a replay of an accepted payment (idempotent)
}

async function getSummary(deps: RouteDeps, search: string): Promise<Response> {
  const summary = await deps.summary(parseSummaryRange(new URLSearchParams(search)));
  const side = (name: keyof Summary) => ({
    totalRequests: summary[name].totalRequests,
    totalAmount: fromCents(summary[name].totalCents),
  });
  return json(200, perProcessor(side));
}
