/**
 * The quick starts of the root and runtime READMEs, exactly as written: the
 * first ```ts block under "## Quick start" is bundled against the built
 * packages and served by Miniflare with a KV namespace `CACHE` and the
 * coordinator Durable Object. Two requests: MISS, then HIT; and `edge-isr
 * prerender`'s manifest lists a tagged page, so a user following it has
 * something to purge.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KVCacheHandler, type KVNamespaceLike } from "../../packages/kv-cache-handler/dist/index.js";
import { PRERENDER_HEADER, PRERENDER_MANIFEST_PATH } from "../../packages/runtime/dist/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** The token `edge-isr prerender` gives the Worker it runs. */
const TOKEN = "quick-start-prerender-token";

describe.each(["packages/runtime/README.md", "README.md"])("%s quick start", (file) => {
  const readme = readFileSync(`${root}${file}`, "utf8");
  const quickStart = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  let mf: Miniflare;
  beforeAll(async () => {
    expect(quickStart, "the README has a ts block under ## Quick start").toBeTruthy();
    const bundle = await build({
      stdin: { contents: quickStart!, loader: "ts", resolveDir: root },
      bundle: true,
      format: "esm",
      platform: "neutral",
      write: false,
      alias: {
        "@edge-isr/runtime": `${root}packages/runtime/dist/index.js`,
        "@edge-isr/kv-cache-handler": `${root}packages/kv-cache-handler/dist/index.js`,
      },
    });
    mf = new Miniflare({
      modules: true,
      script: bundle.outputFiles[0]!.text,
      kvNamespaces: ["CACHE"],
      // As the README's wrangler.toml binds it: the coordinator the quick start exports.
      durableObjects: { EDGE_ISR_COORDINATOR: { className: "EdgeIsrCoordinator", useSQLite: true } },
      bindings: { EDGE_ISR_SECRET: "quick-start-secret", EDGE_ISR_PRERENDER_TOKEN: TOKEN },
      compatibilityDate: "2026-04-01",
    });
  });
  afterAll(() => mf?.dispose());

  it("is at most 25 lines", () => {
    expect(quickStart!.trim().split("\n").length).toBeLessThanOrEqual(25);
  });

  it("serves MISS then HIT, with the rendered page", async () => {
    const first = await mf.dispatchFetch("http://localhost/products/1");
    expect(first.headers.get("x-edge-isr-cache")).toBe("MISS");
    expect(await first.text()).toBe("<h1>Product 1</h1>");
    let second = await mf.dispatchFetch("http://localhost/products/1");
    // The store runs in waitUntil after the first response: wait for the state, not a duration.
    for (let i = 0; i < 50 && second.headers.get("x-edge-isr-cache") !== "HIT"; i++) {
      await second.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
      second = await mf.dispatchFetch("http://localhost/products/1");
    }
    expect(second.headers.get("x-edge-isr-cache")).toBe("HIT");
    expect(await second.text()).toBe("<h1>Product 1</h1>");
  });

  it.runIf(readme.includes("revalidateEndpoint"))(
    "its revalidation endpoint expires the page through the coordinator: the next request renders",
    async () => {
      const res = await mf.dispatchFetch("http://localhost/_isr/revalidate", {
        method: "POST",
        headers: { authorization: "Bearer quick-start-secret" },
        body: JSON.stringify({ tags: ["product:1"] }),
      });
      const answer = await res.json();
      expect(answer).toMatchObject({ revalidated: { tags: 1, paths: 0 }, expire: 0, via: "coordinator" });
      expect((await mf.dispatchFetch("http://localhost/products/1")).headers.get("x-edge-isr-cache")).toBe("MISS");
    },
  );

  it("prerenders a tagged page: the manifest `edge-isr prerender` reads lists /products/1, which renders with its tags", async () => {
    const manifest = await mf.dispatchFetch(`http://localhost${PRERENDER_MANIFEST_PATH}`, { headers: { [PRERENDER_HEADER]: TOKEN } });
    expect(((await manifest.json()) as { paths: string[] }).paths).toContain("/products/1");
    const page = await mf.dispatchFetch("http://localhost/products/1", { headers: { [PRERENDER_HEADER]: TOKEN } });
    await page.arrayBuffer();
    const key = page.headers.get("x-edge-isr-key"); // stored before the answer, as prerender expects
    expect(key).toBeTruthy();
    const stored = await new KVCacheHandler((await mf.getKVNamespace("CACHE")) as unknown as KVNamespaceLike).get(key!);
    expect(stored?.tags).toEqual(expect.arrayContaining(["products", "product:1"]));
  });
});
