/** `cached()`: FETCH entries through the same handler, sharing tags with pages. */
import { describe, expect, it } from "vitest";
import { backgroundWork, cached, revalidateTag } from "../src/index.js";
import { createTestApp } from "./harness.js";

describe("data cache", () => {
  it("caches by key parts and arguments, serves stale while refreshing, and shares tags", async () => {
    const app = createTestApp();
    let calls = 0;
    let price = 10;
    const getProduct = cached(
      async (id: string) => {
        calls++;
        return { id, price };
      },
      ["product"],
      { revalidate: 60, tags: ["products"], handler: app.handler },
    );

    expect(await getProduct("1")).toEqual({ id: "1", price: 10 });
    expect(await getProduct("1")).toEqual({ id: "1", price: 10 });
    expect(await getProduct("2")).toEqual({ id: "2", price: 10 });
    expect(calls).toBe(2);

    price = 12;
    app.clock.advance(1000);
    await revalidateTag("products", "max", app.handler);
    app.clock.advance(10); // a write in the same millisecond as an invalidation counts as invalidated
    expect(await getProduct("1")).toEqual({ id: "1", price: 10 }); // stale, refreshed in the background
    await backgroundWork();
    expect(await getProduct("1")).toEqual({ id: "1", price: 12 });
    expect(calls).toBe(3);
  });

  it("stores the entry as FETCH with its tags and round-trips undefined and nested values", async () => {
    const app = createTestApp();
    const fn = cached(async (n: number) => (n === 0 ? undefined : { list: [n, "x", null] }), ["shape"], {
      handler: app.handler,
      tags: ["t"],
    });
    expect(await fn(0)).toBeUndefined();
    expect(await fn(1)).toEqual({ list: [1, "x", null] });
    await backgroundWork(); // results are stored in the background
    const entry = await app.handler.get('data:[["shape"],[1]]');
    expect(entry?.value?.kind).toBe("FETCH");
    expect(entry?.tags).toEqual(["t"]);
  });

  it("a failing function on a miss rejects to the caller and caches nothing", async () => {
    const app = createTestApp();
    const fn = cached(
      async () => {
        throw new Error("upstream down");
      },
      ["failing"],
      { handler: app.handler },
    );
    await expect(fn()).rejects.toThrow("upstream down");
    expect(await app.handler.get('data:[["failing"],[]]')).toBeNull();
  });
});
