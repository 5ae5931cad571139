/** `getEncoded`: the parts as stored, for serving gzip bodies without inflating them. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KVCacheHandler, kvKeyFor } from "../src/index.js";
import { countingKV } from "../../../test/helpers/counting-kv.js";

const html = `<!doctype html>${"<li class=product>Shoe €12.50 in stock</li>".repeat(200)}`;
const rsc = new TextEncoder().encode(`0:["$","main",null,${JSON.stringify({ children: html.slice(0, 3000) })}]`);
const page = {
  kind: "APP_PAGE" as const,
  html,
  rscData: rsc.slice().buffer,
  headers: { "content-type": "text/html" },
  postponed: undefined,
  status: 200,
};
const setup = () => {
  const prefix = `enc-${crypto.randomUUID().slice(0, 8)}/`;
  const errors: string[] = [];
  const counting = countingKV(env.CACHE);
  const handler = new KVCacheHandler(counting.kv, { prefix, onError: (e) => errors.push(e.code), logger: { warn() {}, error() {} } });
  return { handler, prefix, errors, counting };
};

describe("getEncoded", () => {
  it("returns the HTML part as stored gzip, which inflates to the page, with one read of the entry", async () => {
    const { handler, counting } = setup();
    await handler.set("/p", page, { cacheControl: { revalidate: 60 }, tags: ["t"] });
    counting.reset();
    const hit = await new KVCacheHandler(counting.kv, { prefix: (handler as unknown as { prefix: string }).prefix }).getEncoded("/p");
    // The entry, and (a cold isolate, KV-only clock) its one tag's record: two reads, no write.
    expect(counting.counts).toEqual({ reads: 2, writes: 0, deletes: 0, lists: 0 });
    expect(hit?.kind).toBe("APP_PAGE");
    expect(hit?.fields).toMatchObject({ status: 200, headers: { "content-type": "text/html" } });
    expect(hit?.cacheControl).toEqual({ revalidate: 60 });
    expect(hit?.tags).toEqual(["t"]);
    const part = hit!.part("html")!;
    expect(part.gzip).toBe(true);
    expect(part.bytes.byteLength).toBeLessThan(html.length / 5);
    const inflated = await new Response(new Response(part.bytes).body!.pipeThrough(new DecompressionStream("gzip"))).text();
    expect(inflated).toBe(html);
    expect(part.rawBytes).toBe(new TextEncoder().encode(html).byteLength);
    expect(((await hit!.decode()) as { html: string }).html).toBe(html);
    expect(hit!.part("nope")).toBeUndefined();
  });

  it("reports stale entries like get", async () => {
    const { handler } = setup();
    await handler.set("/s", page, { cacheControl: { revalidate: 60 }, tags: ["t"] });
    await handler.revalidateTag("t", {});
    expect((await handler.getEncoded("/s"))?.cacheState).toBe("stale");
    await handler.revalidateTag("t");
    expect(await handler.getEncoded("/s")).toBeNull();
  });

  it.each([
    ["raw", () => crypto.getRandomValues(new Uint8Array(2048))],
    ["gzip", () => new TextEncoder().encode("<p>compressible</p>".repeat(400))],
  ])("a %s part that fails its CRC-32 is never handed out: part() throws, get() is a miss", async (encoding, make) => {
    const { handler, prefix, errors } = setup();
    const body = make();
    await handler.set(
      "/r",
      { kind: "APP_ROUTE", body: body.slice().buffer, status: 200, headers: {} },
      { cacheControl: { revalidate: 60 } },
    );
    const kvKey = await kvKeyFor(prefix, "/r");
    const { value, metadata } = await env.CACHE.getWithMetadata(kvKey, { type: "arrayBuffer" });
    const bytes = new Uint8Array(value!);
    const stored = await new KVCacheHandler(env.CACHE, { prefix }).getEncoded("/r");
    expect(stored!.part("body")!.gzip).toBe(encoding === "gzip");
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await env.CACHE.put(kvKey, bytes, { metadata });
    const quiet = { onError: (e: { code: string }) => errors.push(e.code), logger: { warn() {}, error() {} } };
    const damaged = await new KVCacheHandler(env.CACHE, { prefix, ...quiet }).getEncoded("/r");
    expect(() => damaged!.part("body")).toThrow(/CRC-32/);
    expect(await new KVCacheHandler(env.CACHE, { prefix, ...quiet }).get("/r")).toBeNull();
    expect(errors).toEqual(["ERR_ENTRY_CORRUPT", "ERR_ENTRY_CORRUPT"]);
  });
});
