/**
 * The same contract suite against vinext's KVCacheHandler (@vinext/cloudflare
 * 0.2.1, published package, imported as is), inside workerd on Miniflare's KV.
 * Cases it cannot pass are skipped with the reason, which is the comparison.
 */
import { env } from "cloudflare:test";
import { KVCacheHandler as VinextKVCacheHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";
import { afterEach } from "vitest";
import { manualClock } from "../helpers/clock.js";
import { countingKV } from "../helpers/counting-kv.js";
import type { HandlerFixture, HandlerUnderTest } from "./fixture.js";
import { testCacheHandler } from "./suite.js";

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});

testCacheHandler({
  name: "vinext KVCacheHandler (@vinext/cloudflare 0.2.1)",
  create(): HandlerFixture {
    const appPrefix = `vx-${crypto.randomUUID().slice(0, 8)}`;
    const counting = countingKV(env.CACHE);
    const clock = manualClock();
    Date.now = clock.now; // vinext reads the clock from Date.now; restored after each test
    const errors: HandlerFixture["errors"] = [];
    const warnings: string[] = [];
    const make = (options: Record<string, unknown> = {}) =>
      new VinextKVCacheHandler(counting.kv as never, { appPrefix, ...options }) as unknown as HandlerUnderTest;
    return { handler: make(), another: () => make(), counting, rawKV: env.CACHE, clock, locate: async (k) => `${appPrefix}:cache:${k}`, reportsErrors: false, errors, warnings, with: make };
  },
  // Every case vinext fails, and why (each checked by running it unskipped).
  skip: {
    "APP_PAGE round-trips byte-exact":
      "drops segmentData (a Map does not survive its JSON)",
    "cacheControl round-trips, so callers never fall back to a default":
      "returns no cacheControl for revalidate: false",
    "fresh, then stale after revalidate, then a miss after expire":
      "boundaries are exclusive: stale only after more than revalidate seconds, a miss only after more than expire",
    "revalidateTag without durations makes tagged entries stale, in this isolate and others":
      "turns revalidateTag into a miss (and deletes the entry) instead of serving it stale",
    "revalidateTag with a stale profile (expire > 0) is stale now and a miss after expire":
      "turns revalidateTag into a miss at once, whatever the profile",
    "revalidateTag with { expire: 0 } expires: the next get is a miss everywhere":
      "drops tags containing ':' (product:4), so this revalidateTag does nothing",
    "implicit path tags: revalidatePath(p, 'layout') covers children, revalidatePath(p) only the page":
      "a revalidated path tag makes a miss, not a stale entry",
    "tags in Next's x-next-cache-tags header are honoured":
      "ignores tags in the x-next-cache-tags header",
    "soft tags passed to get make a data entry stale after revalidatePath in this isolate":
      "a revalidated soft tag makes a miss, not a stale entry",
    "a data entry remembers the soft tags of its request, so other isolates see revalidatePath":
      "does not keep a request's soft tags with its data entry; a get without them never sees revalidatePath",
    "get returns the entry's tags":
      "does not return the entry's tags",
    "a hit with 3 tags in a fresh isolate is 1 key read and 0 writes":
      "reads one KV key per uncached tag on every hit in a fresh isolate (here 2 reads: it dropped the two tags with ':')",
    "100 hits on a busy isolate are 100 key reads and 0 writes":
      "re-reads each tag key when its 5 s tag cache runs out (101 reads)",
    "a stale hit after an invalidation is still 1 read and 0 writes":
      "an invalidated entry is a miss, so there is no stale hit",
    "a write that hangs past the timeout is reported, and the key's next write still lands":
      "has no write timeout: set waits for a put that never answers",
    "an entry whose metadata was lost reads as a miss":
      "does not apply: it keeps lifespan and tags in the value, not in KV metadata",
    "an entry copied under another key reads as a miss, not as the wrong page":
      "does not keep the key in the entry: bytes under the wrong key are served as that page",
    "keys over 512 bytes are hashed, round-trip, and stay distinct":
      "passes keys over 512 bytes to KV, whose put throws (414) out of set",
    "a key of exactly the limit is stored as is; one byte more is hashed":
      "does not hash long keys: one byte over the limit and KV refuses the put",
    "a value over 25 MiB is refused with a coded error; nothing is written and the previous entry is kept":
      "passes the oversized value to KV, whose put throws (413) out of set",
    "a large value that compresses under 25 MiB is stored":
      "stores JSON uncompressed: a page that would compress under 25 MiB exceeds KV's limit and set throws",
    "metadata stays within 1024 bytes with 128 tags of 256 characters":
      "drops tags containing ':' (all 128 here) and writes no metadata over 1024 bytes",
    "tags over 256 characters or beyond 128 per entry are dropped with a warning naming them":
      "keeps more than 128 tags, warns about none, and does not return tags",
    "an expire below 60 s is clamped for KV but honoured by get":
      "sets KV's TTL to 30 days whatever expire is",
    "a burst of sets to one key is coalesced to respect KV's one write per second":
      "writes every set at once (10 puts in a burst); KV answers 429 beyond one write per second per key",
    "the isolate reads its own write while a coalesced write waits":
      "has no write queue, so there is no queued write to read",
    "a failing KV read is a miss, reported with ERR_KV_READ":
      "throws a failing KV read out of get: a page error instead of a miss",
    "a read that hangs past the timeout is a miss, reported with ERR_KV_TIMEOUT":
      "has no read timeout: a hanging KV read hangs the request",
    "a failing KV write is reported with ERR_KV_WRITE and set still resolves":
      "throws a failing KV write out of set",
    "a 429 on write is retried with backoff and the entry lands":
      "does not retry a 429: set throws and the entry is not stored",
    "bad input to set is reported, not thrown, and stores nothing":
      "stores a value of an unknown kind",
    "set honours ctx.timestamp (when the render began): the entry is dated by it, so a revalidateTag during the render leaves it stale":
      "dates an entry by the time of set and ignores ctx.timestamp: a revalidateTag that lands while a \"use cache\" function runs is lost",
    "revalidateTag as vinext calls it: one tag string, durations undefined or { expire } from a cacheLife profile; resetRequestCache between requests":
      "turns revalidateTag(tag, \"max\") into a miss instead of serving the entry stale while it regenerates",
  },
});
