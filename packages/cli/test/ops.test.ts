/**
 * The operational commands — builds, promote, rollback, prune, purge, inspect,
 * export/import, watch — on a real Miniflare KV persisted in a fresh temp dir
 * per test, plus the built `edge-isr` binary.
 */
import { execFile, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { KVCacheHandler, KVLimits, invalidateInKV, kvKeyFor, parseMetadata, type CachedAppPageValue } from "@edge-isr/kv-cache-handler";
import { BUILD_POINTER_KEY, parsePointer } from "@edge-isr/runtime";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { exportTo, importFrom } from "../src/commands/backup.js";
import { listBuilds, printBuilds, promote, prune, rollback } from "../src/commands/builds.js";
import { inspect } from "../src/commands/inspect.js";
import { purge } from "../src/commands/purge.js";
import { watch } from "../src/commands/watch.js";
import { CliError } from "../src/errors.js";
import { asNamespace } from "../src/kv/adapter.js";
import { openLocal } from "../src/kv/local.js";
import { listAll, type KVTarget } from "../src/kv/target.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(ROOT, "packages/cli/dist/cli.js");

// ───────────────────────── helpers ─────────────────────────

const open: KVTarget[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A fresh persisted namespace in its own temp dir. */
async function fresh(dir = mkdtempSync(join(tmpdir(), "edge-isr-ops-")), namespaceId: string = randomUUID()) {
  const target = await openLocal(dir, namespaceId);
  open.push(target);
  return { dir, namespaceId, target };
}

/** Counts the writes that reach the wrapped target. */
function counting(inner: KVTarget) {
  const counts = { puts: 0, deletes: 0, lists: 0 };
  const target: KVTarget = {
    description: inner.description,
    get: (key) => inner.get(key),
    async put(entry) {
      counts.puts++;
      await inner.put(entry);
    },
    async putMany(entries, onProgress) {
      counts.puts += entries.length;
      await inner.putMany(entries, onProgress);
    },
    async delete(key) {
      counts.deletes++;
      await inner.delete(key);
    },
    async *list(prefix) {
      yield* inner.list(prefix);
      counts.lists++;
    },
    close: () => inner.close(),
  };
  return { target, counts, writes: () => counts.puts + counts.deletes };
}

const page = (html: string, headers: Record<string, string> = { "content-type": "text/html; charset=utf-8" }): CachedAppPageValue => ({
  kind: "APP_PAGE",
  html,
  rscData: new TextEncoder().encode(`0:${JSON.stringify({ html })}`).buffer as ArrayBuffer,
  headers,
  postponed: undefined,
  status: 200,
});

/** Stores pages through KVCacheHandler itself, with lastModified `at` (ms). */
async function seed(target: KVTarget, keys: string[], opts: { at?: number; tags?: (key: string) => string[]; revalidate?: number } = {}) {
  const at = opts.at ?? Date.now();
  const handler = new KVCacheHandler(asNamespace(target), { now: () => at });
  for (const key of keys) {
    await handler.set(key, page(`<h1>${key}</h1>${"<p>lorem ipsum dolor sit amet</p>".repeat(40)}`), {
      cacheControl: { revalidate: opts.revalidate ?? 3600, expire: 86400 },
      tags: opts.tags?.(key) ?? [],
    });
  }
}

async function pointerOf(target: KVTarget) {
  const hit = await target.get(BUILD_POINTER_KEY);
  return hit ? parsePointer(JSON.parse(new TextDecoder().decode(hit.value))) : undefined;
}

/** Captures console.log lines. */
function captureLog(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  return lines;
}

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

/** Everything a namespace holds: names, metadata, expiration, values. */
async function dump(target: KVTarget) {
  const out: { name: string; metadata: unknown; expiration: number | undefined; value: string }[] = [];
  for (const listed of await listAll(target, "")) {
    const hit = await target.get(listed.name);
    out.push({ name: listed.name, metadata: listed.metadata ?? null, expiration: listed.expiration, value: Buffer.from(hit!.value).toString("hex") });
  }
  return out;
}

// ───────────────────────── builds ─────────────────────────

describe("builds", () => {
  it("groups entries into builds with counts, sizes, the newest entry and the current mark", async () => {
    const { target } = await fresh();
    const t0 = Date.now() - 60_000;
    const longKey = `b1:/${"x".repeat(600)}`; // stored under h:<sha-256>
    await seed(target, ["b1:/a", "b1:/b", longKey], { at: t0 });
    await seed(target, ["b2:/a"], { at: t0 + 1000 });
    await seed(target, ['data:[["k"],[]]'], { at: t0 }); // the data cache belongs to no build
    expect((await kvKeyFor("", longKey)).startsWith("h:")).toBe(true);
    captureLog();
    await promote(target, "b1", { force: false });

    const builds = await listBuilds(target);
    expect(builds.map((b) => [b.id, b.entries, b.current])).toEqual([
      ["b2", 1, false],
      ["b1", 3, true],
    ]);
    const listed = await listAll(target, "");
    const sum = (field: "z" | "w", prefixOrKeys: (name: string) => boolean) =>
      listed.filter((k) => prefixOrKeys(k.name)).reduce((n, k) => n + parseMetadata(k.metadata)![field], 0);
    const isB1 = (name: string) => name.startsWith("e:b1:") || name.startsWith("h:");
    expect(builds[1]!.storedBytes).toBe(sum("z", isB1));
    expect(builds[1]!.rawBytes).toBe(sum("w", isB1));
    expect(builds[1]!.rawBytes).toBeGreaterThan(builds[1]!.storedBytes);
    expect(builds[1]!.newest).toBe(t0);
    expect(builds[0]!.newest).toBe(t0 + 1000);

    const lines = captureLog();
    printBuilds(builds);
    expect(lines[0]).toMatch(/^build\s+entries\s+stored\s+raw\s+newest/);
    expect(lines.find((l) => l.startsWith("b1"))).toMatch(/^b1\s+3\s+[\d.]+ (B|KiB)\s+[\d.]+ (B|KiB)\s+.*← current$/);
  });

  it("promote writes the pointer once: the new build current, the old one first in its history", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a"]);
    await seed(inner, ["b2:/a", "b2:/b"]);
    const lines = captureLog();
    const { target, writes } = counting(inner);

    const first = await promote(target, "b1", { force: false });
    expect(writes()).toBe(1);
    expect(first).toEqual({ current: "b1", previous: [], promotedAt: expect.any(Number) });

    const before = Date.now();
    const second = await promote(target, "b2", { force: false });
    expect(writes()).toBe(2);
    expect(second.current).toBe("b2");
    expect(second.previous).toEqual(["b1"]);
    expect(second.promotedAt).toBeGreaterThanOrEqual(before);
    expect(await pointerOf(inner)).toEqual(second);
    expect(lines).toContain("promoted b2 (was b1)");

    // Promoting an older build again moves it out of the history.
    const third = await promote(target, "b1", { force: false });
    expect(third.previous).toEqual(["b2"]);
  });

  it("promote keeps at most 20 builds of history", async () => {
    const { target } = await fresh();
    captureLog();
    for (let i = 0; i < 25; i++) await promote(target, `b${i}`, { force: true });
    const pointer = await pointerOf(target);
    expect(pointer!.current).toBe("b24");
    expect(pointer!.previous).toHaveLength(20);
    expect(pointer!.previous[0]).toBe("b23");
  });

  it("promote of a build without entries fails with ERR_BUILD_NOT_FOUND naming the builds, and writes nothing", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a", "b2:/a"]);
    const { target, writes } = counting(inner);
    const error = await rejection(promote(target, "b9", { force: false }));
    expect(error.code).toBe("ERR_BUILD_NOT_FOUND");
    expect(error.message).toContain("b9");
    expect(error.hint).toContain("b1");
    expect(error.hint).toContain("b2");
    expect(error.hint).toContain("--force");
    expect(writes()).toBe(0);
    expect(await pointerOf(inner)).toBeUndefined();

    captureLog();
    await promote(target, "b9", { force: true });
    expect(writes()).toBe(1);
    expect((await pointerOf(inner))!.current).toBe("b9");
  });

  it("rollback writes the pointer once and serves the previous build again", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a", "b2:/a", "b3:/a"]);
    const lines = captureLog();
    for (const id of ["b1", "b2", "b3"]) await promote(inner, id, { force: false });
    const { target, writes } = counting(inner);

    const back = await rollback(target);
    expect(writes()).toBe(1);
    expect(back).toEqual({ current: "b2", previous: ["b1"], promotedAt: expect.any(Number) });
    expect(await pointerOf(inner)).toEqual(back);
    expect(lines).toContain("rolled back to b2 (was b3)");

    await rollback(target);
    expect((await pointerOf(inner))).toMatchObject({ current: "b1", previous: [] });
    const error = await rejection(rollback(target));
    expect(error.code).toBe("ERR_NO_PREVIOUS_BUILD");
    expect(error.hint).toContain("edge-isr promote");
    expect(writes()).toBe(2);
  });

  it("rollback without any pointer fails with ERR_NO_PREVIOUS_BUILD and writes nothing", async () => {
    const { target: inner } = await fresh();
    const { target, writes } = counting(inner);
    const error = await rejection(rollback(target));
    expect(error.code).toBe("ERR_NO_PREVIOUS_BUILD");
    expect(writes()).toBe(0);
  });

  it("prune keeps the current build plus the N newest others and deletes every entry of the rest; --dry-run deletes nothing", async () => {
    const { target: inner } = await fresh();
    const t0 = Date.now() - 600_000;
    // Oldest to newest: b1, b2, b3, b4; b2 is current.
    await seed(inner, ["b1:/a", "b1:/b"], { at: t0 });
    await seed(inner, ["b2:/a"], { at: t0 + 1000 });
    await seed(inner, ["b3:/a", "b3:/b", "b3:/c"], { at: t0 + 2000 });
    await seed(inner, ["b4:/a"], { at: t0 + 3000 });
    const lines = captureLog();
    await promote(inner, "b2", { force: false });
    const { target, counts, writes } = counting(inner);

    const dry = await prune(target, 1, { dryRun: true });
    expect(dry.builds.sort()).toEqual(["b1", "b3"]);
    expect(dry.deleted).toBe(0);
    expect(writes()).toBe(0);
    expect((await listBuilds(inner)).map((b) => b.id).sort()).toEqual(["b1", "b2", "b3", "b4"]);
    expect(lines.some((l) => l.startsWith("would delete 5 entries") && l.includes("dry run"))).toBe(true);

    const real = await prune(target, 1, { dryRun: false });
    expect(real.builds.sort()).toEqual(["b1", "b3"]);
    expect(real.deleted).toBe(5);
    expect(counts.deletes).toBe(5);
    expect(counts.puts).toBe(0);
    const left = await listBuilds(inner);
    expect(left.map((b) => [b.id, b.entries, b.current])).toEqual([
      ["b4", 1, false],
      ["b2", 1, true],
    ]);
    expect(await pointerOf(inner)).toMatchObject({ current: "b2" });

    // keep 0: only the current build stays.
    await prune(target, 0, { dryRun: false });
    expect((await listBuilds(inner)).map((b) => b.id)).toEqual(["b2"]);
  });

  it("prune rejects a --keep that is not a whole number ≥ 0", async () => {
    const { target } = await fresh();
    for (const keep of [-1, 1.5, Number("two")]) {
      const error = await rejection(prune(target, keep, { dryRun: false }));
      expect(error.code).toBe("ERR_BAD_ARGUMENT");
      expect(error.message).toContain(String(keep));
    }
  });
});

// ───────────────────────── purge ─────────────────────────

/** A persisted namespace plus a wrangler.toml binding CACHE to it, for commands that open their own target. */
async function project() {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-purge-"));
  const namespaceId = randomUUID().replaceAll("-", "");
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "t"\n[[kv_namespaces]]\nbinding = "CACHE"\nid = "${namespaceId}"\n`);
  return { dir, namespaceId, flags: { config, persistTo: dir, binding: "CACHE" } };
}

describe("purge", () => {
  const tags = (key: string) => (key.endsWith("/p1") ? ["product:1", "products"] : key.startsWith("b1:/blog") ? ["_N_T_/blog/layout", "_N_T_" + key.slice(3)] : ["product:2", "products"]);

  async function seeded() {
    const p = await project();
    const { target } = await fresh(p.dir, p.namespaceId);
    await seed(target, ["b1:/p1", "b1:/p2", "b1:/blog/a", "b1:/blog/b"], { at: Date.now() - 5000, tags });
    await target.close();
    open.splice(open.indexOf(target), 1);
    return p;
  }

  async function states(p: { dir: string; namespaceId: string }) {
    const { target } = await fresh(p.dir, p.namespaceId);
    const handler = new KVCacheHandler(asNamespace(target));
    const out: Record<string, string> = {};
    for (const key of ["b1:/p1", "b1:/p2", "b1:/blog/a", "b1:/blog/b"]) {
      const hit = await handler.get(key);
      out[key] = hit === null ? "miss" : hit.cacheState ?? "fresh";
    }
    await target.close();
    open.splice(open.indexOf(target), 1);
    return out;
  }

  it("marks tagged entries stale: they are still served, marked stale", async () => {
    const p = await seeded();
    const lines = captureLog();
    const result = await purge({ ...p.flags, tag: ["product:1"] });
    expect(result.invalidation).toMatchObject({ tags: 1, via: "kv", failed: 0, expireAt: null });
    expect(lines.some((l) => /marked stale 1 tag\(s\) \(product:1\): 1 tag record\(s\) written/.test(l))).toBe(true);
    expect(await states(p)).toEqual({ "b1:/p1": "stale", "b1:/p2": "fresh", "b1:/blog/a": "fresh", "b1:/blog/b": "fresh" });
  });

  it("--expire expires them: the next get is a miss", async () => {
    const p = await seeded();
    captureLog();
    const result = await purge({ ...p.flags, tag: ["product:1"], expire: true });
    expect(result.invalidation).toMatchObject({ tags: 1, via: "kv", failed: 0 });
    expect(await states(p)).toEqual({ "b1:/p1": "miss", "b1:/p2": "fresh", "b1:/blog/a": "fresh", "b1:/blog/b": "fresh" });
  });

  it("--path with --layout invalidates every page below the path (its implicit layout tag)", async () => {
    const p = await seeded();
    captureLog();
    const result = await purge({ ...p.flags, path: ["/blog"], layout: true });
    expect(result.tags).toEqual(["_N_T_/blog/layout"]);
    expect(await states(p)).toEqual({ "b1:/p1": "fresh", "b1:/p2": "fresh", "b1:/blog/a": "stale", "b1:/blog/b": "stale" });
    // Without --layout, the page's own tag: only that page.
    await purge({ ...p.flags, path: ["/blog/a"], expire: true });
    expect((await states(p))["b1:/blog/a"]).toBe("miss");
    expect((await states(p))["b1:/blog/b"]).toBe("stale");
  });

  it("needs a --tag or a --path", async () => {
    const p = await project();
    const error = await rejection(purge({ ...p.flags }));
    expect(error.code).toBe("ERR_BAD_ARGUMENT");
    expect(error.hint).toContain("--tag");
    expect((await rejection(purge({ ...p.flags, tag: [], path: [] }))).code).toBe("ERR_BAD_ARGUMENT");
  });

  describe("--endpoint", () => {
    const SECRET = "s3cret-value-for-the-test-1234";
    let server: ReturnType<typeof createServer> | undefined;
    afterEach(async () => {
      delete process.env.EDGE_ISR_SECRET;
      await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
      server = undefined;
    });

    async function listen(answer: (req: IncomingMessage, body: string) => { status: number; body: unknown }) {
      const seen: { method: string; url: string; auth: string | undefined; body: unknown }[] = [];
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString("utf8")));
        req.on("end", () => {
          seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: JSON.parse(body) });
          const out = answer(req, body);
          res.writeHead(out.status, { "content-type": "application/json" }).end(JSON.stringify(out.body));
        });
      });
      await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/_isr/revalidate`, seen };
    }

    // No wrangler config at this path: the endpoint mode must not open a KV target.
    const noTarget = { config: "/nonexistent/wrangler.toml", persistTo: "/nonexistent", binding: "CACHE" };

    it("POSTs the tags (path tags included) with the bearer secret", async () => {
      const { url, seen } = await listen(() => ({ status: 200, body: { revalidated: { tags: 2, paths: 0 }, expire: 0 } }));
      process.env.EDGE_ISR_SECRET = SECRET;
      const lines = captureLog();
      const result = await purge({ ...noTarget, tag: ["product:1"], path: ["/blog"], layout: true, expire: true, endpoint: url });
      expect(seen).toEqual([{ method: "POST", url: "/_isr/revalidate", auth: `Bearer ${SECRET}`, body: { tags: ["product:1", "_N_T_/blog/layout"], paths: [], expire: 0 } }]);
      expect(result.endpoint).toEqual({ revalidated: { tags: 2, paths: 0 }, expire: 0 });
      expect(lines.join("\n")).not.toContain(SECRET);

      await purge({ ...noTarget, tag: ["a"], endpoint: url });
      expect(seen[1]!.body).toEqual({ tags: ["a"], paths: [] }); // no expire: stale
    });

    it("a non-200 answer is ERR_PURGE_FAILED with the status and the server's error, never the secret", async () => {
      const { url } = await listen(() => ({ status: 401, body: { error: "missing or wrong bearer secret" } }));
      process.env.EDGE_ISR_SECRET = SECRET;
      const error = await rejection(purge({ ...noTarget, tag: ["product:1"], endpoint: url }));
      expect(error.code).toBe("ERR_PURGE_FAILED");
      expect(error.message).toContain("401");
      expect(error.message).toContain("missing or wrong bearer secret");
      expect(error.hint).toContain("EDGE_ISR_SECRET");
      expect(`${error.message} ${error.hint}`).not.toContain(SECRET);
    });

    it("without EDGE_ISR_SECRET it fails with ERR_MISSING_TOKEN before sending anything", async () => {
      const { url, seen } = await listen(() => ({ status: 200, body: {} }));
      delete process.env.EDGE_ISR_SECRET;
      const error = await rejection(purge({ ...noTarget, tag: ["product:1"], endpoint: url }));
      expect(error.code).toBe("ERR_MISSING_TOKEN");
      expect(error.hint).toContain("EDGE_ISR_SECRET");
      expect(seen).toEqual([]);
    });
  });

  it("--cdn-zone without CLOUDFLARE_API_TOKEN fails with ERR_MISSING_TOKEN before touching KV", async () => {
    const p = await seeded();
    const saved = process.env.CLOUDFLARE_API_TOKEN;
    delete process.env.CLOUDFLARE_API_TOKEN;
    try {
      const error = await rejection(purge({ ...p.flags, tag: ["product:1"], cdnZone: "zone123" }));
      expect(error.code).toBe("ERR_MISSING_TOKEN");
      expect(error.hint).toContain("CLOUDFLARE_API_TOKEN");
    } finally {
      if (saved !== undefined) process.env.CLOUDFLARE_API_TOKEN = saved;
    }
    expect((await states(p))["b1:/p1"]).toBe("fresh");
  });
});

// ───────────────────────── export / import ─────────────────────────

describe("export and import", () => {
  const expiration = Math.floor(Date.now() / 1000) + 7200;

  async function source() {
    const { dir, target } = await fresh();
    await seed(target, ["b1:/a", "b1:/b", `b1:/${"y".repeat(600)}`]);
    await target.put({ key: "binary", value: Uint8Array.from({ length: 256 }, (_, i) => i), metadata: { note: "every byte", n: 1 }, expiration });
    await target.put({ key: "plain", value: new TextEncoder().encode("no metadata, no expiry") });
    await target.put({ key: "empty", value: new Uint8Array(0), metadata: { empty: true } });
    await target.put({ key: BUILD_POINTER_KEY, value: new TextEncoder().encode(JSON.stringify({ current: "b1", previous: [], promotedAt: 1 })) });
    return { dir, target };
  }

  it("round-trips every key byte for byte (values, metadata, expiration), and importing twice changes nothing", async () => {
    const { dir, target } = await source();
    const file = join(dir, "backup.jsonl");
    const lines = captureLog();
    expect(await exportTo(target, file)).toBe(7);
    expect(lines.at(-1)).toMatch(/^exported 7 keys \(.+\) from .+ to .+backup\.jsonl$/);
    const records = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(7);
    for (const r of records) expect(Object.keys(r)).toEqual(["key", "value", "metadata", "expiration"]);
    expect(records.find((r) => r.key === "binary")).toEqual({ key: "binary", value: Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)).toString("base64"), metadata: { note: "every byte", n: 1 }, expiration });

    const { target: copyInner } = await fresh();
    const { target: copy, counts } = counting(copyInner);
    expect(await importFrom(copy, file)).toBe(7);
    expect(counts.puts).toBe(7);
    const original = await dump(target);
    expect(await dump(copyInner)).toEqual(original);
    expect(original.find((e) => e.name === "binary")!.expiration).toBe(expiration);

    // The copy is a working cache: the handler reads the imported entries.
    const hit = await new KVCacheHandler(asNamespace(copyInner)).get("b1:/a");
    expect((hit?.value as CachedAppPageValue).html).toContain("<h1>b1:/a</h1>");

    expect(await importFrom(copy, file)).toBe(7);
    expect(await dump(copyInner)).toEqual(original);
  });

  async function importFails(content: string) {
    const { dir, target: inner } = await fresh();
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, content);
    const { target, writes } = counting(inner);
    const error = await rejection(importFrom(target, file));
    expect(writes()).toBe(0);
    expect(await listAll(inner, "")).toEqual([]);
    return error;
  }

  const good = (key: string) => JSON.stringify({ key, value: Buffer.from(`value of ${key}`).toString("base64"), metadata: null, expiration: null });

  it("a bad line is ERR_IMPORT_FILE naming its line number, and nothing is written", async () => {
    const notJson = await importFails([good("a"), good("b"), "{not json", good("c")].join("\n"));
    expect(notJson.code).toBe("ERR_IMPORT_FILE");
    expect(notJson.message).toContain("line 3");
    expect(notJson.hint).toContain("edge-isr export");

    const badBase64 = await importFails([good("a"), JSON.stringify({ key: "b", value: "not base64!", metadata: null, expiration: null })].join("\n"));
    expect(badBase64.code).toBe("ERR_IMPORT_FILE");
    expect(badBase64.message).toContain("line 2");

    const noKey = await importFails([JSON.stringify({ key: "", value: "", metadata: null, expiration: null }), good("a")].join("\n"));
    expect(noKey.code).toBe("ERR_IMPORT_FILE");
    expect(noKey.message).toContain("line 1");

    const longKey = await importFails(good("k".repeat(513)));
    expect(longKey.code).toBe("ERR_IMPORT_FILE");
    expect(longKey.message).toContain("513 bytes");
  });

  it("a value over KV's limit is ERR_VALUE_TOO_LARGE naming the key, the size and the limit, and nothing is written", async () => {
    const size = KVLimits.maxValueBytes + 1;
    const huge = JSON.stringify({ key: "too-big", value: Buffer.alloc(size, 7).toString("base64"), metadata: null, expiration: null });
    const error = await importFails([good("a"), good("b"), huge].join("\n"));
    expect(error.code).toBe("ERR_VALUE_TOO_LARGE");
    expect(error.message).toContain("too-big");
    expect(error.message).toContain(String(size));
    expect(error.message).toContain(String(KVLimits.maxValueBytes));
    expect(error.message).toContain("line 3");
  });
});

// ───────────────────────── watch ─────────────────────────

describe("watch", () => {
  it("reports set and delete events after the baseline poll, and stops when aborted", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/already-there"]);
    const { target, counts } = counting(inner);
    const events: string[] = [];
    const controller = new AbortController();
    const running = watch(target, { intervalMs: 20, signal: controller.signal, onEvent: (line) => events.push(line) });

    await vi.waitFor(() => expect(counts.lists).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 10 }); // baseline taken
    await seed(inner, ["b1:/new"]);
    const z = parseMetadata((await listAll(inner, "e:b1:/new"))[0]!.metadata)!.z;
    await vi.waitFor(() => expect(events).toContain(`set e:b1:/new (${z} bytes)`), { timeout: 20_000, interval: 10 });

    await inner.delete("e:b1:/already-there");
    await vi.waitFor(() => expect(events).toContain("delete e:b1:/already-there"), { timeout: 20_000, interval: 10 });

    // A rewrite with other content is a set again.
    const handler = new KVCacheHandler(asNamespace(inner));
    await handler.set("b1:/new", page("<h1>changed</h1>"), { cacheControl: { revalidate: 60 } });
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith("set e:b1:/new ")).length).toBe(2), { timeout: 20_000, interval: 10 });

    controller.abort();
    await running;
    expect(events.some((e) => e.includes("already-there") && e.startsWith("set"))).toBe(false); // baseline is not reported
  });

  it("returns at once when the signal is already aborted", async () => {
    const { target: inner } = await fresh();
    const { target, counts } = counting(inner);
    const controller = new AbortController();
    controller.abort();
    await watch(target, { intervalMs: 1000, signal: controller.signal, onEvent: () => {} });
    expect(counts.lists).toBe(0);
  });
});

// ───────────────────────── inspect ─────────────────────────

describe("inspect", () => {
  it("prints one entry's summary by cache key", async () => {
    const { target } = await fresh();
    await seed(target, ["b1:/products/1"], { tags: () => ["product:1", "products"], revalidate: 600 });
    const lines = captureLog();
    await inspect(target, { key: "b1:/products/1" });
    const out = lines.join("\n");
    expect(out).toMatch(/^key\s+b1:\/products\/1$/m);
    expect(out).toMatch(/^kvKey\s+e:b1:\/products\/1$/m);
    expect(out).toMatch(/^kind\s+APP_PAGE$/m);
    expect(out).toMatch(/^tags\s+product:1, products$/m);
    expect(out).toMatch(/^lastModified\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+s ago\)$/m);
    expect(out).toMatch(/^state\s+fresh$/m);
    expect(out).toMatch(/^revalidate\s+600s$/m);
    expect(out).toMatch(/^expire\s+86400s$/m);
    expect(out).toMatch(/^size\s+.* stored, .* raw \(\d+ \/ \d+ bytes, ratio 0\.\d\d\)$/m);
    expect(out).toMatch(/^\s+html\s+gzip\s/m);
    expect(out).toMatch(/^\s+rscData\s+(gzip|raw)\s/m);
    expect(out).toMatch(/^status\s+200$/m);
    expect(out).toContain("  content-type: text/html; charset=utf-8");
  });

  it("shows a purged entry as stale, then expired, naming the tag", async () => {
    const { target } = await fresh();
    await seed(target, ["b1:/p"], { at: Date.now() - 5000, tags: () => ["t"] });
    await invalidateInKV(asNamespace(target), ["t"], { durations: {} });
    let lines = captureLog();
    await inspect(target, { key: "b1:/p" });
    expect(lines.join("\n")).toMatch(/^state\s+stale \(tag "t" invalidated after it was generated\)$/m);
    await invalidateInKV(asNamespace(target), ["t"]);
    lines = captureLog();
    await inspect(target, { key: "b1:/p" });
    expect(lines.join("\n")).toMatch(/^state\s+expired \(tag "t" invalidated after it was generated\)$/m);
  });

  it("--route finds the current build's entry (the pointer's, else dev)", async () => {
    const { target } = await fresh();
    await seed(target, ["b7:/products/42", "dev:/about"]);
    let lines = captureLog();
    await inspect(target, { route: "/about/" });
    expect(lines.join("\n")).toMatch(/^key\s+dev:\/about$/m);

    await promote(target, "b7", { force: false });
    lines = captureLog();
    await inspect(target, { route: "//products//42" });
    expect(lines.join("\n")).toMatch(/^key\s+b7:\/products\/42$/m);
  });

  it("a missing key is ERR_ENTRY_NOT_FOUND pointing at the listing", async () => {
    const { target } = await fresh();
    await seed(target, ["b1:/a"]);
    const error = await rejection(inspect(target, { key: "b1:/nope" }));
    expect(error.code).toBe("ERR_ENTRY_NOT_FOUND");
    expect(error.message).toContain("b1:/nope");
    expect(error.hint).toContain("edge-isr inspect");
    expect((await rejection(inspect(target, { route: "/nope" }))).code).toBe("ERR_ENTRY_NOT_FOUND");
  });

  it("without arguments lists every entry on one line each", async () => {
    const { target } = await fresh();
    const longKey = `b1:/${"z".repeat(600)}`;
    await seed(target, ["b1:/a", "b2:/b", longKey]);
    captureLog();
    await promote(target, "b1", { force: false });
    const lines = captureLog();
    await inspect(target, {});
    expect(lines[0]).toMatch(/^key\s+stored\s+raw\s+age\s+state$/);
    expect(lines.find((l) => l.startsWith("b1:/a "))).toMatch(/^b1:\/a\s+[\d.]+ (B|KiB)\s+[\d.]+ (B|KiB)\s+\d+s\s+fresh$/);
    expect(lines.some((l) => l.startsWith("b2:/b "))).toBe(true);
    expect(lines.some((l) => l.startsWith(longKey))).toBe(true); // hashed keys show their cache key
    expect(lines.at(-1)).toContain("3 entries");
    expect(lines.at(-1)).toContain(BUILD_POINTER_KEY);
  });
});

// ───────────────────────── the binary ─────────────────────────

describe("the edge-isr binary", () => {
  beforeAll(async () => {
    // `npm test` builds every package first; build here only when run on its own.
    if (!existsSync(CLI)) await promisify(execFile)("npm", ["run", "build", "-w", "edge-isr"], { cwd: ROOT });
    expect(existsSync(CLI)).toBe(true);
  }, 120_000);

  it("prune --keep with a value that is not a whole number names it", () => {
    const run = spawnSync(process.execPath, [CLI, "prune", "--keep", "x", "--persist-to", mkdtempSync(join(tmpdir(), "edge-isr-keep-"))], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('[ERR_BAD_ARGUMENT] --keep "x" is not a whole number');
  });

  it("--help lists every command and the examples", () => {
    const run = spawnSync(process.execPath, [CLI, "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(0);
    for (const command of ["prerender", "builds", "promote", "rollback", "prune", "purge", "inspect", "export", "import", "watch"]) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
    expect(run.stdout).toContain("Examples:");
    expect(run.stdout).toContain("$ edge-isr purge --tag product:42");
  });

  it("an unknown --env exits 1 with a coded error naming the environments and how to solve it", () => {
    const run = spawnSync(process.execPath, [CLI, "builds", "--remote", "--env", "nope"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("[ERR_UNKNOWN_ENV]");
    expect(run.stderr).toContain("staging");
    expect(run.stderr).toContain("production");
    expect(run.stderr).toContain("How to solve this error");
  });
});
