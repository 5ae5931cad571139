/**
 * `edge-isr purge --remote` at scale, through Miniflare's local mirror of the
 * KV REST API and the official `cloudflare` client: 20,000 entries, 5,000 of
 * them tagged. The purge is a handful of requests (no listing), the process
 * exits by itself, and afterwards every tagged entry reads as expired and
 * every other as fresh — then `edge-isr gc` finds exactly the 5,000.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMirror, mirrorEnv } from "./helpers/mirror.js";
import { ROOT, ensureCliBuilt, runCli } from "./helpers/run.js";

const ENTRIES = 20_000; // every fourth tagged "hot": 5,000

/** A Worker that stores entries with the built KVCacheHandler and reports their states, as a fresh isolate would read them. */
const seeder = `
import { KVCacheHandler, ENTRY_PREFIX } from "./kv-cache-handler.js";
const quiet = { warn() {}, error() {} };
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/seed") {
      const writer = new KVCacheHandler(env.CACHE, { logger: quiet });
      const from = Number(url.searchParams.get("from")), to = Number(url.searchParams.get("to"));
      for (let i = from; i < to; i += 250) {
        await Promise.all(Array.from({ length: Math.min(250, to - i) }, (_, j) => i + j).map((k) =>
          writer.set("b1:/items/" + k, { kind: "APP_PAGE", html: "<p>" + k + "</p>", rscData: undefined, headers: {}, postponed: undefined, status: 200 },
            { cacheControl: { revalidate: false }, tags: [k % 4 === 0 ? "hot" : "cold", "item:" + (k % 97)] })));
      }
      return new Response("ok");
    }
    const reader = new KVCacheHandler(env.CACHE, { logger: quiet });
    const counts = {};
    let cursor;
    do {
      const page = await env.CACHE.list({ prefix: ENTRY_PREFIX, cursor });
      const states = await reader.entryStates(page.keys.map((k) => k.metadata));
      page.keys.forEach((k, i) => {
        const n = Number(k.name.slice(k.name.lastIndexOf("/") + 1));
        const key = (n % 4 === 0 ? "hot " : "cold ") + states[i];
        counts[key] = (counts[key] ?? 0) + 1;
      });
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return Response.json(counts);
  },
};`;

describe("purge --remote among 20,000 entries (the official client against Miniflare's API mirror)", { timeout: 600_000 }, () => {
  let mirror: Awaited<ReturnType<typeof startMirror>>;
  let dir: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    const dist = readFileSync(join(ROOT, "packages/kv-cache-handler/dist/index.js"), "utf8");
    mirror = await startMirror({ CACHE: "scale-ns" }, [
      { type: "ESModule", path: "worker.js", contents: seeder },
      { type: "ESModule", path: "kv-cache-handler.js", contents: dist },
    ]);
    for (let from = 0; from < ENTRIES; from += 2000) {
      const res = await mirror.dispatch(`/seed?from=${from}&to=${from + 2000}`);
      expect(await res.text()).toBe("ok");
    }
    dir = mkdtempSync(join(tmpdir(), "edge-isr-scale-"));
    writeFileSync(
      join(dir, "wrangler.toml"),
      '[[kv_namespaces]]\nbinding = "CACHE"\nid = "dev-ns"\n\n[env.production]\n[[env.production.kv_namespaces]]\nbinding = "CACHE"\nid = "scale-ns"\n',
    );
  }, 600_000);
  afterAll(() => mirror?.close());

  it("is a handful of requests and no listing; every tagged entry then reads expired, every other fresh", async () => {
    const before = mirror.requests.length;
    const run = await runCli(["purge", "--tag", "hot", "--remote", "--env", "production"], { cwd: dir, env: mirrorEnv(mirror.baseUrl) });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("expired 1 tag(s) (hot): 1 tag record(s) written");
    const requests = mirror.requests.slice(before);
    expect(requests.filter((r) => r.includes("/keys"))).toEqual([]); // never a listing
    expect(requests.length).toBeLessThanOrEqual(4); // the tag's record read and written, the pending list read and written
    expect(await (await mirror.dispatch("/states")).json()).toEqual({ "hot expired": 5000, "cold fresh": 15000 });
  });

  it("edge-isr gc then finds exactly those 5,000, from 20 list pages and the clock's records", async () => {
    const before = mirror.requests.length;
    const run = await runCli(["gc", "--dry-run", "--remote", "--env", "production"], { cwd: dir, env: mirrorEnv(mirror.baseUrl) });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("checked 20000 entries: 5000 can never be served again and would be deleted (--dry-run)");
    // The entries' list pages plus the tag records' and the snapshot: no read per entry or per tag.
    expect(mirror.requests.length - before).toBeLessThanOrEqual(40);
  });
});
