/**
 * What a hit costs in billed KV reads, counted on the real binding. A hit
 * never writes. With a coordinator a completely cold isolate pays at most one
 * read for the clock snapshot beside the entry's; without one, it reads the
 * entry's tag records once (one bulk read). A warm isolate pays the entry alone.
 */
import { expect } from "vitest";
import type { Case } from "../fixture.js";
import { appPage } from "../values.js";

const tags = ["products", "product:1", "category:shoes"];

export function kvCostCases(test: Case): void {
  test("a hit in a cold isolate is at most 2 KV operations and no write", async ({ handler, another, counting, tagClock }) => {
    await handler.set("/cost", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    await handler.revalidateTag("unrelated"); // a coordinator has published its clock once
    const fresh = another();
    counting.reset();
    expect((await fresh.get("/cost"))?.value?.kind).toBe("APP_PAGE");
    expect({ writes: counting.counts.writes, deletes: counting.counts.deletes, lists: counting.counts.lists }).toEqual({
      writes: 0,
      deletes: 0,
      lists: 0,
    });
    expect(counting.ambient.operations).toBeLessThanOrEqual(2);
    // Billed reads: the entry, plus the snapshot (coordinator; 0 when the colo's cache has it) or one record per tag.
    expect(counting.counts.reads).toBeLessThanOrEqual(tagClock === "kv" ? 1 + tags.length : 2);
  });

  test("100 hits on a busy isolate are 100 key reads and 0 writes", async ({ handler, counting, clock }) => {
    await handler.set("/busy", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    await handler.get("/busy"); // warm: the clock is known
    counting.reset();
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      expect((await handler.get("/busy"))?.value).not.toBeNull();
    }
    expect(counting.counts).toEqual({ reads: 100, writes: 0, deletes: 0, lists: 0 });
  });

  test("a stale hit after an invalidation is 1 read and 0 writes in a warm isolate", async ({ handler, counting, clock }) => {
    await handler.set("/cost-stale", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    await handler.get("/cost-stale");
    clock.advance(1000);
    await handler.revalidateTag("product:1", {});
    counting.reset();
    expect((await handler.get("/cost-stale"))?.cacheState).toBe("stale");
    expect(counting.counts).toEqual({ reads: 1, writes: 0, deletes: 0, lists: 0 });
  });

  test("a miss is 1 read and 0 writes", async ({ handler, counting }) => {
    counting.reset();
    expect(await handler.get("/cost-miss")).toBeNull();
    expect(counting.counts).toEqual({ reads: 1, writes: 0, deletes: 0, lists: 0 });
  });

  test("a set is one write", async ({ handler, counting }) => {
    counting.reset();
    await handler.set("/cost-set", appPage(), { cacheControl: { revalidate: 60 }, tags });
    expect(counting.counts).toEqual({ reads: 0, writes: 1, deletes: 0, lists: 0 });
  });
}
