/**
 * What a vinext app pays per request and per invalidation, edge-isr's handler
 * against vinext's own (@vinext/cloudflare 0.2.1), counted on Miniflare's real
 * KV the way Cloudflare bills it (test/helpers/counting-kv.ts). The page carries
 * the tags vinext 1.4 gives an App Router page (buildAppPageCacheTags) plus the
 * tag of the data it read. The figures in README.md's vinext section come from
 * this file's output (`npx vitest run --project workerd-vinext test/contract/vinext-costs.test.ts`).
 */
import { env } from "cloudflare:test";
import { KVCacheHandler as VinextKVCacheHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";
import { describe, expect, it } from "vitest";
import { KVCacheHandler } from "../../packages/kv-cache-handler/src/index.js";
import { countingKV } from "../helpers/counting-kv.js";
import { noticingDeletes } from "../helpers/unawaited-deletes.js";
import { appPage } from "./values.js";

/** vinext 1.4's tags for /posts/hello (buildAppPageCacheTags), plus "posts" from its unstable_cache data. */
const TAGS = [
  "/posts/hello",
  "_N_T_/posts/hello",
  "_N_T_/layout",
  "_N_T_/posts/layout",
  "_N_T_/posts/hello/layout",
  "_N_T_/posts/hello/page",
  "posts",
];
const TAGGED_ENTRIES = 20;

type Handler = {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ctx: unknown): Promise<void>;
  revalidateTag(tag: string): Promise<void>;
};

// vinext's unawaited deletes that KV refuses (written under a second ago), counted and printed.
let unawaited429 = 0;

const contenders: [string, (kv: KVNamespace, prefix: string) => Handler][] = [
  [
    "edge-isr, coordinator",
    (kv, prefix) => new KVCacheHandler(kv, { prefix, coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" }) as unknown as Handler,
  ],
  ["edge-isr, KV only", (kv, prefix) => new KVCacheHandler(kv, { prefix }) as unknown as Handler],
  [
    "vinext",
    (kv, prefix) =>
      new VinextKVCacheHandler(noticingDeletes(kv, () => void unawaited429++) as never, { appPrefix: prefix }) as unknown as Handler,
  ],
];

describe("what a vinext page costs in KV operations", () => {
  const rows: Record<string, Record<string, number | string>> = {};

  it.each(contenders)("%s: a hit in a fresh isolate, a revalidateTag, a hit after it", async (name, make) => {
    const prefix = `cost-${crypto.randomUUID().slice(0, 8)}`;
    const counting = countingKV(env.CACHE);
    const writer = make(counting.kv, prefix);
    for (let i = 0; i < TAGGED_ENTRIES; i++)
      await writer.set(`app:v2:b:/posts/${i}:html`, appPage(`<h1>${i}</h1>`), {
        cacheControl: { revalidate: 3600 },
        revalidate: 3600,
        tags: TAGS,
      });
    await writer.revalidateTag("unrelated"); // a coordinator has published its clock once

    counting.reset();
    expect(await make(counting.kv, prefix).get("app:v2:b:/posts/1:html")).not.toBeNull();
    const hit = { ...counting.counts, operations: counting.ambient.operations };

    counting.reset();
    await make(counting.kv, prefix).revalidateTag("posts");
    const invalidation = { ...counting.counts };

    counting.reset();
    await make(counting.kv, prefix).get("app:v2:b:/posts/2:html");
    const after = { ...counting.counts };

    rows[name] = {
      "reads per hit (fresh isolate)": hit.reads,
      "KV operations per hit (fresh isolate)": hit.operations,
      "writes per hit": hit.writes + hit.deletes,
      [`revalidateTag on ${TAGGED_ENTRIES} pages: reads / writes+deletes / lists`]: `${invalidation.reads} / ${invalidation.writes + invalidation.deletes} / ${invalidation.lists}`,
      "next hit: reads / writes+deletes": `${after.reads} / ${after.writes + after.deletes}`,
    };
    expect(hit.writes + hit.deletes, "a hit never writes").toBe(0);
  });

  it("with the coordinator edge-isr reads fewer KV keys per hit than vinext's handler; without it, as many in fewer operations", () => {
    console.info(
      `[vinext costs] ${TAGS.length} tags per page; ${unawaited429} of vinext's unawaited deletes answered 429\n${JSON.stringify(rows, null, 2)}`,
    );
    const coordinated = rows["edge-isr, coordinator"]!["reads per hit (fresh isolate)"] as number;
    expect(coordinated, "with the coordinator, a fresh isolate pays the entry and at most the clock's snapshot").toBeLessThanOrEqual(2);
    expect(rows.vinext!["reads per hit (fresh isolate)"], "vinext reads the entry and one key per tag").toBe(1 + TAGS.length);
    expect(coordinated).toBeLessThan(1 + TAGS.length);
    // Without a coordinator the tag records are one bulk read: billed per key like vinext's reads, but two operations.
    expect(rows["edge-isr, KV only"]!["reads per hit (fresh isolate)"]).toBe(1 + TAGS.length);
    expect(rows["edge-isr, KV only"]!["KV operations per hit (fresh isolate)"]).toBe(2);
    expect(rows.vinext!["KV operations per hit (fresh isolate)"]).toBe(1 + TAGS.length);
  });
});
