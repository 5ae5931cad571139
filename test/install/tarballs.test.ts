/**
 * The path a user takes after `npm install`, on the packages as npm would ship
 * them: the three packages are packed (`npm pack`) and installed into a fresh
 * Vite + @cloudflare/vite-plugin + React project made under the temp directory —
 * outside this repository, so nothing of the monorepo (workspaces, its
 * `overrides` of workerd, its .npmrc) helps. The project takes the current
 * plugin and wrangler from the npm registry (through the npm cache) and has a
 * compatibility date newer than 2026-05. Then, on the running Node (20) and on
 * Node 22 from the npm registry:
 *
 *   edge-isr init (twice: the second changes nothing) → tsc -b (the packages'
 *   types) → npm run build (vite build, then edge-isr prerender) → vite preview
 *   serves a prerendered page as a HIT → edge-isr inspect and purge against the
 *   state preview has open → the next visit is STALE or MISS → inspect again
 *   after preview stopped.
 *
 * Every command must exit by itself (test/install/run.ts fails it otherwise).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { node22 } from "../../scripts/node22.mjs";
import { freePort, type ServerProcess, startServer } from "../helpers/server-process.js";
import { COMPATIBILITY_DATE, freshAppFiles, writeFiles } from "./fresh-app.js";
import { type Ran, run, shown, userEnv } from "./run.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const PACKAGES = { handler: "packages/kv-cache-handler", runtime: "packages/runtime", cli: "packages/cli" } as const;
const MINUTE = 60_000;

let work: string;
let app: string;
/** The project's files before `edge-isr init`, to start each Node's run from the same place. */
let pristine: Record<string, string>;

/** `npm pack` of each package into `dir`; the tarballs' paths. */
function pack(dir: string): Record<keyof typeof PACKAGES, string> {
  const out = {} as Record<keyof typeof PACKAGES, string>;
  for (const [name, path] of Object.entries(PACKAGES) as [keyof typeof PACKAGES, string][]) {
    const json = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: join(ROOT, path),
      env: userEnv(),
      encoding: "utf8",
    });
    out[name] = join(dir, (JSON.parse(json) as { filename: string }[])[0]!.filename);
  }
  return out;
}

beforeAll(async () => {
  for (const path of Object.values(PACKAGES)) {
    if (!existsSync(join(ROOT, path, "dist"))) throw new Error(`${path} is not built: run \`npm run build\` (npm test does) first`);
  }
  work = mkdtempSync(join(tmpdir(), "edge-isr-install-"));
  app = join(work, "fresh-app");
  mkdirSync(app);
  pristine = freshAppFiles(pack(work));
  writeFiles(app, pristine);
  // Once per run; the npm cache makes the registry's packages quick to fetch again.
  const installed = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: app,
    env: userEnv(),
    timeoutMs: 8 * MINUTE,
  });
  if (installed.status !== 0) throw new Error(shown("npm install", installed));
}, 10 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** What a tarball holds, by file name. */
const contents = (tarball: string) => execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);

describe("the packed packages", () => {
  it("hold what npm users expect: built files with types, README, LICENSE, package.json — no sources or tests", () => {
    for (const tarball of readdirSync(work).filter((f) => f.endsWith(".tgz"))) {
      const files = contents(join(work, tarball));
      expect(files, tarball).toEqual(expect.arrayContaining(["package/package.json", "package/README.md", "package/LICENSE"]));
      expect(
        files.filter((f) => /\/(src|test)\//.test(f)),
        tarball,
      ).toEqual([]);
      if (tarball.startsWith("edge-isr-0"))
        expect(files, tarball).toEqual(expect.arrayContaining(["package/bin/edge-isr.js", "package/dist/cli.js"]));
      else expect(files, tarball).toEqual(expect.arrayContaining(["package/dist/index.js", "package/dist/index.d.ts"]));
    }
  });

  it("install with no workerd override: the project runs the plugin's own Miniflare", () => {
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    expect(JSON.parse(readFileSync(join(app, "package.json"), "utf8")).overrides).toBeUndefined();
    const miniflares = Object.entries(lock.packages).filter(([path]) => path.endsWith("node_modules/miniflare"));
    expect(miniflares.length).toBeGreaterThan(0);
    expect(miniflares.map(([, p]) => p.version)).not.toContain("4.20260426.0"); // what the CLI used to pin
  });
});

const nodes = [
  { label: `Node ${process.versions.node} (this one)`, bin: undefined as string | undefined },
  { label: "Node 22 (from the npm registry)", bin: "node22" },
];

describe.each(nodes)("a user's project on $label", ({ bin }) => {
  let env: NodeJS.ProcessEnv;
  let preview: ServerProcess | undefined;
  let origin: string;
  const sh = (command: string, args: string[], timeoutMs = 3 * MINUTE) => run(command, args, { cwd: app, env, timeoutMs });
  const npx = (...args: string[]) => sh("npx", ["--no-install", ...args]);
  const ok = (what: string, ran: Ran) => expect(ran.status, shown(what, ran)).toBe(0);

  beforeAll(() => {
    env = userEnv(bin ? node22().bin : undefined);
    // Each Node starts from the project as the user had it: no init, no build, no state.
    for (const path of ["worker", "dist", ".wrangler", "node_modules/.tmp"]) rmSync(join(app, path), { recursive: true, force: true });
    writeFiles(app, pristine);
  }, 5 * MINUTE);

  afterAll(async () => {
    await preview?.stop();
  });

  it("runs on the Node it says", async () => {
    const ran = await sh("node", ["--version"]);
    expect(ran.output.trim()).toMatch(bin ? /^v22\./ : new RegExp(`^v${process.versions.node}$`));
  });

  it("edge-isr --help answers, --version names the project's own Miniflare, and edge-isr init sets the project up once", async () => {
    ok("edge-isr --help", await npx("edge-isr", "--help"));
    const version = await npx("edge-isr", "--version");
    ok("edge-isr --version", version);
    expect(version.output).toMatch(
      new RegExp(`runs Workers on miniflare \\S+ \\(workerd \\S+, from @cloudflare/vite-plugin 1\\.\\d+\\.\\d+\\), found from ${app}`),
    );
    const first = await npx("edge-isr", "init");
    ok("edge-isr init", first);
    expect(first.output).toContain("+ wrangler.jsonc: added kv_namespaces: CACHE");
    expect(first.output).toContain("+ wrangler.jsonc: added durable_objects: EDGE_ISR_COORDINATOR → EdgeIsrCoordinator");
    expect(first.output).toContain("+ worker/index.ts: added a starter Worker");
    const again = await npx("edge-isr", "init");
    ok("edge-isr init (again)", again);
    expect(again.output).toContain("nothing to change");
  });

  it("type-checks against the packages' types (tsc -b)", async () => {
    ok("tsc -b", await npx("tsc", "-b"));
  });

  it("builds, and the build's prerender stores the starter's tagged pages", async () => {
    // A user's first edit: the starter's pages stay fresh for an hour, so within this test only the purge
    // below can end their HITs (at 60 s, time alone would make them STALE).
    const starter = join(app, "worker/index.ts");
    const source = readFileSync(starter, "utf8");
    expect(source).toContain("revalidate: 60,");
    writeFileSync(starter, source.replace("revalidate: 60,", "revalidate: 3600,"));
    const built = await sh("npm", ["run", "build"], 5 * MINUTE);
    ok("npm run build", built);
    expect(built.output).toMatch(/prerendered 3 pages of build \S+ into local \.wrangler\/state/);
    expect(JSON.parse(readFileSync(join(app, "dist/fresh_edge_isr_app/wrangler.json"), "utf8")).compatibility_date).toBe(
      COMPATIBILITY_DATE,
    );
  });

  it("vite preview serves a prerendered page as a HIT on the first visit, and the app beside it", async () => {
    const port = await freePort();
    preview = await startServer("npx", ["--no-install", "vite", "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
      cwd: app,
      env,
      ready: (log) => (log.includes(`127.0.0.1:${port}`) ? `http://127.0.0.1:${port}` : undefined),
    });
    origin = preview.ready;
    const page = await fetch(`${origin}/products/1`);
    expect(page.headers.get("x-edge-isr-cache"), preview.output()).toBe("HIT");
    expect(await page.text()).toContain("<h1>Product 1</h1>");
    const spa = await fetch(`${origin}/`);
    expect(await spa.text()).toContain('<div id="root"></div>');
    // A path the Worker sees first but has no route for: the starter hands it to the assets (the app).
    const unrouted = await fetch(`${origin}/products/1/reviews`, { headers: { accept: "text/html" } });
    expect(unrouted.status).toBe(200);
    expect(await unrouted.text()).toContain('<div id="root"></div>');
  });

  it("edge-isr inspect and purge work on the state vite preview has open; the page is a MISS once the Worker sees it", async () => {
    const listed = await npx("edge-isr", "inspect");
    ok("edge-isr inspect", listed);
    for (const id of ["1", "2", "3"]) expect(listed.output).toContain(`:/products/${id}`);
    expect(listed.output).toMatch(/3 entries in local \.wrangler\/state/);

    const purged = await npx("edge-isr", "purge", "--tag", "product:1");
    ok("edge-isr purge", purged);
    expect(purged.output).toMatch(/expired 1 tag\(s\) \(product:1\): 1 tag record\(s\) written to the tag clock/);

    expect(purged.output).toContain("with a coordinator, after its next poll of KV");

    // The starter runs the coordinator: it takes records written straight into KV on its next poll (every
    // 60 s), then isolates re-read its clock (5 s, through the colo's cache: 15 s). Until then: HIT.
    const seen: string[] = [];
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 2000))) {
      const next = await fetch(`${origin}/products/1`);
      await next.arrayBuffer();
      seen.push(next.headers.get("x-edge-isr-cache") ?? "none");
      if (seen.at(-1) !== "HIT") break;
    }
    expect(seen.at(-1), `${seen.join(" ")}\n${preview!.output()}`).toBe("MISS"); // expired, as Next 16's revalidateTag
    const other = await fetch(`${origin}/products/2`);
    await other.arrayBuffer();
    expect(other.headers.get("x-edge-isr-cache")).toBe("HIT");
  });

  it("after preview stops, the CLI still reads the state it left; a wrong call is a coded error that exits", async () => {
    await preview!.stop();
    preview = undefined;
    const entry = await npx("edge-isr", "inspect", "--route", "/products/2");
    ok("edge-isr inspect --route /products/2", entry);
    expect(entry.output).toContain("/products/2");
    const wrong = await npx("edge-isr", "builds", "--persist-to", "no-state-here");
    expect(wrong.status, shown("edge-isr builds --persist-to no-state-here", wrong)).toBe(1);
    expect(wrong.output).toContain("ERR_NO_LOCAL_STATE");
  });
});
