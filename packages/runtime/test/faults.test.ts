/**
 * With 30% of KV operations failing and writes answered 429, no response that
 * could be rendered becomes a 5xx.
 */
import { describe, expect, it } from "vitest";
import { createTestApp } from "./harness.js";

/** A seeded generator, so a failing run can be replayed. */
function prng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe("KV faults", () => {
  it("30% of KV operations throwing and writes answering 429 never cause a 5xx", async () => {
    const app = createTestApp();
    const random = prng(42);
    let injected = 0;
    app.counting.faults.before = (op) => {
      if (op === "writes" && random() < 0.5) return injected++, new Error("KV PUT failed: 429 Too Many Requests");
      if (random() < 0.3) return injected++, new Error(`KV ${op} failed: 503 Service Unavailable`);
      return undefined;
    };
    const statuses: number[] = [];
    const paths = ["/", "/products/1", "/products/2", "/blog/a", "/about"];
    for (let round = 0; round < 40; round++) {
      const responses = await Promise.all(paths.map((p) => app.fetch(p)));
      statuses.push(...responses.map((r) => r.status));
      await Promise.all(responses.map((r) => r.arrayBuffer()));
      if (round % 10 === 9) await app.handler.revalidateTag("products");
      app.clock.advance(20_000);
      await app.drain();
    }
    expect(injected).toBeGreaterThan(50);
    expect(statuses).toHaveLength(200);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it("a cache whose reads hang past the timeout renders instead", async () => {
    const app = createTestApp({ cacheTimeoutMs: 30 });
    await app.fetch("/about");
    await app.drain();
    app.counting.faults.before = (op) => (op === "reads" ? "hang" : undefined);
    const res = await app.fetch("/about", { headers: {} });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-edge-isr-cache")).toBe("MISS");
  });
});
