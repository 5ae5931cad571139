/** The soak's drivers: a Worker in Miniflare, autocannon's load, the revalidation loop, workerd's memory. */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { type WorkerdProcess, requireWorkerd } from "../shared/workerd-cpu.js";

/** What a browser sends; HITs are then served as the stored gzip. */
export const HEADERS = { "accept-encoding": "gzip" };

export interface Running {
  mf: Miniflare;
  /** `http://127.0.0.1:<port>/` */
  base: string;
  workerd: WorkerdProcess;
}

/** A line workerd printed (the Worker's console, runtime warnings), with `performance.now()` when it came. */
export interface RuntimeLine {
  at: number;
  line: string;
}

/**
 * Starts a module Worker in Miniflare, listening on 127.0.0.1; the caller disposes `mf`.
 * Everything workerd prints is passed on to stderr and kept in `lines`.
 */
export async function start(options: Omit<MiniflareOptions, "host" | "port">, lines: RuntimeLine[] = []): Promise<Running> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false"; // no Request.cf download offline
  const handleRuntimeStdio = (...streams: NodeJS.ReadableStream[]) => {
    for (const input of streams) {
      createInterface({ input }).on("line", (line) => {
        lines.push({ at: performance.now(), line });
        console.error(`[workerd] ${line}`);
      });
    }
  };
  const mf = new Miniflare({ ...options, host: "127.0.0.1", port: 0, handleRuntimeStdio } as MiniflareOptions);
  try {
    const base = (await mf.ready).href;
    return { mf, base, workerd: requireWorkerd("the soak", "memory") };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}

/** Resident memory of a process, KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Samples RSS every second: max, and one value (MiB) every 5 s. */
export function sampleRss(pid: number) {
  const rss = { start: rssKiB(pid), end: 0, max: 0, every5s: [] as number[] };
  rss.max = rss.start;
  let tick = 0;
  const timer = setInterval(() => {
    const now = rssKiB(pid);
    rss.max = Math.max(rss.max, now);
    if (++tick % 5 === 0) rss.every5s.push(Math.round(now / 102.4) / 10);
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      rss.end = rssKiB(pid);
      rss.max = Math.max(rss.max, rss.end);
      const mib = (kib: number) => Math.round(kib / 102.4) / 10;
      return { start: mib(rss.start), end: mib(rss.end), max: mib(rss.max), every5s: rss.every5s };
    },
  };
}

/** autocannon over `paths` (each connection cycles through them); counts responses by x-edge-isr-cache, in total and per 10 s (with 5xx). */
export async function load(base: string, paths: string[], connections: number, seconds: number) {
  const states: Record<string, number> = {};
  const timeline: Record<string, number>[] = [];
  const started = performance.now();
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    headers: HEADERS,
    requests: paths.map((path) => ({ method: "GET", path })),
    setupClient(client) {
      client.on("headers", ({ statusCode, headers }) => {
        let state = "none";
        for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === "x-edge-isr-cache") state = headers[i + 1]!;
        states[state] = (states[state] ?? 0) + 1;
        const bin = (timeline[Math.floor((performance.now() - started) / 10_000)] ??= {});
        bin[state] = (bin[state] ?? 0) + 1;
        if (statusCode >= 500) bin["5xx"] = (bin["5xx"] ?? 0) + 1;
      });
    },
  });
  return { result, states, timeline, seconds: (performance.now() - started) / 1000 };
}

export interface Revalidation {
  tags: string[];
  expire?: number;
}
export interface Call extends Revalidation {
  /** 0 when the request itself failed. */
  status: number;
  ms: number;
}

/**
 * POSTs `body(i)` (i = 0, 1, …) to /_isr/revalidate on each whole second after the start, one
 * at a time, until stop() is called; seconds that pass during a slow call are skipped.
 */
export function revalidateEverySecond(base: string, secret: string, body: (i: number) => Revalidation) {
  let stopped = false;
  const calls: Call[] = [];
  const started = performance.now();
  const done = (async () => {
    for (let second = 1; ; second++) {
      second = Math.max(second, Math.ceil((performance.now() - started) / 1000));
      await sleep(Math.max(0, started + second * 1000 - performance.now()));
      if (stopped) return;
      const sent = body(calls.length);
      const t0 = performance.now();
      let status = 0;
      try {
        const response = await fetch(`${base}_isr/revalidate`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify(sent),
        });
        await response.text();
        status = response.status;
      } catch (error) {
        console.error(`[soak] revalidate ${JSON.stringify(sent)} failed: ${String(error)}`);
      }
      calls.push({ ...sent, status, ms: performance.now() - t0 });
    }
  })();
  return {
    calls,
    async stop() {
      stopped = true;
      await done;
    },
  };
}
