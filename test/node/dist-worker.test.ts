/**
 * The published artefact: `dist/index.js` alone, imported by a plain Worker
 * (no bundler, no nodejs_compat, no other files), stores and reads a page on
 * Miniflare's KV; `dist/vinext.js` (the vinext adapter) adds nothing but itself.
 */
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const pkgDir = new URL("../../packages/kv-cache-handler/", import.meta.url);
const dist = readFileSync(new URL("dist/index.js", pkgDir), "utf8");

const worker = `
import { KVCacheHandler } from "./kv-cache-handler.js";
export default {
  async fetch(request, env) {
    const handler = new KVCacheHandler(env.CACHE);
    const rsc = new Uint8Array([0, 1, 2, 255]);
    await handler.set("/p", { kind: "APP_PAGE", html: "<h1>hi</h1>", rscData: rsc.buffer, headers: {}, postponed: undefined, status: 200 },
      { cacheControl: { revalidate: 60 }, tags: ["t"] });
    const hit = await new KVCacheHandler(env.CACHE).get("/p");
    await handler.revalidateTag("t", {});
    const stale = await new KVCacheHandler(env.CACHE).get("/p");
    await handler.revalidateTag("t");
    const expired = await new KVCacheHandler(env.CACHE).get("/p");
    return Response.json({ html: hit.value.html, rsc: [...new Uint8Array(hit.value.rscData)], cc: hit.cacheControl, state: stale.cacheState, expired });
  },
};`;

describe("dist/index.js in a plain Worker", () => {
  let mf: Miniflare;
  beforeAll(() => {
    mf = new Miniflare({
      modules: [
        { type: "ESModule", path: "worker.js", contents: worker },
        { type: "ESModule", path: "kv-cache-handler.js", contents: dist },
      ],
      kvNamespaces: ["CACHE"],
      compatibilityDate: "2026-04-01",
    });
  });
  afterAll(() => mf?.dispose());

  it("stores, reads and invalidates with nothing but the one file", async () => {
    const res = await mf.dispatchFetch("http://localhost/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ html: "<h1>hi</h1>", rsc: [0, 1, 2, 255], cc: { revalidate: 60 }, state: "stale", expired: null });
  });

  it("is one self-contained ESM file with no Node-only imports", () => {
    expect(dist).not.toMatch(/^\s*import\s.*from\s/m);
    expect(dist).not.toMatch(/require\(|["']node:/);
    expect(dist).toMatch(/export\s*\{[^}]*KVCacheHandler/);
  });

  it("dist/vinext.js (the vinext adapter) imports nothing but dist/index.js", () => {
    const adapter = readFileSync(new URL("dist/vinext.js", pkgDir), "utf8");
    expect([...adapter.matchAll(/^\s*import\s[\s\S]*?from\s*["']([^"']+)["']/gm)].map((m) => m[1])).toEqual(["./index.js"]);
    expect(adapter).not.toMatch(/require\(|["']node:/);
    expect(adapter).toMatch(/export\s*\{[^}]*createVinextDataCache as default/);
  });

  it("has no runtime dependencies", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", pkgDir), "utf8"));
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
  });
});
