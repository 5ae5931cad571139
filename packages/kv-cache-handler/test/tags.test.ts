/** Implicit path tags of any length, the synchronous SHA-256 behind them, and how messages quote client input. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256, sha256Sync, toHex } from "../src/bytes.js";
import { quoteKey } from "../src/errors.js";
import { implicitTag, implicitTags, validateTags } from "../src/tags.js";

describe("sha256Sync", () => {
  it("gives crypto.subtle's digest for any input, across block boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 300 }),
          fc.string({ minLength: 50, maxLength: 200 }).map((s) => s.repeat(30)),
        ),
        async (text) => {
          expect(toHex(sha256Sync(text))).toBe(toHex(await sha256(text)));
        },
      ),
      { numRuns: 300, seed: 17 },
    );
    for (const length of [0, 55, 56, 63, 64, 65, 119, 120])
      expect(toHex(sha256Sync("x".repeat(length)))).toBe(toHex(await sha256("x".repeat(length))));
  });
});

describe("implicit tags", () => {
  it("keep a tag of up to 256 characters as Next.js spells it, and name a longer one by its path's SHA-256", () => {
    const fits = `/${"p".repeat(250)}`;
    expect(implicitTag(fits)).toBe(`_N_T_${fits}`);
    expect(implicitTag(`${fits}q`)).toBe(`_N_T_#${toHex(sha256Sync(`${fits}q`))}`);
    expect(implicitTags(`${fits}q`, "/[slug]")).toEqual([
      "_N_T_/layout",
      "_N_T_/[slug]/layout",
      "_N_T_/[slug]/page",
      implicitTag(`${fits}q`),
    ]);
  });

  it("validateTags stores an over-long implicit tag under the same hashed name, and still drops other long tags", () => {
    const path = `/${"d".repeat(400)}`;
    const { tags, dropped } = validateTags([`_N_T_${path}`, implicitTag(path), "x".repeat(257), `_N_T_/${"y".repeat(5000)}`]);
    expect(tags).toEqual([implicitTag(path)]);
    expect(dropped.map((d) => d.reason)).toEqual(["257 characters, over the limit of 256", "5006 characters, over the limit of 4096"]);
  });
});

describe("quoteKey", () => {
  it("repeats at most 64 characters of client input, escaped to printable ASCII, with the length when cut", () => {
    expect(quoteKey("/products/1")).toBe('"/products/1"');
    expect(quoteKey("/a\nb\u202ec\u0000é")).toBe(String.raw`"/a\nb\u202ec\u0000\u00e9"`);
    const long = `/${"x".repeat(2047)}`;
    expect(quoteKey(long)).toBe(`"${long.slice(0, 64)}"...(2048 chars)`);
  });
});
