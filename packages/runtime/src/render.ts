/** The render step: runs the route's renderer (or the shared one) within its time budget. */
import { quoteKey } from "@edge-isr/kv-cache-handler";
import { EdgeIsrRuntimeError } from "./errors.js";
import type { Matched } from "./match.js";
import type { RenderContext, WaitUntil } from "./options.js";
import type { Pipeline } from "./pipeline.js";
import type { Timing } from "./timing.js";
import { withTimeout } from "./timeout.js";

/**
 * Renders `request` (a clean one, see page-key.ts) for `m`, or for no route (`undefined`).
 * Throws `ERR_RENDER_TIMEOUT` past `renderTimeoutMs`, `ERR_RENDER_FAILED` when the renderer
 * gives no Response; `timing`, when given, records the render in Server-Timing.
 */
export async function render<Env>(
  p: Pipeline<Env>,
  m: Matched<Env> | undefined,
  request: Request,
  env: Env,
  ctx: WaitUntil,
  reason: RenderContext<Env>["reason"],
  timing?: Timing,
): Promise<Response> {
  const renderer = m?.route.render ?? p.options.render;
  p.stats.renders++;
  const run = async () => {
    const response = await withTimeout(
      Promise.resolve().then(() => renderer(request, { params: m?.params ?? {}, env, ctx, route: m?.route, reason })),
      p.renderTimeoutMs,
      () => {
        const path = quoteKey(new URL(request.url).pathname);
        return new EdgeIsrRuntimeError("ERR_RENDER_TIMEOUT", `rendering ${path} took longer than ${p.renderTimeoutMs} ms`);
      },
    );
    if (!(response instanceof Response)) {
      throw new EdgeIsrRuntimeError("ERR_RENDER_FAILED", `render must return a Response, got ${typeof response}`);
    }
    return response;
  };
  return timing ? timing.measure("render", run) : run();
}

/** The answer when a page has no stored copy and rendering failed: the app's `renderError`, or a plain 500. */
export async function renderError<Env>(p: Pipeline<Env>, error: unknown, request: Request): Promise<Response> {
  if (p.options.renderError) return p.options.renderError(error, request);
  return new Response("Internal Server Error", { status: 500, headers: { "content-type": "text/plain", "cache-control": "no-store" } });
}
