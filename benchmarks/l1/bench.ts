/**
 * The L1, the coordinator's regeneration leases and what a hit costs, in one
 * run (see benchmarks/README.md):
 *   1. billed KV reads per hit at 1, 10 and 100 hits/s on one page in one colo
 *      (four isolates), with the L1 and without (today's floor: 1);
 *   2. renders per stale window when 4 and 16 isolates see the page go stale
 *      at once under 1,000 concurrent requests, with and without the coordinator;
 *   3. CPU per get inside workerd: a bare KV read, a hit through the handler
 *      on KV, a hit from the L1, a bare Cache API match (µs, median of rounds);
 *   4. invalidation visibility: simulated time from revalidateTag in one
 *      isolate to the first stale answer in another isolate of the colo.
 * Prints tables, writes results/latest.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { findWorkerd } from "../shared/workerd-cpu.js";

const table = (headers: string[], rows: (string | number)[][]) => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c, i) => (typeof c === "number" ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join(" | ")} |`;
  console.log([line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n"));
};
const fmt = (n: number, digits = 4) => Number(n.toFixed(digits));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const mf = new Miniflare({
  modules: true,
  script: readFileSync(new URL("./worker.js", import.meta.url), "utf8"),
  kvNamespaces: ["CACHE"],
  durableObjects: { EDGE_ISR_COORDINATOR: { className: "EdgeIsrCoordinator", useSQLite: true } },
  compatibilityDate: "2026-04-01",
  compatibilityFlags: ["nodejs_compat"],
});
await mf.ready;
const call = async <T>(path: string, body: unknown): Promise<T> => {
  const res = await mf.dispatchFetch(`http://bench${path}`, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`bench: ${path} answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<T>;
};
const out: Record<string, unknown> = {};

// ---------------------------------------------------------------- 1. reads per hit
console.log("\n1. Billed KV reads per hit, one page, one colo, four isolates, 60 simulated seconds\n");
const readRows: (string | number)[][] = [];
const reads: Record<string, unknown>[] = [];
for (const rate of [1, 10, 100]) {
  for (const l1 of [false, true]) {
    const r = await call<{ hits: number; reads: number; readsPerHit: number }>("/reads", { rate, seconds: 60, isolates: 4, l1 });
    reads.push({ rate, l1, ...r });
    readRows.push([`${rate}/s`, l1 ? "L1 (default)" : "l1: false", r.hits, r.reads, fmt(r.readsPerHit)]);
  }
}
table(["traffic", "handler", "hits", "KV reads", "reads/hit"], readRows);
out.reads = reads;

// ---------------------------------------------------------------- 2. herd
console.log("\n2. Renders when every isolate sees the page go stale at once, 1,000 concurrent requests\n");
const herdRows: (string | number)[][] = [];
const herds: Record<string, unknown>[] = [];
for (const isolates of [4, 16]) {
  for (const coordinator of [false, true]) {
    const r = await call<{ renders: number; non200: number }>("/herd", { isolates, requests: 1000, coordinator });
    herds.push({ isolates, coordinator, ...r });
    herdRows.push([isolates, coordinator ? "coordinator lease" : "no coordinator (per-isolate single flight)", r.renders, r.non200]);
  }
}
table(["isolates", "setup", "renders", "non-200"], herdRows);
out.herd = herds;

// ---------------------------------------------------------------- 3. CPU per get
const workerd = findWorkerd();
const VARIANTS = ["kv.get", "handler, KV", "handler, L1", "caches.match"] as const;
if (workerd) {
  console.log(
    "\n3. CPU per get inside workerd (µs, whole workerd process: KV and Cache API emulation included), median of 5 rounds × 300 gets\n",
  );
  const prefix = `cpu-${Date.now()}/`;
  for (const variant of VARIANTS) await call("/cpu", { variant, n: 50, prefix }); // warm up (and store the page)
  const samples = new Map<string, number[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < 5; round++) {
    for (const variant of VARIANTS) {
      const before = workerd.cpuMicros();
      await call("/cpu", { variant, n: 300, prefix });
      samples.get(variant)!.push((workerd.cpuMicros() - before) / 300);
    }
  }
  const base = median(samples.get("kv.get")!);
  const cpuRows = VARIANTS.map((v) => [
    v,
    fmt(median(samples.get(v)!), 1),
    fmt(median(samples.get(v)!) - base, 1),
    fmt(median(samples.get(v)!) / base, 2),
  ]);
  table(["get", "µs CPU", "over kv.get", "× kv.get"], cpuRows);
  out.cpu = Object.fromEntries(VARIANTS.map((v) => [v, median(samples.get(v)!)]));
} else console.log("\n3. CPU per get: skipped (needs Linux /proc)");

// ---------------------------------------------------------------- 4. visibility
console.log("\n4. Invalidation visibility in another isolate of the same colo (simulated ms, polled every 100 ms), 20 runs\n");
const seen: number[] = [];
for (let i = 0; i < 20; i++) seen.push((await call<{ ms: number }>("/visible", { pollMs: 100 })).ms);
table(["runs", "median ms", "max ms"], [[seen.length, median(seen), Math.max(...seen)]]);
out.visibility = { runs: seen };

writeFileSync(new URL("./latest.json", import.meta.url), JSON.stringify(out, null, 2));
await mf.dispose();
