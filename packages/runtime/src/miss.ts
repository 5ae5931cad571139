/**
 * The render-and-store step for a page with no stored copy (MISS), or one a
 * forced revalidation or a prerender renders again (REVALIDATED): rendered once
 * however many requests wait, streamed to the first client while a copy is
 * stored in `ctx.waitUntil`; the requests that joined are served the stored copy.
 */
import { type CacheHandler, quoteKey } from "@edge-isr/kv-cache-handler";
import { bypass } from "./bypass.js";
import { responseBypassReason } from "./cacheability.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import type { Matched } from "./match.js";
import type { WaitUntil } from "./options.js";
import type { CachedPage } from "./page.js";
import type { Pipeline } from "./pipeline.js";
import { render, renderError } from "./render.js";
import { type CacheState, bypassHeaders, cacheHeaders, isPersonal, serveCached, stateHeaders } from "./serve.js";
import { cacheControlFor, storePage, tagsFor } from "./store.js";
import type { Timing } from "./timing.js";

/** What the shared render gives the requests that joined it. */
export type MissResult =
  | { kind: "stored"; page: CachedPage; landed: Promise<void> }
  | { kind: "uncacheable" }
  | { kind: "failed"; error: unknown };

/** What the shared render gives the request that started it: the response itself, to stream. */
type LeaderOutcome =
  | { kind: "cacheable"; response: Response }
  | { kind: "uncacheable"; response: Response; why: string }
  | { kind: "failed"; error: unknown };

/** MISS: the first request renders and streams; concurrent ones wait for the stored copy. */
export async function miss<Env>(
  p: Pipeline<Env>,
  handler: CacheHandler,
  key: string,
  m: Matched<Env>,
  client: Request,
  request: Request,
  env: Env,
  ctx: WaitUntil,
  timing: Timing,
  state: CacheState,
): Promise<Response> {
  const joining = p.misses.join(key);
  if (joining) {
    const joined = await joining;
    if (!joined) return bypass(p, m, client, env, ctx, timing, "a shared render did not finish in time");
    const result = joined.value;
    if (result.kind === "stored") return serveCached(p, result.page, client, m, state, timing);
    if (result.kind === "failed") return renderError(p, result.error, client);
    return bypass(p, m, client, env, ctx, timing, "the page is not cacheable");
  }
  let answer!: (outcome: LeaderOutcome) => void;
  const leader = new Promise<LeaderOutcome>((resolve) => (answer = resolve));
  const shared = p.misses.run(key, async (): Promise<MissResult> => {
    const generatedAt = p.now();
    let response: Response;
    try {
      response = await render(p, m, request, env, ctx, state === "REVALIDATED" ? "revalidate" : "miss", timing);
    } catch (error) {
      const message = `rendering ${quoteKey(key)} failed and no copy is stored: ${String(error)}`;
      p.report(error instanceof EdgeIsrRuntimeError ? error : new EdgeIsrRuntimeError("ERR_RENDER_FAILED", message, { cause: error }));
      answer({ kind: "failed", error });
      return { kind: "failed", error };
    }
    // A first render of an unknown URL (MISS, not a forced one) spends the not-found budget.
    const overBudget = () => (state === "MISS" ? p.notFound.overBudget(m.route.path, response.status) : undefined);
    const why = responseBypassReason(response, p.cacheableStatus) ?? overBudget();
    if (why) {
      answer({ kind: "uncacheable", response, why });
      return { kind: "uncacheable" };
    }
    // Stream to the first client while a copy is collected for the store.
    const [toClient, toStore] = response.body ? response.body.tee() : [null, null];
    answer({ kind: "cacheable", response: new Response(toClient, response) });
    const body = toStore ? new Uint8Array(await new Response(toStore).arrayBuffer()) : new Uint8Array(0);
    const { page, landed } = await storePage(p, handler, key, m, { status: response.status, headers: response.headers, body, generatedAt });
    ctx.waitUntil(landed);
    return { kind: "stored", page, landed };
  });
  ctx.waitUntil(shared);
  const outcome = await leader;
  if (outcome.kind === "failed") return renderError(p, outcome.error, client);
  const headers = new Headers(outcome.response.headers);
  if (outcome.kind === "cacheable") {
    stateHeaders(headers, state, timing.header(state));
    cacheHeaders(headers, cacheControlFor(p, m.route, outcome.response.status), isPersonal(m.route), {
      age: 0,
      stale: false,
      tags: tagsFor(m),
    });
    headers.set("age", "0");
    headers.set("x-edge-isr-generated-at", new Date(p.now()).toISOString());
  } else {
    bypassHeaders(headers, outcome.why, timing.header("BYPASS"), true);
  }
  const body = client.method === "HEAD" ? null : outcome.response.body;
  return new Response(body, { status: outcome.response.status, statusText: outcome.response.statusText, headers });
}
