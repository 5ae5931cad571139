/**
 * `KVCacheHandler`: the Next.js incremental cache-handler contract on one
 * Workers KV namespace. A hit is one `getWithMetadata` and no write; a tag
 * invalidation writes one record per tag to the tag clock (clock/), which
 * every read checks — no entry is listed or rewritten, whatever their number.
 */
import { keepAlive } from "./background.js";
import { type StoredEntry, CorruptEntry, decodeEntry, decodeHeader, encodeEntry, isKind, readParts, verifyPart } from "./codec.js";
import { base64UrlPrefix, sha256 } from "./bytes.js";
import { type PurgeResult, type WorkersCacheLike, canPurge, purgeCdn } from "./cdn.js";
import { type CachesLike, ColoCache } from "./clock/colo-cache.js";
import { KVRecords } from "./clock/kv-records.js";
import { type Invalidation, worse } from "./clock/record.js";
import { type InvalidationPath, RecordClock, type TagClock } from "./clock/record-clock.js";
import { SnapshotClock } from "./clock/snapshot-clock.js";
import { SNAPSHOT_KEY } from "./coordinator/durable-object.js";
import { CoordinatorClient, type DurableObjectNamespaceLike } from "./coordinator/protocol.js";
import { withDeadlines } from "./deadline.js";
import { type Derived, ReadMemo } from "./memo.js";
import { EdgeIsrCacheError, quoteKey } from "./errors.js";
import { kvKeyFor } from "./keys.js";
import { EntryL1, type L1Copy } from "./l1.js";
import { HandlerLimits, KVLimits } from "./limits.js";
import { buildMetadata, lifespan, parseMetadata, type EntryMetadata, type Lifespan } from "./metadata.js";
import { RegenerationLeases } from "./regeneration.js";
import { describeDropped, splitHashes, tagHash, tagHashes, validateTags } from "./tags.js";
import type {
  CacheControl,
  CacheHandler,
  CacheHandlerValue,
  GetContext,
  IncrementalCacheValue,
  KVNamespaceLike,
  SetContext,
  WaitUntil,
} from "./types.js";
import { KeyWriter } from "./writer.js";

/** Options of {@link KVCacheHandler}. Every one has a default. */
export interface KVCacheHandlerOptions {
  /** Prepended to every KV key, e.g. a build id or an app name. Default `""`. */
  prefix?: string;
  /** vinext's option: same as `prefix: appPrefix + ":"`. */
  appPrefix?: string;
  /** Seconds KV keeps an entry that has no `expire` (stale entries stay servable). Default 30 days. */
  defaultTtl?: number;
  /** vinext's name for `defaultTtl`. */
  ttlSeconds?: number;
  /**
   * KV's `cacheTtl` for reads, in seconds (≥ 30): how long a data centre may
   * serve a cached copy of an entry. Lower means invalidations spread faster
   * and more reads reach KV's central stores. Default: KV's own (60).
   */
  cacheTtl?: number;
  /** A KV read or list slower than this fails (a read is then a miss). Default 1500 ms. */
  readTimeoutMs?: number;
  /** A KV put or delete slower than this fails (reported; the key's next write goes ahead). Default 10,000 ms. */
  writeTimeoutMs?: number;
  /** Retries of a write answered 429. Default 3 (after 1, 2 and 4 s). */
  writeRetries?: number;
  /**
   * The coordinator Durable Object namespace (`env.EDGE_ISR_COORDINATOR`, class
   * `EdgeIsrCoordinator`): the production setup. Invalidations are serialized
   * there and reach every isolate through one snapshot of the tag clock.
   * Without it the clock is one small KV record per tag.
   */
  coordinator?: DurableObjectNamespaceLike;
  /** The KV binding's name in wrangler config, so the coordinator can publish to it. Default `"CACHE"`. */
  binding?: string;
  /**
   * Seconds this isolate uses its copy of the tag clock before re-reading it in
   * the background (hits never wait for that). Default 5 with a coordinator, 30 without.
   */
  clockRefreshSeconds?: number;
  /** Seconds the colo's Cache API keeps a copy of the clock snapshot (coordinator only). Default 15. */
  clockColoSeconds?: number;
  /**
   * The L1: short-lived copies of entries in front of KV, decided exactly as a
   * KV read is (lifespan, then the tag clock) — in this isolate's memory for
   * `memorySeconds` (default 5; 0 turns that tier off), and in the colo's Cache
   * API for `seconds` (default 15). A hit from memory costs no I/O; one from the
   * colo no KV read. Colo copies must be keyed by something unique to this
   * namespace: the coordinator's id (on by default with a coordinator), else
   * `scope` (e.g. the namespace's id); without either it stays off. `false`
   * turns it off. The bounds each tier adds are in docs/reliability.md.
   */
  l1?: false | { seconds?: number; memorySeconds?: number; scope?: string; timeoutMs?: number };
  /**
   * Workers Cache (`ctx.cache`, or `cache` from `cloudflare:workers`): every
   * invalidation also purges the invalidated tags from it (see `cacheTagHeader`).
   * Ignored when it has no `purge` (Miniflare, older runtimes).
   */
  workersCache?: WorkersCacheLike;
  /** The Cache API the L1 and the clock's colo copies use (tests inject a failing one). Default: the global `caches`. */
  caches?: CachesLike;
  /** Keeps background writes alive when a caller does not await them. */
  ctx?: WaitUntil;
  /** Clock in ms (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** How the handler waits between writes and retries (tests inject one). */
  sleep?: (ms: number) => Promise<void>;
  /** Called with every error the handler swallows to keep pages rendering. */
  onError?: (error: EdgeIsrCacheError) => void;
  /** Where warnings and errors are logged. Default `console`. */
  logger?: Pick<Console, "warn" | "error">;
  /**
   * Bytes kept per isolate of the entries it read — the stored bytes once
   * checked, their parts, the decoded value — reused when a read names the
   * same content hash (checked on every read). Default 8 MiB; 0 disables.
   */
  memoBytes?: number;
}

const DEFAULT_TTL = 30 * 24 * 3600;
const DEFAULT_MEMO_BYTES = 8 * 1024 * 1024;
/** Stored (compressed) bytes of L1 copies an isolate keeps in memory. */
const L1_MEMORY_BYTES = 4 * 1024 * 1024;

/** What `lookup` found: the stored bytes, their metadata and where the entry is in its life. */
interface Lookup {
  key: string;
  kvKey: string;
  bytes: Uint8Array<ArrayBuffer>;
  md: EntryMetadata;
  state: "fresh" | "stale";
  now: number;
  /** What was worked out from these bytes, kept with them (absent for this isolate's queued write). */
  derived?: Derived;
}

/** `getEncoded`'s answer: `get`'s fields without the decoded value, plus the parts as stored. */
export interface EncodedValue extends CacheHandlerValue {
  kind: IncrementalCacheValue["kind"] | null;
  /** The value's plain fields (`headers`, `status`, …). */
  fields: Record<string, unknown>;
  /**
   * A part (`html`, `rscData`, `body`, …) as stored; `gzip` when it is compressed.
   * Checked against its CRC-32 first: throws `CorruptEntry` (reported as ERR_ENTRY_CORRUPT) when damaged.
   * The bytes are read-only: they may be the L1's copy in this isolate's memory
   * (a `Response` built from them copies them). Transferring their buffer is safe:
   * the copy is then dropped, not served again.
   */
  part(name: string): { bytes: Uint8Array<ArrayBuffer>; gzip: boolean; rawBytes: number } | undefined;
  /** The fully decoded value, as `get` returns it. */
  decode(): Promise<IncrementalCacheValue | null>;
}
const NEXT_CACHE_TAGS_HEADER = "x-next-cache-tags";

/**
 * The Next.js cache-handler contract on Workers KV.
 *
 * @example
 * import { KVCacheHandler } from "@edge-isr/kv-cache-handler";
 * setCacheHandler(new KVCacheHandler(env.CACHE));
 */
export class KVCacheHandler implements CacheHandler {
  readonly prefix: string;
  private readonly kv: KVNamespaceLike;
  private readonly writer: KeyWriter;
  private readonly clock: TagClock;
  private readonly memo: ReadMemo;
  /** The colo's copies of entries, when on (see `l1`). */
  private readonly l1: EntryL1 | undefined;
  /** Regeneration leases of the coordinator, when there is one. */
  private readonly leases: RegenerationLeases | undefined;
  private readonly readTimeoutMs: number;
  /** softTags seen by `get` in this request, added to the tags of the same key's `set`. */
  private readonly requestSoftTags = new Map<string, string[]>();
  private readonly now: () => number;
  private readonly defaultTtl: number;
  private readonly options: KVCacheHandlerOptions;
  private readonly logger: Pick<Console, "warn" | "error">;

  constructor(kv: KVNamespaceLike, options: KVCacheHandlerOptions = {}) {
    if (!kv || typeof kv.getWithMetadata !== "function") {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        "KVCacheHandler needs a KV namespace binding, e.g. new KVCacheHandler(env.CACHE); check the binding name in wrangler.toml",
      );
    }
    this.options = options;
    const readMs = positive("readTimeoutMs", options.readTimeoutMs, 1500);
    const writeMs = positive("writeTimeoutMs", options.writeTimeoutMs, 10_000);
    this.kv = withDeadlines(kv, { readMs, writeMs });
    this.prefix = options.prefix ?? (options.appPrefix ? `${options.appPrefix}:` : "");
    if (new TextEncoder().encode(this.prefix).byteLength > HandlerLimits.maxPrefixBytes) {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        `prefix ${quoteKey(this.prefix)} is over the limit of ${HandlerLimits.maxPrefixBytes} bytes`,
      );
    }
    this.defaultTtl = options.defaultTtl ?? options.ttlSeconds ?? DEFAULT_TTL;
    if (options.cacheTtl !== undefined && !(options.cacheTtl >= KVLimits.minCacheTtl)) {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        `cacheTtl ${options.cacheTtl} is below KV's minimum of ${KVLimits.minCacheTtl} seconds`,
      );
    }
    this.now = options.now ?? Date.now;
    this.memo = new ReadMemo(options.memoBytes ?? DEFAULT_MEMO_BYTES);
    this.logger = options.logger ?? console;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.writer = new KeyWriter(this.kv, {
      now: this.now,
      sleep,
      report: (e) => this.report(e),
      retries: options.writeRetries ?? 3,
      writeTimeoutMs: writeMs,
    });
    this.readTimeoutMs = readMs;
    const client = this.coordinatorClient(writeMs);
    this.clock = this.createClock(client);
    this.l1 = this.createL1(client);
    this.leases = client && new RegenerationLeases(client, readMs);
  }

  private coordinatorClient(timeoutMs: number): CoordinatorClient | undefined {
    const coordinator = this.options.coordinator;
    if (coordinator === undefined) return undefined;
    if (typeof coordinator?.idFromName !== "function" || typeof coordinator.get !== "function") {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        "coordinator must be a Durable Object namespace binding, e.g. { coordinator: env.EDGE_ISR_COORDINATOR }; check [[durable_objects.bindings]] in wrangler config",
      );
    }
    return new CoordinatorClient(coordinator, this.options.binding ?? "CACHE", this.prefix, timeoutMs);
  }

  /** The L1, keyed under the coordinator's id or the `l1.scope` given; `undefined` when off. */
  private createL1(client: CoordinatorClient | undefined): EntryL1 | undefined {
    const l1 = this.options.l1;
    if (l1 === false) return undefined;
    if (l1 !== undefined && (typeof l1 !== "object" || l1 === null))
      throw new EdgeIsrCacheError("ERR_OPTION_INVALID", "l1 must be false or { seconds?, memorySeconds?, scope?, timeoutMs? }");
    const scope = l1?.scope;
    if (scope !== undefined && (typeof scope !== "string" || !scope || scope.length > 200)) {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        `l1.scope ${quoteKey(String(scope))} must be a name of 1 to 200 characters unique to this KV namespace (e.g. its id)`,
      );
    }
    if (!client && scope === undefined) {
      if (l1 !== undefined)
        throw new EdgeIsrCacheError(
          "ERR_OPTION_INVALID",
          'l1 needs a scope unique to this KV namespace without a coordinator (two namespaces in one zone would share copies): l1: { scope: "<namespace id>" }, or a coordinator',
        );
      return undefined;
    }
    const base =
      scope === undefined
        ? `https://edge-isr.internal/${client!.id}`
        : `https://edge-isr.internal/scope/${encodeURIComponent(scope)}/${encodeURIComponent(this.prefix)}`;
    const colo = new ColoCache(base, seconds("l1.seconds", l1?.seconds, 15), {
      now: this.now,
      timeoutMs: positive("l1.timeoutMs", l1?.timeoutMs, 250),
      caches: this.options.caches,
    });
    const memorySeconds = l1?.memorySeconds ?? 5;
    if (typeof memorySeconds !== "number" || !(memorySeconds >= 0) || !Number.isFinite(memorySeconds)) {
      throw new EdgeIsrCacheError(
        "ERR_OPTION_INVALID",
        `l1.memorySeconds ${String(memorySeconds).slice(0, 40)} must be 0 (off) or a positive number of seconds`,
      );
    }
    return new EntryL1(colo, this.memo, { memorySeconds: Math.min(memorySeconds, colo.seconds), memoryBytes: L1_MEMORY_BYTES });
  }

  /** Keeps background work alive (ctx.waitUntil) or lets it run. */
  private background(work: Promise<unknown>): void {
    if (this.options.ctx) this.options.ctx.waitUntil(work);
    else keepAlive(work); // the runtime hands it to ctx.waitUntil at the end of the request (pendingWork)
  }

  /** The tag clock: the coordinator's snapshot when there is one, per-tag KV records otherwise. */
  private createClock(client: CoordinatorClient | undefined): TagClock {
    const options = this.options;
    const background = (work: Promise<unknown>) => this.background(work);
    const failed = (error: unknown) => this.report(clockError(error));
    const kvRecords = new KVRecords(this.kv, this.prefix, this.writer, options.cacheTtl);
    const refreshMs = seconds("clockRefreshSeconds", options.clockRefreshSeconds, client ? 5 : 30) * 1000;
    if (client === undefined) return new RecordClock(kvRecords, { now: this.now, refreshMs, background, failed });
    const coloSeconds = seconds("clockColoSeconds", options.clockColoSeconds, 15);
    // The coordinator's id names this clock uniquely (its script, class and namespace), so colo copies never mix.
    const colo = new ColoCache(`https://edge-isr.internal/${client.id}`, coloSeconds, { now: this.now, caches: options.caches });
    // Tag records, read to confirm what the snapshot keeps folded: memoized 30 s, shared through the colo.
    const records = new RecordClock(kvRecords, { now: this.now, refreshMs: 30_000, background, failed, colo });
    return new SnapshotClock({
      now: this.now,
      refreshMs,
      background,
      failed,
      kv: this.kv,
      snapshotKey: this.prefix + SNAPSHOT_KEY,
      cacheTtl: Math.max(KVLimits.minCacheTtl, options.cacheTtl ?? KVLimits.minCacheTtl),
      coordinator: client,
      colo,
      records,
      kvRecords,
      report: (e) => this.report(e),
    });
  }

  /**
   * Reads an entry: one KV read, no write. Returns `null` on a miss, on an
   * expired entry, and whenever KV fails or the stored bytes do not check out.
   */
  async get(key: string, ctx?: GetContext): Promise<CacheHandlerValue | null> {
    let hit: Lookup | null = null;
    try {
      hit = await this.lookup(key, ctx);
      if (!hit) return null;
      const entry = await this.decode(hit);
      return this.result(hit, entry.value, entry.cacheControl, entry.tags);
    } catch (error) {
      this.readFailed(key, error, hit);
      return null;
    }
  }

  /**
   * Like `get`, but leaves the parts as stored (gzip stays gzip), so a caller
   * can send a stored HTML body with `Content-Encoding: gzip` without inflating
   * it. `@edge-isr/runtime` uses this for its HIT path. Raw parts are checked
   * against their CRC-32 when read; gzip parts are checked by whoever inflates them.
   */
  async getEncoded(key: string, ctx?: GetContext): Promise<EncodedValue | null> {
    let hit: Lookup | null = null;
    try {
      hit = await this.lookup(key, ctx);
      if (!hit) return null;
      const found = hit;
      const derived = hit.derived;
      const { header, parts } = derived?.parts ?? readParts(hit.bytes);
      if (derived) derived.parts ??= { header, parts };
      if (header.k !== key) throw new CorruptEntry(`it belongs to key ${quoteKey(header.k)}`);
      if (header.m !== hit.md.m) throw new CorruptEntry("its metadata and value disagree");
      const base = this.result(hit, null, header.cc, header.tags);
      return {
        ...base,
        kind: header.kind,
        fields: header.f,
        part: (name) => {
          const part = parts.find((p) => p.name === name);
          if (!part) return undefined;
          // Checked before it is served (gzip bytes go to clients as stored): only the
          // parts a caller asks for pay. A damaged part is reported and thrown, and the
          // runtime then renders instead.
          if (!derived?.verified?.has(name)) {
            try {
              verifyPart(part);
            } catch (error) {
              this.readFailed(key, error, found);
              throw error;
            }
            if (derived) (derived.verified ??= new Set()).add(name);
          }
          return { bytes: part.bytes, gzip: part.gzip, rawBytes: part.rawBytes };
        },
        // The caller gets the error; bytes that do not decode are not kept in this isolate.
        decode: async () => {
          try {
            return (await this.decode(found)).value;
          } catch (error) {
            if (error instanceof CorruptEntry) this.distrust(found.kvKey);
            throw error;
          }
        },
      };
    } catch (error) {
      this.readFailed(key, error, hit);
      return null;
    }
  }

  /** The single read (this isolate's queued write, an L1 copy, or KV) and the lifespan decision. */
  private async lookup(key: string, ctx?: GetContext): Promise<Lookup | null> {
    if (typeof key !== "string") throw new EdgeIsrCacheError("ERR_KEY_INVALID", `cache key must be a string, got ${typeof key}`);
    const softTags = [...(ctx?.softTags ?? []), ...(ctx?.tags ?? [])].filter((t): t is string => typeof t === "string");
    if (softTags.length) this.rememberSoftTags(key, softTags);

    const now = this.now();
    // A cold isolate reads the clock beside the entry rather than after it.
    const clockReady = this.clock.prepare(now)?.catch(() => {});
    const kvKey = await kvKeyFor(this.prefix, key);
    for (let memory = true; ; memory = false) {
      const found = await this.find(kvKey, now, memory);
      if (!found) return null;
      const { bytes, md, derived } = found;
      let state: Lifespan = lifespan(md, now, ctx?.revalidate);
      if (state !== "expired") state = worse(state, await this.tagState(key, md, bytes, softTags, clockReady, now));
      // This isolate keeps a copy in memory only while it is fresh: past that, what the colo and KV hold decides.
      if (state !== "fresh") {
        this.l1?.forget(kvKey);
        if (found.memory) continue;
      }
      if (state === "expired") return null;
      return { key, kvKey, bytes, md, state, now, derived };
    }
  }

  /** The entry's bytes and metadata: this isolate's queued write, else an L1 copy, else KV (then kept in the L1). */
  private async find(kvKey: string, now: number, memory: boolean): Promise<(Omit<L1Copy, "memory" | "derived"> & Partial<L1Copy>) | null> {
    const pending = this.writer.pending(kvKey);
    if (pending) {
      if (pending.type === "delete") return null;
      return { bytes: pending.value, md: pending.options.metadata as EntryMetadata };
    }
    // A copy, when fresh enough, is decided exactly as a KV read.
    const copy = await this.l1?.get(kvKey, now, memory);
    if (copy) return copy;
    const read = await this.read(kvKey);
    if (!read?.value) return null;
    const md = parseMetadata(read.metadata);
    if (!md) throw new CorruptEntry("its KV metadata is missing or not edge-isr's");
    // The same content hash as a read before: the bytes already checked, their parts already parsed.
    const { bytes, derived } = this.memo.adopt(kvKey, new Uint8Array(read.value), md);
    if (this.l1 && lifespan(md, now) !== "expired") {
      this.l1.keepRead(kvKey, bytes, md, derived, now);
      this.background(this.l1.fillColo(kvKey, bytes, md, now));
    }
    return { bytes, md, derived };
  }

  /**
   * What the tag clock says about an entry: its own tags (from metadata, or the
   * value's header when they did not all fit) and the caller's soft tags. When
   * the clock cannot tell, the entry is served stale (and regenerates) rather
   * than fresh.
   */
  private async tagState(
    key: string,
    md: EntryMetadata,
    bytes: Uint8Array<ArrayBuffer>,
    softTags: readonly string[],
    ready: Promise<void> | undefined,
    now: number,
  ): Promise<Lifespan> {
    let own = splitHashes(md.t);
    if (md.o) {
      try {
        own = await Promise.all(decodeHeader(bytes).header.tags.map(tagHash));
      } catch {
        // A damaged header fails the read itself a moment later.
      }
    }
    const hashes = new Set(own);
    for (const hash of await Promise.all(softTags.map(tagHash))) hashes.add(hash);
    if (hashes.size === 0) return "fresh";
    await ready;
    try {
      return await this.clock.state([...hashes], md.m, now);
    } catch (error) {
      this.report(clockError(error, key));
      return "stale";
    }
  }

  /** Decodes a looked-up entry, reusing this isolate's decoded copy when the bytes are the same. */
  private async decode(hit: Lookup): Promise<StoredEntry> {
    const memoized = this.memo.decoded(hit.kvKey, hit.md.h);
    if (memoized) return memoized;
    const entry = await decodeEntry(hit.bytes);
    if (entry.key !== hit.key) throw new CorruptEntry(`it belongs to key ${quoteKey(entry.key)}`);
    if (entry.lastModified !== hit.md.m) throw new CorruptEntry("its metadata and value disagree");
    this.memo.keepDecoded(hit.kvKey, hit.md.h, entry, hit.md.w ?? hit.bytes.byteLength);
    return entry;
  }

  private result(
    hit: Lookup,
    value: IncrementalCacheValue | null,
    cacheControl: CacheControl | undefined,
    tags: string[],
  ): CacheHandlerValue {
    const result: CacheHandlerValue = {
      lastModified: hit.md.m,
      value,
      age: Math.max(0, Math.floor((hit.now - hit.md.m) / 1000)),
      tags,
    };
    if (cacheControl) result.cacheControl = cacheControl;
    if (hit.state === "stale") result.cacheState = "stale";
    return result;
  }

  /** Bytes that did not check out are kept nowhere in this isolate: the next read asks KV (or the colo) again. */
  private distrust(kvKey: string): void {
    this.memo.forget(kvKey);
    this.l1?.forget(kvKey);
  }

  private readFailed(key: string, error: unknown, hit?: Lookup | null): void {
    if (error instanceof CorruptEntry) {
      if (hit) this.distrust(hit.kvKey);
      this.report(new EdgeIsrCacheError("ERR_ENTRY_CORRUPT", `entry ${quoteKey(key)} reads as a miss: ${error.message}`, { key }));
    } else {
      this.report(
        error instanceof EdgeIsrCacheError
          ? error
          : new EdgeIsrCacheError("ERR_KV_READ", `reading ${quoteKey(key)} failed, served as a miss: ${String(error)}`, {
              key,
              cause: error,
            }),
      );
    }
  }

  /**
   * Stores an entry. Never throws: a value over KV's limit, bad input or a KV
   * failure is reported through `onError`, and what was stored stays as it was.
   */
  async set(key: string, data: IncrementalCacheValue | null, ctx?: SetContext): Promise<void> {
    const work = this.store(key, data, ctx)
      .catch((error: unknown) => {
        this.report(
          error instanceof EdgeIsrCacheError
            ? error
            : new EdgeIsrCacheError("ERR_KV_WRITE", `storing ${quoteKey(key)} failed: ${String(error)}`, { key, cause: error }),
        );
        return undefined;
      })
      // A regeneration lease this isolate holds on the key ends with the store (stored or not).
      .then((stored) => this.leases?.release(key, stored ?? null))
      .catch((error: unknown) =>
        this.report(
          new EdgeIsrCacheError(
            "ERR_COORDINATOR",
            `giving back the regeneration lease of ${quoteKey(key)} failed; it ends on its own: ${String((error as Error)?.message ?? error)}`,
            { key, cause: error },
          ),
        ),
      );
    this.options.ctx?.waitUntil(work);
    return work;
  }

  /** Writes an entry; its generation time once it is in KV (or replaced there by a newer write), else `undefined`. */
  private async store(key: string, data: IncrementalCacheValue | null, ctx?: SetContext): Promise<number | undefined> {
    if (typeof key !== "string") throw new EdgeIsrCacheError("ERR_KEY_INVALID", `cache key must be a string, got ${typeof key}`);
    if (data !== null && (typeof data !== "object" || !isKind(data.kind))) {
      throw new EdgeIsrCacheError(
        "ERR_VALUE_INVALID",
        `value for ${quoteKey(key)} has kind ${JSON.stringify((data as { kind?: unknown })?.kind)}; expected one of APP_PAGE, PAGES, APP_ROUTE, FETCH, REDIRECT, IMAGE`,
        { key },
      );
    }
    const cacheControl = resolveCacheControl(data, ctx);
    if (cacheControl?.revalidate === 0) return undefined; // revalidate 0 means "do not cache", as in Next.js

    const { tags, dropped } = validateTags(collectTags(data, ctx, this.requestSoftTags.get(key)));
    if (dropped.length) {
      this.logger.warn(`[edge-isr] ERR_TAG_INVALID: dropped ${dropped.length} tag(s) of ${quoteKey(key)}: ${describeDropped(dropped)}`);
    }
    const lastModified = generatedAt(ctx, this.now());
    const entry: StoredEntry = { key, value: data, tags, lastModified, cacheControl };
    const [kvKey, encoded, hashes] = await Promise.all([kvKeyFor(this.prefix, key), encodeEntry(entry), tagHashes(tags)]);
    const contentHash = base64UrlPrefix(await sha256(encoded.bytes), 8);
    if (encoded.bytes.byteLength > KVLimits.maxValueBytes) {
      throw new EdgeIsrCacheError(
        "ERR_VALUE_TOO_LARGE",
        `entry ${quoteKey(key)} is ${encoded.bytes.byteLength} bytes after compression, over KV's limit of ${KVLimits.maxValueBytes} bytes (25 MiB); not stored, the previous entry is kept`,
        { key },
      );
    }
    const metadata = buildMetadata({
      m: lastModified,
      ...(typeof cacheControl?.revalidate === "number" ? { r: cacheControl.revalidate } : {}),
      ...(cacheControl?.expire !== undefined ? { e: cacheControl.expire } : {}),
      t: hashes,
      h: contentHash,
      z: encoded.bytes.byteLength,
      w: encoded.rawBytes,
    });
    const expirationTtl = this.expirationTtl(cacheControl);
    const l1 = this.l1;
    const stored = await this.writer.write(
      kvKey,
      { type: "put", value: encoded.bytes, options: expirationTtl === undefined ? { metadata } : { expirationTtl, metadata } },
      // Once in KV, the colo's copy is replaced: this data centre sees the new entry at once.
      l1 && (() => l1.replace(kvKey, encoded.bytes, metadata, this.now())),
    );
    return stored ? lastModified : undefined;
  }

  /**
   * One regeneration per stale window across isolates: asks the coordinator
   * whether this isolate may regenerate `key`, whose stale copy was generated
   * at `lastModified`, for at most `seconds`. `true`: go ahead (the lease ends
   * when this handler stores the key, or after `seconds`); `false`: another
   * isolate is on it, or a newer copy was stored meanwhile — keep serving the
   * stale one; `undefined`: no coordinator, or it could not be asked (reported) —
   * decide locally. Never throws.
   */
  async regenerationLease(key: string, lastModified: number, seconds: number): Promise<boolean | undefined> {
    if (!this.leases) return undefined;
    try {
      return await this.leases.acquire(key, lastModified, seconds);
    } catch (error) {
      this.report(
        new EdgeIsrCacheError(
          "ERR_COORDINATOR",
          `asking the coordinator for the regeneration lease of ${quoteKey(key)} failed; deciding without it: ${String((error as Error)?.message ?? error)}`,
          { key, cause: error },
        ),
      );
      return undefined;
    }
  }

  /**
   * KV's own expiry for an entry: its `expire` (clamped to KV's 60 s minimum), else `defaultTtl`;
   * none for `revalidate: false`. An `expire` beyond what KV accepts means "never" (Next's and
   * vinext's default `cacheLife` profile passes 2³²−2 s): kept like an entry without one.
   */
  private expirationTtl(cc: CacheControl | undefined): number | undefined {
    if (cc?.expire !== undefined && cc.expire <= KVLimits.maxExpirationTtl)
      return Math.max(KVLimits.minExpirationTtl, Math.ceil(cc.expire));
    if (cc?.revalidate === false) return undefined;
    return Math.max(KVLimits.minExpirationTtl, this.defaultTtl, cc?.revalidate ?? 0);
  }

  /**
   * Invalidates every entry carrying one of `tags`, as Next 16's
   * `FileSystemCache` does: without `durations` they expire at once (the next
   * get is a miss); with `{ expire: n }` they are stale now (served while they
   * regenerate) and expire `n` seconds later; with `{}` they are stale and never
   * expire by the invalidation. No entry is read, listed or rewritten: the tag
   * clock records when each tag went stale and expires, and every read checks it.
   * Never throws; failures are reported (`invalidate` returns them).
   */
  async revalidateTag(tags: string | string[], durations?: { expire?: number }): Promise<void> {
    await this.invalidate(tags, durations);
  }

  /**
   * `revalidateTag`, saying what happened: how many tags, through which path,
   * how many writes failed, and the Workers Cache purge (`options.workersCache`:
   * a request's `ctx.cache`, used instead of the handler's option).
   */
  async invalidate(
    tags: string | string[],
    durations?: { expire?: number },
    options: { workersCache?: unknown } = {},
  ): Promise<InvalidationResult> {
    const list = Array.isArray(tags) ? tags : [tags];
    try {
      // An entry carries at most 128 tags; one invalidation may name any number (each costs a record).
      const { tags: valid, dropped } = validateTags(list, Number.POSITIVE_INFINITY);
      if (dropped.length) this.logger.warn(`[edge-isr] ERR_TAG_INVALID: revalidateTag ignored ${describeDropped(dropped)}`);
      if (!valid.length) return { tags: 0, via: "none", failed: 0, degraded: false, expireAt: null };
      const inv = invalidationOf(this.now(), durations);
      const hashes = [...new Set(await Promise.all(valid.map(tagHash)))];
      const cache = options.workersCache ?? this.options.workersCache;
      // The CDN's copies go beside the clock's record: neither waits for the other.
      const [{ via, failed }, cdn] = await Promise.all([
        this.clock.invalidate(hashes, inv),
        canPurge(cache) ? purgeCdn(cache, valid, { timeoutMs: this.readTimeoutMs, report: (e) => this.report(e) }) : undefined,
      ]);
      const result: InvalidationResult = {
        tags: valid.length,
        via,
        failed,
        degraded: this.options.coordinator !== undefined && via !== "coordinator",
        expireAt: inv.expireAt ?? null,
      };
      if (cdn) result.cdn = cdn;
      return result;
    } catch (error) {
      this.report(
        new EdgeIsrCacheError(
          "ERR_KV_WRITE",
          `revalidateTag of ${list.length} tag(s) failed: ${String((error as Error)?.message ?? error)}`,
          { cause: error },
        ),
      );
      return { tags: 0, via: "none", failed: 1, degraded: this.options.coordinator !== undefined, expireAt: null };
    }
  }

  /**
   * Where entries are in their life, from their KV metadata alone (as `list()`
   * returns it): each one's own lifespan and its tags' invalidations, decided
   * as `get` decides. For tools such as an inspector: the tags of all of them
   * are read from the clock at once (one bulk read per 100 tags at most).
   */
  async entryStates(metadata: readonly unknown[]): Promise<(Lifespan | "unreadable")[]> {
    const now = this.now();
    const parsed = metadata.map(parseMetadata);
    const all = new Set<string>();
    for (const md of parsed) if (md) for (const hash of splitHashes(md.t)) all.add(hash);
    let clockOk = true;
    if (all.size) {
      await this.clock.prepare(now)?.catch(() => {});
      // Loads every tag once (an entry generated at 0 is affected by anything): the checks below hit memory.
      clockOk = await this.clock.state([...all], 0, now).then(
        () => true,
        () => false,
      );
    }
    return Promise.all(
      parsed.map(async (md) => {
        if (!md) return "unreadable" as const;
        const own = lifespan(md, now);
        const hashes = splitHashes(md.t);
        if (own === "expired" || !hashes.length) return own;
        if (!clockOk) return worse(own, "stale");
        return worse(own, await this.clock.state(hashes, md.m, now).catch(() => "stale" as const));
      }),
    );
  }

  /** `entryStates` of one entry. */
  async entryState(metadata: unknown): Promise<Lifespan | "unreadable"> {
    return (await this.entryStates([metadata]))[0]!;
  }

  /** Forgets request-scoped state (the soft tags seen by `get`). The tag clock is kept: it is per isolate. */
  resetRequestCache(): void {
    this.requestSoftTags.clear();
  }

  private read(kvKey: string): Promise<{ value: ArrayBuffer | null; metadata: unknown }> {
    const options =
      this.options.cacheTtl === undefined
        ? ({ type: "arrayBuffer" } as const)
        : ({ type: "arrayBuffer", cacheTtl: this.options.cacheTtl } as const);
    return this.kv.getWithMetadata<unknown>(kvKey, options);
  }

  private rememberSoftTags(key: string, tags: string[]): void {
    if (this.requestSoftTags.size >= 1000) this.requestSoftTags.clear(); // bounded even if never reset
    this.requestSoftTags.set(key, tags);
  }

  private report(error: EdgeIsrCacheError): void {
    this.logger.error(error.message);
    try {
      this.options.onError?.(error);
    } catch {
      // A throwing onError must not turn a cache problem into a page error.
    }
  }
}

/** What one invalidation did. */
export interface InvalidationResult {
  /** Valid tags invalidated (invalid ones are dropped with a warning). */
  tags: number;
  /** Where it was recorded: the coordinator, per-tag KV records, or nowhere (no valid tag). */
  via: InvalidationPath | "none";
  /** Writes that did not land (each reported through `onError`); 0 means every isolate will see it within the stated bound. */
  failed: number;
  /**
   * A coordinator is configured but could not be reached: the invalidation is
   * in KV and applies in this isolate; other isolates see it once the
   * coordinator picks it up (within a minute of coming back). Retrying is safe.
   */
  degraded: boolean;
  /** When the tagged entries expire (ms), `null` when they only go stale. */
  expireAt: number | null;
  /** The Workers Cache purge, when there was one: tags named (both spellings) and calls that failed (reported). */
  cdn?: PurgeResult;
}

/** Next 16's reading of `durations`: none → expire now; `{ expire: n }` → stale now, expired in n s; `{}` → stale. */
export function invalidationOf(at: number, durations: { expire?: number } | undefined): Invalidation {
  if (durations === undefined || durations === null) return { at, expireAt: at };
  const expire = durations.expire;
  if (typeof expire !== "number" || Number.isNaN(expire) || expire === Number.POSITIVE_INFINITY) return { at, expireAt: undefined };
  return { at, expireAt: at + Math.max(0, expire) * 1000 };
}

function clockError(error: unknown, key?: string): EdgeIsrCacheError {
  if (error instanceof EdgeIsrCacheError) return error;
  return new EdgeIsrCacheError(
    "ERR_CLOCK_READ",
    `reading the tag clock${key === undefined ? "" : ` for ${quoteKey(key)}`} failed; served as stale: ${String((error as Error)?.message ?? error)}`,
    { key, cause: error },
  );
}

/** A seconds option: a positive number, or the default. */
function seconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new EdgeIsrCacheError("ERR_OPTION_INVALID", `${name} ${String(value).slice(0, 40)} must be a positive number of seconds`);
  }
  return value;
}

/** A timeout option: a positive number of ms, or the default. */
function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new EdgeIsrCacheError(
      "ERR_OPTION_INVALID",
      `${name} ${typeof value === "string" ? JSON.stringify(value) : String(value)} must be a positive number of milliseconds`,
    );
  }
  return value;
}

/** revalidate/expire from wherever Next.js or vinext put them. */
function resolveCacheControl(data: IncrementalCacheValue | null, ctx?: SetContext): CacheControl | undefined {
  let revalidate: number | false | undefined = ctx?.cacheControl?.revalidate ?? ctx?.revalidate;
  if (data?.kind === "FETCH" && (typeof data.revalidate === "number" || data.revalidate === false)) revalidate = data.revalidate;
  if (data?.kind === "IMAGE" && typeof data.revalidate === "number") revalidate ??= data.revalidate;
  const expire = ctx?.cacheControl?.expire ?? (typeof ctx?.expire === "number" ? ctx.expire : undefined);
  const stale = ctx?.cacheControl?.stale;
  if (revalidate === undefined && expire === undefined) return undefined;
  const cc: CacheControl = { revalidate: revalidate ?? false };
  if (typeof expire === "number") cc.expire = expire;
  if (typeof stale === "number") cc.stale = stale;
  return cc;
}

/**
 * When the entry's generation started: `ctx.timestamp` (vinext's "use cache" passes it, as
 * Next does), so an entry whose render began before a `revalidateTag` is stale at once;
 * otherwise now. A missing, malformed or future timestamp is now.
 */
function generatedAt(ctx: SetContext | undefined, now: number): number {
  const at = ctx?.timestamp;
  return typeof at === "number" && Number.isFinite(at) && at > 0 && at <= now ? at : now;
}

/** Tags from the set context, a FETCH value's own tags, Next's `x-next-cache-tags` header, and request soft tags. */
function collectTags(data: IncrementalCacheValue | null, ctx: SetContext | undefined, softTags: string[] | undefined): unknown[] {
  const out: unknown[] = [];
  if (Array.isArray(ctx?.tags)) out.push(...ctx.tags);
  if (data?.kind === "FETCH" && Array.isArray(data.tags)) out.push(...data.tags);
  if ((data?.kind === "APP_PAGE" || data?.kind === "APP_ROUTE") && data.headers) {
    const header = data.headers[NEXT_CACHE_TAGS_HEADER];
    const joined = Array.isArray(header) ? header.join(",") : header;
    if (typeof joined === "string" && joined) out.push(...joined.split(","));
  }
  if (data?.kind === "FETCH" && softTags) out.push(...softTags);
  return out;
}
