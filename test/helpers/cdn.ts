/**
 * A shared cache in front of a Worker, as a CDN that follows HTTP caching would
 * be. What may be stored and for how long is decided by workerd's real Cache
 * API (Miniflare's: `s-maxage`, `private`, `no-store`, `Set-Cookie`, `Vary: *`).
 * That API keys entries by URL alone — as Cloudflare's cache does — so this
 * layer adds what a Vary-honouring CDN does (RFC 9111 §4.1): an answer is
 * stored under the URL plus the values, in the request that fetched it, of the
 * headers its `Vary` names, and a request only gets an answer whose selecting
 * headers it matches.
 */
export interface CDN {
  /** Answers from the cache when it may (`x-cdn: HIT`), else from the origin (`x-cdn: MISS`), storing what may be stored. */
  fetch(request: Request): Promise<Response>;
}

export async function cdnInFront(origin: (request: Request) => Promise<Response>): Promise<CDN> {
  const cache = await caches.open(`cdn-${crypto.randomUUID()}`);
  /** For each URL, the headers its stored answers vary by (a CDN keeps this with the entry). */
  const varyBy = new Map<string, string[]>();
  const variantKey = (request: Request, names: readonly string[]) => {
    const selecting = names.map((name) => `${name}=${encodeURIComponent(request.headers.get(name) ?? "")}`).join("&");
    return new Request(`https://cdn.test/${encodeURIComponent(request.url)}?${selecting}`);
  };
  const marked = (response: Response, state: string) => {
    const out = new Response(response.body, response);
    out.headers.set("x-cdn", state);
    return out;
  };
  return {
    async fetch(request) {
      const cacheable = request.method === "GET";
      if (cacheable) {
        const hit = await cache.match(variantKey(request, varyBy.get(request.url) ?? []));
        if (hit) return marked(hit, "HIT");
      }
      const response = await origin(request);
      const vary = (response.headers.get("vary") ?? "")
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean);
      if (cacheable && !vary.includes("*")) {
        const key = variantKey(request, vary);
        await cache.put(key, response.clone()); // the Cache API refuses (silently) what may not be shared
        if (await cache.match(key)) varyBy.set(request.url, vary);
      }
      return marked(response, "MISS");
    },
  };
}
