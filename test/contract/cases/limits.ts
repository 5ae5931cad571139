/** Every KV limit, handled on purpose. */
import { expect } from "vitest";
import { KVLimits } from "../../../packages/kv-cache-handler/src/index.js";
import type { Case } from "../fixture.js";
import { appPage, randomBytes } from "../values.js";

const cc = { cacheControl: { revalidate: 60 } };

export function limitCases(test: Case): void {
  test("keys over 512 bytes are hashed, round-trip, and stay distinct", async (f) => {
    const base = `/search?q=${"ü".repeat(400)}`; // 800+ UTF-8 bytes
    await f.handler.set(`${base}a`, appPage("<p>a</p>"), cc);
    await f.handler.set(`${base}b`, appPage("<p>b</p>"), cc);
    for (const [suffix, html] of [
      ["a", "<p>a</p>"],
      ["b", "<p>b</p>"],
    ] as const) {
      const kvKey = await f.locate(base + suffix);
      expect(new TextEncoder().encode(kvKey).byteLength).toBeLessThanOrEqual(KVLimits.maxKeyBytes);
      expect(((await f.another().get(base + suffix))!.value as { html: string }).html).toBe(html);
    }
    expect(await f.locate(`${base}a`)).not.toBe(await f.locate(`${base}b`));
  });

  test("a key of exactly the limit is stored as is; one byte more is hashed", async (f) => {
    const room = KVLimits.maxKeyBytes - new TextEncoder().encode(await f.locate("")).byteLength;
    const fits = `/${"k".repeat(room - 1)}`;
    const over = `${fits}k`;
    expect(new TextEncoder().encode(await f.locate(fits)).byteLength).toBe(KVLimits.maxKeyBytes);
    expect((await f.locate(over)).endsWith(over)).toBe(false);
    await f.handler.set(over, appPage(), cc);
    expect((await f.handler.get(over))?.value?.kind).toBe("APP_PAGE");
  });

  test("a value over 25 MiB is refused with a coded error; nothing is written and the previous entry is kept", async (f) => {
    await f.handler.set("/huge", appPage("<p>previous</p>"), cc);
    f.counting.reset();
    const body = randomBytes(KVLimits.maxValueBytes + 1); // incompressible
    await expect(f.handler.set("/huge", { kind: "APP_ROUTE", body: body.buffer, status: 200, headers: {} }, cc)).resolves.toBeUndefined();
    expect(f.counting.counts.writes).toBe(0);
    expect(((await f.another().get("/huge"))!.value as { html: string }).html).toBe("<p>previous</p>");
    if (f.reportsErrors === false) return;
    const error = f.errors.find((e) => e.code === "ERR_VALUE_TOO_LARGE");
    expect(error?.message).toContain('"/huge"');
    expect(error?.message).toMatch(/\b2621\d{4} bytes\b/); // the size
    expect(error?.message).toContain(String(KVLimits.maxValueBytes)); // the limit
  });

  test("a large value that compresses under 25 MiB is stored", async (f) => {
    const html = "<p>repeat</p>".repeat(Math.ceil((KVLimits.maxValueBytes + 1) / 13));
    await f.handler.set("/compressible", appPage(html, new Uint8Array(1)), cc);
    expect(((await f.another().get("/compressible"))!.value as { html: string }).html.length).toBe(html.length);
  });

  test("metadata stays within 1024 bytes with 128 tags of 256 characters", async (f) => {
    const tags = Array.from({ length: 128 }, (_, i) => `${i}:`.padEnd(256, "x"));
    await f.handler.set("/many-tags", appPage(), { ...cc, tags });
    const { metadata } = await f.rawKV.getWithMetadata(await f.locate("/many-tags"));
    expect(JSON.stringify(metadata).length).toBeLessThanOrEqual(KVLimits.maxMetadataBytes);
    expect((await f.handler.get("/many-tags"))?.tags).toHaveLength(128);
    f.clock.advance(1000);
    await f.another().revalidateTag(tags[127]!);
    expect(await f.another().get("/many-tags")).toBeNull();
  });

  test("tags over 256 characters or beyond 128 per entry are dropped with a warning naming them", async (f) => {
    const long = "L".repeat(257);
    const tags = ["ok", long, ...Array.from({ length: 130 }, (_, i) => `t${i}`)];
    await f.handler.set("/bad-tags", appPage(), { ...cc, tags });
    const kept = (await f.handler.get("/bad-tags"))?.tags ?? [];
    expect(kept).toHaveLength(128);
    expect(kept).not.toContain(long);
    expect(kept).toContain("ok");
    const warning = f.warnings.join("\n");
    expect(warning).toContain("ERR_TAG_INVALID");
    expect(warning).toContain("LLLL"); // names the long tag
    expect(warning).toContain("257 characters, over the limit of 256");
    expect(warning).toContain('"t127"'); // names a tag beyond 128
    expect(warning).toContain("more than 128 tags");
  });

  test("an expire below 60 s is clamped for KV but honoured by get", async (f) => {
    const before = Math.floor(Date.now() / 1000);
    await f.handler.set("/short", appPage(), { cacheControl: { revalidate: 5, expire: 10 } });
    const listed = await f.rawKV.list({ prefix: await f.locate("/short") });
    const expiration = listed.keys[0]?.expiration ?? 0;
    expect(expiration - before).toBeGreaterThanOrEqual(KVLimits.minExpirationTtl);
    expect(expiration - before).toBeLessThan(KVLimits.minExpirationTtl + 30);
    f.clock.advance(10_000);
    expect(await f.another().get("/short")).toBeNull();
  });

  test("a burst of sets to one key is coalesced to respect KV's one write per second", async (f) => {
    f.counting.reset();
    await Promise.all(Array.from({ length: 10 }, (_, i) => f.handler.set("/burst", appPage(`<p>${i}</p>`), cc)));
    expect(f.counting.counts.writes).toBeLessThanOrEqual(2);
    expect(((await f.another().get("/burst"))!.value as { html: string }).html).toBe("<p>9</p>");
  });

  test("the isolate reads its own write while a coalesced write waits", async (f) => {
    let release!: () => void;
    let waiting!: () => void;
    const queued = new Promise<void>((resolve) => (waiting = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Its sleep waits for the test, then lets the (manual) clock pass as a real one would.
    const handler = f.with({ sleep: (ms: number) => (waiting(), gate.then(() => f.clock.advance(ms))) });
    await handler.set("/ryw", appPage("<p>first</p>"), cc);
    const pending = handler.set("/ryw", appPage("<p>second</p>"), cc);
    await queued; // the second write now waits for KV's one-write-per-second gap
    expect(((await handler.get("/ryw"))!.value as { html: string }).html).toBe("<p>second</p>");
    expect(((await f.another().get("/ryw"))!.value as { html: string }).html).toBe("<p>first</p>");
    release();
    await pending;
    expect(((await f.another().get("/ryw"))!.value as { html: string }).html).toBe("<p>second</p>");
  });
}
