/**
 * Not-found pages in an open key space. Every unknown URL of a dynamic route
 * (`/products/<anything>`) has its own key, so a stored 404 is what lets a
 * crawler or an attacker grow KV and spend its write quota. Two bounds:
 * - a stored 404/410 lives `seconds` (default 300), not a year: then it is gone from KV;
 * - each isolate may store `writes` new not-found entries per route at once,
 *   then one more every `perSeconds / writes` seconds (a token bucket). Beyond
 *   it a 404 is rendered for its client and not stored.
 * A route with `dynamicParams: false` never stores one at all (see static-params.ts).
 */
import { type CacheControl, quoteKey } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";
import { bypassHeaders } from "./serve.js";

/** Statuses that say "nothing here": stored briefly and within the budget. */
export const NOT_FOUND_STATUS: readonly number[] = [404, 410];

export interface NotFoundOptions {
  /** Seconds a stored 404/410 is served before it is rendered again (its KV entry expires then). Default 300. */
  seconds?: number;
  /** New not-found entries one isolate may store per route: `writes` at once, refilled evenly over `perSeconds`. Default 10 per 3,600 s. */
  budget?: { writes: number; perSeconds: number };
}

export const NOT_FOUND_DEFAULTS = { seconds: 300, budget: { writes: 10, perSeconds: 3600 } } as const;

/** Checks `notFound` when the pipeline is built; returns it with the defaults filled in. */
function settings(options: NotFoundOptions | undefined): Required<NotFoundOptions> {
  const seconds = options?.seconds ?? NOT_FOUND_DEFAULTS.seconds;
  const budget = options?.budget ?? NOT_FOUND_DEFAULTS.budget;
  if (!(Number.isInteger(seconds) && seconds >= 1))
    throw new EdgeIsrRuntimeError("ERR_OPTION_INVALID", `notFound.seconds ${String(seconds)} must be a whole number of seconds ≥ 1`);
  if (!(Number.isInteger(budget.writes) && budget.writes >= 0 && budget.perSeconds > 0)) {
    throw new EdgeIsrRuntimeError(
      "ERR_OPTION_INVALID",
      `notFound.budget ${JSON.stringify(budget)} must be { writes: a whole number ≥ 0, perSeconds: a number > 0 }`,
    );
  }
  return { seconds, budget };
}

/** How one pipeline stores 404/410 pages: briefly, and within each route's budget in this isolate. */
export class NotFoundPolicy {
  private readonly settings: Required<NotFoundOptions>;
  /** Per route pattern (so bounded by the routes): the writes left, as a token bucket. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    options: NotFoundOptions | undefined,
    private readonly now: () => number,
  ) {
    this.settings = settings(options);
  }

  /** The life of a stored response with `status`: fresh for `seconds`, then expired (never served stale); `undefined` for any other status. */
  cacheControl(status: number): CacheControl | undefined {
    return NOT_FOUND_STATUS.includes(status) ? { revalidate: this.settings.seconds, expire: this.settings.seconds } : undefined;
  }

  /** Why a first render of `route` with `status` is not stored: a new 404/410 past the route's budget. Takes a write otherwise. */
  overBudget(route: string, status: number): string | undefined {
    if (!NOT_FOUND_STATUS.includes(status) || this.take(route)) return undefined;
    return `not-found budget spent: this ${status} is not stored`;
  }

  private take(route: string): boolean {
    const { writes, perSeconds } = this.settings.budget;
    const now = this.now();
    const bucket = this.buckets.get(route) ?? { tokens: writes, at: now };
    bucket.tokens = Math.min(writes, bucket.tokens + ((now - bucket.at) / 1000) * (writes / perSeconds));
    bucket.at = now;
    this.buckets.set(route, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/**
 * The answer for a page a `dynamicParams: false` route does not list: what
 * `make` (the app's `notFound.response`) gives, or a plain 404 — also when
 * `make` throws (reported) — for this client only.
 */
export async function unlistedAnswer(
  request: Request,
  make: (() => Response | Promise<Response>) | undefined,
  context: { timing: string; report: (error: EdgeIsrRuntimeError) => void },
): Promise<Response> {
  let response: Response | undefined;
  try {
    response = await make?.();
  } catch (error) {
    const path = quoteKey(new URL(request.url).pathname);
    context.report(
      new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `notFound.response failed for ${path}; answering a plain 404: ${String(error)}`, {
        cause: error,
      }),
    );
  }
  response ??= new Response("Not Found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  const headers = new Headers(response.headers);
  bypassHeaders(headers, "not a page of staticParams (dynamicParams: false)", context.timing, true);
  return new Response(request.method === "HEAD" ? null : response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
