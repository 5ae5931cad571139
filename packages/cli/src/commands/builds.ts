/**
 * `edge-isr builds`: the builds stored in KV, and which one the Worker serves.
 *
 * A page entry's cache key is `<buildId>:<path><query>`, stored at KV key
 * `e:<cache key>` (or `h:<sha-256>` when that is too long; the value's header
 * then holds the original key). The pointer key names a build; only a Worker
 * built with `createISR({ buildPointer })` serves it (see served.ts).
 */
import { decodeHeader, ENTRY_PREFIX, HASHED_PREFIX, parseMetadata } from "@edge-isr/kv-cache-handler";
import { BUILD_POINTER_KEY, parsePointer, type BuildPointer } from "@edge-isr/runtime";
import { formatAge, formatBytes, formatTable } from "../format.js";
import type { KVTarget } from "../kv/target.js";
import { pool } from "../pool.js";
import type { Served } from "../served.js";

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
  pointer: boolean;
}

export interface ScannedBuild extends BuildInfo {
  /** The KV keys of the build's entries. */
  keys: string[];
}

/** Parallel KV operations when reading headers or deleting entries. */
export const CONCURRENCY = 8;

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

/** Every build with its entries' KV keys, newest first, and the pointer. */
export async function scanBuilds(target: KVTarget): Promise<{ builds: ScannedBuild[]; pointer: BuildPointer | undefined }> {
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
    if (!build)
      byId.set(id, (build = { id, entries: 0, storedBytes: 0, rawBytes: 0, newest: 0, pointer: id === pointer?.current, keys: [] }));
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

/** The builds stored in the target, newest first, the pointer's marked. */
export async function listBuilds(target: KVTarget): Promise<BuildInfo[]> {
  const { builds } = await scanBuilds(target);
  return builds.map(({ keys: _keys, ...info }) => info);
}

/** The table, with the served build and the pointer marked, then why that build is served. */
export function printBuilds(builds: BuildInfo[], served: Served): void {
  const rows = [...builds];
  // A served or pointed-at build without entries still gets a row: its pages all render on first request.
  for (const id of new Set([served.build, served.pointer?.current])) {
    if (id !== undefined && !rows.some((b) => b.id === id))
      rows.push({ id, entries: 0, storedBytes: 0, rawBytes: 0, newest: 0, pointer: id === served.pointer?.current });
  }
  if (rows.length === 0) {
    console.log("no builds stored yet: run `edge-isr prerender` to store one");
    return;
  }
  const readsPointer = served.worker.known ? served.worker.buildPointer : undefined;
  const mark = (b: BuildInfo) => {
    if (b.id === served.build) return b.pointer && readsPointer ? "← served (pointer)" : "← served";
    if (b.pointer) return readsPointer === false ? "pointer (ignored: the Worker does not read it)" : "pointer";
    return "";
  };
  const table = rows.map((b) => [
    b.id,
    String(b.entries),
    formatBytes(b.storedBytes),
    formatBytes(b.rawBytes),
    b.newest ? `${new Date(b.newest).toISOString().replace(/\.\d+Z$/, "Z")} (${formatAge(Date.now() - b.newest)} ago)` : "—",
    mark(b),
  ]);
  for (const line of formatTable(["build", "entries", "stored", "raw", "newest", ""], table, [1, 2, 3])) console.log(line);
  console.log(`\n${served.build ? `serving ${served.build}: ` : ""}${served.why}`);
}
