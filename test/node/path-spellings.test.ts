/**
 * The runtime README's claim about equivalent path spellings, checked over real
 * HTTP: through workerd's own server (as Miniflare and `wrangler dev` serve a
 * Worker) and through `vite preview` with @cloudflare/vite-plugin, which reads a
 * path starting with `//` as a host (issue 14: `//products/1` was a 404 BYPASS).
 */
import { mkdtempSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixtureWithVite, serveFixture } from "../../packages/cli/test/fixtures/build.js";

/** The cache state a raw request path gets (node:http sends the path as written). */
const state = (base: string, path: string) =>
  new Promise<string | undefined>((done, fail) => {
    get(`${base}${path}`, (res) => {
      res.resume();
      res.on("end", () => done(res.headers["x-edge-isr-cache"] as string | undefined));
    }).on("error", fail);
  });

/** Each spelling after `/products/1` was stored: one key means a HIT. */
async function spellings(base: string, paths: string[]) {
  await state(base, "/products/1");
  const out: Record<string, string | undefined> = {};
  for (const path of paths) out[path] = await state(base, path);
  return out;
}

const SAME = ["/products//1", "/products/./1/", "/products/%31", "/./products/1"];

describe("equivalent spellings share one key", { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-isr-spellings-"));
    await buildFixtureWithVite(dir, { PAGES: "2" });
  }, 120_000);

  it("through workerd's own server (Miniflare, wrangler dev): every spelling, a leading // included", async () => {
    const mf = serveFixture(join(dir, "dist", "fixture"), undefined, { main: "index.mjs", bindings: { PAGES: "2" }, listen: true });
    try {
      const base = (await mf.ready).toString().replace(/\/$/, "");
      expect(await spellings(base, [...SAME, "//products/1"])).toEqual(
        Object.fromEntries([...SAME, "//products/1"].map((p) => [p, "HIT"])),
      );
    } finally {
      await mf.dispose();
    }
  });

  describe("through vite preview", () => {
    let server: Awaited<ReturnType<typeof import("vite").preview>>;
    let base: string;
    beforeAll(async () => {
      const { preview } = await import("vite");
      const { cloudflare } = await import("@cloudflare/vite-plugin");
      server = await preview({
        root: dir,
        configFile: false,
        logLevel: "silent",
        plugins: [cloudflare({ inspectorPort: false, persistState: false })],
        preview: { port: 0, host: "127.0.0.1" },
      });
      base = server.resolvedUrls!.local[0]!.replace(/\/$/, "");
    }, 60_000);
    afterAll(() => server?.close());

    it("every spelling but a leading //, which Vite reads as a host: //products/1 reaches the Worker as /1", async () => {
      expect(await spellings(base, [...SAME, "//products/1"])).toEqual({
        ...Object.fromEntries(SAME.map((p) => [p, "HIT"])),
        "//products/1": "BYPASS",
      });
    });
  });
});
