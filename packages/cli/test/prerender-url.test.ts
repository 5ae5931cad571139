/**
 * `edge-isr prerender --url`: through a Worker that is already serving (as
 * `npm run dev` does with vite dev), and prerender binding the Worker's other
 * KV namespaces so pages render with their data.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prerender, type PrerenderFlags, runPrerender } from "../src/commands/prerender.js";
import { prerenderUrl } from "../src/commands/prerender-url.js";
import { CliError } from "../src/errors.js";
import { kvPersistDir } from "../src/kv/local.js";
import { buildFixture, serveFixture } from "./fixtures/build.js";

const quiet = { log: () => {}, progress: false };
const TOKEN = "a-prerender-token-for-tests";

describe("prerender --url", () => {
  let dir: string;
  let mf: Miniflare;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-isr-prerender-url-"));
    await buildFixture(dir, { PAGES: "3" });
    const workerDir = join(dir, "dist", "fixture");
    mf = serveFixture(workerDir, undefined, { bindings: { PAGES: "3", EDGE_ISR_PRERENDER_TOKEN: TOKEN }, listen: true });
    url = (await mf.ready).toString();
  });
  afterAll(() => mf?.dispose());

  it("renders the running Worker's manifest through HTTP; each page then reads back as a HIT", async () => {
    const result = await prerenderUrl({ url, token: TOKEN, ...quiet });
    expect(result.buildId).toBe("fixture-1");
    expect(result.planned).toEqual(["/", "/products/1", "/products/2", "/products/3", "/broken"]);
    expect(result.rendered).toBe(4);
    expect(result.failed).toEqual([{ path: "/broken", reason: "the Worker answered 500" }]);
    expect(result.servedBytes).toBeGreaterThan(0);
    const res = await fetch(new URL("/products/2", url));
    expect(res.headers.get("x-edge-isr-cache")).toBe("HIT");
    expect(await res.text()).toContain("<h1>/products/2</h1>");
  });

  it("with --dry-run lists the pages and renders none", async () => {
    const lines: string[] = [];
    const result = await prerenderUrl({ url, token: TOKEN, dryRun: true, log: (l) => lines.push(l), progress: false });
    expect(result.rendered).toBe(0);
    expect(lines[0]).toBe(`dry run: would render 5 pages of build fixture-1 through ${new URL(url).origin}`);
  });

  it("names the fix when the token is wrong, missing, or the server is not running", async () => {
    await expect(prerenderUrl({ url, token: "wrong", ...quiet })).rejects.toMatchObject({
      code: "ERR_NO_PRERENDER_SUPPORT",
      message: expect.stringMatching(/did not answer \/_isr\/prerender-manifest \(status 200\)$/),
    });
    await expect(prerenderUrl({ url, token: undefined, ...quiet })).rejects.toMatchObject({ code: "ERR_MISSING_TOKEN" });
    await expect(prerenderUrl({ url: "http://127.0.0.1:9/", token: TOKEN, ...quiet })).rejects.toMatchObject({
      code: "ERR_SERVER_UNREACHABLE",
      hint: expect.stringContaining("start the server first"),
    });
    await expect(prerenderUrl({ url: "ftp://example.com", token: TOKEN, ...quiet })).rejects.toMatchObject({
      code: "ERR_BAD_ARGUMENT",
      message: '--url "ftp://example.com" is not an http(s) URL',
    });
  });

  it("refuses flags that name a build or a namespace", async () => {
    const flags = {
      url,
      remote: true,
      resume: true,
      binding: "CACHE",
      persistTo: ".wrangler/state",
      coverage: "0.9",
      concurrency: "8",
      verify: true,
    } as PrerenderFlags;
    const error = await runPrerender(flags).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe("--url cannot be combined with --remote, --resume");
  });
});

describe("prerender binds every KV namespace of the built Worker", () => {
  it("renders pages with the data of a second namespace from the local state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-isr-prerender-ns-"));
    const worker = await buildFixture(dir, { PAGES: "1" }, [{ binding: "CONTENT", id: "content-ns" }]);
    const persistTo = join(dir, "state");
    // Seed the second namespace where vite dev / preview keep it.
    const seed = new Miniflare({
      modules: true,
      script: "export default {}",
      kvNamespaces: { CONTENT: "content-ns" },
      kvPersist: kvPersistDir(persistTo),
    });
    await (await seed.getKVNamespace("CONTENT")).put("banner", "Autumn sale");
    await seed.dispose();

    const result = await prerender({ worker, persistTo, routes: undefined, ...quiet });
    expect(result.rendered).toBe(2);
    const serve = serveFixture(join(dir, "dist", "fixture"), persistTo, { kvNamespaces: { CONTENT: "content-ns" } });
    try {
      const res = await serve.dispatchFetch("http://localhost/products/1");
      expect(res.headers.get("x-edge-isr-cache")).toBe("HIT");
      expect(await res.text()).toContain('<p class="banner">Autumn sale</p>');
    } finally {
      await serve.dispose();
    }
  });
});
