/** Properties: any value of any kind survives encode → decode unchanged; the CRC-32 is the standard one. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptEntry, decodeEntry, encodeEntry, type StoredEntry } from "../src/codec.js";
import { crc32 } from "../src/bytes.js";
import type { IncrementalCacheValue } from "../src/types.js";

const bytes = fc.uint8Array({ maxLength: 3000 }).map((b) => b.slice().buffer as ArrayBuffer);
const text = fc.oneof(
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: "grapheme", maxLength: 500 }),
  fc.constant("<li>x</li>".repeat(300)),
);
const headers = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })));

const value: fc.Arbitrary<IncrementalCacheValue | null> = fc.oneof(
  fc.constant(null),
  fc.record({
    kind: fc.constant("APP_PAGE" as const),
    html: text,
    rscData: fc.option(bytes, { nil: undefined }),
    headers: fc.option(headers, { nil: undefined }),
    postponed: fc.option(fc.string(), { nil: undefined }),
    status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant("PAGES" as const),
    html: text,
    pageData: fc.jsonValue().map((v) => ({ v })),
    headers: fc.constant(undefined),
    status: fc.constant(200),
  }),
  fc.record({ kind: fc.constant("APP_ROUTE" as const), body: bytes, status: fc.integer({ min: 200, max: 599 }), headers }),
  fc.record({
    kind: fc.constant("FETCH" as const),
    data: fc.record({ headers: fc.dictionary(fc.string(), fc.string()), body: text, url: fc.webUrl(), status: fc.constant(200) }),
    tags: fc.array(fc.string(), { maxLength: 5 }),
    revalidate: fc.oneof(fc.nat(), fc.constant(false as const)),
  }),
  fc.record({ kind: fc.constant("REDIRECT" as const), props: fc.dictionary(fc.string(), fc.jsonValue()) }),
  fc.record({ kind: fc.constant("IMAGE" as const), etag: fc.string(), buffer: bytes, extension: fc.constantFrom("png", "webp", "avif") }),
);

const entry: fc.Arbitrary<StoredEntry> = fc.record({
  key: fc.string({ unit: "grapheme", maxLength: 300 }),
  value,
  tags: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 10 }),
  lastModified: fc.integer({ min: 0, max: 2 ** 42 }),
  cacheControl: fc.option(fc.record({ revalidate: fc.oneof(fc.nat(), fc.constant(false as const)), expire: fc.nat() }), { nil: undefined }),
});

/** Binary fields compared as byte arrays; JSON round-trip drops `undefined` like the codec. */
const comparable = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_, x) => (x instanceof ArrayBuffer ? { bytes: Array.from(new Uint8Array(x)) } : x)));

describe("codec", () => {
  it("decode(encode(entry)) equals entry, for every kind", async () => {
    await fc.assert(
      fc.asyncProperty(entry, async (e) => {
        const { bytes: stored } = await encodeEntry(e);
        expect(comparable(await decodeEntry(stored))).toEqual(comparable(e));
      }),
      { numRuns: 300 },
    );
  });

  it("any truncation of a stored entry is detected", async () => {
    await fc.assert(
      fc.asyncProperty(entry, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (e, cut) => {
        const { bytes: stored } = await encodeEntry(e);
        await expect(decodeEntry(stored.subarray(0, Math.floor(stored.length * cut)))).rejects.toBeInstanceOf(CorruptEntry);
      }),
      { numRuns: 200 },
    );
  });
});

describe("crc32 (slice-by-8)", () => {
  /** The textbook byte-at-a-time CRC-32, as the reference. */
  const reference = (bytes: Uint8Array) => {
    let crc = 0xffffffff;
    for (const byte of bytes) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
    }
    return (crc ^ 0xffffffff) >>> 0;
  };

  it("gives the IEEE check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("agrees with the byte-at-a-time CRC on any bytes and any length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
