/**
 * `edge-isr purge --cdn-zone`: the zone purge names every tag as pages carry it
 * in Cache-Tag (as it is, and hashed), 100 names a request, through the
 * official `cloudflare` client against a local stand-in for api.cloudflare.com.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cacheTagHeader, hashedCdnTag } from "@edge-isr/kv-cache-handler";
import { afterEach, expect, it } from "vitest";
import { purge } from "../src/commands/purge.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  delete process.env.CLOUDFLARE_API_TOKEN;
  delete process.env.CLOUDFLARE_API_BASE_URL;
  delete process.env.EDGE_ISR_SECRET;
});

/** A server answering every POST as `answer` says, recording path and JSON body. */
async function listen(answer: (path: string, body: { tags?: string[] }) => unknown) {
  const seen: { path: string; body: { tags?: string[] } }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      const body = JSON.parse(text || "{}") as { tags?: string[] };
      seen.push({ path: req.url!, body });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer(req.url!, body)));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

it("purges both spellings of every tag from the zone, 100 a request, matching the pages' Cache-Tag", async () => {
  const endpoint = await listen((_path, body) => ({ revalidated: { tags: body.tags?.length ?? 0, paths: 0 }, expire: 0 }));
  const cloudflare = await listen(() => ({ success: true, errors: [], messages: [], result: { id: "purge-1" } }));
  process.env.EDGE_ISR_SECRET = "a-long-enough-revalidation-secret";
  process.env.CLOUDFLARE_API_TOKEN = "test-token-000000000000000000000000";
  process.env.CLOUDFLARE_API_BASE_URL = `${cloudflare.url}/client/v4`;
  const tags = Array.from({ length: 60 }, (_, i) => `product:${i}`);
  const result = await purge({
    config: "/nonexistent/wrangler.toml",
    persistTo: "/nonexistent",
    binding: "CACHE",
    tag: tags,
    path: ["/shop/shoes"],
    endpoint: endpoint.url,
    cdnZone: "zone42",
  });
  expect(result.cdnTags).toBe(61);
  expect(cloudflare.seen.map((r) => [r.path, r.body.tags?.length])).toEqual([
    ["/client/v4/zones/zone42/purge_cache", 100],
    ["/client/v4/zones/zone42/purge_cache", 22],
  ]);
  const named = cloudflare.seen.flatMap((r) => r.body.tags ?? []);
  // Whatever spelling a page's Cache-Tag used, the purge names it.
  for (const tag of [...tags, "_N_T_/shop/shoes"]) {
    expect(named).toContain(tag);
    expect(named).toContain(hashedCdnTag(tag));
    expect(named).toEqual(expect.arrayContaining(cacheTagHeader([tag])!.split(",")));
  }
}, 30_000);
