/**
 * `edge-isr prerender` throughput on this machine: N generated pages of the
 * fixture app, rendered by its own built Worker in Miniflare and stored in a
 * persisted local namespace (render included); and the same entries written
 * again through the CLI's target alone (render excluded).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prerender } from "../../packages/cli/src/commands/prerender.js";
import { openLocal } from "../../packages/cli/src/kv/local.js";
import { listAll } from "../../packages/cli/src/kv/target.js";
import { buildFixture } from "../../packages/cli/test/fixtures/build.js";
import { machine } from "../shared/environment.js";
import { markdownTable } from "../shared/table.js";

const SIZES = [1_000, 10_000];
const CONCURRENCY = 32;
const results: Record<string, unknown>[] = [];

for (const pages of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), "edge-isr-bench-prerender-"));
  try {
    const worker = await buildFixture(dir, { PAGES: String(pages) });
    const routes = join(dir, "routes.txt");
    writeFileSync(routes, Array.from({ length: pages }, (_, i) => `/products/${i + 1}`).join("\n"));

    const withRender = await prerender({
      worker,
      persistTo: join(dir, "state"),
      routes,
      concurrency: CONCURRENCY,
      log: () => {},
      progress: false,
    });
    if (withRender.rendered !== pages || withRender.failed.length)
      throw new Error(`bench sanity: rendered ${withRender.rendered}/${pages}, ${withRender.failed.length} failed`);

    // Render excluded: the same entries, read back, written to a fresh namespace through the CLI's target.
    const source = await openLocal(join(dir, "state"), "fixture-ns");
    const names = (await listAll(source, "e:")).map((k) => k.name);
    const entries = [];
    for (const key of names) {
      const hit = (await source.get(key))!;
      entries.push({ key, value: hit.value, metadata: hit.metadata });
    }
    await source.close();
    const sink = await openLocal(join(dir, "state-copy"), "fixture-ns");
    const t0 = performance.now();
    await sink.putMany(entries);
    const writeSeconds = (performance.now() - t0) / 1000;
    if ((await listAll(sink, "e:")).length !== pages) throw new Error("bench sanity: copy incomplete");
    await sink.close();

    const row = {
      pages,
      concurrency: CONCURRENCY,
      renderIncluded: { seconds: +withRender.seconds.toFixed(2), pagesPerSecond: Math.round(pages / withRender.seconds) },
      renderExcluded: { seconds: +writeSeconds.toFixed(2), pagesPerSecond: Math.round(pages / writeSeconds) },
      storedBytes: withRender.storedBytes,
      rawBytes: withRender.rawBytes,
      bytesPerPage: Math.round(withRender.storedBytes / pages),
    };
    results.push(row);
    console.log(JSON.stringify(row));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { node, cpus, cpuModel } = machine();
console.log(`\nedge-isr prerender into local KV — Node ${node}, ${cpus} CPUs (${cpuModel.trim()}), concurrency ${CONCURRENCY}`);
type Timed = { seconds: number; pagesPerSecond: number };
type Row = { pages: number; renderIncluded: Timed; renderExcluded: Timed; bytesPerPage: number; storedBytes: number; rawBytes: number };
const rows = (results as Row[]).map((r) => [
  r.pages,
  r.renderIncluded.seconds,
  r.renderIncluded.pagesPerSecond,
  r.renderExcluded.seconds,
  r.renderExcluded.pagesPerSecond,
  `${r.bytesPerPage} B`,
  `${(r.rawBytes / r.storedBytes).toFixed(2)}×`,
]);
const header = ["pages", "render included: s", "pages/s", "render excluded (write only): s", "pages/s", "stored per page", "compression"];
console.log(markdownTable(header, rows, "first-left"));
const latest = { date: new Date().toISOString(), node, cpus, results };
writeFileSync(new URL("./latest.json", import.meta.url), `${JSON.stringify(latest, null, 2)}\n`);
