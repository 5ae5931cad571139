/** The constructor is the one place the handler throws: a bad option is named, with the value and the rule. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KVCacheHandler } from "../src/index.js";

describe("KVCacheHandler options", () => {
  it.each([
    [{ readTimeoutMs: 0 }, /ERR_OPTION_INVALID: readTimeoutMs 0 must be a positive number of milliseconds/],
    [{ writeTimeoutMs: -5 }, /ERR_OPTION_INVALID: writeTimeoutMs -5 must be a positive number/],
    [{ writeTimeoutMs: Number.NaN }, /ERR_OPTION_INVALID: writeTimeoutMs NaN must be a positive number/],
    [{ cacheTtl: 10 }, /ERR_OPTION_INVALID: cacheTtl 10 is below KV's minimum of 30 seconds/],
    [{ prefix: "p".repeat(300) }, /ERR_OPTION_INVALID: prefix "p{64}"\.\.\.\(300 chars\) is over the limit of 256 bytes/],
  ])("refuses %o", (options, message) => {
    expect(() => new KVCacheHandler(env.CACHE, options)).toThrow(message);
  });

  it("refuses something that is not a KV binding, saying where to look", () => {
    expect(() => new KVCacheHandler(undefined as never)).toThrow(/needs a KV namespace binding.*wrangler.toml/);
  });
});
