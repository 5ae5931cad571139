/**
 * A cached page as the runtime serves it, read through any cache handler.
 * With `KVCacheHandler` the body stays as stored (gzip) until a client that
 * cannot take gzip needs it decoded; with any other handler it comes decoded.
 */
import type { CacheHandler, CacheHandlerValue, CacheControl, IncrementalCacheValue } from "@edge-isr/kv-cache-handler";

/** What the runtime keeps beside a page's body, in the stored value. */
export interface PageMeta {
  etag: string;
  /** When the body was rendered (ms); kept when a failed regeneration re-stores the page. */
  generatedAt: number;
  /** Regenerations that failed in a row (drives the retry backoff). */
  failures?: number;
}

export interface CachedPage {
  lastModified: number;
  cacheControl: CacheControl | undefined;
  stale: boolean;
  tags: string[];
  status: number;
  headers: Record<string, string | string[]>;
  meta: PageMeta;
  /** The body: gzip bytes when `gzip` is accepted and stored that way, else plain. */
  body(acceptGzip: boolean): { body: BodyInit; gzip: boolean };
  /** The full value, for re-storing it. */
  value(): Promise<IncrementalCacheValue>;
}

interface EncodedPart {
  bytes: Uint8Array<ArrayBuffer>;
  gzip: boolean;
}
/** The optional fast path a handler may offer (KVCacheHandler does): parts left as stored. */
export interface EncodedHandler extends CacheHandler {
  getEncoded(
    key: string,
    ctx?: Record<string, unknown>,
  ): Promise<
    | (Omit<CacheHandlerValue, "value"> & {
        kind: string | null;
        fields: Record<string, unknown>;
        part(name: string): EncodedPart | undefined;
        decode(): Promise<IncrementalCacheValue | null>;
      })
    | null
  >;
}

const BODY_PART: Record<string, string> = { APP_PAGE: "html", APP_ROUTE: "body" };

function isMeta(meta: unknown): meta is PageMeta {
  return (
    typeof meta === "object" &&
    meta !== null &&
    typeof (meta as PageMeta).etag === "string" &&
    typeof (meta as PageMeta).generatedAt === "number"
  );
}

/** Reads a page through `handler`; `null` on a miss or when the entry is not a page the runtime stored. */
export async function readPage(handler: CacheHandler, key: string, ctx: Record<string, unknown>): Promise<CachedPage | null> {
  if (typeof (handler as Partial<EncodedHandler>).getEncoded === "function") {
    const hit = await (handler as EncodedHandler).getEncoded(key, ctx);
    if (!hit?.kind || !(hit.kind in BODY_PART) || !isMeta(hit.fields.edgeIsr)) return null;
    const part: EncodedPart = hit.part(BODY_PART[hit.kind]!) ?? { bytes: new Uint8Array(0), gzip: false };
    return {
      lastModified: hit.lastModified,
      cacheControl: hit.cacheControl,
      stale: hit.cacheState === "stale",
      tags: hit.tags ?? [],
      status: Number(hit.fields.status ?? 200),
      headers: (hit.fields.headers ?? {}) as Record<string, string | string[]>,
      meta: hit.fields.edgeIsr,
      body(acceptGzip) {
        if (!part.gzip) return { body: part.bytes, gzip: false };
        if (acceptGzip) return { body: part.bytes, gzip: true };
        return { body: new Response(part.bytes).body!.pipeThrough(new DecompressionStream("gzip")), gzip: false };
      },
      value: async () => (await hit.decode())!,
    };
  }
  const hit = await handler.get(key, ctx);
  const value = hit?.value as (IncrementalCacheValue & { edgeIsr?: unknown }) | null | undefined;
  if (!hit || !value || !(value.kind in BODY_PART) || !isMeta(value.edgeIsr)) return null;
  const plain = value.kind === "APP_PAGE" ? value.html : new Uint8Array(value.kind === "APP_ROUTE" ? value.body : new ArrayBuffer(0));
  return {
    lastModified: hit.lastModified,
    cacheControl: hit.cacheControl,
    stale: hit.cacheState === "stale",
    tags: hit.tags ?? [],
    status: Number((value as { status?: number }).status ?? 200),
    headers: ((value as { headers?: unknown }).headers ?? {}) as Record<string, string | string[]>,
    meta: value.edgeIsr,
    body: () => ({ body: plain, gzip: false }),
    value: async () => value,
  };
}
