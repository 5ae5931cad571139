/** What a hit costs in billed KV operations, counted on the real binding. */
import { expect } from "vitest";
import type { Case } from "../fixture.js";
import { appPage } from "../values.js";

const tags = ["products", "product:1", "category:shoes"];

export function kvCostCases(test: Case): void {
  test("a hit with 3 tags in a fresh isolate is 1 key read and 0 writes", async ({ handler, another, counting }) => {
    await handler.set("/cost", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    const fresh = another();
    counting.reset();
    expect((await fresh.get("/cost"))?.value?.kind).toBe("APP_PAGE");
    expect(counting.counts).toEqual({ reads: 1, writes: 0, deletes: 0, lists: 0 });
  });

  test("100 hits on a busy isolate are 100 key reads and 0 writes", async ({ handler, counting, clock }) => {
    await handler.set("/busy", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    counting.reset();
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      expect((await handler.get("/busy"))?.value).not.toBeNull();
    }
    expect(counting.counts).toEqual({ reads: 100, writes: 0, deletes: 0, lists: 0 });
  });

  test("a stale hit after an invalidation is still 1 read and 0 writes", async ({ handler, another, counting, clock }) => {
    await handler.set("/cost-stale", appPage(), { cacheControl: { revalidate: 3600 }, tags });
    clock.advance(1000);
    await handler.revalidateTag("product:1");
    const fresh = another();
    counting.reset();
    expect((await fresh.get("/cost-stale"))?.cacheState).toBe("stale");
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
