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
import { BUILD_POINTER_KEY, MAX_ENDPOINT_BODY, parsePointer } from "@edge-isr/runtime";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { listBuilds, printBuilds } from "../src/commands/builds.js";
import { exportTo } from "../src/commands/export.js";
import { importFrom } from "../src/commands/import.js";
import { promote, rollback } from "../src/commands/promote.js";
import { prune } from "../src/commands/prune.js";
import { inspect } from "../src/commands/inspect.js";
import { purge } from "../src/commands/purge.js";
import { gc } from "../src/commands/gc.js";
import { watch } from "../src/commands/watch.js";
import { CliError, formatError } from "../src/errors.js";
import { endpointBodies } from "../src/commands/purge-endpoint.js";
import { asNamespace } from "../src/kv/adapter.js";
import { openLocal } from "../src/kv/local.js";
import { listAll, type KVTarget } from "../src/kv/target.js";
import { servedBuild } from "../src/served.js";
import type { WorkerView } from "../src/worker.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(ROOT, "packages/cli/dist/cli.js");

// ───────────────────────── helpers ─────────────────────────

/** A built Worker that reads the build pointer (own build `own`), as `describeWorker` reports one. */
const reads = (own = "b0"): WorkerView => ({ known: true, path: "dist/app/wrangler.json", buildId: own, buildPointer: true });
/** A built Worker that does not read the pointer: it serves `own`. */
const ignores = (own: string): WorkerView => ({ known: true, path: "dist/app/wrangler.json", buildId: own, buildPointer: false });
const switching = (worker: WorkerView = reads(), force = false) => ({ force, worker });

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
    async putMany(entries, onProgress, signal) {
      let done = 0;
      await inner.putMany(entries, (n) => onProgress?.((done = n)), signal);
      counts.puts += done;
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
    out.push({
      name: listed.name,
      metadata: listed.metadata ?? null,
      expiration: listed.expiration,
      value: Buffer.from(hit!.value).toString("hex"),
    });
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
    await promote(target, "b1", switching());

    const builds = await listBuilds(target);
    expect(builds.map((b) => [b.id, b.entries, b.pointer])).toEqual([
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

    let lines = captureLog();
    printBuilds(builds, servedBuild({ current: "b1", previous: [], promotedAt: 1 }, reads()));
    expect(lines[0]).toMatch(/^build\s+entries\s+stored\s+raw\s+newest/);
    expect(lines.find((l) => l.startsWith("b1"))).toMatch(/^b1\s+3\s+[\d.]+ (B|KiB)\s+[\d.]+ (B|KiB)\s+.*← served \(pointer\)$/);
    expect(lines.at(-1)!.trim()).toBe(
      "serving b1: the build pointer names it, and the built Worker (dist/app/wrangler.json, build b0) reads the pointer",
    );

    // A Worker that does not read the pointer serves its own build; the pointer is marked as ignored.
    lines = captureLog();
    printBuilds(builds, servedBuild({ current: "b1", previous: [], promotedAt: 1 }, ignores("b2")));
    expect(lines.find((l) => l.startsWith("b2"))).toMatch(/← served$/);
    expect(lines.find((l) => l.startsWith("b1"))).toMatch(/pointer \(ignored: the Worker does not read it\)$/);
    expect(lines.at(-1)).toContain("serves its own build: it does not read the build pointer");
  });

  it("promote writes the pointer once: the new build current, the build served until then first in its history", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a"]);
    await seed(inner, ["b2:/a", "b2:/b"]);
    const lines = captureLog();
    const { target, writes } = counting(inner);

    // No pointer yet: the Worker serves its own build b0, which rollback can return to.
    const first = await promote(target, "b1", switching(reads("b0")));
    expect(writes()).toBe(1);
    expect(first).toEqual({ current: "b1", previous: ["b0"], promotedAt: expect.any(Number) });
    expect(lines[0]).toMatch(/^promoted b1 \(was b0\); the Worker follows within its pointer cache time/);

    const before = Date.now();
    const second = await promote(target, "b2", switching(reads("b0")));
    expect(writes()).toBe(2);
    expect(second.current).toBe("b2");
    expect(second.previous).toEqual(["b1", "b0"]);
    expect(second.promotedAt).toBeGreaterThanOrEqual(before);
    expect(await pointerOf(inner)).toEqual(second);
    expect(lines[1]).toMatch(/^promoted b2 \(was b1\)/);

    // Promoting an older build again moves it out of the history.
    const third = await promote(target, "b1", switching(reads("b0")));
    expect(third.previous).toEqual(["b2", "b0"]);
  });

  it("promote keeps at most 20 builds of history", async () => {
    const { target } = await fresh();
    captureLog();
    for (let i = 0; i < 25; i++) await promote(target, `b${i}`, switching(reads(), true));
    const pointer = await pointerOf(target);
    expect(pointer!.current).toBe("b24");
    expect(pointer!.previous).toHaveLength(20);
    expect(pointer!.previous[0]).toBe("b23");
  });

  it("promote of a build without entries fails with ERR_BUILD_NOT_FOUND naming the builds, and writes nothing", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a", "b2:/a"]);
    const { target, writes } = counting(inner);
    const error = await rejection(promote(target, "b9", switching()));
    expect(error.code).toBe("ERR_BUILD_NOT_FOUND");
    expect(error.message).toContain("b9");
    expect(error.hint).toContain("b1");
    expect(error.hint).toContain("b2");
    expect(error.hint).toContain("--force");
    expect(writes()).toBe(0);
    expect(await pointerOf(inner)).toBeUndefined();

    captureLog();
    await promote(target, "b9", switching(reads(), true));
    expect(writes()).toBe(1);
    expect((await pointerOf(inner))!.current).toBe("b9");
  });

  // Problem 1 of issue 14: the demo's Worker reads no pointer, yet promote printed "promoted".
  it("promote and rollback refuse, writing nothing, when the Worker does not read the pointer or cannot be described", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["served:/a", "b2:/a"]);
    await inner.put({
      key: BUILD_POINTER_KEY,
      value: new TextEncoder().encode(JSON.stringify({ current: "b2", previous: ["served"], promotedAt: 1 })),
    });
    const { target, writes } = counting(inner);

    const ignored = await rejection(promote(target, "b2", switching(ignores("served"))));
    expect(ignored.code).toBe("ERR_POINTER_IGNORED");
    expect(ignored.message).toBe(
      "cannot promote b2: the built Worker (dist/app/wrangler.json, build served) does not read the build pointer: it serves served whatever the pointer says",
    );
    expect(ignored.hint).toContain("buildPointer: { kv: (env) => env.CACHE }");
    expect((await rejection(rollback(target, switching(ignores("served"))))).code).toBe("ERR_POINTER_IGNORED");

    const unknown = await rejection(promote(target, "b2", switching({ known: false, why: "found no built Worker in /x" })));
    expect(unknown.code).toBe("ERR_WORKER_UNKNOWN");
    expect(unknown.message).toContain("found no built Worker in /x");
    expect(unknown.hint).toContain("--cwd");
    expect(unknown.hint).toContain("--force");
    expect(writes()).toBe(0);

    // --force writes it and says the Worker will not follow.
    const lines = captureLog();
    await promote(target, "b2", switching(ignores("served"), true));
    expect(writes()).toBe(1);
    expect(lines.at(-1)).toMatch(
      /^warning: the built Worker .* does not read the build pointer: it serves served whatever the pointer says; the pointer was written anyway \(--force\)$/,
    );
  });

  it("rollback writes the pointer once and serves the previous build again, or one --steps/--to further back", async () => {
    const { target: inner } = await fresh();
    await seed(inner, ["b1:/a", "b2:/a", "b3:/a", "b4:/a", "b5:/a"]);
    const lines = captureLog();
    for (const id of ["b1", "b2", "b3", "b4", "b5"]) await promote(inner, id, switching(reads("b1")));
    const { target, writes } = counting(inner);

    const back = await rollback(target, switching());
    expect(writes()).toBe(1);
    expect(back).toEqual({ current: "b4", previous: ["b3", "b2", "b1"], promotedAt: expect.any(Number) });
    expect(await pointerOf(inner)).toEqual(back);
    expect(lines.at(-1)).toMatch(/^rolled back to b4 \(was b5\);/);

    // More than one level: two steps back in one write, the build skipped over leaves the history.
    const two = await rollback(target, { ...switching(), steps: 2 });
    expect(writes()).toBe(2);
    expect(two).toMatchObject({ current: "b2", previous: ["b1"] });
    expect(lines.at(-1)).toMatch(/^rolled back to b2 \(was b4; skipped b3\);/);

    const tooFar = await rejection(rollback(target, { ...switching(), steps: 3 }));
    expect(tooFar.code).toBe("ERR_BAD_ARGUMENT");
    expect(tooFar.message).toContain("from 1 to 1");
    const notThere = await rejection(rollback(target, { ...switching(), to: "b5" }));
    expect(notThere.code).toBe("ERR_BAD_ARGUMENT");
    expect(notThere.hint).toContain("edge-isr promote b5");

    await rollback(target, { ...switching(), to: "b1" });
    expect(await pointerOf(inner)).toMatchObject({ current: "b1", previous: [] });
    const error = await rejection(rollback(target, switching()));
    expect(error.code).toBe("ERR_NO_PREVIOUS_BUILD");
    expect(error.hint).toContain("edge-isr promote");
    expect(writes()).toBe(3);
  });

  it("rollback without any pointer fails with ERR_NO_PREVIOUS_BUILD and writes nothing", async () => {
    const { target: inner } = await fresh();
    const { target, writes } = counting(inner);
    const error = await rejection(rollback(target, switching()));
    expect(error.code).toBe("ERR_NO_PREVIOUS_BUILD");
    expect(writes()).toBe(0);
  });

  it("prune keeps the served build plus the N newest others and deletes every entry of the rest; --dry-run deletes nothing", async () => {
    const { target: inner } = await fresh();
    const t0 = Date.now() - 600_000;
    // Oldest to newest: b1, b2, b3, b4; b2 is promoted and the Worker (own build b1) reads the pointer.
    await seed(inner, ["b1:/a", "b1:/b"], { at: t0 });
    await seed(inner, ["b2:/a"], { at: t0 + 1000 });
    await seed(inner, ["b3:/a", "b3:/b", "b3:/c"], { at: t0 + 2000 });
    await seed(inner, ["b4:/a"], { at: t0 + 3000 });
    await seed(inner, ["b5:/a"], { at: t0 + 4000 });
    const lines = captureLog();
    await promote(inner, "b2", switching(reads("b1")));
    const { target, counts, writes } = counting(inner);

    const dry = await prune(target, 1, { dryRun: true, worker: reads("b1") });
    expect(dry.builds.sort()).toEqual(["b3", "b4"]);
    expect(dry.deleted).toBe(0);
    expect(writes()).toBe(0);
    expect((await listBuilds(inner)).map((b) => b.id).sort()).toEqual(["b1", "b2", "b3", "b4", "b5"]);
    expect(lines.some((l) => l.startsWith("would delete 4 entries") && l.includes("dry run"))).toBe(true);
    // It says what it kept and why.
    expect(lines).toContain(
      "kept b2: served: the build pointer names it, and the built Worker (dist/app/wrangler.json, build b1) reads the pointer; the build pointer names it",
    );
    expect(lines).toContain("kept b1: the Worker's own build: it serves it whenever the pointer is missing or unreadable");
    expect(lines).toContain("kept b5: one of the 1 newest other build(s) (--keep 1)");

    const real = await prune(target, 1, { dryRun: false, worker: reads("b1") });
    expect(real.builds.sort()).toEqual(["b3", "b4"]);
    expect(real.deleted).toBe(4);
    expect(counts.deletes).toBe(4);
    expect(counts.puts).toBe(0);
    expect((await listBuilds(inner)).map((b) => [b.id, b.entries, b.pointer])).toEqual([
      ["b5", 1, false],
      ["b2", 1, true],
      ["b1", 2, false],
    ]);
    expect(await pointerOf(inner)).toMatchObject({ current: "b2" });

    // keep 0: only the builds that must stay.
    await prune(target, 0, { dryRun: false, worker: reads("b1") });
    expect((await listBuilds(inner)).map((b) => b.id)).toEqual(["b2", "b1"]);
  });

  // Problem 1 of issue 14: with an ignored pointer, prune --keep 0 deleted the pages being served.
  it("prune never deletes the build the Worker serves when the pointer names another, and refuses when it cannot tell", async () => {
    const { target: inner } = await fresh();
    const t0 = Date.now() - 600_000;
    await seed(inner, ["build-20261202022654:/a", "build-20261202022654:/b"], { at: t0 });
    await seed(inner, ["build-B:/a"], { at: t0 + 1000 });
    await inner.put({
      key: BUILD_POINTER_KEY,
      value: new TextEncoder().encode(JSON.stringify({ current: "build-B", previous: [], promotedAt: 1 })),
    });
    const { target, writes } = counting(inner);

    const unknown = await rejection(prune(target, 0, { dryRun: false, worker: { known: false, why: "found no built Worker in /repo" } }));
    expect(unknown.code).toBe("ERR_SERVED_BUILD_UNKNOWN");
    expect(unknown.message).toContain("the build pointer names build-B, but nothing shows the Worker reads it");
    expect(unknown.hint).toContain("--keep-build");
    expect(writes()).toBe(0);

    const lines = captureLog();
    const result = await prune(target, 0, { dryRun: false, worker: ignores("build-20261202022654") });
    expect(result.deleted).toBe(0);
    expect(lines).toContain(
      "kept build-20261202022654: served: the built Worker (dist/app/wrangler.json, build build-20261202022654) serves its own build: it does not read the build pointer",
    );
    expect(lines).toContain("kept build-B: the build pointer names it (the Worker does not read the pointer)");
    expect(writes()).toBe(0);

    // Told which build the deployed Worker serves, it prunes the rest.
    await seed(inner, ["old:/a"], { at: t0 - 1000 });
    const told = await prune(target, 0, { dryRun: false, worker: { known: false, why: "remote" }, keepBuilds: ["build-20261202022654"] });
    expect(told.builds).toEqual(["old"]);
    expect((await listBuilds(inner)).map((b) => b.id).sort()).toEqual(["build-20261202022654", "build-B"]);
  });

  it("prune rejects a --keep that is not a whole number ≥ 0", async () => {
    const { target } = await fresh();
    for (const keep of [-1, 1.5, Number("two")]) {
      const error = await rejection(prune(target, keep, { dryRun: false, worker: reads() }));
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
  const tags = (key: string) =>
    key.endsWith("/p1")
      ? ["product:1", "products"]
      : key.startsWith("b1:/blog")
        ? ["_N_T_/blog/layout", `_N_T_${key.slice(3)}`]
        : ["product:2", "products"];

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
      out[key] = hit === null ? "miss" : (hit.cacheState ?? "fresh");
    }
    await target.close();
    open.splice(open.indexOf(target), 1);
    return out;
  }

  it("--stale marks tagged entries stale: they are still served, marked stale", async () => {
    const p = await seeded();
    const lines = captureLog();
    const result = await purge({ ...p.flags, tag: ["product:1"], stale: true });
    expect(result.invalidation).toMatchObject({ tags: 1, via: "kv", failed: 0, expireAt: null });
    expect(lines.some((l) => /marked stale 1 tag\(s\) \(product:1\): 1 tag record\(s\) written/.test(l))).toBe(true);
    expect(await states(p)).toEqual({ "b1:/p1": "stale", "b1:/p2": "fresh", "b1:/blog/a": "fresh", "b1:/blog/b": "fresh" });
  });

  it("by default expires them, as Next 16's revalidateTag: the next get is a miss (--expire says the same)", async () => {
    const p = await seeded();
    const lines = captureLog();
    const result = await purge({ ...p.flags, tag: ["product:1"] });
    expect(result.invalidation).toMatchObject({ tags: 1, via: "kv", failed: 0 });
    expect(lines.some((l) => /^expired 1 tag\(s\) \(product:1\): 1 tag record\(s\) written/.test(l))).toBe(true);
    expect(await states(p)).toEqual({ "b1:/p1": "miss", "b1:/p2": "fresh", "b1:/blog/a": "fresh", "b1:/blog/b": "fresh" });
    await purge({ ...p.flags, tag: ["product:2"], expire: true });
    expect((await states(p))["b1:/p2"]).toBe("miss");
    expect((await rejection(purge({ ...p.flags, tag: ["x"], expire: true, stale: true }))).code).toBe("ERR_BAD_ARGUMENT");
  });

  it("costs O(tags), whatever the number of entries: one read and one write per tag, and no list", async () => {
    const p = await seeded();
    const { target } = await fresh(p.dir, p.namespaceId);
    const calls: string[] = [];
    const counted = {
      ...target,
      get: (k: string) => (calls.push(`get ${k}`), target.get(k)),
      put: (e: Parameters<typeof target.put>[0]) => (calls.push(`put ${e.key}`), target.put(e)),
      list: (prefix: string) => (calls.push(`list ${prefix}`), target.list(prefix)),
    };
    await invalidateInKV(asNamespace(counted as typeof target), ["product:1", "products"]);
    await target.close();
    open.splice(open.indexOf(target), 1);
    expect(calls.filter((c) => c.startsWith("list"))).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(2 * 2 + 2); // each tag's record read and written, and the pending list
  });

  it("--path with --layout invalidates every page below the path (its implicit layout tag)", async () => {
    const p = await seeded();
    captureLog();
    const result = await purge({ ...p.flags, path: ["/blog"], layout: true, stale: true });
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

    async function listen(answer: (req: IncomingMessage, body: string) => { status: number; body: unknown; type?: string }) {
      const seen: { method: string; url: string; auth: string | undefined; body: unknown }[] = [];
      server = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString("utf8")));
        req.on("end", () => {
          seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: JSON.parse(body) });
          const out = answer(req, body);
          res
            .writeHead(out.status, { "content-type": out.type ?? "application/json" })
            .end(out.type ? String(out.body) : JSON.stringify(out.body));
        });
      });
      await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}/_isr/revalidate`, seen };
    }

    // No wrangler config at this path: the endpoint mode must not open a KV target.
    const noTarget = { config: "/nonexistent/wrangler.toml", persistTo: "/nonexistent", binding: "CACHE" };

    it("POSTs the tags (path tags included) with the bearer secret", async () => {
      const { url, seen } = await listen((_req, body) => ({
        status: 200,
        body: { revalidated: { tags: (JSON.parse(body) as { tags: string[] }).tags.length, paths: 0 }, expire: 0 },
      }));
      process.env.EDGE_ISR_SECRET = SECRET;
      const lines = captureLog();
      const result = await purge({ ...noTarget, tag: ["product:1"], path: ["/blog"], layout: true, endpoint: url });
      expect(seen).toEqual([
        {
          method: "POST",
          url: "/_isr/revalidate",
          auth: `Bearer ${SECRET}`,
          body: { tags: ["product:1", "_N_T_/blog/layout"], paths: [] },
        },
      ]);
      expect(result.endpoint).toEqual({ requests: 1, answers: [{ revalidated: { tags: 2, paths: 0 }, expire: 0 }] });
      expect(lines.join("\n")).not.toContain(SECRET);

      await purge({ ...noTarget, tag: ["a"], stale: true, endpoint: url });
      expect(seen[1]!.body).toEqual({ tags: ["a"], paths: [], profile: "max" }); // stale while it regenerates
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

    // Problem 3 of issue 14: any 200 was taken for success.
    it("a 200 that is not the endpoint's answer (a cached page, another JSON) is ERR_NOT_ENDPOINT", async () => {
      process.env.EDGE_ISR_SECRET = SECRET;
      const page = await listen(() => ({ status: 200, type: "text/html; charset=utf-8", body: "<!doctype html><h1>Product 1</h1>" }));
      const error = await rejection(purge({ ...noTarget, tag: ["product:1"], endpoint: page.url }));
      expect(error.code).toBe("ERR_NOT_ENDPOINT");
      expect(error.message).toContain(
        'answered 200 with text/html; charset=utf-8, starting "<!doctype html><h1>Product 1</h1>": that is not edge-isr\'s revalidation endpoint',
      );
      expect(error.hint).toContain("/_isr/revalidate");
      const other = await listen(() => ({ status: 200, body: { ok: true } }));
      expect((await rejection(purge({ ...noTarget, tag: ["product:1"], endpoint: other.url }))).code).toBe("ERR_NOT_ENDPOINT");
      const miscounted = await listen(() => ({ status: 200, body: { revalidated: { tags: 1, paths: 0 } } }));
      const short = await rejection(purge({ ...noTarget, tag: ["a", "b"], endpoint: miscounted.url }));
      expect(short.message).toContain("revalidated 1 tag(s) of the 2 sent");
    });

    // Problem 3 of issue 14: 300 tags went in one request, refused over the limit of 256.
    it("sends the tags in batches within the endpoint's limits (256 items, 64 KiB), and says which landed when one fails", async () => {
      process.env.EDGE_ISR_SECRET = SECRET;
      const ok = await listen((_req, body) => ({
        status: 200,
        body: { revalidated: { tags: (JSON.parse(body) as { tags: string[] }).tags.length, paths: 0 }, expire: null },
      }));
      const tags = Array.from({ length: 600 }, (_, i) => `tag:${i}`);
      const lines = captureLog();
      const result = await purge({ ...noTarget, tag: tags, endpoint: ok.url });
      expect(result.endpoint!.requests).toBe(3);
      expect(ok.seen.map((r) => (r.body as { tags: string[] }).tags.length)).toEqual([256, 256, 88]);
      expect(ok.seen.flatMap((r) => (r.body as { tags: string[] }).tags)).toEqual(tags);
      expect(lines.at(-1)).toMatch(
        /^expired 600 tag\(s\) \(tag:0, .* and 590 more\) through http:\/\/127\.0\.0\.1:\d+ in 3 requests \(at most 256 tags and 64 KiB each\)$/,
      );

      // Tags of the longest length allowed: every body stays within the endpoint's 64 KiB too.
      const long = Array.from({ length: 600 }, (_, i) => `${i}:`.padEnd(256, "x"));
      const bodies = endpointBodies(long, true);
      expect(bodies.map((b) => (JSON.parse(b) as { tags: string[] }).tags.length)).toEqual([252, 252, 96]); // 64 KiB holds 252 tags of 256 characters
      for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_ENDPOINT_BODY);
      expect(bodies.flatMap((b) => (JSON.parse(b) as { tags: string[] }).tags)).toEqual(long);

      let calls = 0;
      const second = await listen((_req, body) =>
        ++calls === 2
          ? { status: 503, body: { error: "try again" } }
          : { status: 200, body: { revalidated: { tags: (JSON.parse(body) as { tags: string[] }).tags.length, paths: 0 } } },
      );
      const error = await rejection(purge({ ...noTarget, tag: tags, endpoint: second.url }));
      expect(error.code).toBe("ERR_PURGE_FAILED");
      expect(error.message).toContain("answered 503: try again — after 256 of 600 tags were expired in 1 earlier request(s)");
    });

    // Problem 6 of issue 14: redaction turned "missing or wrong bearer secret" into "missing or [redacted] bearer secret".
    it("a short secret is no secret: it is warned about, and never redacted out of the server's words", async () => {
      const { url } = await listen(() => ({ status: 401, body: { error: "missing or wrong bearer secret" } }));
      process.env.EDGE_ISR_SECRET = "wrong";
      const warnings: string[] = [];
      vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
      const error = await rejection(purge({ ...noTarget, tag: ["product:1"], endpoint: url }));
      expect(formatError(error)).toContain("answered 401: missing or wrong bearer secret");
      expect(warnings[0]).toMatch(/^warning: EDGE_ISR_SECRET is 5 characters: easy to guess/);
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
    await target.put({
      key: "binary",
      value: Uint8Array.from({ length: 256 }, (_, i) => i),
      metadata: { note: "every byte", n: 1 },
      expiration,
    });
    await target.put({ key: "plain", value: new TextEncoder().encode("no metadata, no expiry") });
    await target.put({ key: "empty", value: new Uint8Array(0), metadata: { empty: true } });
    await target.put({
      key: BUILD_POINTER_KEY,
      value: new TextEncoder().encode(JSON.stringify({ current: "b1", previous: [], promotedAt: 1 })),
    });
    return { dir, target };
  }

  it("round-trips every key byte for byte (values, metadata, expiration), and importing twice changes nothing", async () => {
    const { dir, target } = await source();
    const file = join(dir, "backup.jsonl");
    const lines = captureLog();
    expect(await exportTo(target, file, { progress: false })).toBe(7);
    expect(lines.at(-1)).toMatch(/^exported 7 keys \(.+\) from .+ to .+backup\.jsonl$/);
    expect(existsSync(`${file}.partial`)).toBe(false);
    const records = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(7);
    for (const r of records) expect(Object.keys(r)).toEqual(["key", "value", "metadata", "expiration", "sha256"]);
    expect(records.find((r) => r.key === "binary")).toEqual({
      key: "binary",
      value: Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)).toString("base64"),
      metadata: { note: "every byte", n: 1 },
      expiration,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const { target: copyInner } = await fresh();
    const { target: copy, counts } = counting(copyInner);
    expect((await importFrom(copy, file, { withPointer: true, progress: false })).written).toBe(6);
    expect(counts.puts).toBe(7); // six keys, then the pointer
    const original = await dump(target);
    expect(await dump(copyInner)).toEqual(original);
    expect(original.find((e) => e.name === "binary")!.expiration).toBe(expiration);

    // The copy is a working cache: the handler reads the imported entries.
    const hit = await new KVCacheHandler(asNamespace(copyInner)).get("b1:/a");
    expect((hit!.value as CachedAppPageValue).html).toContain("<h1>b1:/a</h1>");

    await importFrom(copy, file, { withPointer: true, progress: false });
    expect(await dump(copyInner)).toEqual(original);
  });

  // Problem 2 of issue 14: import replaced the build pointer with the file's.
  it("keeps this namespace's build pointer unless --with-pointer, and says which it kept", async () => {
    const { dir, target } = await source();
    const file = join(dir, "backup.jsonl");
    captureLog();
    await exportTo(target, file, { progress: false });

    const { target: other } = await fresh();
    await other.put({
      key: BUILD_POINTER_KEY,
      value: new TextEncoder().encode(JSON.stringify({ current: "served-here", previous: [], promotedAt: 2 })),
    });
    let lines = captureLog();
    const result = await importFrom(other, file, { progress: false });
    expect(result).toEqual({ written: 6, builds: { b1: 3 }, pointerRestored: false });
    expect((await pointerOf(other))!.current).toBe("served-here");
    expect(lines[0]).toMatch(/^imported 6 keys \(.+\) into .+: 3 page entries of b1 \(3\), 3 other keys$/);
    expect(lines).toContain("checked: every record against its sha256, and every entry against its content hash and CRC-32");
    expect(lines.at(-1)).toBe(
      "build pointer: kept this namespace's (names served-here); the file's names b1 — pass --with-pointer to restore it",
    );

    lines = captureLog();
    expect((await importFrom(other, file, { withPointer: true, progress: false })).pointerRestored).toBe(true);
    expect((await pointerOf(other))!.current).toBe("b1");
    expect(lines.at(-1)).toBe("restored the build pointer: it names b1 (was served-here)");
  });

  // Problem 2 of issue 14: a value with a flipped byte imported fine.
  it("a flipped byte anywhere in a record is ERR_CHECKSUM naming the line, and nothing is written", async () => {
    const { dir, target } = await source();
    const file = join(dir, "backup.jsonl");
    captureLog();
    await exportTo(target, file, { progress: false });
    const text = readFileSync(file, "utf8").trimEnd().split("\n");
    const at = text.findIndex((l) => l.includes('"key":"e:b1:/b"'));
    const record = JSON.parse(text[at]!) as { value: string; sha256: string };
    const bytes = Buffer.from(record.value, "base64");
    bytes[bytes.length - 20] ^= 0x01; // one bit of the stored page
    const flipped = [...text];
    flipped[at] = JSON.stringify({ ...record, value: bytes.toString("base64") });
    const error = await importFails(flipped.join("\n"));
    expect(error.code).toBe("ERR_CHECKSUM");
    expect(error.message).toContain(`line ${at + 1}`);
    expect(error.message).toContain("e:b1:/b");

    // A file from before export wrote checksums: the entry's own content hash and CRC-32 catch it.
    const { sha256: _sha, ...old } = JSON.parse(flipped[at]!) as Record<string, unknown>;
    const unhashed = text.map((l) => JSON.parse(l) as Record<string, unknown>).map(({ sha256: _s, ...rest }) => JSON.stringify(rest));
    unhashed[at] = JSON.stringify(old);
    const oldError = await importFails(unhashed.join("\n"));
    expect(oldError.code).toBe("ERR_CHECKSUM");
    expect(oldError.message).toMatch(/does not check out: its bytes do not match its content hash/);
  });

  it("an entry already corrupt where it was exported is not imported, and the summary says so", async () => {
    const { dir, target } = await source();
    const hit = (await target.get("e:b1:/a"))!;
    const broken = hit.value.slice(0, hit.value.length - 3); // truncated in KV: the handler reads it as a miss
    await target.put({ key: "e:b1:/a", value: broken, metadata: hit.metadata });
    const file = join(dir, "backup.jsonl");
    captureLog();
    await exportTo(target, file, { progress: false });
    const { target: copy } = await fresh();
    const lines = captureLog();
    const result = await importFrom(copy, file, { progress: false });
    expect(result.written).toBe(5);
    expect(await copy.get("e:b1:/a")).toBeNull();
    expect(lines.some((l) => l.startsWith("not imported: 1 entry already corrupt where they were exported") && l.includes("e:b1:/a"))).toBe(
      true,
    );
  });

  it("stops when interrupted, says what it wrote and how to finish, and running it again finishes", async () => {
    const { dir, target } = await source();
    await seed(
      target,
      Array.from({ length: 40 }, (_, i) => `b2:/p${i}`),
    );
    const file = join(dir, "backup.jsonl");
    captureLog();
    await exportTo(target, file, { progress: false });
    const { target: inner } = await fresh();
    const controller = new AbortController();
    let puts = 0;
    const stopping: KVTarget = {
      ...inner,
      description: inner.description,
      putMany: (entries, onProgress, signal) =>
        inner.putMany(entries, (n) => (onProgress?.(n), ++puts === 10 && controller.abort()), signal),
    };
    const error = await rejection(importFrom(stopping, file, { withPointer: true, signal: controller.signal, progress: false }));
    expect(error.code).toBe("ERR_INTERRUPTED");
    expect(error.message).toMatch(/^import interrupted: wrote \d+ of 46 keys into .+, the build pointer was not touched$/);
    const written = Number(/wrote (\d+)/.exec(error.message)![1]);
    expect(written).toBeGreaterThanOrEqual(10);
    expect(written).toBeLessThan(46);
    expect((await listAll(inner, "")).length).toBe(written);
    expect(await pointerOf(inner)).toBeUndefined(); // the pointer comes last
    expect(error.hint).toContain(`edge-isr import ${file}`);

    await importFrom(inner, file, { withPointer: true, progress: false });
    expect(await dump(inner)).toEqual(await dump(target));
  });

  it("export, interrupted, leaves no file behind and says so", async () => {
    const { dir, target } = await source();
    const file = join(dir, "backup.jsonl");
    const controller = new AbortController();
    const slow: KVTarget = { ...target, description: target.description, get: async (key) => (controller.abort(), target.get(key)) };
    const error = await rejection(exportTo(slow, file, { signal: controller.signal, progress: false }));
    expect(error.code).toBe("ERR_INTERRUPTED");
    expect(error.message).toMatch(
      /^export interrupted after \d+ of 7 keys; .*backup\.jsonl was not written \(the partial copy was removed\)$/,
    );
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
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

  const good = (key: string) =>
    JSON.stringify({ key, value: Buffer.from(`value of ${key}`).toString("base64"), metadata: null, expiration: null });

  it("a bad line is ERR_IMPORT_FILE naming its line number, and nothing is written", async () => {
    const notJson = await importFails([good("a"), good("b"), "{not json", good("c")].join("\n"));
    expect(notJson.code).toBe("ERR_IMPORT_FILE");
    expect(notJson.message).toContain("line 3");
    expect(notJson.hint).toContain("edge-isr export");

    const badBase64 = await importFails(
      [good("a"), JSON.stringify({ key: "b", value: "not base64!", metadata: null, expiration: null })].join("\n"),
    );
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

describe("gc", () => {
  it("deletes exactly the entries a tag invalidation or their own expire left unservable, with list calls and no read per tag", async () => {
    const { target } = await fresh();
    const tags = (key: string) => (key.includes("/p") ? ["products", `id:${key}`] : ["blog"]);
    await seed(target, ["b1:/p1", "b1:/p2", "b1:/p3", "b1:/blog/a", "b1:/blog/b"], { at: Date.now() - 5000, tags });
    await invalidateInKV(asNamespace(target), ["products"]); // expired: never served again
    await invalidateInKV(asNamespace(target), ["blog"], { durations: {} }); // stale: still served while it regenerates
    const gets: string[] = [];
    const counted = { ...target, get: (k: string) => (gets.push(k), target.get(k)) } as typeof target;
    let lines = captureLog();
    const dry = await gc(counted, { dryRun: true });
    expect(dry).toMatchObject({ checked: 5, expired: 3, deleted: 0, tagRecords: 2 });
    expect(lines.at(-1)).toBe("checked 5 entries: 3 can never be served again and would be deleted (--dry-run)");
    expect(gets.filter((k) => k.startsWith("t:"))).toEqual([]); // tag records come from list metadata
    lines = captureLog();
    expect(await gc(target, { dryRun: false })).toMatchObject({ checked: 5, expired: 3, deleted: 3 });
    expect((await listAll(target, "e:")).map((k) => k.name).sort()).toEqual(["e:b1:/blog/a", "e:b1:/blog/b"]);
    expect(await gc(target, { dryRun: false, max: 1 })).toMatchObject({ checked: 1, deleted: 0 });
  });
});

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

  // Problem 4 of issue 14: --route looked in build "dev" when no pointer existed.
  it("--route finds the entry of the build the Worker serves: its own without a pointer, the pointer's when it reads one", async () => {
    const { target } = await fresh();
    await seed(target, ["b7:/products/42", "build-1:/about", "build-1:/products/42"]);
    const own = async () => ignores("build-1");
    let lines = captureLog();
    await inspect(target, { route: "/about/", worker: own });
    expect(lines.join("\n")).toMatch(/^key\s+build-1:\/about$/m);
    expect(lines.join("\n")).toMatch(
      /^served\s+this build — the built Worker \(dist\/app\/wrangler.json, build build-1\) serves its own build/m,
    );

    captureLog();
    await promote(target, "b7", switching(reads("build-1")));
    lines = captureLog();
    await inspect(target, { route: "//products//42", worker: async () => reads("build-1") });
    expect(lines.join("\n")).toMatch(/^key\s+b7:\/products\/42$/m);
    // The same pointer, a Worker that ignores it: still its own build.
    lines = captureLog();
    await inspect(target, { route: "/products/42", worker: own });
    expect(lines.join("\n")).toMatch(/^key\s+build-1:\/products\/42$/m);

    // Unknown Worker: no guess; the hint names the builds holding the path.
    const unknown = await rejection(
      inspect(target, { route: "/products/42", worker: async () => ({ known: false, why: "found no built Worker in /repo" }) }),
    );
    expect(unknown.code).toBe("ERR_SERVED_BUILD_UNKNOWN");
    expect(unknown.hint).toContain("builds holding it: b7, build-1");
    expect(unknown.hint).toContain("edge-isr inspect b7:/products/42");
    // A served build without the page: the other builds holding it are named.
    const missing = await rejection(inspect(target, { route: "/about", worker: async () => reads("build-1") }));
    expect(missing.code).toBe("ERR_ENTRY_NOT_FOUND");
    expect(missing.message).toContain('no entry for "b7:/about"');
    expect(missing.hint).toContain("other builds holding it: build-1");
  });

  it("a missing key is ERR_ENTRY_NOT_FOUND pointing at the listing", async () => {
    const { target } = await fresh();
    await seed(target, ["b1:/a"]);
    const error = await rejection(inspect(target, { key: "b1:/nope" }));
    expect(error.code).toBe("ERR_ENTRY_NOT_FOUND");
    expect(error.message).toContain("b1:/nope");
    expect(error.hint).toContain("edge-isr inspect");
    expect((await rejection(inspect(target, { route: "/nope", worker: async () => ignores("b1") }))).code).toBe("ERR_ENTRY_NOT_FOUND");
  });

  it("without arguments lists every entry on one line each", async () => {
    const { target } = await fresh();
    const longKey = `b1:/${"z".repeat(600)}`;
    await seed(target, ["b1:/a", "b2:/b", longKey]);
    captureLog();
    await promote(target, "b1", switching());
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
    const run = spawnSync(process.execPath, [CLI, "prune", "--keep", "x", "--persist-to", mkdtempSync(join(tmpdir(), "edge-isr-keep-"))], {
      cwd: ROOT,
      encoding: "utf8",
    });
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
