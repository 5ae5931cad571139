/**
 * Which Miniflare the CLI runs (the project's own: its @cloudflare/vite-plugin's,
 * else its wrangler's, else a direct dependency, else the one beside edge-isr),
 * that both supported majors work end to end (this repository's miniflare 4 as a
 * project's only Miniflare; the Vite plugin's miniflare 5 everywhere else), and
 * that every way they cannot agree is a coded error naming the versions — from a
 * command that exits by itself.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findToolchain } from "../src/toolchain.js";
import { buildFixture } from "./fixtures/build.js";
import { ensureCliBuilt, ROOT, runCli, show } from "./helpers/run.js";

const version = (dir: string) => (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
const PLUGIN = join(ROOT, "node_modules/@cloudflare/vite-plugin");
const WRANGLER = join(ROOT, "node_modules/wrangler");
/** The repository's own miniflare 4 (its tests' and wrangler 4.86's); the plugin brings a 5. */
const MINIFLARE_4 = join(ROOT, "node_modules/miniflare");

/** A project directory whose node_modules links these packages (name → directory). */
function projectWith(links: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-toolchain-"));
  for (const [name, target] of Object.entries(links)) {
    mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
    symlinkSync(target, join(dir, "node_modules", name));
  }
  return dir;
}

/** A package with only a package.json, as an unsupported Miniflare would look. */
function fakePackage(name: string, v: string): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-fake-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: v, main: "index.js" }));
  writeFileSync(join(dir, "index.js"), "throw new Error('never loaded');");
  return dir;
}

describe("the toolchain the CLI runs on", () => {
  it("is the Vite plugin's Miniflare, else wrangler's, else the project's own, else the one beside edge-isr", () => {
    const nowhere = mkdtempSync(join(tmpdir(), "edge-isr-fallback-"));
    const all = projectWith({ "@cloudflare/vite-plugin": PLUGIN, wrangler: WRANGLER, miniflare: MINIFLARE_4 });
    const plugin = findToolchain(all, nowhere)!;
    expect(plugin.via).toBe(`@cloudflare/vite-plugin ${version(PLUGIN)}`);
    expect(plugin.miniflare.version).toBe(version(join(PLUGIN, "node_modules/miniflare"))); // its own, nested
    expect(plugin.miniflare.major).toBe(5);
    expect(plugin.fallback).toBe(false);

    const wrangler = findToolchain(projectWith({ wrangler: WRANGLER, miniflare: MINIFLARE_4 }), nowhere)!;
    expect(wrangler.via).toBe(`wrangler ${version(WRANGLER)}`);
    const direct = findToolchain(projectWith({ miniflare: MINIFLARE_4 }), nowhere)!;
    expect([direct.via, direct.miniflare.version, direct.miniflare.major]).toEqual(["miniflare", version(MINIFLARE_4), 4]);

    expect(findToolchain(nowhere, nowhere)).toBeUndefined();
    const beside = findToolchain(nowhere)!; // edge-isr's own install: this repository's node_modules
    expect(beside.fallback).toBe(true);
    expect(beside.via).toBe(`@cloudflare/vite-plugin ${version(PLUGIN)}`);
  });
});

describe("the built command on a project's Miniflare", () => {
  beforeAll(ensureCliBuilt, 120_000);

  it("runs a Worker and its local state on miniflare 4 when that is the project's only one", async () => {
    const dir = projectWith({ miniflare: MINIFLARE_4 });
    await buildFixture(dir);
    const said = await runCli(["--version"], { cwd: dir });
    expect(said.stdout).toContain(`runs Workers on miniflare ${version(MINIFLARE_4)}`);
    expect(said.stdout).toContain(`found from ${dir}`);
    writeFileSync(join(dir, "wrangler.json"), JSON.stringify({ name: "fixture", kv_namespaces: [{ binding: "CACHE", id: "fixture-ns" }] }));
    writeFileSync(join(dir, "routes.txt"), "/\n/products/1\n/products/2\n");
    const rendered = await runCli(["prerender", "--routes", "routes.txt"], { cwd: dir });
    expect(rendered.status, show(rendered)).toBe(0);
    expect(rendered.stdout).toMatch(/prerendered 3 pages/);
    const listed = await runCli(["inspect"], { cwd: dir });
    expect(listed.status, show(listed)).toBe(0);
    expect(listed.stdout).toMatch(/3 entries in local \.wrangler\/state/);
    // Miniflare 4 keeps KV where wrangler and the Vite plugin do.
    expect(readdirSync(join(dir, ".wrangler/state/v3/kv"))).toContain("fixture-ns");
  });

  it("refuses a Miniflare of a major it cannot run, naming both versions", async () => {
    const dir = projectWith({ miniflare: fakePackage("miniflare", "3.20240909.0") });
    await buildFixture(dir);
    const run = await runCli(["prerender"], { cwd: dir });
    expect(run.status, show(run)).toBe(1);
    expect(run.stderr).toContain("ERR_MINIFLARE_UNSUPPORTED");
    expect(run.stderr).toContain("miniflare 3.20240909.0");
    expect(run.stderr).toMatch(/edge-isr \d+\.\d+\.\d+ can run: it supports miniflare 4\.x and 5\.x/);
  });

  it("a compatibility date newer than the project's workerd knows is a coded error naming both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-isr-future-"));
    const built = await buildFixture(dir);
    writeFileSync(built, JSON.stringify({ ...JSON.parse(readFileSync(built, "utf8")), compatibility_date: "2099-01-01" }));
    const run = await runCli(["prerender"], { cwd: dir });
    expect(run.status, show(run)).toBe(1);
    expect(run.stderr).toMatch(
      /ERR_COMPATIBILITY_DATE\] the Worker's compatibility_date 2099-01-01 is newer than your project's miniflare \S+ \(workerd \S+/,
    );
  });

  it("local state its workerd cannot read is a coded error, and the command exits by itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-isr-unreadable-"));
    writeFileSync(join(dir, "wrangler.json"), JSON.stringify({ name: "app", kv_namespaces: [{ binding: "CACHE", id: "ns" }] }));
    const objects = join(dir, ".wrangler/state/v3/kv/miniflare-KVNamespaceObject");
    mkdirSync(objects, { recursive: true });
    mkdirSync(join(dir, ".wrangler/state/v3/kv/ns"));
    // What a namespace's SQLite file is named (a hash of the namespace id): every file there is damaged.
    const seed = await runCli(["purge", "--tag", "x", "--persist-to", join(dir, "seed")], { cwd: dir });
    expect(seed.status, show(seed)).toBe(0);
    for (const name of readdirSync(join(dir, "seed/v3/kv/miniflare-KVNamespaceObject")).filter((n) => n.endsWith(".sqlite"))) {
      writeFileSync(join(objects, name), "not a database, as a newer workerd's migration looks to an older one");
    }
    const run = await runCli(["inspect"], { cwd: dir, timeoutMs: 60_000 });
    expect(run.status, show(run)).toBe(1);
    expect(run.stderr).toContain("ERR_LOCAL_STATE");
    expect(run.stderr).toMatch(/workerd stopped while edge-isr used it \(miniflare \S+ \(workerd \S+/);
  });
});
