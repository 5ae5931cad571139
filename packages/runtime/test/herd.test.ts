/**
 * A herd: several isolates see one page go stale in the same instant, under
 * 1,000 concurrent requests. With the handler's coordinator the Durable Object
 * grants one of them the render (one per stale window across isolates); every
 * request is answered 200 from the stale copy or the new one. Real KV, Cache
 * API and Durable Object (workerd).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { manualClock } from "../../../test/helpers/clock.js";
import { type TestApp, cacheState, createTestApp } from "./harness.js";

const coordinator = { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" };

async function herd(isolates: TestApp[], requests: number, path: string) {
  const responses = await Promise.all(Array.from({ length: requests }, (_, i) => isolates[i % isolates.length]!.fetch(path)));
  await Promise.all(isolates.map((app) => app.drain()));
  return responses;
}

const renders = (isolates: TestApp[]) => isolates.reduce((sum, app) => sum + app.state.renders, 0);

describe.each([4, 16])("%i isolates going stale at once", (count) => {
  it("render the page once with the coordinator, and answer all 1,000 requests 200", async () => {
    const clock = manualClock();
    const handlerPrefix = `herd-${count}-${crypto.randomUUID().slice(0, 8)}/`;
    const isolates = Array.from({ length: count }, () => createTestApp({}, { clock, handlerPrefix, handlerOptions: coordinator }));
    await isolates[0]!.fetch("/products/1");
    await isolates[0]!.drain();
    // Every isolate has served it fresh (its clock is warm), then the window ends for all of them at once.
    for (const app of isolates) expect(cacheState(await app.fetch("/products/1"))).toBe("HIT");
    const before = renders(isolates);
    clock.advance(61_000);
    const responses = await herd(isolates, 1000, "/products/1");
    expect(responses.filter((r) => r.status !== 200)).toHaveLength(0);
    expect(responses.some((r) => cacheState(r) === "STALE")).toBe(true);
    expect(renders(isolates) - before).toBe(1);
    // And the new copy is what everyone serves next.
    for (const app of isolates) expect(await (await app.fetch("/products/1")).text()).toContain("v1");
    expect(isolates.flatMap((app) => app.errors)).toEqual([]);
  }, 60_000);
});

describe("when the coordinator cannot grant leases", () => {
  it("each isolate renders once (per-isolate single flight): a duplicate render, never a stuck page or a 5xx", async () => {
    const clock = manualClock();
    const handlerPrefix = `herd-down-${crypto.randomUUID().slice(0, 8)}/`;
    let down = false;
    const flaky = {
      idFromName: (name: string) => env.EDGE_ISR_COORDINATOR.idFromName(name),
      get: (id: DurableObjectId) => {
        const stub = env.EDGE_ISR_COORDINATOR.get(id);
        return {
          fetch: (input: string, init?: RequestInit) =>
            down ? Promise.reject(new Error("Durable Object is overloaded")) : stub.fetch(input, init),
        };
      },
    };
    const isolates = Array.from({ length: 4 }, () =>
      createTestApp({}, { clock, handlerPrefix, handlerOptions: { coordinator: flaky, binding: "CACHE" } }),
    );
    await isolates[0]!.fetch("/products/2");
    await isolates[0]!.drain();
    for (const app of isolates) await app.fetch("/products/2");
    const before = renders(isolates);
    clock.advance(61_000);
    down = true;
    const responses = await herd(isolates, 200, "/products/2");
    expect(responses.filter((r) => r.status !== 200)).toHaveLength(0);
    expect(renders(isolates) - before).toBe(4);
  }, 60_000);
});
