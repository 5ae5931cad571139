/**
 * `edge-isr builds | promote | rollback | prune`: the builds stored in KV and
 * the pointer that names the one being served.
 *
 * A page entry's cache key is `<buildId>:<path><query>`, stored at KV key
 * `e:<cache key>` (or `h:<sha-256>` when that is too long; the value's header
 * then holds the original key). Switching builds is one write of the pointer
 * key; the entries themselves are never copied.
 */
import cliProgress from "cli-progress";
import { decodeHeader, ENTRY_PREFIX, HASHED_PREFIX, parseMetadata } from "@edge-isr/kv-cache-handler";
import { BUILD_POINTER_KEY, parsePointer, type BuildPointer } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import type { KVTarget } from "../kv/target.js";
import { pool } from "../pool.js";

export interface BuildInfo {
  id: string;
  entries: number;
  /** Bytes stored in KV (metadata `z`), summed. */
  storedBytes: number;
  /** Bytes before compression (metadata `w`), summed. */
  rawBytes: number;
  /** The newest entry's lastModified (ms since the epoch; 0 when unknown). */
  newest: number;
  /** The build the pointer names. */
  current: boolean;
}

/** How many builds the pointer remembers for rollback. */
export const MAX_PREVIOUS_BUILDS = 20;
/** Parallel KV operations when reading headers or deleting entries. */
const CONCURRENCY = 8;

// ───────────────────────── shared helpers (also used by inspect, backup, purge) ─────────────────────────

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A duration in ms as `42s`, `5m`, `3h`, `2d`. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Rows as aligned columns; columns listed in `right` are right-aligned (numbers). */
export function formatTable(header: string[], rows: string[][], right: number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A progress bar on a terminal; nothing otherwise (the caller prints one summary line). */
export function progressBar(total: number, label: string): { update(done: number): void; stop(): void } {
  if (!process.stdout.isTTY || total === 0) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} ({percentage}%)`, hideCursor: true, clearOnComplete: true, stream: process.stdout },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

/** The pointer stored in KV, or undefined when there is none (or it is not a pointer). */
export async function readPointer(target: KVTarget): Promise<BuildPointer | undefined> {
  const hit = await target.get(BUILD_POINTER_KEY);
  if (!hit) return undefined;
  try {
    return parsePointer(JSON.parse(new TextDecoder().decode(hit.value)));
  } catch {
    return undefined;
  }
}

async function writePointer(target: KVTarget, pointer: BuildPointer): Promise<void> {
  await target.put({ key: BUILD_POINTER_KEY, value: new TextEncoder().encode(JSON.stringify(pointer)) });
}

/** The original cache key of an entry: from its KV key, or from the value's header for hashed keys. */
export async function cacheKeyOf(target: KVTarget, kvKey: string): Promise<string | undefined> {
  if (kvKey.startsWith(ENTRY_PREFIX)) return kvKey.slice(ENTRY_PREFIX.length);
  if (!kvKey.startsWith(HASHED_PREFIX)) return undefined;
  const hit = await target.get(kvKey);
  if (!hit) return undefined;
  try {
    return decodeHeader(hit.value as Uint8Array<ArrayBuffer>).header.k;
  } catch {
    return undefined;
  }
}

/**
 * The build a cache key belongs to: the part before its first `:`. Data-cache
 * entries (`data:[…]`, shared by every build) and keys without a `:` belong to none.
 */
export function buildIdOf(cacheKey: string): string | undefined {
  const colon = cacheKey.indexOf(":");
  if (colon <= 0) return undefined;
  if (cacheKey.startsWith("data:[")) return undefined;
  return cacheKey.slice(0, colon);
}

interface ScannedBuild extends BuildInfo {
  /** The KV keys of the build's entries. */
  keys: string[];
}

/** Every build with its entries' KV keys, newest first. */
async function scanBuilds(target: KVTarget): Promise<{ builds: ScannedBuild[]; pointer: BuildPointer | undefined }> {
  const [listed, pointer] = await Promise.all([
    (async () => {
      const out: { name: string; metadata?: unknown }[] = [];
      for await (const key of target.list("")) if (key.name.startsWith(ENTRY_PREFIX) || key.name.startsWith(HASHED_PREFIX)) out.push(key);
      return out;
    })(),
    readPointer(target),
  ]);
  const byId = new Map<string, ScannedBuild>();
  await pool(listed, CONCURRENCY, async ({ name, metadata }) => {
    const cacheKey = await cacheKeyOf(target, name);
    const id = cacheKey === undefined ? undefined : buildIdOf(cacheKey);
    if (id === undefined) return;
    let build = byId.get(id);
    if (!build) byId.set(id, (build = { id, entries: 0, storedBytes: 0, rawBytes: 0, newest: 0, current: id === pointer?.current, keys: [] }));
    const md = parseMetadata(metadata);
    build.entries++;
    build.storedBytes += md?.z ?? 0;
    build.rawBytes += md?.w ?? 0;
    build.newest = Math.max(build.newest, md?.m ?? 0);
    build.keys.push(name);
  });
  const builds = [...byId.values()].sort((a, b) => b.newest - a.newest || a.id.localeCompare(b.id));
  return { builds, pointer };
}

/** The builds stored in the target, newest first, the pointer's current one marked. */
export async function listBuilds(target: KVTarget): Promise<BuildInfo[]> {
  const { builds } = await scanBuilds(target);
  return builds.map(({ keys: _keys, ...info }) => info);
}

export function printBuilds(builds: BuildInfo[]): void {
  if (builds.length === 0) {
    console.log("no builds stored yet: run `edge-isr prerender` to store one");
    return;
  }
  const rows = builds.map((b) => [
    b.id,
    String(b.entries),
    formatBytes(b.storedBytes),
    formatBytes(b.rawBytes),
    b.newest ? `${new Date(b.newest).toISOString().replace(/\.\d+Z$/, "Z")} (${formatAge(Date.now() - b.newest)} ago)` : "—",
    b.current ? "← current" : "",
  ]);
  for (const line of formatTable(["build", "entries", "stored", "raw", "newest", ""], rows, [1, 2, 3])) console.log(line);
  if (!builds.some((b) => b.current)) console.log("\nno build pointer: the Worker serves its own build id (`edge-isr promote <build>` sets one)");
}

const existing = (builds: BuildInfo[]) =>
  builds.length ? `the builds stored are: ${builds.map((b) => `${b.id} (${b.entries} entries)`).join(", ")}` : "no build is stored yet; run `edge-isr prerender` first";

/** Serves `buildId`: one KV write (the pointer). */
export async function promote(target: KVTarget, buildId: string, opts: { force: boolean }): Promise<BuildPointer> {
  if (!buildId || buildId.includes(":")) {
    throw new CliError("ERR_BAD_ARGUMENT", `${JSON.stringify(buildId)} is not a build id`, "pass a build id as `edge-isr builds` lists it (it contains no \":\").");
  }
  let old: BuildPointer | undefined;
  if (opts.force) {
    old = await readPointer(target);
  } else {
    const scanned = await scanBuilds(target);
    old = scanned.pointer;
    if (!scanned.builds.some((b) => b.id === buildId && b.entries > 0)) {
      throw new CliError(
        "ERR_BUILD_NOT_FOUND",
        `build ${JSON.stringify(buildId)} has no entries in ${target.description}`,
        `${existing(scanned.builds)}. Promote one of those, prerender this build first, or pass --force to serve it anyway (every page then renders on its first request).`,
      );
    }
  }
  const previous = old ? [old.current, ...old.previous].filter((b) => b !== buildId) : [];
  const pointer: BuildPointer = { current: buildId, previous: [...new Set(previous)].slice(0, MAX_PREVIOUS_BUILDS), promotedAt: Date.now() };
  await writePointer(target, pointer);
  console.log(`promoted ${buildId} (was ${old?.current ?? "none: the Worker's own build id"})`);
  return pointer;
}

/** Serves the previous build again: one KV write (the pointer). */
export async function rollback(target: KVTarget): Promise<BuildPointer> {
  const old = await readPointer(target);
  const [back, ...rest] = old?.previous ?? [];
  if (!old || back === undefined) {
    throw new CliError(
      "ERR_NO_PREVIOUS_BUILD",
      old ? `build ${old.current} is current and no build was promoted before it` : `${target.description} holds no build pointer, so there is nothing to roll back to`,
      "promote a build explicitly instead: `edge-isr builds` lists them, `edge-isr promote <build>` serves one.",
    );
  }
  const pointer: BuildPointer = { current: back, previous: rest, promotedAt: Date.now() };
  await writePointer(target, pointer);
  console.log(`rolled back to ${back} (was ${old.current})`);
  return pointer;
}

/**
 * Deletes the entries of old builds, keeping the current build plus the `keep`
 * newest others. Without a pointer, the newest build counts as current (it is
 * the one the Worker most likely serves).
 */
export async function prune(
  target: KVTarget,
  keep: number,
  opts: { dryRun: boolean },
): Promise<{ deleted: number; builds: string[]; entries: number; kept: string[] }> {
  if (!Number.isInteger(keep) || keep < 0) {
    throw new CliError("ERR_BAD_ARGUMENT", `--keep must be a whole number ≥ 0, got ${JSON.stringify(String(keep))}`, "pass how many builds to keep besides the current one, e.g. --keep 2 (0 keeps only the current build).");
  }
  const { builds, pointer } = await scanBuilds(target);
  const currentId = pointer?.current ?? builds[0]?.id;
  const others = builds.filter((b) => b.id !== currentId);
  const kept = [...builds.filter((b) => b.id === currentId), ...others.slice(0, keep)];
  const doomed = others.slice(keep);
  const keys = doomed.flatMap((b) => b.keys);
  const names = doomed.map((b) => b.id);
  const currentLabel = pointer ? "current" : "newest; no build pointer, so taken as current";
  const keptText = kept.map((b) => (b.id === currentId ? `${b.id} (${currentLabel})` : b.id)).join(", ") || "none";

  if (doomed.length === 0) {
    console.log(`nothing to prune: ${builds.length} build(s) stored, keeping ${keptText}`);
    return { deleted: 0, builds: [], entries: 0, kept: kept.map((b) => b.id) };
  }
  const inHistory = names.filter((id) => pointer?.previous.includes(id));
  if (opts.dryRun) {
    console.log(`would delete ${keys.length} entries of ${names.length} build(s): ${names.join(", ")}; keeping ${keptText} (dry run: nothing deleted)`);
  } else {
    const bar = progressBar(keys.length, "deleting");
    let done = 0;
    try {
      await pool(keys, CONCURRENCY, async (key) => {
        await target.delete(key);
        bar.update(++done);
      });
    } finally {
      bar.stop();
    }
    console.log(`deleted ${done} entries of ${names.length} build(s): ${names.join(", ")}; kept ${keptText}`);
  }
  if (inHistory.length) console.log(`note: rollback history names ${inHistory.join(", ")}; rolling back to it renders its pages afresh`);
  return { deleted: opts.dryRun ? 0 : keys.length, builds: names, entries: keys.length, kept: kept.map((b) => b.id) };
}
