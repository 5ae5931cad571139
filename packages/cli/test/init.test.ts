/**
 * `edge-isr init` on small projects written here: what it adds to a wrangler
 * config (JSONC and TOML, comments kept), the starter Worker, the build step;
 * that a second run changes nothing; that `--dry-run` and a refusal write
 * nothing. The starter itself is built, prerendered and served in a real
 * installed project by test/install.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../src/config.js";
import { init, type InitOptions } from "../src/commands/init.js";
import type { CliError } from "../src/errors.js";

/** A project directory with these files. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-init-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Every file below `dir`, path → text. */
function snapshot(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files.map((e) => [join(e.parentPath, e.name).slice(dir.length + 1), readFileSync(join(e.parentPath, e.name), "utf8")]),
  );
}

function run(dir: string, opts: Partial<InitOptions> = {}) {
  const lines: string[] = [];
  const steps = init({ dir, log: (line) => lines.push(line), ...opts });
  return { steps, out: lines.join("\n") };
}

const packageJson = (scripts: Record<string, string> = { build: "tsc -b && vite build" }) =>
  `${JSON.stringify({ name: "app", private: true, scripts, devDependencies: { "@cloudflare/vite-plugin": "^1.64.0", vite: "^8.0.0" } }, null, 2)}\n`;

const spaConfig = `// The app's Worker: a single-page app for now
{
  "name": "app",
  "compatibility_date": "2026-10-01",
  "assets": {
    "not_found_handling": "single-page-application", // index.html for unknown paths
  },
}
`;

describe("edge-isr init", () => {
  it("adds the binding, a starter Worker, its route before the SPA fallback and the build step to a JSONC project", () => {
    const dir = project({ "package.json": packageJson(), "wrangler.jsonc": spaConfig });
    const { out } = run(dir);
    const config = parseConfigText("wrangler.jsonc", readFileSync(join(dir, "wrangler.jsonc"), "utf8")) as Record<string, any>;
    expect(config.kv_namespaces).toEqual([{ binding: "CACHE" }]);
    expect(config.durable_objects.bindings).toEqual([{ name: "EDGE_ISR_COORDINATOR", class_name: "EdgeIsrCoordinator" }]);
    expect(config.migrations).toEqual([{ tag: "edge-isr-v1", new_sqlite_classes: ["EdgeIsrCoordinator"] }]);
    expect(config.main).toBe("worker/index.ts");
    expect(config.assets.run_worker_first).toEqual(["/products/*"]);
    expect(config.assets.binding).toBe("ASSETS");
    const text = readFileSync(join(dir, "wrangler.jsonc"), "utf8");
    expect(text).toContain("// The app's Worker: a single-page app for now");
    expect(text).toContain("// index.html for unknown paths");
    const worker = readFileSync(join(dir, "worker/index.ts"), "utf8");
    expect(worker).toContain("createISR");
    expect(worker).toContain('staticParams: () => [{ id: "1" }, { id: "2" }, { id: "3" }]');
    expect(worker).toContain("fallback: (request, env) => env.ASSETS.fetch(request)");
    expect(worker).toContain('export { EdgeIsrCoordinator } from "@edge-isr/kv-cache-handler";');
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts.build).toBe("tsc -b && vite build && edge-isr prerender");
    expect(out).toContain("+ wrangler.jsonc: added kv_namespaces: CACHE");
    expect(out).toContain("+ worker/index.ts: added a starter Worker");
    expect(out).toContain("npm install @edge-isr/runtime @edge-isr/kv-cache-handler");
  });

  it("is idempotent: a second run writes nothing and says the project is set up", () => {
    const dir = project({ "package.json": packageJson(), "wrangler.jsonc": spaConfig });
    run(dir);
    const before = snapshot(dir);
    const { steps, out } = run(dir);
    expect(snapshot(dir)).toEqual(before);
    expect(steps.filter((s) => s.changed)).toEqual([]);
    expect(out).toContain("nothing to change");
  });

  it("--dry-run says what it would change and writes nothing", () => {
    const dir = project({ "package.json": packageJson({}), "wrangler.jsonc": spaConfig });
    const before = snapshot(dir);
    const { steps, out } = run(dir, { dryRun: true });
    expect(snapshot(dir)).toEqual(before);
    expect(steps.filter((s) => s.changed).map((s) => s.file)).toEqual([
      ...Array(6).fill("wrangler.jsonc"),
      "worker/index.ts",
      "package.json",
    ]);
    expect(out).toContain('+ package.json: would add scripts.build = "vite build && edge-isr prerender"');
    expect(out).toContain("dry run: nothing written");
  });

  it("in a TOML project with a Worker: appends tables, keeps the Worker, exports the coordinator from it, and says what routes need", () => {
    const toml = `# my app\nname = "app"\nmain = "src/worker.ts"\ncompatibility_date = "2026-04-01"\n\n[env.production]\nname = "app-prod"\n`;
    const dir = project({
      "package.json": packageJson(),
      "wrangler.toml": toml,
      "src/worker.ts": "export default { fetch: () => new Response('hi') };\n",
    });
    const { out } = run(dir, { coordinator: true });
    const text = readFileSync(join(dir, "wrangler.toml"), "utf8");
    expect(text.startsWith(toml.trimEnd())).toBe(true); // appended, nothing rewritten
    const config = parseToml(text) as Record<string, any>;
    expect(config.kv_namespaces).toEqual([{ binding: "CACHE" }]);
    expect(config.durable_objects.bindings).toEqual([{ name: "EDGE_ISR_COORDINATOR", class_name: "EdgeIsrCoordinator" }]);
    expect(config.migrations).toEqual([{ tag: "edge-isr-v1", new_sqlite_classes: ["EdgeIsrCoordinator"] }]);
    expect(config.env.production.kv_namespaces).toBeUndefined(); // environments are the user's: named, not edited
    expect(readFileSync(join(dir, "src/worker.ts"), "utf8")).toBe(
      "export default { fetch: () => new Response('hi') };\n\nexport { EdgeIsrCoordinator } from \"@edge-isr/kv-cache-handler\";\n",
    );
    expect(out).toContain("[env.production] binds no CACHE");
    expect(out).toContain("does not call createISR yet");
    expect(run(dir, { coordinator: true }).steps.filter((s) => s.changed)).toEqual([]);
  });

  it("without the coordinator (coordinator: false) the starter and the config have none", () => {
    const dir = project({ "package.json": packageJson(), "wrangler.jsonc": spaConfig });
    run(dir, { coordinator: false });
    expect(readFileSync(join(dir, "worker/index.ts"), "utf8")).not.toContain("Coordinator");
    expect(readFileSync(join(dir, "wrangler.jsonc"), "utf8")).not.toContain("durable_objects");
  });

  it("the starter with the coordinator binds it and hands it to KVCacheHandler", () => {
    const dir = project({
      "package.json": packageJson(),
      "wrangler.json": `{\n\t"name": "app",\n\t"compatibility_date": "2026-10-01"\n}\n`,
    });
    run(dir, { coordinator: true });
    const worker = readFileSync(join(dir, "worker/index.ts"), "utf8");
    expect(worker).toContain('export { EdgeIsrCoordinator } from "@edge-isr/kv-cache-handler";');
    expect(worker).toContain('new KVCacheHandler(env.CACHE, { coordinator: env.EDGE_ISR_COORDINATOR, binding: "CACHE" })');
    expect(worker).not.toContain("ASSETS"); // no assets: nothing to fall back to
    expect(readFileSync(join(dir, "wrangler.json"), "utf8")).toContain('\n\t"kv_namespaces": [\n\t\t{\n\t\t\t"binding": "CACHE"'); // the file's tabs
  });

  it("refuses, writing nothing, what it cannot add without rewriting the user's layout, and a project that is not Vite + Cloudflare", () => {
    const inline = `name = "app"\nmain = "src/worker.ts"\nkv_namespaces = [{ binding = "DATA", id = "x" }]\n`;
    const dir = project({ "package.json": packageJson(), "wrangler.toml": inline, "src/worker.ts": "export default {};\n" });
    const before = snapshot(dir);
    expect(() => run(dir)).toThrow(expect.objectContaining({ code: "ERR_INIT", message: expect.stringContaining("kv_namespaces") }));
    expect(snapshot(dir)).toEqual(before);

    const plain = project({ "package.json": `{ "name": "x", "devDependencies": { "vite": "^8.0.0" } }\n`, "wrangler.jsonc": "{}" });
    const error = (() => {
      try {
        run(plain);
      } catch (e) {
        return e;
      }
    })() as CliError;
    expect(error.code).toBe("ERR_INIT");
    expect(error.hint).toContain("npm install -D @cloudflare/vite-plugin wrangler");
    expect(() => run(project({ "package.json": packageJson() }))).toThrow(expect.objectContaining({ code: "ERR_CONFIG_NOT_FOUND" }));
  });
});
