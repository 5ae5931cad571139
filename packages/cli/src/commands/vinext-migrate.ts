/**
 * `edge-isr vinext migrate`: turns what vinext's KV data cache stored into
 * edge-isr entries in the same namespace, so switching handlers does not start
 * cold. Each entry is written by KVCacheHandler itself (dated by vinext's
 * `lastModified`, so nothing looks fresher than it was), captured and uploaded
 * in bulk. Entries vinext would not serve any more (a tag revalidated since,
 * expired, unreadable) stay behind, and so do pages of other builds: vinext keys
 * pages by build id, so only a build with the same id (Next's `generateBuildId`)
 * could serve them.
 *
 * It works in chunks and records after each one where it got to (`--state`), so
 * `--resume` continues an interrupted run; rerunning is harmless (an entry
 * edge-isr already has, as new or newer, is skipped). With `--remote`, every
 * Cloudflare API request is paced under the API's limit (default 1,000 per 5
 * minutes, of Cloudflare's 1,200), reads in bulk (100 keys a request) and writes in
 * bulk (up to 10,000 a request).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ENTRY_PREFIX, HASHED_PREFIX, KVCacheHandler, kvKeyFor, parseMetadata } from "@edge-isr/kv-cache-handler";
import { CliError } from "../errors.js";
import { CliLimits } from "../limits.js";
import { findSourceConfig, namespaceIdFor } from "../config.js";
import { openLocal } from "../kv/local.js";
import { openRemote, type RemoteOptions } from "../kv/remote.js";
import type { KVEntry, KVListed, KVTarget } from "../kv/target.js";
import { capture, localSource, pacedFetch, remoteSource, type Source } from "./vinext-migrate-io.js";
import { decide, pageBuild, type SkipReason, VINEXT_ENTRY_PREFIX, VINEXT_TAG_PREFIX, vinextPrefix } from "./vinext-format.js";

/** Cloudflare's REST API allows about 1,200 requests per 5 minutes per user. */
export const API_WINDOW_MS = 5 * 60 * 1000;
/** Keys per bulk read (Cloudflare's limit is 100), and keys per step (read, upload, record). */
const READ_CHUNK = 100;
const STEP = 1000;
/** An entry KV would drop sooner than this is left behind (KV's 60 s minimum, plus the upload's time). */
const MIN_REMAINING_SECONDS = 120;

export interface MigrateOptions {
  remote?: boolean;
  config?: string;
  env?: string;
  binding?: string;
  persistTo?: string;
  /** vinext's `appPrefix`; edge-isr's entries go under the same (`appPrefix` means the same to both). */
  appPrefix?: string;
  /** Page entries of these builds are carried over (vinext keys pages by build id). */
  builds?: string[];
  dryRun?: boolean;
  /** Continue from the state file of an interrupted run. */
  resume?: boolean;
  /** Where progress is recorded. Default `.edge-isr/vinext-migrate-<namespace>.json`. */
  state?: string;
  /** Delete vinext's keys (`cache:*`, `__tag:*`) once everything is migrated. */
  deleteSource?: boolean;
  /** Cloudflare API requests per 5 minutes, at most (with --remote). */
  maxRequests?: number;
  /** vinext keys per step: read (100 a request), converted, uploaded, then recorded. Default 1,000. */
  chunk?: number;
  remoteOptions?: Partial<RemoteOptions>;
  /** Injected clock and wait (tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

export interface MigrateResult {
  namespace: string;
  /** vinext keys seen (entries), and how many became edge-isr entries. */
  seen: number;
  migrated: number;
  /** Page entries among the migrated, per build. */
  pagesByBuild: Record<string, number>;
  skipped: Record<SkipReason, number>;
  /** Builds whose pages stayed behind, with their counts. */
  otherBuilds: Record<string, number>;
  vinextBytes: number;
  edgeIsrBytes: number;
  deleted: number;
  /** API requests made (with --remote). */
  requests: number;
  dryRun: boolean;
}

interface State {
  namespace: string;
  prefix: string;
  /** The last vinext key whose entry is migrated or skipped for good. */
  after: string;
  result: MigrateResult;
}

const emptyResult = (namespace: string, dryRun: boolean): MigrateResult => ({
  namespace,
  seen: 0,
  migrated: 0,
  pagesByBuild: {},
  skipped: { invalidated: 0, expired: 0, unreadable: 0, "hashed key": 0, "another build": 0, "newer in edge-isr": 0 },
  otherBuilds: {},
  vinextBytes: 0,
  edgeIsrBytes: 0,
  deleted: 0,
  requests: 0,
  dryRun,
});

export async function migrateVinext(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const binding = options.binding ?? "VINEXT_KV_CACHE";
  const namespace = namespaceIdFor(findSourceConfig(options.config), binding, options.env);
  const maxRequests = options.maxRequests ?? CliLimits.remoteRequestsPer5Min;
  if (!Number.isInteger(maxRequests) || maxRequests < 1 || maxRequests > 1200) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--max-requests ${maxRequests} is not between 1 and 1200`,
      "pass how many Cloudflare API requests the command may make per 5 minutes (Cloudflare allows 1,200 per user), e.g. --max-requests 1000.",
    );
  }
  const prefix = vinextPrefix(options.appPrefix);
  const statePath = options.state ?? `.edge-isr/vinext-migrate-${namespace}.json`;
  const state = options.resume ? readState(statePath, namespace, prefix) : undefined;
  const result = state?.result ?? emptyResult(namespace, Boolean(options.dryRun));
  const earlierRequests = result.requests; // made by the run this one resumes

  let paced: ReturnType<typeof pacedFetch> | undefined;
  let target: KVTarget;
  let source: Source;
  if (options.remote) {
    paced = pacedFetch(maxRequests, API_WINDOW_MS, options.remoteOptions?.fetch ?? fetch, { now, sleep });
    target = openRemote({ namespaceId: namespace, ...options.remoteOptions, fetch: paced.fetch });
    source = remoteSource(target, namespace, { ...options.remoteOptions, fetch: paced.fetch });
  } else {
    target = await openLocal(options.persistTo ?? ".wrangler/state", namespace);
    source = localSource(target);
  }
  log(
    `migrating vinext's entries (${prefix}${VINEXT_ENTRY_PREFIX}*) into edge-isr's in ${target.description}${options.dryRun ? " — dry run, nothing is written" : ""}${state ? `, resuming after ${JSON.stringify(state.after.slice(0, 120))}` : ""}`,
  );
  try {
    const { tagKeys, tagTimes } = await readTagClock(target, source, prefix);
    const ours = await listOurs(target, prefix);

    const captured: KVEntry[] = [];
    const builds = new Set(options.builds ?? []);
    const handler = new KVCacheHandler(capture(captured, now), {
      prefix,
      now,
      logger: { warn: (m: string) => log(`  warning: ${m}`), error: () => {} },
      onError: (e) => log(`  not migrated: ${e.message}`),
    });
    /** One step: convert a run of listed keys, upload what they became, record how far we got. */
    const step = async (listed: KVListed[]) => {
      if (!listed.length) return;
      for (let i = 0; i < listed.length; i += READ_CHUNK) await convert(listed.slice(i, i + READ_CHUNK));
      if (!options.dryRun && captured.length) await target.putMany(captured.splice(0));
      captured.length = 0;
      saveState(
        statePath,
        { namespace, prefix, after: listed.at(-1)!.name, result: { ...result, requests: earlierRequests + (paced?.made() ?? 0) } },
        options.dryRun,
      );
    };
    const convert = async (listed: KVListed[]) => {
      const texts = await source.read(listed.map((k) => k.name));
      for (const { name, expiration: theirs } of listed) {
        const text = texts.get(name) ?? null;
        result.seen++;
        result.vinextBytes += text ? Buffer.byteLength(text) : 0;
        const decision = decide(name, prefix, text, { tagTimes, now: now(), builds });
        if (!decision.migrate) {
          result.skipped[decision.reason]++;
          const build = decision.reason === "another build" ? pageBuild(name.slice(prefix.length + VINEXT_ENTRY_PREFIX.length)) : undefined;
          if (build !== undefined) result.otherBuilds[build] = (result.otherBuilds[build] ?? 0) + 1;
          continue;
        }
        const kvKey = await kvKeyFor(prefix, decision.key);
        if ((ours.get(kvKey) ?? -1) >= decision.lastModified) {
          result.skipped["newer in edge-isr"]++;
          continue;
        }
        const before = captured.length;
        await handler.set(decision.key, decision.value, decision.ctx);
        const entry = captured[before];
        if (!entry) continue; // refused by the handler (reported through onError)
        // Never outlive vinext's own copy: KV would have dropped it then.
        if (theirs !== undefined && (entry.expiration === undefined || theirs < entry.expiration)) entry.expiration = theirs;
        // KV refuses an expiration less than 60 s ahead when it arrives; one that close is not worth a write.
        if (entry.expiration !== undefined && entry.expiration < Math.floor(now() / 1000) + MIN_REMAINING_SECONDS) {
          captured.pop();
          result.skipped.expired++;
          continue;
        }
        result.migrated++;
        result.edgeIsrBytes += entry.value.byteLength;
        const build = pageBuild(decision.key);
        if (build !== undefined) result.pagesByBuild[build] = (result.pagesByBuild[build] ?? 0) + 1;
      }
    };
    let run: KVListed[] = [];
    for await (const listed of target.list(`${prefix}${VINEXT_ENTRY_PREFIX}`)) {
      if (state && listed.name <= state.after) continue;
      run.push(listed);
      if (run.length === (options.chunk ?? STEP)) {
        await step(run);
        run = [];
      }
    }
    await step(run);

    if (options.deleteSource && !options.dryRun) {
      // Last, once every entry is migrated: vinext's tag keys decide what was still valid.
      const everything: string[] = [];
      for await (const listed of target.list(`${prefix}${VINEXT_ENTRY_PREFIX}`)) everything.push(listed.name);
      everything.push(...tagKeys);
      await source.remove(everything);
      result.deleted = everything.length;
    }
    result.requests = earlierRequests + (paced?.made() ?? 0);
    saveState(statePath, { namespace, prefix, after: "\u{10FFFF}", result }, options.dryRun);
    return result;
  } finally {
    await target.close();
  }
}

/** vinext's tag clock: every revalidated tag and when (one key per tag, read 100 at a time). */
async function readTagClock(
  target: KVTarget,
  source: Source,
  prefix: string,
): Promise<{ tagKeys: string[]; tagTimes: Map<string, number> }> {
  const tagKeys: string[] = [];
  for await (const listed of target.list(`${prefix}${VINEXT_TAG_PREFIX}`)) tagKeys.push(listed.name);
  const tagTimes = new Map<string, number>();
  for (let i = 0; i < tagKeys.length; i += READ_CHUNK) {
    for (const [name, value] of await source.read(tagKeys.slice(i, i + READ_CHUNK))) {
      if (value !== null) tagTimes.set(name.slice(prefix.length + VINEXT_TAG_PREFIX.length), Number(value));
    }
  }
  return { tagKeys, tagTimes };
}

/** edge-isr's own entries and when each was written (from the listing's metadata): one as new or newer than vinext's is kept. */
async function listOurs(target: KVTarget, prefix: string): Promise<Map<string, number>> {
  const ours = new Map<string, number>();
  for (const kind of [ENTRY_PREFIX, HASHED_PREFIX])
    for await (const listed of target.list(`${prefix}${kind}`)) ours.set(listed.name, parseMetadata(listed.metadata)?.m ?? 0);
  return ours;
}

function readState(path: string, namespace: string, prefix: string): State {
  if (!existsSync(path)) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--resume: no migration state at ${path}`,
      "run without --resume to start, or pass --state <the file an earlier run wrote>.",
    );
  }
  const state = JSON.parse(readFileSync(path, "utf8")) as State;
  if (state.namespace !== namespace || state.prefix !== prefix) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--resume: ${path} is the state of namespace ${state.namespace} with prefix ${JSON.stringify(state.prefix)}`,
      "resume with the same --env/--binding/--app-prefix, or start again without --resume.",
    );
  }
  return state;
}

/** Written beside and renamed, so an interrupted write never leaves half a state file. */
function saveState(path: string, state: State, dryRun: boolean | undefined): void {
  if (dryRun) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${path}.tmp`, path);
}
