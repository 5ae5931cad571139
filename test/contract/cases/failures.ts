/** KV failing never becomes an exception on the render path. */
import { expect } from "vitest";
import type { Case } from "../fixture.js";
import { appPage } from "../values.js";

const cc = { cacheControl: { revalidate: 60 } };
const kvError = () => new Error("KV GET failed: 500 Internal Server Error");

export function failureCases(test: Case): void {
  test("a failing KV read is a miss, reported with ERR_KV_READ", async (f) => {
    await f.handler.set("/read-fails", appPage(), cc);
    f.counting.faults.before = (op) => (op === "reads" ? kvError() : undefined);
    await expect(f.another().get("/read-fails")).resolves.toBeNull();
    if (f.reportsErrors !== false) expect(f.errors.map((e) => e.code)).toContain("ERR_KV_READ");
  });

  test("a read that hangs past the timeout is a miss, reported with ERR_KV_TIMEOUT", async (f) => {
    await f.handler.set("/hangs", appPage(), cc);
    const slow = f.with({ readTimeoutMs: 50 });
    f.counting.faults.before = (op) => (op === "reads" ? "hang" : undefined);
    await expect(slow.get("/hangs")).resolves.toBeNull();
    expect(f.errors.map((e) => e.code)).toContain("ERR_KV_TIMEOUT");
  });

  test("a write that hangs past the timeout is reported, and the key's next write still lands", async (f) => {
    const slow = f.with({ writeTimeoutMs: 50 });
    f.counting.faults.before = (op) => (op === "writes" ? "hang" : undefined);
    await expect(slow.set("/write-hangs", appPage("<p>first</p>"), cc)).resolves.toBeUndefined();
    expect(f.errors.map((e) => e.code)).toContain("ERR_KV_TIMEOUT");
    f.counting.faults.before = undefined;
    await slow.set("/write-hangs", appPage("<p>second</p>"), cc);
    expect(((await f.another().get("/write-hangs"))!.value as { html: string }).html).toBe("<p>second</p>");
  });

  test("a failing KV write is reported with ERR_KV_WRITE and set still resolves", async (f) => {
    f.counting.faults.before = (op) => (op === "writes" ? new Error("KV PUT failed: 500") : undefined);
    await expect(f.handler.set("/write-fails", appPage(), cc)).resolves.toBeUndefined();
    if (f.reportsErrors !== false) expect(f.errors.map((e) => e.code)).toContain("ERR_KV_WRITE");
    f.counting.faults.before = undefined;
    expect(await f.another().get("/write-fails")).toBeNull();
  });

  test("a 429 on write is retried with backoff and the entry lands", async (f) => {
    let refusals = 2;
    f.counting.faults.before = (op) => (op === "writes" && refusals-- > 0 ? new Error("KV PUT failed: 429 Too Many Requests") : undefined);
    f.counting.reset();
    await f.handler.set("/throttled", appPage("<p>landed</p>"), cc);
    expect(f.counting.counts.writes).toBe(3);
    expect(f.errors).toEqual([]);
    expect(((await f.another().get("/throttled"))!.value as { html: string }).html).toBe("<p>landed</p>");
  });

  test("a revalidateTag whose KV writes fail resolves and is reported", async (f) => {
    await f.handler.set("/inv-fails", appPage(), { ...cc, tags: ["x"] });
    f.counting.faults.before = () => kvError();
    await expect(f.handler.revalidateTag("x")).resolves.toBeUndefined();
    // With a coordinator the handler writes nothing to KV itself: the coordinator does.
    if (f.reportsErrors !== false && f.tagClock === "kv") expect(f.errors.length).toBeGreaterThan(0);
  });

  test("bad input to set is reported, not thrown, and stores nothing", async (f) => {
    f.counting.reset();
    await expect(f.handler.set("/bad", { kind: "NOPE" } as never, cc)).resolves.toBeUndefined();
    if (f.reportsErrors !== false) expect(f.errors.some((e) => e.code === "ERR_VALUE_INVALID" && e.message.includes("NOPE"))).toBe(true);
    expect(f.counting.counts.writes).toBe(0);
  });
}
