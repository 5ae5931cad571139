/**
 * Issue 14: one secret name, EDGE_ISR_SECRET, never written into the demo's
 * build output as a var, and a banner that says which secret is in use.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs script without types
import { buildDemoCopy } from "../../scripts/build-demo-copy.mjs";
// @ts-expect-error -- a plain .mjs script without types
import { describeSecret, LOCAL_DEFAULT_SECRET } from "../../scripts/demo-secret.mjs";

describe("the demo's secret", () => {
  it("the banner names the secret in use: exported, from .dev.vars, or the local default", () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-isr-devvars-"));
    const devVars = join(dir, ".dev.vars");
    expect(describeSecret({}, devVars)).toBe(
      `${LOCAL_DEFAULT_SECRET} (the local default, accepted on localhost only; set EDGE_ISR_SECRET to change it)`,
    );
    writeFileSync(devVars, "# local secrets\nOTHER=1\nEDGE_ISR_SECRET=from-the-file\n");
    expect(describeSecret({}, devVars)).toBe("EDGE_ISR_SECRET from apps/demo/.dev.vars");
    expect(describeSecret({ EDGE_ISR_SECRET: "exported-secret-value" }, devVars)).toBe("the value of EDGE_ISR_SECRET in your environment");
    expect(describeSecret({ EDGE_ISR_SECRET: "exported-secret-value" }, devVars)).not.toContain("exported-secret-value");
  });

  it("an exported EDGE_ISR_SECRET is declared a secret of the build, never written into its wrangler.json", async () => {
    const secret = `demo-secret-${Date.now()}-not-in-any-build-file`;
    // Inside the repository (test-results/ is ignored by git), where the copy resolves the demo's packages.
    const out = fileURLToPath(new URL("../../test-results/demo-secret/", import.meta.url));
    const worker: string = await buildDemoCopy(out, { EDGE_ISR_SECRET: secret, DEMO_REVALIDATE_SECONDS: "20", NODE_ENV: "production" });
    const config = JSON.parse(readFileSync(join(worker, "wrangler.json"), "utf8")) as {
      vars: Record<string, string>;
      secrets?: { required?: string[] };
    };
    expect(JSON.stringify(config)).not.toContain(secret);
    expect(Object.keys(config.vars).sort()).toEqual(["BUILD_ID", "REVALIDATE_SECONDS"]);
    expect(config.secrets?.required).toEqual(["EDGE_ISR_SECRET"]);
    // Only the Vite plugin's .dev.vars for `vite preview` holds it: never uploaded by `wrangler deploy`, kept out of the assets.
    const files = readdirSync(worker, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const holding = files.filter((f) => readFileSync(join(f.parentPath, f.name)).includes(secret)).map((f) => f.name);
    expect(files.length).toBeGreaterThan(2);
    expect(holding).toEqual([".dev.vars"]);
  }, 180_000);
});
