/** Step 2 of a request, key: the entry a matched request reads and writes, and the clean request that renders it. */
import { allowedQuery, pageKey } from "./cache-key.js";
import type { Matched } from "./match.js";
import type { Pipeline } from "./pipeline.js";

/** The Accept header of every render: a page's entry is HTML whatever the client asked for. */
const RENDER_ACCEPT = "text/html,application/xhtml+xml,*/*;q=0.8";

export interface PageKey {
  key: string;
  /**
   * The request renders see: the key's path and query, the configured origin and
   * no client header at all (not even Accept), so nothing a client sends —
   * cookies, Host/X-Forwarded-Host, x-middleware-*, RSC headers — can shape a
   * shared entry. Built only when something renders: a HIT never needs it.
   */
  renderRequest: () => Request;
}

/**
 * The key of `m`'s page under the build served now (read from the build pointer
 * when there is one). A prerender stores this Worker's own build, never the one a
 * pointer promoted before it.
 */
export async function keyPage<Env>(p: Pipeline<Env>, m: Matched<Env>, url: URL, env: Env, prerendering: boolean): Promise<PageKey> {
  const query = allowedQuery(url.searchParams, m.route.query);
  const key = pageKey(prerendering ? p.buildIdFor(env) : await p.currentBuild(env), m.path, query);
  const renderRequest = () => new Request(`${p.originFor(env) ?? url.origin}${m.path}${query}`, { headers: { accept: RENDER_ACCEPT } });
  return { key, renderRequest };
}
