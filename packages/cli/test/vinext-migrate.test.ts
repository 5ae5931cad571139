/**
 * `edge-isr vinext migrate` on real Miniflare KV: the entries are written by
 * vinext's own KVCacheHandler (@vinext/cloudflare 0.2.1, imported as is), then
 * read back through edge-isr's KVCacheHandler after the migration. `--remote`
 * runs the official cloudflare client against Miniflare's local API mirror,
 * with a virtual clock so the pacing is checked by counting, not by waiting.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KVCacheHandler as VinextKVCacheHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";
import { KVCacheHandler, type KVNamespaceLike } from "@edge-isr/kv-cache-handler";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_WINDOW_MS, migrateVinext } from "../src/commands/vinext-migrate.js";
import { CliError } from "../src/errors.js";
import { kvPersistDir } from "../src/kv/local.js";

type KV = Awaited<ReturnType<Miniflare["getKVNamespace"]>>;
/** Each test works under its own app prefix in a shared namespace, so tests never race on keys. */
let APP_PREFIX = "shop";
const newPrefix = () => (APP_PREFIX = `shop-${crypto.randomUUID().slice(0, 8)}`);
const quiet = { log: () => {} };
const rsc = Uint8Array.from({ length: 256 }, (_, i) => i);
const pageTags = (path: string) => [path, `_N_T_${path}`, "_N_T_/layout", `_N_T_${path}/page`];

const page = (html: string) => ({
  kind: "APP_PAGE" as const,
  html,
  rscData: rsc.slice().buffer,
  headers: { "x-next-cache-tags": "posts" },
  postponed: undefined,
  status: 200,
});
const data = (body: string, tags: string[]) => ({
  kind: "FETCH" as const,
  data: { headers: {}, body, url: "k" },
  tags,
  revalidate: 3600 as const,
});

/** What a vinext app leaves in KV: data and pages of two builds, an invalidated, an expired, a broken and a hashed entry. */
async function seedVinext(kv: KV, dataEntries = 3) {
  const vinext = new VinextKVCacheHandler(kv as never, { appPrefix: APP_PREFIX });
  await Promise.all(
    Array.from({ length: dataEntries }, (_, i) =>
      vinext.set(`unstable_cache:v2:data-${String(i).padStart(4, "0")}`, data(`{"n":${i}}`, ["posts", `post-${i}`]) as never, {
        fetchCache: true,
        tags: ["posts", `post-${i}`],
        revalidate: 3600,
      }),
    ),
  );
  await vinext.set("app:v2:build-1:/posts/a:html", page("<h1>a</h1>") as never, {
    cacheControl: { revalidate: 60, expire: 86400 },
    revalidate: 60,
    tags: pageTags("/posts/a"),
  });
  await vinext.set(
    "app:v2:build-1:/api/feed",
    {
      kind: "APP_ROUTE",
      body: new TextEncoder().encode('{"feed":1}').buffer,
      status: 200,
      headers: { "content-type": "application/json" },
    } as never,
    { cacheControl: { revalidate: 60 }, tags: [] },
  );
  await vinext.set("app:v2:build-0:/posts/a:html", page("<h1>old build</h1>") as never, {
    cacheControl: { revalidate: 60 },
    tags: pageTags("/posts/a"),
  });
  await vinext.set("unstable_cache:v2:gone", data("old", ["retired"]) as never, { fetchCache: true, tags: ["retired"], revalidate: 3600 });
  await new Promise((resolve) => setTimeout(resolve, 5));
  await vinext.revalidateTag("retired");
  await vinext.set("unstable_cache:v2:short", data("short", []) as never, {
    fetchCache: true,
    tags: [],
    revalidate: 1,
    cacheControl: { expire: 60 },
  });
  await kv.put(`${APP_PREFIX}:cache:unstable_cache:v2:broken`, "{not json");
  await kv.put(
    `${APP_PREFIX}:cache:__hash:0123456789abcdef`,
    JSON.stringify({ value: null, tags: [], lastModified: Date.now(), revalidateAt: null }),
  );
}

const edgeIsr = (kv: KV) => new KVCacheHandler(kv as unknown as KVNamespaceLike, { appPrefix: APP_PREFIX });
const names = async (kv: KV, prefix: string) => (await kv.list({ prefix })).keys.map((k) => k.name).sort();

describe("edge-isr vinext migrate (local state)", () => {
  let dir: string;
  let mf: Miniflare;
  let kv: KV;
  const persistTo = () => join(dir, ".wrangler", "state");
  const run = (extra: Parameters<typeof migrateVinext>[0] = {}) =>
    migrateVinext({
      config: join(dir, "wrangler.jsonc"),
      persistTo: persistTo(),
      appPrefix: APP_PREFIX,
      state: join(dir, "state.json"),
      ...quiet,
      ...extra,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-isr-vinext-migrate-"));
    writeFileSync(join(dir, "wrangler.jsonc"), '{ "kv_namespaces": [{ "binding": "VINEXT_KV_CACHE", "id": "vx-local" }] }');
    mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('') } }",
      kvNamespaces: { KV: "vx-local" },
      kvPersist: kvPersistDir(persistTo()),
      compatibilityDate: "2026-04-01",
    });
    kv = await mf.getKVNamespace("KV");
  }, 60_000);
  beforeEach(async () => {
    newPrefix();
    rmSync(join(dir, "state.json"), { force: true });
    await seedVinext(kv);
  }, 60_000);
  afterAll(() => mf?.dispose());

  it("--dry-run reads and converts everything, says what it would write, and writes nothing", async () => {
    const before = await names(kv, `${APP_PREFIX}:`);
    const result = await run({ dryRun: true, builds: ["build-1"], now: () => Date.now() + 120_000 });
    expect(result).toMatchObject({ dryRun: true, seen: 10, migrated: 5, pagesByBuild: { "build-1": 2 }, otherBuilds: { "build-0": 1 } });
    expect(result.skipped).toMatchObject({ invalidated: 1, expired: 1, unreadable: 1, "hashed key": 1, "another build": 1 });
    expect(await names(kv, `${APP_PREFIX}:`)).toEqual(before);
    expect(existsSync(join(dir, "state.json"))).toBe(false);
  });

  it("carries every entry vinext would still serve into edge-isr's format: same values byte for byte, tags, lastModified and cacheControl", async () => {
    const vinext = new VinextKVCacheHandler(kv as never, { appPrefix: APP_PREFIX });
    const theirs = await vinext.get("app:v2:build-1:/posts/a:html");
    const result = await run({ builds: ["build-1"], now: () => Date.now() + 120_000 });
    expect(result).toMatchObject({
      migrated: 5,
      skipped: { invalidated: 1, expired: 1, unreadable: 1, "hashed key": 1, "another build": 1 },
    });
    expect(result.edgeIsrBytes).toBeLessThan(result.vinextBytes);

    const ours = edgeIsr(kv);
    const pageHit = await ours.get("app:v2:build-1:/posts/a:html");
    expect(pageHit?.lastModified).toBe(theirs?.lastModified);
    expect(pageHit?.cacheControl).toEqual({ revalidate: 60, expire: 86400 });
    expect((pageHit!.value as { html: string }).html).toBe("<h1>a</h1>");
    expect([...new Uint8Array((pageHit!.value as { rscData: ArrayBuffer }).rscData)]).toEqual([...rsc]);
    expect(pageHit?.tags).toEqual(expect.arrayContaining(pageTags("/posts/a")));
    const route = await ours.get("app:v2:build-1:/api/feed");
    expect(new TextDecoder().decode((route!.value as { body: ArrayBuffer }).body)).toBe('{"feed":1}');
    expect((await ours.get("unstable_cache:v2:data-0001"))?.value).toMatchObject({
      kind: "FETCH",
      data: { body: '{"n":1}' },
      tags: ["posts", "post-1"],
    });
    for (const key of ["unstable_cache:v2:gone", "unstable_cache:v2:short", "unstable_cache:v2:broken", "app:v2:build-0:/posts/a:html"])
      expect(await ours.get(key), key).toBeNull();
    // An edge-isr revalidateTag reaches a migrated entry through its tags.
    await ours.revalidateTag("post-1", { expire: 0 });
    expect(await edgeIsr(kv).get("unstable_cache:v2:data-0001")).toBeNull();
    // vinext's keys are left as they were.
    expect((await names(kv, `${APP_PREFIX}:cache:`)).length).toBe(10);
  });

  it("is safe to run again: what edge-isr already has, as new or newer, is not written twice", async () => {
    await run({ builds: ["build-1"] });
    const second = await run({ builds: ["build-1"] });
    expect(second.migrated).toBe(0);
    expect(second.skipped["newer in edge-isr"]).toBe(5);
    expect(second.skipped.expired, "the entry KV drops within a minute is never worth a write").toBe(1);
  });

  it("--delete-source removes vinext's cache:* and __tag:* keys once everything is migrated", async () => {
    const result = await run({ builds: ["build-1"], deleteSource: true });
    expect(result.deleted).toBe(11); // 10 entries + 1 tag key
    expect(await names(kv, `${APP_PREFIX}:cache:`)).toEqual([]);
    expect(await names(kv, `${APP_PREFIX}:__tag:`)).toEqual([]);
    expect((await edgeIsr(kv).get("unstable_cache:v2:data-0000"))?.value).toMatchObject({ kind: "FETCH" });
  });

  it("--resume without a state file, or with another namespace's, says how to start", async () => {
    await expect(run({ resume: true })).rejects.toMatchObject({
      code: "ERR_BAD_ARGUMENT",
      message: expect.stringContaining("no migration state"),
    });
    writeFileSync(join(dir, "state.json"), JSON.stringify({ namespace: "other", prefix: "shop:", after: "", result: {} }));
    await expect(run({ resume: true })).rejects.toBeInstanceOf(CliError);
  });
});

describe("edge-isr vinext migrate --remote (the official cloudflare client against Miniflare's KV API mirror)", () => {
  let dir: string;
  let api: Miniflare;
  let apiUrl: URL;
  let kv: KV;
  let clock: number;
  let sent: { at: number; request: string }[];
  const sleep = async (ms: number) => void (clock += ms); // virtual time: pacing is counted, never waited for
  /** The client speaks /client/v4/accounts/<id>/storage/kv/…; the mirror serves /cdn-cgi/explorer/api/storage/kv/… */
  const mirror =
    (fail?: (request: string) => boolean, log: { at: number; request: string }[] = sent): typeof fetch =>
    async (input, init) => {
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
      const request = `${init?.method ?? "GET"} ${decodeURIComponent(url.pathname.replace(/^\/client\/v4\/accounts\/[^/]+\/storage\/kv\/namespaces\/[^/]+/, ""))}`;
      log.push({ at: clock, request });
      if (fail?.(request))
        return new Response(
          JSON.stringify({ success: false, errors: [{ code: 10001, message: "injected failure" }], messages: [], result: null }),
          { status: 500, headers: { "content-type": "application/json" } },
        );
      const path = url.pathname.replace(/^\/client\/v4\/accounts\/[^/]+\//, "/cdn-cgi/explorer/api/");
      return fetch(new URL(path + url.search, apiUrl), init as RequestInit);
    };
  const run = (extra: Parameters<typeof migrateVinext>[0] = {}) =>
    migrateVinext({
      remote: true,
      env: "production",
      config: join(dir, "wrangler.jsonc"),
      appPrefix: APP_PREFIX,
      state: join(dir, "state.json"),
      builds: ["build-1"],
      now: () => clock,
      sleep,
      remoteOptions: {
        apiToken: "test-token-not-a-secret",
        accountId: "acc",
        baseURL: "https://api.test/client/v4",
        fetch: mirror(),
        maxRetries: 0,
      },
      ...quiet,
      ...extra,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "edge-isr-vinext-remote-"));
    writeFileSync(
      join(dir, "wrangler.jsonc"),
      '{ "env": { "production": { "kv_namespaces": [{ "binding": "VINEXT_KV_CACHE", "id": "vx-prod" }] } } }',
    );
    api = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('') } }",
      kvNamespaces: { KV: "vx-prod" },
      compatibilityDate: "2026-04-01",
      unsafeLocalExplorer: true,
    } as ConstructorParameters<typeof Miniflare>[0]);
    apiUrl = await api.ready;
    kv = await api.getKVNamespace("KV");
  }, 60_000);
  beforeEach(() => {
    newPrefix();
    rmSync(join(dir, "state.json"), { force: true });
    clock = Date.now();
    sent = [];
  });
  afterAll(() => api?.dispose());

  it("reads 100 keys a request and never sends more than --max-requests in any 5 minutes", async () => {
    await seedVinext(kv, 110);
    const result = await run({ maxRequests: 4 });
    expect(result.migrated).toBe(110 + 2); // 110 data entries and the 2 of build-1
    expect(result.skipped.expired, "the entry KV drops within a minute is not worth a write").toBe(1);
    expect(sent.filter((s) => s.request === "POST /bulk/get").length).toBe(Math.ceil(117 / 100) + 1); // 117 entries in 2 reads, the tag key in 1
    for (const { at } of sent) expect(sent.filter((s) => s.at > at - API_WINDOW_MS && s.at <= at).length).toBeLessThanOrEqual(4);
    expect(clock - sent[0]!.at, "the run was paced: it took virtual minutes").toBeGreaterThan(API_WINDOW_MS);
    expect(result.requests).toBe(sent.length);
    expect((await edgeIsr(kv).get("unstable_cache:v2:data-0109"))?.value).toMatchObject({ data: { body: '{"n":109}' } });
  });

  it("an interrupted run resumes where it stopped: nothing migrated twice, nothing missed", async () => {
    await seedVinext(kv, 60);
    let puts = 0;
    const failing = mirror((request) => request.startsWith("PUT /values/") && ++puts > 30);
    const first = await run({
      chunk: 25,
      remoteOptions: { apiToken: "t", accountId: "acc", baseURL: "https://api.test/client/v4", fetch: failing, maxRetries: 0 },
    }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "ERR_KV_API" });
    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { after: string; result: { migrated: number } };
    expect(state.result.migrated, "the first step landed and was recorded; the second failed").toBeGreaterThan(0);
    // The resumed run's own requests (the failed run's other upload lanes may still be finishing theirs).
    const resumed: { at: number; request: string }[] = [];
    const second = await run({
      chunk: 25,
      resume: true,
      remoteOptions: {
        apiToken: "t",
        accountId: "acc",
        baseURL: "https://api.test/client/v4",
        fetch: mirror(undefined, resumed),
        maxRetries: 0,
      },
    });
    // Entries of the failed step that landed anyway are found and skipped, not written again.
    expect(second.migrated + second.skipped["newer in edge-isr"]).toBe(60 + 2);
    const written = resumed.filter((s) => s.request.startsWith("PUT /values/")).map((s) => s.request.slice("PUT /values/".length));
    expect(written.length).toBe(second.migrated - state.result.migrated);
    expect(
      written.every(
        (key) => !key.startsWith(`${APP_PREFIX}:e:`) || key > `${APP_PREFIX}:e:${state.after.slice(`${APP_PREFIX}:cache:`.length)}`,
      ),
      "nothing recorded as done is written again",
    ).toBe(true);
    for (const i of [0, 24, 25, 59])
      expect((await edgeIsr(kv).get(`unstable_cache:v2:data-${String(i).padStart(4, "0")}`))?.value, `entry ${i}`).toMatchObject({
        kind: "FETCH",
      });
  });
});
