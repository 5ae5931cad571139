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

  // An incompressible body is stored raw, with its CRC-32 (a gzip part is checked as it inflates).
  const route = (body: Uint8Array) => ({ kind: "APP_ROUTE" as const, body: body.slice().buffer, status: 200, headers: {} });
  const damageReadsOf = (counting: ReturnType<typeof setup>["counting"], kvKey: string) => {
    counting.faults.read = (key, answer) => {
      if (key !== kvKey || !(answer.value instanceof ArrayBuffer)) return answer;
      const damaged = new Uint8Array(answer.value.slice(0));
      damaged[damaged.length - 20]! ^= 0xff;
      return { ...answer, value: damaged.buffer };
    };
  };

  it("an isolate serves the bytes it checked again when a read names the same content hash (not a damaged copy of them)", async () => {
    const { handler, prefix, counting, errors } = setup();
    const body = crypto.getRandomValues(new Uint8Array(4096));
    await handler.set("/same", route(body), { cacheControl: { revalidate: 60 }, tags: ["t"] });
    const kvKey = await kvKeyFor(prefix, "/same");
    // l1: false — every get reads KV; what this isolate keeps is the memo of checked bytes.
    const reader = new KVCacheHandler(counting.kv, { prefix, l1: false, logger: { warn() {}, error() {} } });
    expect((await reader.getEncoded("/same"))!.part("body")!.bytes).toEqual(body);
    // KV now answers damaged bytes under the same metadata (same hash): the checked bytes are served instead.
    damageReadsOf(counting, kvKey);
    counting.reset();
    const again = await reader.getEncoded("/same");
    expect(counting.log).toContain(`reads ${kvKey}`); // still read: the read's metadata decides
    expect(again!.part("body")!.bytes).toEqual(body);
    // Another isolate, which never saw the whole bytes, refuses the damaged ones.
    const quiet = { onError: (e: { code: string }) => errors.push(e.code), logger: { warn() {}, error() {} } };
    const cold = await new KVCacheHandler(counting.kv, { prefix, l1: false, ...quiet }).getEncoded("/same");
    expect(() => cold!.part("body")).toThrow(/CRC-32/);
    expect(errors).toEqual(["ERR_ENTRY_CORRUPT"]);
  });

  it("bytes that fail their check are not kept: once KV answers whole bytes again, they are served", async () => {
    const { handler, prefix, counting, errors } = setup();
    const body = crypto.getRandomValues(new Uint8Array(4096));
    await handler.set("/flaky", route(body), { cacheControl: { revalidate: 60 } });
    const reader = new KVCacheHandler(counting.kv, { prefix, onError: (e) => errors.push(e.code), logger: { warn() {}, error() {} } });
    damageReadsOf(counting, await kvKeyFor(prefix, "/flaky"));
    const damaged = await reader.getEncoded("/flaky");
    expect(() => damaged!.part("body")).toThrow(/CRC-32/);
    expect(await reader.get("/flaky")).toBeNull();
    expect(errors).toEqual(["ERR_ENTRY_CORRUPT", "ERR_ENTRY_CORRUPT"]);
    counting.faults.read = undefined;
    expect((await reader.getEncoded("/flaky"))!.part("body")!.bytes).toEqual(body);
    const decoded = (await reader.get("/flaky"))?.value as { body: ArrayBuffer } | undefined;
    expect(new Uint8Array(decoded!.body)).toEqual(body);
  });
});
