/** fresh → stale → expired, on an injected clock. */
import { expect } from "vitest";
import type { Case } from "../fixture.js";
import { appPage } from "../values.js";

export function lifespanCases(test: Case): void {
  test("fresh, then stale after revalidate, then a miss after expire", async ({ handler, another, clock }) => {
    await handler.set("/life", appPage(), { cacheControl: { revalidate: 10, expire: 100 } });
    const fresh = await another().get("/life");
    expect(fresh?.cacheState).toBeUndefined();
    expect(fresh?.lastModified).toBe(clock.now());

    clock.advance(10_000);
    const stale = await another().get("/life");
    expect(stale?.cacheState).toBe("stale");
    expect(stale?.value?.kind).toBe("APP_PAGE");

    clock.advance(89_999);
    expect((await another().get("/life"))?.cacheState).toBe("stale");
    clock.advance(1);
    expect(await another().get("/life")).toBeNull();
  });

  test("revalidate false stays fresh", async ({ handler, clock }) => {
    await handler.set("/forever", appPage(), { cacheControl: { revalidate: false } });
    clock.advance(365 * 24 * 3600 * 1000);
    const got = await handler.get("/forever");
    expect(got?.cacheState).toBeUndefined();
    expect(got?.value?.kind).toBe("APP_PAGE");
  });

  test("a shorter revalidate passed to get makes the entry stale sooner", async ({ handler, clock }) => {
    await handler.set("/shorter", appPage(), { cacheControl: { revalidate: 600 } });
    clock.advance(20_000);
    expect((await handler.get("/shorter"))?.cacheState).toBeUndefined();
    expect((await handler.get("/shorter", { revalidate: 10 }))?.cacheState).toBe("stale");
  });

  test("a regenerated entry is fresh again", async ({ handler, another, clock }) => {
    await handler.set("/regen", appPage("<p>old</p>"), { cacheControl: { revalidate: 10 } });
    clock.advance(11_000);
    expect((await another().get("/regen"))?.cacheState).toBe("stale");
    await handler.set("/regen", appPage("<p>new</p>"), { cacheControl: { revalidate: 10 } });
    const got = await another().get("/regen");
    expect(got?.cacheState).toBeUndefined();
    expect((got!.value as { html: string }).html).toBe("<p>new</p>");
  });
}
