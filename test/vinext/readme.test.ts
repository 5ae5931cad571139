/**
 * README.md's vinext section, as written: its `vite.config.ts` block is written to
 * apps/vinext/vite.config.readme.ts and built (Node 22), and `vite preview` of that
 * build caches a page through the binding its `wrangler.jsonc` line names, in
 * edge-isr's format. The package README shows the same block.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { APP, BUILD_ID, buildApp, edgeIsr, type Preview, startPreview, until, visit } from "./app-server.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const section = (file: string) => /\n## vinext\n([\s\S]*?)\n## /.exec(readFileSync(`${ROOT}${file}`, "utf8"))?.[1] ?? "";
const block = (text: string, lang: string) => new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(text)?.[1];

describe("README.md's vinext section, as written", () => {
  const readme = section("README.md");
  const config = block(readme, "ts");
  const wrangler = block(readme, "jsonc");
  let app: Preview | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(`${APP}vite.config.readme.ts`, { force: true });
  });

  it("shows a vite.config.ts and a wrangler line, the same as the package README's", () => {
    expect(config, "a ts block under ## vinext").toBeTruthy();
    expect(config).toContain('from "@edge-isr/kv-cache-handler/vinext"');
    expect(block(section("packages/kv-cache-handler/README.md"), "ts")).toBe(config);
    expect(wrangler).toContain('"binding": "VINEXT_KV_CACHE"');
    expect(readFileSync(`${APP}wrangler.jsonc`, "utf8"), "apps/vinext binds what the README says").toContain(
      '"binding": "VINEXT_KV_CACHE"',
    );
  });

  it("builds apps/vinext, whose pages vite preview then caches in edge-isr's format: MISS, then HIT", async () => {
    writeFileSync(`${APP}vite.config.readme.ts`, config!);
    buildApp("vite.config.readme.ts");
    app = await startPreview(""); // the README's config keeps the state in apps/vinext/.wrangler/state
    const path = `/ticker/${randomUUID()}`;
    const miss = await visit(app.url, path);
    expect([miss.status, miss.cache]).toEqual([200, "MISS"]);
    expect(await until(app.url, path, (v) => v.cache === "HIT", "a HIT")).toMatchObject({ render: miss.render });
    const stored = edgeIsr(["inspect", `app:v2:${BUILD_ID}:${path}:html`, "--config", "wrangler.jsonc", "--binding", "VINEXT_KV_CACHE"]);
    expect(stored.status, stored.output).toBe(0);
    expect(stored.output).toContain(path);
  });
});
