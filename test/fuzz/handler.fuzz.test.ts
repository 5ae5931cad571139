/**
 * KVCacheHandler on Miniflare's real KV, fed generated keys, tags and values:
 * nothing throws out of get/set/revalidateTag, every rejection is reported with a
 * code and names the limit, and a rejected write never loses what was stored.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EdgeIsrCacheError, HandlerLimits, KVCacheHandler, KVLimits } from "@edge-isr/kv-cache-handler";
import { countingKV } from "../helpers/counting-kv.js";
import { hostileString, hostileTags } from "./arbitraries.js";

/** Production's KV limits (1,000 operations per invocation, one write per second per key) around the real binding. */
const limited = countingKV(env.CACHE);

function handlerWithErrors() {
  const errors: EdgeIsrCacheError[] = [];
  const handler = new KVCacheHandler(limited.kv, {
    prefix: `fuzz-${crypto.randomUUID().slice(0, 8)}/`,
    onError: (error) => errors.push(error),
    logger: { warn: () => {}, error: () => {} },
    sleep: async () => {}, // the per-key write gap is not what is being tested here
  });
  return { handler, errors };
}

const page = (html: string) => ({
  kind: "APP_PAGE" as const,
  html,
  rscData: undefined,
  headers: { "content-type": "text/html" },
  postponed: undefined,
  status: 200,
});

describe("KVCacheHandler under generated input", () => {
  it("stores and reads back any key (unicode, traversal, NUL, 10 KB) and any tag list without throwing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostileString(300), fc.string({ minLength: 5000, maxLength: 10 * 1024 })),
        hostileTags,
        hostileString(2000),
        async (key, tags, html) => {
          limited.reset(); // each generated case is one invocation
          const { handler, errors } = handlerWithErrors();
          await handler.set(key, page(html), { cacheControl: { revalidate: 60 }, tags });
          const got = await handler.get(key, { kind: "APP_PAGE" });
          expect(got?.value).toMatchObject({ kind: "APP_PAGE", html });
          // Tags over the limits are dropped with a report naming the limit; nothing else is reported.
          for (const error of errors) {
            expect(error.code).toBe("ERR_TAG_INVALID");
            expect(error.message).toMatch(new RegExp(`${HandlerLimits.maxTagLength}|${HandlerLimits.maxTagsPerEntry}`));
          }
          await expect(handler.revalidateTag(tags.length ? tags : [key])).resolves.toBeUndefined();
        },
      ),
      { numRuns: 40, seed: 20261123 },
    );
  });

  it("never throws from get, whatever the key", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString(600), async (key) => {
        limited.reset();
        const { handler } = handlerWithErrors();
        await expect(handler.get(key, { kind: "APP_PAGE" })).resolves.toBeNull();
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it("rejects a value over 25 MiB by name and limit, and keeps the entry stored before it", async () => {
    limited.reset();
    const { handler, errors } = handlerWithErrors();
    await handler.set("/big", page("<p>the good copy</p>"), { cacheControl: { revalidate: 60 }, tags: [] });
    // Random bytes do not compress: 25 MiB + 1 of them stays over KV's limit after gzip.
    const noise = new Uint8Array(KVLimits.maxValueBytes + 1);
    for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
    await expect(
      handler.set(
        "/big",
        { kind: "APP_PAGE", html: "", rscData: noise.buffer, headers: {}, postponed: undefined, status: 200 },
        { cacheControl: { revalidate: 60 }, tags: [] },
      ),
    ).resolves.toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(["ERR_VALUE_TOO_LARGE"]);
    expect(errors[0]!.message).toContain('"/big"');
    expect(errors[0]!.message).toContain(`over KV's limit of ${KVLimits.maxValueBytes} bytes`);
    const kept = await handler.get("/big", { kind: "APP_PAGE" });
    expect(kept?.value).toMatchObject({ html: "<p>the good copy</p>" });
  });
});
