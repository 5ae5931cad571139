/**
 * `edge-isr inspect`: one entry in readable form (by cache key, or by route in
 * the build the Worker serves), or a one-line-per-entry summary of the namespace.
 */
import {
  ENTRY_PREFIX,
  HASHED_PREFIX,
  kvKeyFor,
  parseMetadata,
  readClock,
  readParts,
  recordState,
  splitHashes,
  tagHash,
} from "@edge-isr/kv-cache-handler";
import { asNamespace } from "../kv/adapter.js";
import { normalizePath } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import { formatAge, formatBytes, formatTable, some } from "../format.js";
import type { KVTarget } from "../kv/target.js";
import { pool } from "../pool.js";
import { servedBuild } from "../served.js";
import { elsewhereHint } from "../where.js";
import type { WorkerView } from "../worker.js";
import { cacheKeyOf, readPointer, scanBuilds } from "./builds.js";

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (s: number | undefined) => (s === undefined ? "—" : `${s}s`);

/** `route`'s path (normalized as the runtime does) and query, or a coded error. */
function parseRoute(route: string): { path: string; query: string } {
  const q = route.indexOf("?");
  const pathname = q === -1 ? route : route.slice(0, q);
  const path = pathname.startsWith("/") ? normalizePath(pathname) : undefined;
  if (path === undefined) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--route ${JSON.stringify(route.slice(0, 100))} is not a valid path`,
      'pass the page\'s path as the browser shows it, starting with "/", e.g. --route /products/42.',
    );
  }
  return { path, query: q === -1 ? "" : route.slice(q) };
}

/** The builds holding an entry for `suffix` (`:<path><query>`), for hints. */
async function buildsWith(target: KVTarget, suffix: string): Promise<string[]> {
  const { builds } = await scanBuilds(target);
  const ids: string[] = [];
  for (const build of builds) if (await target.get(await kvKeyFor("", `${build.id}${suffix}`))) ids.push(build.id);
  return ids;
}

/** The cache key serving `route`: in the build the Worker serves (see served.ts). */
async function keyForRoute(target: KVTarget, route: string, worker: () => Promise<WorkerView>): Promise<{ key: string; why: string }> {
  const { path, query } = parseRoute(route);
  const served = servedBuild(await readPointer(target), await worker());
  if (served.build === undefined) {
    const holding = await buildsWith(target, `:${path}${query}`);
    throw new CliError(
      "ERR_SERVED_BUILD_UNKNOWN",
      `cannot tell which build serves ${path}${query}: ${served.why}`,
      `${holding.length ? `builds holding it: ${holding.join(", ")}; inspect one by its key, e.g. \`edge-isr inspect ${holding[0]}:${path}${query}\`` : "no build holds an entry for it"}. Or run in your app's directory after \`vite build\` (or pass --cwd <dir> or --worker <path>).`,
    );
  }
  return { key: `${served.build}:${path}${query}`, why: served.why };
}

async function showEntry(target: KVTarget, key: string, servedWhy?: string): Promise<void> {
  const kvKey = await kvKeyFor("", key);
  const hit = await target.get(kvKey);
  if (!hit) {
    const suffix = key.slice(key.indexOf(":"));
    const holding = servedWhy ? (await buildsWith(target, suffix)).filter((id) => `${id}${suffix}` !== key) : [];
    throw new CliError(
      "ERR_ENTRY_NOT_FOUND",
      `no entry for ${JSON.stringify(key)} (KV key ${JSON.stringify(kvKey)}) in ${target.description}${servedWhy ? ` (the served build: ${servedWhy})` : ""}`,
      holding.length
        ? `the page is not stored for the served build yet (its first request renders it, or \`edge-isr prerender\` stores it); other builds holding it: ${holding.join(", ")}.`
        : "`edge-isr inspect` without arguments lists every entry with its key; cache keys look like <build>:<path>, and --route <path> finds the served build's.",
    );
  }
  let expiration: number | undefined;
  for await (const listed of target.list(kvKey)) if (listed.name === kvKey) expiration = listed.expiration;

  const now = Date.now();
  const md = parseMetadata(hit.metadata);
  const out: [string, string][] = [
    ["key", key],
    ["kvKey", kvKey],
  ];
  let decoded: ReturnType<typeof readParts> | undefined;
  let problem: string | undefined;
  try {
    decoded = readParts(hit.value as Uint8Array<ArrayBuffer>);
    if (decoded.header.k !== key)
      problem = `the value belongs to key ${JSON.stringify(decoded.header.k)} (a hash collision): it reads as a miss`;
  } catch (error) {
    problem = `the value is not a readable edge-isr entry (${(error as Error).message}): it reads as a miss`;
  }
  const header = decoded?.header;
  out.push(["kind", header ? String(header.kind ?? "null") : "?"]);
  out.push(["tags", header ? (header.tags.length ? header.tags.join(", ") : "—") : "?"]);
  const lastModified = md?.m ?? header?.m;
  out.push(["lastModified", lastModified === undefined ? "?" : `${iso(lastModified)} (${formatAge(now - lastModified)} ago)`]);
  if (md) {
    const tags = header?.tags ?? [];
    const hashes = await Promise.all(tags.map(tagHash));
    const clock = await readClock(asNamespace(target), "", [...splitHashes(md.t), ...hashes]);
    let state: string = clock.state(md, now);
    if (md.s !== undefined && md.s >= md.m) state += ` (marked stale by a purge at ${iso(md.s)})`;
    if (md.x !== undefined) state += ` (expires at ${iso(md.x)} after a purge)`;
    const why = tags.filter((_, i) => {
      const record = clock.records.get(hashes[i]!);
      return record !== undefined && recordState(record, md.m, now) !== "fresh";
    });
    if (why.length) state += ` (tag ${why.map((t) => JSON.stringify(t)).join(", ")} invalidated after it was generated)`;
    else if (state !== "fresh" && clock.snapshot && tags.length) state += " (by the coordinator's tag clock)";
    out.push(["state", state]);
  } else {
    out.push(["state", "unknown: the KV metadata is missing or not edge-isr's, so it reads as a miss"]);
  }
  const cc = header?.cc;
  const revalidate = md?.r ?? (typeof cc?.revalidate === "number" ? cc.revalidate : undefined);
  out.push(["revalidate", cc?.revalidate === false ? "never (revalidate: false)" : seconds(revalidate)]);
  out.push(["expire", seconds(md?.e ?? cc?.expire)]);
  if (expiration) out.push(["kvExpiration", `${iso(expiration * 1000)} (KV deletes it then)`]);
  const stored = hit.value.byteLength;
  const raw = md?.w ?? decoded?.parts.reduce((n, p) => n + p.rawBytes, 0) ?? stored;
  out.push([
    "size",
    `${formatBytes(stored)} stored, ${formatBytes(raw)} raw (${stored} / ${raw} bytes, ratio ${raw ? (stored / raw).toFixed(2) : "—"})`,
  ]);
  if (problem) out.push(["problem", problem]);

  if (servedWhy) out.push(["served", `this build — ${servedWhy}`]);
  const width = Math.max(...out.map(([label]) => label.length)) + 2;
  for (const [label, value] of out) console.log(`${label.padEnd(width)}${value}`);

  if (decoded) {
    console.log("parts");
    if (decoded.parts.length === 0) console.log("  —");
    const rows = decoded.parts.map((p) => [p.name, p.gzip ? "gzip" : "raw", formatBytes(p.bytes.byteLength), formatBytes(p.rawBytes)]);
    for (const line of formatTable(["name", "enc", "stored", "raw"], rows, [2, 3]).slice(rows.length ? 0 : 1)) console.log(`  ${line}`);
    const fields = decoded.header.f;
    if (fields.status !== undefined) console.log(`${"status".padEnd(width)}${String(fields.status)}`);
    const headers = fields.headers as Record<string, string | string[]> | undefined;
    if (headers && typeof headers === "object") {
      console.log("headers");
      const names = Object.keys(headers);
      if (names.length === 0) console.log("  —");
      for (const name of names) {
        const value = headers[name];
        for (const v of Array.isArray(value) ? value : [value]) console.log(`  ${name}: ${String(v)}`);
      }
    }
  }
}

/** One line per entry: key, stored, raw, age, state. */
async function listEntries(target: KVTarget, binding: string | undefined): Promise<void> {
  const entries: { kvKey: string; metadata: unknown }[] = [];
  const others: string[] = [];
  for await (const listed of target.list("")) {
    if (listed.name.startsWith(ENTRY_PREFIX) || listed.name.startsWith(HASHED_PREFIX))
      entries.push({ kvKey: listed.name, metadata: listed.metadata });
    else others.push(listed.name);
  }
  if (entries.length === 0) {
    console.log(`no entries in ${target.description}${others.length ? ` (other keys: ${some(others)})` : ""}`);
    const hint = binding === undefined ? undefined : elsewhereHint(binding);
    if (hint) console.log(`hint: ${hint}`);
    return;
  }
  const now = Date.now();
  const rows: string[][] = new Array(entries.length);
  const clock = await readClock(
    asNamespace(target),
    "",
    entries.flatMap(({ metadata }) => splitHashes(parseMetadata(metadata)?.t ?? "")),
  );
  await pool(entries, 8, async ({ kvKey, metadata }, i) => {
    const key = (await cacheKeyOf(target, kvKey)) ?? `${kvKey} (unreadable)`;
    const md = parseMetadata(metadata);
    rows[i] = md
      ? [key, formatBytes(md.z), formatBytes(md.w), formatAge(now - md.m), clock.state(md, now)]
      : [key, "?", "?", "?", "not an edge-isr entry"];
  });
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  for (const line of formatTable(["key", "stored", "raw", "age", "state"], rows, [1, 2, 3])) console.log(line);
  console.log(`${entries.length} entries in ${target.description}${others.length ? `; other keys: ${some(others)}` : ""}`);
}

export interface InspectOptions {
  key?: string;
  route?: string;
  /** What the Worker serves (asked only for --route). */
  worker?: () => Promise<WorkerView>;
  /** The binding, for the hint when the namespace is empty. */
  binding?: string;
}

export async function inspect(target: KVTarget, opts: InspectOptions): Promise<void> {
  if (opts.key !== undefined && opts.route !== undefined) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      "inspect takes a key or --route, not both",
      "pass a cache key (`edge-isr inspect b1:/products/1`) or a path (`edge-isr inspect --route /products/1`).",
    );
  }
  if (opts.route !== undefined) {
    const { key, why } = await keyForRoute(
      target,
      opts.route,
      opts.worker ?? (async () => ({ known: false, why: "no Worker was described" })),
    );
    return showEntry(target, key, why);
  }
  if (opts.key !== undefined) return showEntry(target, opts.key);
  return listEntries(target, opts.binding);
}
