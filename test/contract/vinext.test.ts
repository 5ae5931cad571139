/**
 * The same contract suite against vinext's KVCacheHandler (@vinext/cloudflare
 * 0.2.1, published package, imported as is), inside workerd on Miniflare's KV.
 * Cases it cannot pass are skipped with the reason, which is the comparison.
 */
import { env } from "cloudflare:test";
import { KVCacheHandler as VinextKVCacheHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";
import { afterAll, afterEach } from "vitest";
import { manualClock } from "../helpers/clock.js";
import { countingKV } from "../helpers/counting-kv.js";
import { noticingDeletes } from "../helpers/unawaited-deletes.js";
import type { HandlerFixture, HandlerUnderTest } from "./fixture.js";
import { testCacheHandler } from "./suite.js";

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});

let unawaited429 = 0;
afterAll(() => {
  if (unawaited429) console.info(`[contract] vinext: ${unawaited429} delete(s) answered 429 by KV (it does not await them)`);
});

testCacheHandler({
  name: "vinext KVCacheHandler (@vinext/cloudflare 0.2.1)",
  create(): HandlerFixture {
    const appPrefix = `vx-${crypto.randomUUID().slice(0, 8)}`;
    const clock = manualClock();
    const counting = countingKV(env.CACHE, { now: clock.now });
    Date.now = clock.now; // vinext reads the clock from Date.now; restored after each test
    const errors: HandlerFixture["errors"] = [];
    const warnings: string[] = [];
    const make = (options: Record<string, unknown> = {}) =>
      new VinextKVCacheHandler(noticingDeletes(counting.kv, () => void unawaited429++) as never, {
        appPrefix,
        ...options,
      }) as unknown as HandlerUnderTest;
    return {
      handler: make(),
      another: () => make(),
      counting,
      rawKV: env.CACHE,
      clock,
      locate: async (k) => `${appPrefix}:cache:${k}`,
      reportsErrors: false,
      errors,
      warnings,
      with: make,
      tagClock: "own",
    };
  },
  // Every case vinext fails, and why (each checked by running it unskipped).
  skip: {
    "APP_PAGE round-trips byte-exact": "drops segmentData (a Map does not survive its JSON)",
    "cacheControl round-trips, so callers never fall back to a default": "returns no cacheControl for revalidate: false",
    "fresh, then stale after revalidate, then a miss after expire":
      "boundaries are exclusive: stale only after more than revalidate seconds, a miss only after more than expire",
    "a later set replaces the entry":
      "writes each set at once: a second set of a key within a second is answered 429 by KV and thrown out of set",
    "revalidateTag without durations expires tagged entries at once, in this isolate and others":
      "drops tags containing ':' (product:1), so this revalidateTag does nothing",
    "revalidateTag with a profile without expire ({}) makes tagged entries stale, served while they regenerate":
      "turns revalidateTag into a miss at once, whatever the profile: there is no stale-while-revalidate after an invalidation",
    "revalidateTag with { expire: n } is stale now and a miss after n seconds":
      "turns revalidateTag into a miss at once, whatever the profile",
    "revalidateTag with { expire: 0 } expires: the next get is a miss everywhere":
      "drops tags containing ':' (product:4), so this revalidateTag does nothing",
    "an entry regenerated while its tag is stale stays fresh when the tag's expiry passes":
      "has no stale state after an invalidation (it is a miss at once), so there is no entry served stale to regenerate",
    "a page whose path is over 256 characters keeps its implicit tag (hashed), and Next's long tag reaches it":
      "ignores tags over 256 characters, so revalidatePath of a long path reaches nothing, even with the very tag the entry was set with",
    "tags in Next's x-next-cache-tags header are honoured": "ignores tags in the x-next-cache-tags header",
    "a data entry remembers the soft tags of its request, so other isolates see revalidatePath":
      "does not keep a request's soft tags with its data entry; a get without them never sees revalidatePath",
    "get returns the entry's tags": "does not return the entry's tags",
    "a hit in a cold isolate is at most 2 KV operations and no write":
      "reads one KV key per tag (not in bulk) on a hit in a fresh isolate: 2 tag reads besides the entry here (it dropped the tag with ':')",
    "100 hits on a busy isolate are 100 key reads and 0 writes": "re-reads each tag key when its 5 s tag cache runs out (101 reads)",
    "a stale hit after an invalidation is 1 read and 0 writes in a warm isolate":
      "an invalidated entry is a miss whatever the profile, so there is no stale hit",
    "a write that hangs past the timeout is reported, and the key's next write still lands":
      "has no write timeout: set waits for a put that never answers",
    "an entry whose metadata was lost reads as a miss": "does not apply: it keeps lifespan and tags in the value, not in KV metadata",
    "an entry copied under another key reads as a miss, not as the wrong page":
      "does not keep the key in the entry: bytes under the wrong key are served as that page",
    "keys over 512 bytes are hashed, round-trip, and stay distinct": "passes keys over 512 bytes to KV, whose put throws (414) out of set",
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
    "an expire below 60 s is clamped for KV but honoured by get": "sets KV's TTL to 30 days whatever expire is",
    "a burst of sets to one key is coalesced to respect KV's one write per second":
      "writes every set at once (10 puts in a burst); KV answers 429 beyond one write per second per key",
    "the isolate reads its own write while a coalesced write waits": "has no write queue, so there is no queued write to read",
    "a failing KV read is a miss, reported with ERR_KV_READ": "throws a failing KV read out of get: a page error instead of a miss",
    "a read that hangs past the timeout is a miss, reported with ERR_KV_TIMEOUT":
      "has no read timeout: a hanging KV read hangs the request",
    "a failing KV write is reported with ERR_KV_WRITE and set still resolves": "throws a failing KV write out of set",
    "a 429 on write is retried with backoff and the entry lands": "does not retry a 429: set throws and the entry is not stored",
    "a revalidateTag whose KV writes fail resolves and is reported": "throws a failing KV call out of revalidateTag",
    "bad input to set is reported, not thrown, and stores nothing": "stores a value of an unknown kind",
    "set honours ctx.timestamp (when the render began): the entry is dated by it, so a revalidateTag during the render leaves it stale":
      'dates an entry by the time of set and ignores ctx.timestamp: a revalidateTag that lands while a "use cache" function runs is lost',
    "revalidateTag as vinext calls it: one tag string, durations undefined or { expire } from a cacheLife profile; resetRequestCache between requests":
      'turns revalidateTag(tag, "max") into a miss instead of serving the entry stale while it regenerates',
  },
});
