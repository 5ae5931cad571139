/** Damaged, truncated or foreign values read as a miss and are reported, never thrown. */
import { expect } from "vitest";
import type { Case, HandlerFixture } from "../fixture.js";
import { appPage, htmlOfSize } from "../values.js";

async function stored(f: HandlerFixture, key: string) {
  const kvKey = await f.locate(key);
  const { value, metadata } = await f.rawKV.getWithMetadata(kvKey, { type: "arrayBuffer" });
  return { kvKey, bytes: new Uint8Array(value!), metadata };
}

async function expectCorruptMiss(f: HandlerFixture, key: string) {
  await expect(f.another().get(key)).resolves.toBeNull();
  if (f.reportsErrors !== false) expect(f.errors.some((e) => e.code === "ERR_ENTRY_CORRUPT" && e.message.includes(key))).toBe(true);
}

export function integrityCases(test: Case): void {
  const damage: Record<string, (bytes: Uint8Array) => Uint8Array> = {
    "a flipped magic byte": (b) => Object.assign(b.slice(), { 0: b[0]! ^ 0xff }),
    "an unknown format version": (b) => Object.assign(b.slice(), { 4: 99 }),
    "a truncated value": (b) => b.slice(0, Math.floor(b.length * 0.7)),
    "a value with bytes appended": (b) => Uint8Array.from([...b, 1, 2, 3]),
    "a flipped byte in a compressed part": (b) => Object.assign(b.slice(), { [b.length - 40]: b[b.length - 40]! ^ 0x55 }),
    "a flipped byte in the header": (b) => Object.assign(b.slice(), { 12: b[12]! ^ 0x20 }),
    "random bytes": (b) => crypto.getRandomValues(new Uint8Array(b.length)),
    "an empty value": () => new Uint8Array(0),
  };
  for (const [what, mangle] of Object.entries(damage)) {
    test(`${what} reads as a miss`, async (f) => {
      await f.handler.set("/damaged", appPage(htmlOfSize(4000)), { cacheControl: { revalidate: 60 } });
      const { kvKey, bytes, metadata } = await stored(f, "/damaged");
      await f.rawKV.put(kvKey, mangle(bytes), { metadata });
      await expectCorruptMiss(f, "/damaged");
    });
  }

  test("a flipped byte in an uncompressed part fails its checksum", async (f) => {
    const raw = crypto.getRandomValues(new Uint8Array(4096)); // incompressible: stored raw
    await f.handler.set("/raw", { kind: "APP_ROUTE", body: raw.buffer, status: 200, headers: {} }, { cacheControl: { revalidate: 60 } });
    const { kvKey, bytes, metadata } = await stored(f, "/raw");
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
    await f.rawKV.put(kvKey, bytes, { metadata });
    await expectCorruptMiss(f, "/raw");
  });

  test("a foreign value (another handler's JSON) reads as a miss", async (f) => {
    const kvKey = await f.locate("/foreign");
    await f.rawKV.put(kvKey, JSON.stringify({ value: { kind: "APP_PAGE", html: "x" }, tags: [], lastModified: 1 }), {
      metadata: { tags: [] },
    });
    await expectCorruptMiss(f, "/foreign");
  });

  test("an entry whose metadata was lost reads as a miss", async (f) => {
    await f.handler.set("/no-meta", appPage(), { cacheControl: { revalidate: 60 } });
    const { kvKey, bytes } = await stored(f, "/no-meta");
    await f.rawKV.put(kvKey, bytes);
    await expectCorruptMiss(f, "/no-meta");
  });

  test("an entry copied under another key reads as a miss, not as the wrong page", async (f) => {
    await f.handler.set("/original", appPage("<p>original</p>"), { cacheControl: { revalidate: 60 } });
    const { bytes, metadata } = await stored(f, "/original");
    await f.rawKV.put(await f.locate("/impostor"), bytes, { metadata });
    await expectCorruptMiss(f, "/impostor");
  });

  test("a corrupt entry heals when it is set again", async (f) => {
    await f.handler.set("/heal", appPage(), { cacheControl: { revalidate: 60 } });
    const { kvKey, metadata } = await stored(f, "/heal");
    await f.rawKV.put(kvKey, "garbage", { metadata });
    expect(await f.another().get("/heal")).toBeNull();
    f.clock.advance(2000);
    await f.handler.set("/heal", appPage("<p>healed</p>"), { cacheControl: { revalidate: 60 } });
    expect(((await f.another().get("/heal"))!.value as { html: string }).html).toBe("<p>healed</p>");
  });
}
