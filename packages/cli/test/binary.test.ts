/**
 * The built `edge-isr` binary, run as a new user runs it on an app's build —
 * each of the six problems of issue 14 as it was met, against real Miniflare
 * state and, for `--remote`, Miniflare's local mirror of the KV REST API.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILD_POINTER_KEY } from "@edge-isr/runtime";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordHash } from "../src/backup-format.js";
import { openLocal } from "../src/kv/local.js";
import { listAll } from "../src/kv/target.js";
import { buildFixture, serveFixture } from "./fixtures/build.js";
import { mirrorEnv, startMirror } from "./helpers/mirror.js";
import { ensureCliBuilt, type Run, runCli, show } from "./helpers/run.js";

/** An app directory: wrangler.toml binding CACHE to the built Worker's namespace, and its build in dist/. */
async function app(vars: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-binary-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    '[[kv_namespaces]]\nbinding = "CACHE"\nid = "fixture-ns"\n\n[env.staging]\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\nid = "staging-ns"\n',
  );
  await buildFixture(dir, vars);
  return dir;
}

const expectRun = (run: Run, status: number, ...wanted: (string | RegExp)[]) => {
  expect(run.status, show(run)).toBe(status);
  for (const w of wanted) {
    if (typeof w === "string") expect(run.stdout + run.stderr, show(run)).toContain(w);
    else expect(run.stdout + run.stderr, show(run)).toMatch(w);
  }
};

/** The keys of a local namespace, read without the CLI. */
async function localKeys(dir: string, namespace = "fixture-ns"): Promise<string[]> {
  const target = await openLocal(join(dir, ".wrangler", "state"), namespace);
  try {
    return (await listAll(target, "")).map((k) => k.name).sort();
  } finally {
    await target.close();
  }
}

/** A request to the built Worker serving `dir`'s local state, as vite preview would. */
async function served(dir: string, path: string, bindings: Record<string, string> = { PAGES: "3" }): Promise<string | null> {
  const mf = serveFixture(join(dir, "dist", "fixture"), join(dir, ".wrangler", "state"), { bindings });
  try {
    const res = await mf.dispatchFetch(`http://localhost${path}`);
    await res.arrayBuffer();
    return res.headers.get("x-edge-isr-cache");
  } finally {
    await mf.dispose();
  }
}

beforeAll(() => ensureCliBuilt(), 120_000);

describe("1. promote and prune never touch what the Worker serves", { timeout: 240_000 }, () => {
  it("on a Worker that reads no pointer: promote is refused, and prune --keep 0 keeps the served build", async () => {
    const dir = await app({ PAGES: "3" });
    expectRun(await runCli(["prerender"], { cwd: dir }), 1, "prerendered 4 pages of build fixture-1");
    expectRun(await runCli(["prerender", "--build-id", "build-B"], { cwd: dir }), 1, "prerendered 4 pages of build build-B");

    const refused = await runCli(["promote", "build-B"], { cwd: dir });
    expectRun(
      refused,
      1,
      "✘ [ERR_POINTER_IGNORED] cannot promote build-B: the built Worker (dist/fixture/wrangler.json, build fixture-1) does not read the build pointer",
      "buildPointer: { kv: (env) => env.CACHE }",
    );
    expect(await localKeys(dir)).not.toContain(BUILD_POINTER_KEY);

    expectRun(
      await runCli(["builds"], { cwd: dir }),
      0,
      /^fixture-1\s+4\s.*← served$/m,
      "serving fixture-1: the built Worker (dist/fixture/wrangler.json, build fixture-1) serves its own build: it does not read the build pointer",
    );

    // Forced through, as the user did: the pointer is written, then prune must still keep fixture-1.
    expectRun(
      await runCli(["promote", "build-B", "--force"], { cwd: dir }),
      0,
      "warning: the built Worker",
      "the pointer was written anyway (--force)",
    );
    const pruned = await runCli(["prune", "--keep", "0"], { cwd: dir });
    expectRun(
      pruned,
      0,
      "kept fixture-1: served: the built Worker (dist/fixture/wrangler.json, build fixture-1) serves its own build",
      "kept build-B: the build pointer names it (the Worker does not read the pointer)",
      "nothing to prune",
    );
    expect(await served(dir, "/products/1")).toBe("HIT");
  });

  it("on a Worker that reads the pointer (--remote, through the API mirror): promote, rollback two levels, prune keeps pointer and own build", async () => {
    const dir = await app({ PAGES: "2", BUILD_POINTER: "1" });
    const mirror = await startMirror({ STAGING: "staging-ns" });
    const remote = { cwd: dir, env: mirrorEnv(mirror.baseUrl) };
    const staging = ["--remote", "--env", "staging"];
    try {
      for (const id of ["b1", "b2", "b3"])
        expectRun(await runCli(["prerender", ...staging, "--build-id", id], remote), 1, `prerendered 3 pages of build ${id}`);
      for (const id of ["b1", "b2", "b3"]) expectRun(await runCli(["promote", id, ...staging], remote), 0, `promoted ${id}`);
      expectRun(await runCli(["builds", ...staging], remote), 0, /^b3\s+3\s.*← served \(pointer\)$/m);
      expectRun(await runCli(["rollback", "--steps", "2", ...staging], remote), 0, "rolled back to b1 (was b3; skipped b2)");
      expectRun(await runCli(["inspect", "--route", "/products/2", ...staging], remote), 0, /^key\s+b1:\/products\/2$/m);
      const pruned = await runCli(["prune", "--keep", "0", ...staging], remote);
      expectRun(pruned, 0, "kept b1: served: the build pointer names it", "deleted 6 entries of 2 build(s): b3, b2");
      const kv = await mirror.kv("STAGING");
      expect((await kv.list({ prefix: "e:" })).keys.map((k) => k.name.split(":")[1]).sort()).toEqual(["b1", "b1", "b1"]);
    } finally {
      await mirror.close();
    }
  });
});

describe("2. import restores only what it is asked to, checked, with progress, and says how to resume", { timeout: 240_000 }, () => {
  /** A backup of `n` small keys plus a build pointer naming `pointer`, as export writes it. */
  function backup(dir: string, n: number, pointer: string): string {
    const lines: string[] = [];
    const line = (key: string, value: Buffer) =>
      JSON.stringify({
        key,
        value: value.toString("base64"),
        metadata: null,
        expiration: null,
        sha256: recordHash(key, null, null, value),
      });
    lines.push(line(BUILD_POINTER_KEY, Buffer.from(JSON.stringify({ current: pointer, previous: [], promotedAt: 1 }))));
    for (let i = 0; i < n; i++) lines.push(line(`k${String(i).padStart(5, "0")}`, Buffer.from(`value ${i} `.repeat(8))));
    const file = join(dir, "backup.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  it("keeps the pointer served here, checks every line first, shows progress and a summary; Ctrl-C says what was written", async () => {
    const dir = await app({ PAGES: "2" });
    expectRun(await runCli(["prerender"], { cwd: dir }), 1, "prerendered 3 pages");
    const file = backup(dir, 1000, "someone-elses-build");

    const stopped = await runCli(["import", file], { cwd: dir, interruptWhen: /importing 1\d\d\/1000 keys/ });
    expectRun(
      stopped,
      130,
      "✘ [ERR_INTERRUPTED] import interrupted: wrote",
      "of 1,000 keys into local .wrangler/state (namespace fixture-ns), the build pointer was not touched",
      `run \`edge-isr import ${file}\` again`,
    );
    const written = Number(/wrote ([\d,]+) of/.exec(stopped.stderr)![1]!.replace(",", ""));
    expect(written).toBeGreaterThanOrEqual(100);
    expect(written).toBeLessThan(1000);

    const done = await runCli(["import", file], { cwd: dir });
    expectRun(
      done,
      0,
      /^checking \d+\/\d+ bytes \(10%\)$/m,
      /^importing 100\/1000 keys \(10%\)$/m,
      "imported 1,000 keys",
      "build pointer: kept none here; the file's names someone-elses-build — pass --with-pointer to restore it",
    );
    expect((await localKeys(dir)).filter((k) => k.startsWith("k"))).toHaveLength(1000);
    expect(await localKeys(dir)).not.toContain(BUILD_POINTER_KEY);
    expect(["HIT", "STALE"]).toContain(await served(dir, "/products/1")); // still its own pages

    expectRun(
      await runCli(["export", join(dir, "again.jsonl")], { cwd: dir }),
      0,
      /^exporting 10\d\/1003 keys \(10%\)$/m,
      "exported 1,003 keys",
    );
    expectRun(
      await runCli(["import", backup(dir, 3, "someone-elses-build"), "--with-pointer"], { cwd: dir }),
      0,
      "restored the build pointer: it names someone-elses-build (was none)",
    );
  });

  it("a value with a flipped byte is refused before anything is written", async () => {
    const dir = await app({ PAGES: "1" });
    const file = backup(dir, 5, "b1");
    const text = readFileSync(file, "utf8").split("\n");
    const record = JSON.parse(text[3]!) as { value: string };
    const bytes = Buffer.from(record.value, "base64");
    bytes[0] ^= 0x20;
    text[3] = JSON.stringify({ ...record, value: bytes.toString("base64") });
    writeFileSync(file, text.join("\n"));
    expectRun(
      await runCli(["import", file], { cwd: dir }),
      1,
      `✘ [ERR_CHECKSUM] ${file} line 4: the record of "k00002" does not match its sha256`,
      "nothing was written",
    );
    expect(await localKeys(dir)).toEqual([]);
  });
});

describe("3. purge --endpoint believes only the endpoint, and batches", { timeout: 240_000 }, () => {
  let mf: Miniflare;
  let url: string;
  const secret = "a-long-enough-revalidation-secret";
  beforeAll(async () => {
    const dir = await app({ PAGES: "3" });
    mf = serveFixture(join(dir, "dist", "fixture"), undefined, { bindings: { PAGES: "3", EDGE_ISR_SECRET: secret }, listen: true });
    url = (await mf.ready).toString().replace(/\/$/, "");
  });
  afterAll(() => mf?.dispose());

  it("pointed at a cached page, it says that is not the endpoint and exits 1", async () => {
    await (await fetch(`${url}/products/1`)).arrayBuffer();
    const run = await runCli(["purge", "--tag", "product:1", "--endpoint", `${url}/products/1`], {
      cwd: tmpdir(),
      env: { EDGE_ISR_SECRET: secret },
    });
    expectRun(run, 1, "✘ [ERR_NOT_ENDPOINT]", "answered 200 with text/html", "not edge-isr's revalidation endpoint");
  });

  it("600 tags go in three requests within the endpoint's limits, and every one is acted on — the 501st included", async () => {
    const page = async () => {
      const res = await fetch(`${url}/products/2`);
      await res.arrayBuffer();
      return res.headers.get("x-edge-isr-cache");
    };
    await page();
    expect(await page()).toBe("HIT");
    // product:2 is the 501st: in the third request (256 items per request), and the Worker acts on every tag of one invalidation.
    const tags = Array.from({ length: 600 }, (_, i) => ["--tag", i === 500 ? "product:2" : `t${i}`]).flat();
    const run = await runCli(["purge", ...tags, "--stale", "--endpoint", `${url}/_isr/revalidate`], {
      cwd: tmpdir(),
      env: { EDGE_ISR_SECRET: secret },
    });
    expectRun(run, 0, /^marked stale 600 tag\(s\) .* in 3 requests \(at most 256 tags and 64 KiB each\)$/m);
    expect(await page()).toBe("STALE");
  });
});

describe("4. inspect --route finds the build actually served", { timeout: 240_000 }, () => {
  it("on an unpromoted build, as the README shows it", async () => {
    const dir = await app({ PAGES: "3" });
    expectRun(await runCli(["prerender"], { cwd: dir }), 1, "prerendered 4 pages of build fixture-1");
    const run = await runCli(["inspect", "--route", "/products/3"], { cwd: dir });
    expectRun(run, 0, /^key\s+fixture-1:\/products\/3$/m, /^state\s+fresh$/m, /^served\s+this build — the built Worker/m);
  });
});

describe("5. prerender: a 404/410 page is not found, not stored", { timeout: 240_000 }, () => {
  it("reports them as not found and exits 0 (1 with --strict); Ctrl-C says how to --resume", async () => {
    const dir = await app({ PAGES: "3" });
    writeFileSync(join(dir, "routes.txt"), "/products/1\n/products/missing-1\n/products/gone-1\n");
    const run = await runCli(["prerender", "--routes", "routes.txt"], { cwd: dir });
    expectRun(
      run,
      0,
      "0 skipped, 2 not found, 0 failed",
      "not found /products/missing-1: the Worker answered 404; not stored",
      "not found /products/gone-1: the Worker answered 410; not stored",
    );
    expect(await localKeys(dir)).toEqual(["e:fixture-1:/products/1"]);
    expectRun(await runCli(["inspect", "--route", "/products/missing-1"], { cwd: dir }), 1, "[ERR_ENTRY_NOT_FOUND]");
    expectRun(
      await runCli(["prerender", "--routes", "routes.txt", "--strict"], { cwd: dir }),
      1,
      "✘ [ERR_PRERENDER_FAILED] 2 page(s) failed",
      "/products/missing-1: the Worker answered 404 (--strict)",
    );

    const many = await app({ PAGES: "600" });
    const stopped = await runCli(["prerender", "--concurrency", "2"], { cwd: many, interruptWhen: /prerender 6\d\/602 pages/ });
    expectRun(
      stopped,
      130,
      "✘ [ERR_INTERRUPTED] prerender interrupted:",
      "of 602 pages of build fixture-1 were rendered",
      "run `edge-isr prerender --concurrency 2 --resume` to render the rest",
    );
    const resumed = await runCli(["prerender", "--concurrency", "2", "--resume"], { cwd: many });
    expectRun(resumed, 1, /prerendered \d+ pages of build fixture-1 .* [1-9]\d* skipped, 0 not found, 1 failed/);
    expect((await localKeys(many)).length).toBe(601);
  });
});

describe("6. messages say what is true", { timeout: 240_000 }, () => {
  it("read-only commands create nothing, say where they looked, and point at the app's directory", async () => {
    const root = mkdtempSync(join(tmpdir(), "edge-isr-root-"));
    writeFileSync(join(root, "wrangler.toml"), '[[kv_namespaces]]\nbinding = "CACHE"\nid = "00000000000000000000000000000001"\n');
    const demo = join(root, "apps", "demo");
    mkdirSync(demo, { recursive: true });
    writeFileSync(join(demo, "wrangler.toml"), '[[kv_namespaces]]\nbinding = "CACHE"\nid = "fixture-ns"\n');
    await buildFixture(demo, { PAGES: "1" });
    expectRun(await runCli(["prerender"], { cwd: demo }), 1, "prerendered 2 pages");

    for (const args of [
      ["builds"],
      ["inspect"],
      ["inspect", "--route", "/"],
      ["export", "x.jsonl"],
      ["prune", "--keep", "1"],
      ["rollback"],
      ["watch"],
    ]) {
      const run = await runCli(args, { cwd: root });
      expectRun(
        run,
        1,
        `✘ [ERR_NO_LOCAL_STATE] no local state at ${join(root, ".wrangler", "state")} for namespace 00000000000000000000000000000001 (binding "CACHE" in ${join(root, "wrangler.toml")}) (the directory does not exist)`,
        `run the command there, e.g. \`edge-isr --cwd apps/demo ${args.join(" ")}\``,
      );
    }
    const elsewhere = join(root, "nowhere");
    expectRun(await runCli(["builds", "--persist-to", elsewhere], { cwd: root }), 1, "[ERR_NO_LOCAL_STATE]");
    expect(readdirSync(root).sort()).toEqual(["apps", "wrangler.toml"]); // no .wrangler, no nowhere/, no x.jsonl

    expectRun(
      await runCli(["--cwd", "apps/demo", "inspect"], { cwd: root }),
      0,
      /^fixture-1:\/products\/1\s/m,
      "2 entries in local .wrangler/state",
    );
    expectRun(
      await runCli(["builds", "--remote", "--env", "prod"], { cwd: root, env: mirrorEnv("http://127.0.0.1:9/client/v4") }),
      1,
      `has no environment "prod" (it defines no environments)`,
      "drop --env to use the top-level namespace",
    );
  });

  it("watch --remote paces itself by the free plan and says so; a faster --interval states its daily cost", async () => {
    const dir = await app({ PAGES: "1" });
    const mirror = await startMirror({ STAGING: "staging-ns" });
    try {
      const remote = { cwd: dir, env: mirrorEnv(mirror.baseUrl) };
      const paced = await runCli(["watch", "--remote", "--env", "staging"], { ...remote, interruptWhen: /Ctrl-C to stop/ });
      expectRun(
        paced,
        0,
        "watching remote namespace staging-ns every 90 s, paced for Cloudflare's free plan (1,000 list calls a day; each poll lists the namespace once per 1,000 keys)",
      );
      const fast = await runCli(["watch", "--remote", "--env", "staging", "--interval", "5000"], {
        ...remote,
        interruptWhen: /Ctrl-C to stop/,
      });
      expectRun(
        fast,
        0,
        "warning: polling remote namespace staging-ns every 5 s makes 17,280 list calls a day (1 per poll): over the free plan's 1,000",
        "about US$0.09 a day on a paid plan",
      );
    } finally {
      await mirror.close();
    }
  });
});
