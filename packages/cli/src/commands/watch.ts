/**
 * `edge-isr watch`: polls the namespace's key listing and reports what changed
 * between two polls — `set <key> (<bytes> bytes)` for a new or rewritten key,
 * `delete <key>` for one that is gone. The first poll is the baseline.
 */
import { CliError } from "../errors.js";
import type { KVTarget } from "../kv/target.js";

interface Seen {
  /** What identifies this version of the key: content hash, else lastModified, else the metadata itself. */
  version: string;
  bytes: number | undefined;
}

function versionOf(metadata: unknown): Seen {
  const md = (typeof metadata === "object" && metadata !== null ? metadata : {}) as { h?: unknown; m?: unknown; z?: unknown; s?: unknown; x?: unknown };
  // A purge rewrites an entry with the same content but a stale mark: count that as a change too.
  const marks = md.s !== undefined || md.x !== undefined ? `|${String(md.s)}|${String(md.x)}` : "";
  const version = typeof md.h === "string" ? `h:${md.h}${marks}` : typeof md.m === "number" ? `m:${md.m}${marks}` : `j:${JSON.stringify(metadata ?? null)}`;
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

export async function watch(target: KVTarget, opts: { intervalMs: number; signal: AbortSignal; onEvent: (line: string) => void }): Promise<void> {
  if (!(Number.isFinite(opts.intervalMs) && opts.intervalMs > 0)) {
    throw new CliError("ERR_BAD_ARGUMENT", `--interval must be a number of milliseconds > 0, got ${JSON.stringify(String(opts.intervalMs))}`, "pass how often to poll, e.g. --interval 500 (each poll lists the namespace once).");
  }
  const interval = opts.intervalMs;
  if (process.stderr.isTTY) process.stderr.write(`watching ${target.description} every ${interval} ms; Ctrl-C to stop\n`);
  let before: Map<string, Seen> | undefined;
  while (!opts.signal.aborted) {
    const now = await snapshot(target);
    if (opts.signal.aborted) return;
    if (before) {
      for (const [key, seen] of now) {
        const old = before.get(key);
        if (!old || old.version !== seen.version) opts.onEvent(seen.bytes === undefined ? `set ${key}` : `set ${key} (${seen.bytes} bytes)`);
      }
      for (const key of before.keys()) if (!now.has(key)) opts.onEvent(`delete ${key}`);
    }
    before = now;
    await sleep(interval, opts.signal);
  }
}
