/**
 * `edge-isr watch`: polls the namespace's key listing and reports what changed
 * between two polls — `set <key> (<bytes> bytes)` for a new or rewritten key,
 * `delete <key>` for one that is gone. The first poll is the baseline.
 *
 * Each poll costs one list call per 1,000 keys. Locally that is free, so it
 * polls every 500 ms; on a Cloudflare namespace it paces itself so that a day
 * of watching stays within the free plan's 1,000 lists (90 s per list call),
 * says so, and warns about the daily cost when --interval asks for more.
 */
import { CliError } from "../errors.js";
import { count } from "../format.js";
import { CliLimits } from "../limits.js";
import type { KVTarget } from "../kv/target.js";

interface Seen {
  /** What identifies this version of the key: content hash, else lastModified, else the metadata itself. */
  version: string;
  bytes: number | undefined;
}

function versionOf(metadata: unknown): Seen {
  const md = (typeof metadata === "object" && metadata !== null ? metadata : {}) as {
    h?: unknown;
    m?: unknown;
    z?: unknown;
    s?: unknown;
    x?: unknown;
  };
  // A purge rewrites an entry with the same content but a stale mark: count that as a change too.
  const marks = md.s !== undefined || md.x !== undefined ? `|${String(md.s)}|${String(md.x)}` : "";
  const version =
    typeof md.h === "string"
      ? `h:${md.h}${marks}`
      : typeof md.m === "number"
        ? `m:${md.m}${marks}`
        : `j:${JSON.stringify(metadata ?? null)}`;
  return { version, bytes: typeof md.z === "number" ? md.z : undefined };
}

/** Waits `ms`, or less if `signal` aborts; never rejects. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

async function snapshot(target: KVTarget): Promise<Map<string, Seen>> {
  const keys = new Map<string, Seen>();
  for await (const listed of target.list("")) keys.set(listed.name, versionOf(listed.metadata));
  return keys;
}

export interface WatchOptions {
  /** Poll interval in ms; default: 500 locally, the free plan's pace remotely. */
  intervalMs?: number;
  /** A Cloudflare namespace, billed per list call. */
  remote?: boolean;
  signal: AbortSignal;
  onEvent: (line: string) => void;
  /** Where the pacing is explained (stderr). */
  onNote?: (line: string) => void;
}

const DAY_MS = 86_400_000;
const listsPerPoll = (keys: number) => Math.max(1, Math.ceil(keys / CliLimits.keysPerList));
/** The remote interval that keeps a day of polling within the free plan's lists. */
const planInterval = (keys: number) => CliLimits.remoteWatchSecondsPerList * 1000 * listsPerPoll(keys);

/** What polling every `ms` costs a day, in words. */
export function dailyListCost(ms: number, keys: number): string {
  const lists = Math.ceil(DAY_MS / ms) * listsPerPoll(keys);
  const dollars = (lists / 1_000_000) * CliLimits.listPricePerMillion;
  return `${count(lists)} list calls a day (${listsPerPoll(keys)} per poll): ${lists > CliLimits.freeListsPerDay ? `over the free plan's ${count(CliLimits.freeListsPerDay)}, after which every list in the account fails until the next day` : `within the free plan's ${count(CliLimits.freeListsPerDay)}`}, and about US$${dollars.toFixed(2)} a day on a paid plan (US$${CliLimits.listPricePerMillion} per million)`;
}

export async function watch(target: KVTarget, opts: WatchOptions): Promise<void> {
  const explicit = opts.intervalMs !== undefined;
  if (explicit && !(Number.isFinite(opts.intervalMs) && opts.intervalMs! > 0)) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--interval must be a number of milliseconds > 0, got ${JSON.stringify(String(opts.intervalMs))}`,
      "pass how often to poll, e.g. --interval 500 (each poll lists the namespace once per 1,000 keys).",
    );
  }
  const note = opts.onNote ?? ((line: string) => process.stderr.write(`${line}\n`));
  let interval = explicit ? opts.intervalMs! : opts.remote ? planInterval(0) : CliLimits.localWatchIntervalMs;
  if (!opts.remote) note(`watching ${target.description} every ${interval} ms; Ctrl-C to stop`);
  else if (explicit && interval < planInterval(0))
    note(`warning: polling ${target.description} every ${interval / 1000} s makes ${dailyListCost(interval, 0)}. Ctrl-C to stop.`);
  else
    note(
      `watching ${target.description} every ${interval / 1000} s${explicit ? "" : `, paced for Cloudflare's free plan (${count(CliLimits.freeListsPerDay)} list calls a day; each poll lists the namespace once per ${count(CliLimits.keysPerList)} keys)`}. --interval <ms> polls faster, at a cost it states. Ctrl-C to stop.`,
    );
  let before: Map<string, Seen> | undefined;
  while (!opts.signal.aborted) {
    const now = await snapshot(target);
    if (opts.signal.aborted) return;
    if (before) {
      for (const [key, seen] of now) {
        const old = before.get(key);
        if (!old || old.version !== seen.version)
          opts.onEvent(seen.bytes === undefined ? `set ${key}` : `set ${key} (${seen.bytes} bytes)`);
      }
      for (const key of before.keys()) if (!now.has(key)) opts.onEvent(`delete ${key}`);
    }
    // A namespace past 1,000 keys costs more lists per poll: slow down to stay within the plan.
    if (opts.remote && !explicit && planInterval(now.size) > interval) {
      interval = planInterval(now.size);
      note(`${count(now.size)} keys take ${listsPerPoll(now.size)} list calls a poll: polling every ${interval / 1000} s from now on`);
    } else if (opts.remote && explicit && listsPerPoll(now.size) > listsPerPoll(before?.size ?? 0) && interval < planInterval(now.size)) {
      note(
        `warning: ${count(now.size)} keys take ${listsPerPoll(now.size)} list calls a poll: every ${interval / 1000} s that is ${dailyListCost(interval, now.size)}`,
      );
    }
    before = now;
    await sleep(interval, opts.signal);
  }
}
