/**
 * The soak: the BUILT demo (5 s windows) in workerd through Miniflare, with
 * Miniflare's KV, loaded by autocannon over 127.0.0.1 for SOAK_SECONDS (60) at
 * the highest rate it sustains, while a revalidateTag is POSTed every second.
 * Reports throughput, latency, statuses, cache states, renders per stale window,
 * KV operations per request and workerd's memory — the last next to a baseline:
 * a trivial Worker under the same load. Fails on any 5xx or a failed sanity
 * check. Run through run.mjs (`npm run bench -w @edge-isr/bench-soak`).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { machine, miniflareVersion as installedMiniflare } from "../shared/environment.js";
import { nodeCpuMicros } from "../shared/meter.js";
import { COMPATIBILITY_DATE } from "../shared/miniflare.js";
import { rounding } from "../shared/stats.js";
import { markdownTable as table } from "../shared/table.js";
import { HEADERS, load, revalidateEverySecond, sampleRss, start, type Revalidation, type RuntimeLine } from "./load.js";
import type { SoakStats, Tally } from "./worker.js";

// ---------------------------------------------------------------- settings
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const WARMUP_SECONDS = 5;
/** Saturates workerd on this 2-core machine (autocannon shares the cores); see the README. */
const CONNECTIONS = 24;
const IDS = ["1", "2", "3", "4", "5", "6"];
const PAGES = ["/", ...IDS.map((id) => `/products/${id}`), ...IDS.map((id) => `/products/${id}/reviews`)];
/** The demo's route tags (apps/demo/src/shop.ts). */
const tagsOf = (path: string) => (path === "/" ? ["catalogue", "products"] : [`product:${path.split("/")[2]}`, "products"]);
/** Per product: the catalogue, the product page twice, its reviews (25 / 50 / 25 % of requests). */
const MIX = IDS.flatMap((id) => ["/", `/products/${id}`, `/products/${id}`, `/products/${id}/reviews`]);
/** The i-th revalidation (one a second): products 1…6 in turn, every 5th "products"; every 3rd with expire: 0 (a MISS next). */
const revalidation = (i: number): Revalidation => {
  const tags = [i % 5 === 4 ? "products" : `product:${(i % 6) + 1}`];
  return i % 3 === 2 ? { tags, expire: 0 } : { tags };
};

if (!Number.isFinite(SECONDS) || SECONDS < 5) throw new Error(`SOAK_SECONDS must be a number ≥ 5, got ${process.env.SOAK_SECONDS}`);
const here = (path: string) => new URL(path, import.meta.url); // bench.mjs runs from results/
const built = JSON.parse(readFileSync(here("./demo/dist/edge_isr_demo/wrangler.json"), "utf8")) as {
  vars: Record<string, string>;
  compatibility_flags: string[];
};
const windowSeconds = Number(built.vars.REVALIDATE_SECONDS);
if (!(windowSeconds >= 1)) throw new Error("the soak's demo build has no REVALIDATE_SECONDS var");
/** The revalidation secret: a binding, as `wrangler secret put` gives one — never in the build. */
const EDGE_ISR_SECRET = randomUUID();
const miniflareVersion = installedMiniflare();
const { cpus, cpuModel } = machine();

const log = (message: string) => console.error(`[soak] ${message}`);
const round = rounding(2);
const problems: string[] = [];
const check = (ok: boolean, problem: string) => void (ok || problems.push(problem));

async function stats(base: string): Promise<SoakStats> {
  return (await fetch(`${base}__soak/stats`)).json() as Promise<SoakStats>;
}

/** Stats once every request's background work (regenerations, writes) settled, or after 30 s with `pending` > 0. */
async function settled(base: string): Promise<SoakStats> {
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    const s = await stats(base);
    if (s.pending === 0 || Date.now() > deadline) return s;
  }
}

async function get(base: string, path: string) {
  const response = await fetch(base + path.slice(1), { headers: HEADERS });
  await response.arrayBuffer();
  return { status: response.status, state: response.headers.get("x-edge-isr-cache") };
}

const minus = (a: Tally | undefined, b: Tally | undefined): Tally => {
  const zero: Tally = { requests: 0, unread: 0, reads: 0, writes: 0, deletes: 0, lists: 0, statuses: {} };
  const [x, y] = [a ?? zero, b ?? zero];
  const statuses: Record<string, number> = {};
  for (const code of Object.keys(x.statuses)) statuses[code] = x.statuses[code]! - (y.statuses[code] ?? 0);
  return {
    requests: x.requests - y.requests,
    unread: x.unread - y.unread,
    reads: x.reads - y.reads,
    writes: x.writes - y.writes,
    deletes: x.deletes - y.deletes,
    lists: x.lists - y.lists,
    statuses,
  };
};

// ---------------------------------------------------------------- the soak
const load1 = loadavg()[0]!;
const runtimeLines: RuntimeLine[] = [];
const demo = await start(
  {
    modules: true,
    script: readFileSync(here("./worker.js"), "utf8"),
    scriptPath: here("./worker.js").pathname,
    kvNamespaces: ["CACHE", "DB"],
    // The production setup, as the demo's wrangler.toml has it: invalidations through the coordinator.
    durableObjects: { EDGE_ISR_COORDINATOR: { className: "EdgeIsrCoordinator", useSQLite: true } },
    bindings: { ...built.vars, EDGE_ISR_SECRET },
    compatibilityDate: COMPATIBILITY_DATE,
    // nodejs_als: the wrapper's AsyncLocalStorage (the demo itself uses no flag).
    compatibilityFlags: [...built.compatibility_flags, "nodejs_als"],
  },
  runtimeLines,
);
let soak: Awaited<ReturnType<typeof run>>;
try {
  soak = await run(demo.base, demo.workerd);
} finally {
  await demo.mf.dispose();
}

async function run(base: string, workerd: { pid: number; cpuMicros(): number }) {
  log(`Miniflare ${miniflareVersion} at ${base}, workerd pid ${workerd.pid}; load average ${load1.toFixed(2)}`);
  // Warm-up 1: every page once (MISS: one render each), which also measures DB reads per render.
  const readsPerRender: Record<string, number> = {};
  for (const path of PAGES) {
    const before = (await settled(base)).dbReads[path] ?? 0;
    const first = await get(base, path);
    const reads = ((await settled(base)).dbReads[path] ?? 0) - before;
    const again = await get(base, path);
    if (first.status !== 200 || first.state !== "MISS" || again.state !== "HIT" || reads < 1) {
      throw new Error(`warm-up of ${path}: ${first.status} ${first.state}, then ${again.state}; ${reads} DB reads for its render`);
    }
    readsPerRender[path] = reads;
  }
  log(`DB reads per render: ${JSON.stringify(readsPerRender)}`);
  // Warm-up 2: load without revalidations, so the figures are of a warm isolate.
  log(`warm-up load, ${WARMUP_SECONDS} s`);
  await load(base, MIX, CONNECTIONS, WARMUP_SECONDS);
  const before = await settled(base);
  if (before.pending) throw new Error(`${before.pending} requests' background work did not settle after the warm-up`);

  log(`soak: ${SECONDS} s, ${CONNECTIONS} connections, a revalidation every second`);
  const rss = sampleRss(workerd.pid);
  const started = performance.now();
  const cpu0 = { workerd: workerd.cpuMicros(), node: process.cpuUsage() };
  const revalidations = revalidateEverySecond(base, EDGE_ISR_SECRET, revalidation);
  const loaded = await load(base, MIX, CONNECTIONS, SECONDS);
  await revalidations.stop();
  const cores = {
    workerd: round((workerd.cpuMicros() - cpu0.workerd) / 1e6 / loaded.seconds),
    node: round(nodeCpuMicros(cpu0.node) / 1e6 / loaded.seconds),
  };
  const after = await settled(base);
  return { readsPerRender, before, after, loaded, calls: revalidations.calls, cores, rss: rss.stop(), started };
}

// ---------------------------------------------------------------- baseline: a trivial Worker, same load
const { result, states, seconds } = soak.loaded;
const requests = result.requests.total ?? 0;
const bodyBytes = Math.max(1, Math.round((result.throughput.total ?? 0) / Math.max(1, requests)));
log(`baseline: a Worker answering ${bodyBytes} fixed bytes, ${SECONDS} s, same load`);
const baseline = await (async () => {
  const trivial = await start({
    modules: true,
    script: `const body = new Uint8Array(${bodyBytes}).fill(97); export default { fetch: () => new Response(body, { headers: { "content-type": "text/html" } }) };`,
    compatibilityDate: COMPATIBILITY_DATE,
  });
  try {
    await get(trivial.base, "/");
    const rss = sampleRss(trivial.workerd.pid);
    const loaded = await load(trivial.base, ["/"], CONNECTIONS, SECONDS);
    return {
      requestsPerSecond: round((loaded.result.requests.total ?? 0) / loaded.seconds, 1),
      latencyMs: { p50: loaded.result.latency.p50, p99: loaded.result.latency.p99 },
      workerdRssMiB: rss.stop(),
    };
  } finally {
    await trivial.mf.dispose();
  }
})();

// ---------------------------------------------------------------- figures
const { readsPerRender, before, after, calls } = soak;
const landed = calls.filter((c) => c.status === 200);
const statusCounts = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
const unexpected = Object.entries(statusCounts)
  .filter(([code]) => !/^[23]\d\d$|^404$/.test(code))
  .reduce((n, [, count]) => n + count, 0);
const callStatuses: Record<string, number> = {};
for (const c of calls) callStatuses[c.status] = (callStatuses[c.status] ?? 0) + 1;

// Renders of a page = its DB reads during the soak ÷ the DB reads of one render of it (warm-up 1).
// Stale windows of a page = 1 (the window open when the soak starts) + ⌊seconds ÷ window⌋ (a render
// starts a fresh window, so at most one time-stale render per 5 s) + revalidations (200) that carry
// one of its tags. With one render per stale or missing entry, renders ≤ windows.
const pages = PAGES.map((path) => {
  const reads = (after.dbReads[path] ?? 0) - (before.dbReads[path] ?? 0);
  const renders = reads / readsPerRender[path]!;
  check(Number.isInteger(renders), `${path}: ${reads} DB reads is not a whole number of renders (${readsPerRender[path]} reads each)`);
  const invalidations = landed.filter((c) => c.tags.some((t) => tagsOf(path).includes(t))).length;
  const windows = 1 + Math.floor(seconds / windowSeconds) + invalidations;
  return { path, renders, invalidations, windows, rendersPerWindow: round(renders / windows, 3) };
});
const renders = pages.reduce((n, p) => n + p.renders, 0);
const windows = pages.reduce((n, p) => n + p.windows, 0);

const tallies = Object.fromEntries(
  [...new Set([...Object.keys(after.byState), ...Object.keys(before.byState)])].map((s) => [s, minus(after.byState[s], before.byState[s])]),
);
const pageTallies = Object.entries(tallies).filter(([s]) => s !== "revalidate");
const pageRequests = pageTallies.reduce((n, [, t]) => n + t.requests, 0);
const all = Object.values(tallies);
const kv = {
  readsPerPageRequest: round(pageTallies.reduce((n, [, t]) => n + t.reads, 0) / pageRequests, 4),
  byState: Object.fromEntries(
    pageTallies.map(([s, t]) => [
      s,
      {
        requests: t.requests,
        readsPerRequest: round(t.reads / t.requests, 4),
        withoutRead: t.unread,
        writes: t.writes,
        deletes: t.deletes,
      },
    ]),
  ),
  revalidateEndpoint: tallies.revalidate ?? null,
  reads: all.reduce((n, t) => n + t.reads, 0),
  writes: all.reduce((n, t) => n + t.writes, 0),
  deletes: all.reduce((n, t) => n + t.deletes, 0),
  lists: all.reduce((n, t) => n + t.lists, 0),
  outsideRequests: { reads: after.outside.reads - before.outside.reads, writes: after.outside.writes - before.outside.writes },
};
const ms = calls.map((c) => c.ms).sort((a, b) => a - b);
// What workerd printed from the soak's start on (the demo logs KV and render failures; workerd its warnings).
const printed = runtimeLines
  .filter((l) => l.at >= soak.started)
  .map((l) => ({ second: round((l.at - soak.started) / 1000, 1), line: l.line }));
const crossRequest = printed.filter((l) => /different request context/.test(l.line));
const results = {
  environment: { node: process.version, miniflare: miniflareVersion, cpus, cpuModel, loadAverage1mAtStart: round(load1) },
  settings: {
    seconds: round(seconds, 1),
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
    revalidateSeconds: windowSeconds,
    mix: MIX,
    pages: PAGES.length,
  },
  load: {
    requests,
    requestsPerSecond: round(requests / seconds, 1),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    bytesPerResponse: bodyBytes,
    statuses: statusCounts,
    "5xx": result["5xx"],
    unexpectedStatuses: unexpected,
    errors: result.errors,
    timeouts: result.timeouts,
    cacheStates: states,
    /** Responses by cache state (and 5xx) per 10 s of the soak. */
    timeline: soak.loaded.timeline,
    cores: soak.cores,
  },
  revalidations: {
    calls: calls.length,
    statuses: callStatuses,
    withExpire0: calls.filter((c) => c.expire === 0).length,
    msP50: round(ms[Math.floor(ms.length / 2)] ?? 0),
    msMax: round(ms.at(-1) ?? 0),
  },
  renders: {
    total: renders,
    windows,
    perWindow: round(renders / windows, 3),
    pagesOverOne: pages.filter((p) => p.renders > p.windows).length,
    readsPerRender,
    pages,
  },
  kv,
  workerdRssMiB: soak.rss,
  baseline,
  workerdOutput: { lines: printed.length, crossRequestWarnings: crossRequest.length, first: printed.slice(0, 20) },
};

// ---------------------------------------------------------------- checks (no timing assertions)
check(requests > 0, "no requests completed");
check(result["5xx"] === 0, `${result["5xx"]} responses were 5xx`);
check(unexpected === 0, `${unexpected} responses had a status other than 2xx, 3xx or 404`);
check(result.errors === 0 && result.timeouts === 0, `${result.errors} connection errors, ${result.timeouts} timeouts`);
check((states.HIT ?? 0) > 0, "no HIT");
check((states.STALE ?? 0) > 0, "no STALE");
check((states.none ?? 0) === 0, `${states.none} responses without x-edge-isr-cache`);
check(calls.length > 0 && landed.length === calls.length, `revalidations: ${JSON.stringify(callStatuses)} (all must be 200)`);
check(renders > 0, "no render during the soak");
check(after.thrown === 0, `the demo's fetch threw ${after.thrown} times`);
check(after.pending === 0, `${after.pending} requests' background work had not settled 30 s after the load`);
check(
  crossRequest.length === 0,
  `workerd cancelled continuations of a promise resolved from another request ${crossRequest.length} times (first at ${crossRequest[0]?.second} s)`,
);

// ---------------------------------------------------------------- print
const share = (n: number) => `${round((100 * n) / requests, 2)} %`;
console.log(
  [
    `\nsoak: the built demo in workerd (Miniflare ${miniflareVersion}), Node ${process.version}, ${cpus} CPUs (${cpuModel}); ` +
      `load average at start ${round(load1)}`,
    `${round(seconds, 1)} s, ${CONNECTIONS} connections, ${windowSeconds} s windows, ${calls.length} revalidations\n`,
    table(
      [
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "5xx",
        "other non-2xx/3xx/404",
        "errors + timeouts",
        "workerd cores",
        "Node cores",
      ],
      [
        [
          requests,
          results.load.requestsPerSecond,
          result.latency.p50,
          result.latency.p99,
          result.latency.max,
          result["5xx"],
          unexpected,
          result.errors + result.timeouts,
          soak.cores.workerd,
          soak.cores.node,
        ],
      ],
    ),
    "",
    table(
      ["cache state", "responses", "share", "CACHE reads/request", "requests with no CACHE read", "CACHE writes"],
      Object.entries(states).map(([s, n]) => [
        s,
        n,
        share(n),
        kv.byState[s]?.readsPerRequest ?? "–",
        kv.byState[s]?.withoutRead ?? "–",
        kv.byState[s]?.writes ?? "–",
      ]),
    ),
    "",
    table(
      ["revalidations", "statuses", "with expire: 0", "p50 ms", "max ms", "CACHE reads", "writes", "deletes", "lists"],
      [
        [
          calls.length,
          JSON.stringify(callStatuses),
          results.revalidations.withExpire0,
          results.revalidations.msP50,
          results.revalidations.msMax,
          tallies.revalidate?.reads ?? 0,
          tallies.revalidate?.writes ?? 0,
          tallies.revalidate?.deletes ?? 0,
          tallies.revalidate?.lists ?? 0,
        ],
      ],
    ),
    "",
    table(
      ["page", "renders", "invalidations", "stale windows", "renders/window"],
      [
        ...pages.map((p) => [p.path, p.renders, p.invalidations, p.windows, p.rendersPerWindow]),
        [`all ${PAGES.length}`, renders, "", windows, results.renders.perWindow],
      ],
    ),
    "",
    table(
      ["CACHE reads/page request", "CACHE reads", "writes", "deletes", "lists"],
      [[kv.readsPerPageRequest, kv.reads, kv.writes, kv.deletes, kv.lists]],
    ),
    "",
    table(
      ["workerd", "req/s", "p50 ms", "p99 ms", "RSS start MiB", "end MiB", "max MiB", "RSS every 5 s, MiB"],
      [
        [
          "the demo (this soak)",
          results.load.requestsPerSecond,
          result.latency.p50,
          result.latency.p99,
          soak.rss.start,
          soak.rss.end,
          soak.rss.max,
          soak.rss.every5s.join(", "),
        ],
        [
          `baseline: trivial Worker, ${bodyBytes} B`,
          baseline.requestsPerSecond,
          baseline.latencyMs.p50,
          baseline.latencyMs.p99,
          baseline.workerdRssMiB.start,
          baseline.workerdRssMiB.end,
          baseline.workerdRssMiB.max,
          baseline.workerdRssMiB.every5s.join(", "),
        ],
      ],
    ),
    "",
    `STALE share per 10 s: ${soak.loaded.timeline.map((b) => `${round((100 * (b.STALE ?? 0)) / Object.entries(b).reduce((n, [k, v]) => (k === "5xx" ? n : n + v), 0), 1)} %`).join(", ")}`,
    `5xx per 10 s: ${soak.loaded.timeline.map((b) => b["5xx"] ?? 0).join(", ")}`,
    `workerd printed ${printed.length} lines during the soak${printed.length ? `; first at ${printed[0]!.second} s: ${printed[0]!.line}` : ""}`,
  ].join("\n"),
);
writeFileSync(here("./latest.json"), `${JSON.stringify({ ...results, problems }, null, 2)}\n`);
if (problems.length) {
  console.error(`\nsoak FAILED:\n- ${problems.join("\n- ")}`);
  process.exitCode = 1;
}
