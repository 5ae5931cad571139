/** Values of every kind, built so a lossy round trip cannot go unnoticed. */
import type { IncrementalCacheValue } from "../../packages/kv-cache-handler/src/index.js";

export const allBytes = (): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: 256 }, (_, i) => i);
/** Bytes that are not valid UTF-8 (lone continuation bytes, overlongs, 0xFF). */
export const notUtf8 = (): Uint8Array<ArrayBuffer> =>
  Uint8Array.from([0x30, 0x3a, 0x80, 0xbf, 0xc0, 0xaf, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x0a]);

export const bytesOf = (value: unknown): number[] => Array.from(new Uint8Array(value as ArrayBuffer));

export function appPage(html = "<!doctype html><h1>Hello ✓ 你好</h1>", rsc: Uint8Array = allBytes()): IncrementalCacheValue {
  return {
    kind: "APP_PAGE",
    html,
    rscData: rsc.slice().buffer,
    headers: { "content-type": "text/html; charset=utf-8", "x-multi": ["a", "b"] },
    postponed: undefined,
    status: 200,
  };
}

export function everyKind(): Record<string, IncrementalCacheValue> {
  return {
    APP_PAGE: {
      ...appPage(),
      postponed: '{"resume":true}',
      status: 203,
      segmentData: new Map([
        ["/_tree", allBytes().buffer],
        ["/blog/a.segment", notUtf8().buffer],
      ]),
    },
    PAGES: {
      kind: "PAGES",
      html: "<div id=__next>pages ✓</div>",
      pageData: { pageProps: { id: 1, nested: { list: [1, "two", null] } } },
      headers: { "x-pages": "1" },
      status: 200,
    },
    APP_ROUTE: { kind: "APP_ROUTE", body: allBytes().buffer, status: 201, headers: { "content-type": "application/octet-stream" } },
    FETCH: {
      kind: "FETCH",
      data: {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ price: 12.5, name: "Shoe ✓" }),
        url: "https://api.example.com/p/1",
        status: 200,
      },
      tags: ["fetch-tag"],
      revalidate: 30,
    },
    REDIRECT: { kind: "REDIRECT", props: { destination: "/new", permanent: true } },
    IMAGE: { kind: "IMAGE", etag: '"abc"', buffer: allBytes().buffer, extension: "webp", revalidate: 60 },
  };
}

/** Deterministic, compressible-like-HTML text of about `bytes` bytes. */
export function htmlOfSize(bytes: number): string {
  const words = ["product", "price", "shoe", "red", "blue", "size", "stock", "review", "catalogue", "edge", "cache", "€12.50"];
  let seed = 7;
  const parts: string[] = ["<!doctype html><main>"];
  let length = 21;
  while (length < bytes) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const piece = `<li class="item-${seed % 97}">${words[seed % words.length]} ${seed % 1000}</li>`;
    parts.push(piece);
    length += piece.length;
  }
  return parts.join("").slice(0, bytes);
}

/** Incompressible bytes (Web Crypto caps one call at 65,536 bytes). */
export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
  return out;
}
