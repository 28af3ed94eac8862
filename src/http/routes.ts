/**
 * The HTTP API (RINHA.md §1): `POST /payments`, `GET /payments-summary`, `POST /purge-payments`,
 * `GET /healthcheck`. Every error is a JSON body `{"error": "<what is wrong>"}`.
 *
 * @module
 */
import { fromCents } from "../payments/money.ts";
import type { Payment } from "../payments/payment.ts";
import type { Summary } from "../store/ledger.ts";
import type { IntakeResult } from "../store/queue.ts";
import { readText } from "./body.ts";
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

/** Builds the request handler for `Deno.serve`. Never rejects: faults become 5xx JSON. */
export function createHandler(deps: RouteDeps): (request: Request) => Promise<Response> {
  const routes: Record<string, Record<string, (request: Request, url: URL) => Promise<Response>>> =
    {
      "/payments": { POST: (request) => postPayment(deps, request) },
      "/payments-summary": { GET: (_, url) => getSummary(deps, url) },
      "/purge-payments": { POST: async () => json(200, { purged: await deps.purge() }) },
      "/healthcheck": {
        GET: async () => {
          const health = await deps.health();
          return json(health.ok ? 200 : 503, health);
        },
      },
    };
  return async (request) => {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return error(404, `no route for ${url.pathname}`);
    const handle = route[request.method];
    if (!handle) {
      return error(405, `${request.method} not allowed on ${url.pathname}`, {
        allow: Object.keys(route).join(", "),
      });
    }
    try {
      return await handle(request, url);
    } catch (caught) {
      if (caught instanceof ValidationError) return error(caught.status, caught.message);
      return error(503, `service unavailable: ${(caught as Error)?.message ?? caught}`);
    }
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

async function getSummary(deps: RouteDeps, url: URL): Promise<Response> {
  const summary = await deps.summary(parseSummaryRange(url.searchParams));
  const side = (name: keyof Summary) => ({
    totalRequests: summary[name].totalRequests,
    totalAmount: fromCents(summary[name].totalCents),
  });
  return json(200, { default: side("default"), fallback: side("fallback") });
}
