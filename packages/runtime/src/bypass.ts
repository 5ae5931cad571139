/** Answers rendered for one client and never stored: BYPASS, and the 404 of a `dynamicParams: false` route. */
import type { Matched } from "./match.js";
import { unlistedAnswer } from "./not-found.js";
import type { WaitUntil } from "./options.js";
import type { Pipeline } from "./pipeline.js";
import { render, renderError } from "./render.js";
import { bypassHeaders } from "./serve.js";
import type { Timing } from "./timing.js";

/**
 * Renders for this client alone, saying `why` in `x-edge-isr-bypass`. With no route
 * matched, the app's `fallback` answers when there is one.
 */
export async function bypass<Env>(
  p: Pipeline<Env>,
  m: Matched<Env> | undefined,
  request: Request,
  env: Env,
  ctx: WaitUntil,
  timing: Timing,
  why: string,
): Promise<Response> {
  let response: Response;
  try {
    if (!m && p.options.fallback) response = await p.options.fallback(request, env, ctx);
    else response = await render(p, m, request, env, ctx, "bypass", timing);
  } catch (error) {
    return renderError(p, error, request);
  }
  const headers = new Headers(response.headers);
  bypassHeaders(headers, why, timing.header("BYPASS"), m !== undefined);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** `dynamicParams: false`: the 404 for params `staticParams` does not list — no render, no KV. `undefined` otherwise. */
export async function unlisted<Env>(
  p: Pipeline<Env>,
  m: Matched<Env>,
  request: Request,
  env: Env,
  timing: Timing,
): Promise<Response | undefined> {
  if (!(await p.staticPages.refuses(m.route, m.pattern, m.path, env))) return undefined;
  const make = p.options.notFound?.response;
  return unlistedAnswer(request, make && (() => make(request, env)), { timing: timing.header("BYPASS"), report: p.report });
}
