/**
 * What `edge-isr prerender` asks of the Worker, with its token: the manifest of
 * pages to render at build time, and each page rendered and stored under this
 * Worker's own build. Without the token (production) these requests are ordinary ones.
 */
import type { Pipeline } from "./pipeline.js";
import { pathFor } from "./static-params.js";

/** Header `edge-isr prerender` sends with its token: force a render and store it, answer with the key. */
export const PRERENDER_HEADER = "x-edge-isr-prerender";
/** Path of the prerender manifest (the pages to render at build time), answered only to the prerender token. */
export const PRERENDER_MANIFEST_PATH = "/_isr/prerender-manifest";

/** Whether `request` carries the prerender token (never when none is configured). */
export function isPrerender<Env>(p: Pipeline<Env>, request: Request, env: Env): boolean {
  const token = p.prerenderTokenFor(env);
  return token !== undefined && token !== "" && request.headers.get(PRERENDER_HEADER) === token;
}

/**
 * The manifest: every page to prerender — static routes, and dynamic ones expanded by
 * their `staticParams`. `buildId` is this Worker's own build (what a prerender stores);
 * `buildPointer` tells the CLI whether `promote`/`rollback` can change what it serves.
 */
export async function prerenderManifest<Env>(p: Pipeline<Env>, env: Env): Promise<Response> {
  const buildId = p.buildIdFor(env);
  const paths: string[] = [];
  for (const { route, pattern } of p.routes) {
    if (!pattern.params.length) {
      paths.push(route.path);
      continue;
    }
    for (const params of (await route.staticParams?.(env)) ?? []) paths.push(pathFor(route.path, params));
  }
  return Response.json({ buildId, paths, buildPointer: p.pointer !== undefined });
}

/**
 * The answer to a prerender of one page, whose render (REVALIDATED, see miss.ts) gave
 * `response`: sent only once the entry is stored, so the CLI can read it back at once.
 */
export async function prerendered<Env>(p: Pipeline<Env>, key: string, response: Response): Promise<Response> {
  const storing = p.misses.join(key); // taken before the body is read: the flight ends once it is collected
  const body = new Uint8Array(await response.arrayBuffer());
  const result = (await storing)?.value;
  if (result?.kind === "stored") await result.landed;
  const headers = new Headers(response.headers);
  headers.set("x-edge-isr-key", key);
  return new Response(body, { status: response.status, headers });
}
