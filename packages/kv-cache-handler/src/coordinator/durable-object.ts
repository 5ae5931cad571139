/**
 * `EdgeIsrCoordinator`: the Durable Object that owns the tag clock, and grants
 * the regeneration leases that make one isolate render a stale page (leases.ts).
 *
 * Invalidations from every isolate arrive here one at a time, so none is lost
 * to a concurrent one; the clock lives in the object's SQLite storage (the
 * source of truth) and is published to KV as one snapshot (the edge read
 * tier), at most once a second — the pattern Cloudflare uses for its own
 * configuration. Each invalidated tag's merged record is also written to KV
 * (`t:<hash>`, at most once a second per tag): readers confirm against it
 * what the snapshot only keeps folded. Once a minute it also picks up invalidations that were
 * written to KV directly (`edge-isr purge` without `--endpoint`, or an isolate
 * that could not reach it), and on its first start it absorbs the per-tag
 * records of a namespace that ran without a coordinator before.
 *
 * Bind it in wrangler config (SQLite-backed) and export it from the Worker:
 *
 *   [[durable_objects.bindings]]
 *   name = "EDGE_ISR_COORDINATOR"
 *   class_name = "EdgeIsrCoordinator"
 *   [[migrations]]
 *   tag = "edge-isr-v1"
 *   new_sqlite_classes = ["EdgeIsrCoordinator"]
 */
import { PENDING_KEY, TAG_RECORD_PREFIX, parsePending } from "../clock/kv-records.js";
import { type TagRecord, applyInvalidation, mergeRecords, parseRecord, settle } from "../clock/record.js";
import { SnapshotLimits, buildSnapshot, emptyBuckets, foldRecord } from "../clock/snapshot.js";
import type { KVNamespaceLike } from "../types.js";
import { LeaseTable, parseLeaseMessage } from "./leases.js";
import { CoordinatorLimits, parseInvalidateMessage } from "./protocol.js";

export const SNAPSHOT_KEY = "c:clock";

/** The parts of Durable Object state the coordinator uses (SQLite storage and alarms). */
export interface CoordinatorState {
  blockConcurrencyWhile<T>(work: () => Promise<T>): Promise<T>;
  storage: {
    sql: { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] } };
    getAlarm(): Promise<number | null>;
    setAlarm(at: number): Promise<void>;
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
/** A JSON body checked by `parse`: the message, or a string saying what is wrong. */
async function readBody<M>(request: Request, parse: (raw: unknown) => M | string): Promise<M | string> {
  try {
    return parse(await request.json());
  } catch {
    return "body must be JSON";
  }
}
const isKV = (x: unknown): x is KVNamespaceLike =>
  typeof (x as KVNamespaceLike | undefined)?.put === "function" && typeof (x as KVNamespaceLike).list === "function";

export class EdgeIsrCoordinator {
  /** Regeneration leases: one isolate renders a stale page, the others serve it stale (in memory, see leases.ts). */
  private readonly leases = new LeaseTable();

  constructor(
    private readonly ctx: CoordinatorState,
    private readonly env: Record<string, unknown>,
  ) {
    const sql = ctx.storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS records (hash TEXT PRIMARY KEY, s REAL NOT NULL, w REAL NOT NULL, fx REAL NOT NULL, fa REAL NOT NULL)",
    );
    sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v)");
    // Tags whose record KV has not been given yet, and the earliest time the next write of each may go (1 write/s per key).
    sql.exec("CREATE TABLE IF NOT EXISTS outbox (hash TEXT PRIMARY KEY, notBefore REAL NOT NULL, seq INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS written (hash TEXT PRIMARY KEY, at REAL NOT NULL)");
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "POST" && url.pathname === "/invalidate") {
        const message = await readBody(request, parseInvalidateMessage);
        if (typeof message === "string") return json(400, { error: message });
        const kv = await this.configure(message.binding, message.prefix);
        if (typeof kv === "string") return json(500, { error: kv });
        const inv = { at: message.at, expireAt: message.expireAt ?? undefined };
        for (const hash of message.hashes) {
          this.upsert(hash, applyInvalidation(this.row(hash), inv));
          this.enqueue(hash);
        }
        this.bound();
        this.bump();
        const bytes = await this.publish(kv, message.at);
        await this.flushRecords(kv);
        return new Response(bytes, { headers: { "content-type": "application/octet-stream" } });
      }
      if (request.method === "POST" && url.pathname === "/lease") {
        const message = await readBody(request, parseLeaseMessage);
        if (typeof message === "string") return json(400, { error: message });
        if (message.action === "acquire") return json(200, this.leases.acquire(message.key, message.m, message.ms, Date.now()));
        this.leases.release(message.key, message.token, message.m ?? undefined, Date.now());
        return json(200, { released: true });
      }
      if (request.method === "POST" && url.pathname === "/publish") {
        // A reader found no snapshot in KV: publish one (an empty clock is a clock).
        const binding = url.searchParams.get("binding") ?? "";
        const kv = await this.configure(binding, url.searchParams.get("prefix") ?? "");
        if (typeof kv === "string") return json(500, { error: kv });
        this.bump();
        return new Response(await this.publish(kv, Date.now()), { headers: { "content-type": "application/octet-stream" } });
      }
      if (request.method === "POST" && url.pathname === "/wake") {
        // An isolate's first read of the clock: configured (absorbing records a KV-only past left), the
        // pending list read if a poll is due, and the alarm set, so polling survives a restart of the runtime.
        const kv = await this.configure(url.searchParams.get("binding") ?? "", url.searchParams.get("prefix") ?? "");
        if (typeof kv === "string") return json(500, { error: kv });
        await this.poll(kv, false);
        // Never published by this coordinator: the snapshot readers see came from elsewhere; replace it with ours.
        if (!Number(this.meta("publishedAt") ?? 0)) {
          this.bump();
          await this.publish(kv, Date.now());
        }
        await this.schedule();
        return new Response(new Uint8Array(0));
      }
      if (request.method === "GET" && url.pathname === "/snapshot") {
        return new Response(this.build(Date.now()).bytes, { headers: { "content-type": "application/octet-stream" } });
      }
      if (request.method === "GET" && url.pathname === "/stats") {
        return json(200, {
          rows: this.count(),
          complete: this.meta("complete") === 1,
          publishes: Number(this.meta("publishes") ?? 0),
          publishedAt: Number(this.meta("publishedAt") ?? 0),
          /** The shortest gap between two snapshot writes so far (KV takes one write per second per key). */
          minGapMs: this.meta("minGapMs") === null ? null : Number(this.meta("minGapMs")),
          dirty: this.meta("dirty") === 1,
        });
      }
      if (request.method === "POST" && url.pathname === "/poll") {
        const kv = this.kv();
        if (!kv) return json(409, { error: "the coordinator has not been configured by an invalidation yet" });
        await this.poll(kv, true);
        return json(200, { rows: this.count(), complete: this.meta("complete") === 1 });
      }
      return json(404, { error: `no route ${request.method} ${url.pathname}` });
    } catch (error) {
      return json(500, { error: String((error as Error)?.message ?? error).slice(0, 300) });
    }
  }

  /** Publishes a deferred snapshot, picks up records written to KV directly, and plans the next wake-up. */
  async alarm(): Promise<void> {
    const kv = this.kv();
    if (!kv) return;
    if (this.meta("dirty") === 1) await this.publish(kv, Date.now());
    await this.flushRecords(kv);
    await this.poll(kv, false);
    await this.schedule();
  }

  /**
   * Remembers which binding and prefix this coordinator serves; an error
   * message when the binding is not KV. On the first call it absorbs what a
   * KV-only past left behind: at once when that fits one list call, else over
   * the next alarms (readers check per-tag records until it is complete).
   */
  private async configure(binding: string, prefix: string): Promise<KVNamespaceLike | string> {
    const kv = this.env[binding.slice(0, 100)];
    if (!isKV(kv))
      return `binding ${JSON.stringify(binding.slice(0, 100))} is not a KV namespace of the coordinator's Worker; pass the KV binding's name as the handler's \`binding\` option`;
    if (this.meta("binding") !== binding || this.meta("prefix") !== prefix) {
      // No other request runs until this is done: none publishes a clock that misses the absorbed records.
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.meta("binding") === binding && this.meta("prefix") === prefix) return;
        this.setMeta("binding", binding);
        this.setMeta("prefix", prefix);
        this.setMeta("complete", 0);
        this.setMeta("listCursor", null);
        this.setMeta("pollAt", Date.now() + CoordinatorLimits.pollIntervalMs);
        await this.absorbListed(kv, 1).catch(() => false);
        await this.schedule();
      });
    }
    return kv;
  }

  private kv(): KVNamespaceLike | undefined {
    const binding = this.meta("binding");
    const kv = typeof binding === "string" ? this.env[binding] : undefined;
    return isKV(kv) ? kv : undefined;
  }

  private get prefix(): string {
    return String(this.meta("prefix") ?? "");
  }

  /**
   * Writes the snapshot to KV now, or — within a second of the last write —
   * leaves it to the alarm. Answers the snapshot either way.
   */
  private async publish(kv: KVNamespaceLike, at: number): Promise<Uint8Array<ArrayBuffer>> {
    const version = Number(this.meta("version") ?? 0);
    const { bytes } = this.build(Math.max(Date.now(), at));
    const last = Number(this.meta("publishedAt") ?? 0);
    if (Date.now() - last < CoordinatorLimits.publishIntervalMs) {
      this.setMeta("dirty", 1);
      await this.schedule();
      return bytes;
    }
    if (last > 0) this.setMeta("minGapMs", Math.min(Number(this.meta("minGapMs") ?? Infinity), Date.now() - last));
    this.setMeta("publishedAt", Date.now());
    this.setMeta("publishes", Number(this.meta("publishes") ?? 0) + 1);
    this.setMeta("dirty", 0);
    try {
      await kv.put(this.prefix + SNAPSHOT_KEY, bytes);
    } catch {
      this.setMeta("dirty", 1); // retried by the alarm
    }
    // Another invalidation landed while this write was on the wire: its snapshot may have gone first.
    if (Number(this.meta("version") ?? 0) !== version) this.setMeta("dirty", 1);
    await this.schedule();
    return bytes;
  }

  /** Queues a tag's record for KV, not before a second after its last write. */
  private enqueue(hash: string): void {
    const [last] = this.ctx.storage.sql.exec("SELECT at FROM written WHERE hash = ?", hash).toArray();
    const notBefore = last ? Number(last.at) + CoordinatorLimits.publishIntervalMs : 0;
    const seq = Number(this.meta("outboxSeq") ?? 0) + 1;
    this.setMeta("outboxSeq", seq);
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO outbox (hash, notBefore, seq) VALUES (?, ?, ?)", hash, notBefore, seq);
  }

  /** Writes due records to KV (each the tag's merged row as it is now); the rest wait for the alarm. */
  private async flushRecords(kv: KVNamespaceLike): Promise<void> {
    const now = Date.now();
    const due = this.ctx.storage.sql
      .exec("SELECT hash, seq FROM outbox WHERE notBefore <= ? LIMIT ?", now, CoordinatorLimits.recordWritesPerInvocation)
      .toArray();
    await Promise.all(
      due.map(async ({ hash: h, seq }) => {
        const hash = String(h);
        const record = this.row(hash);
        if (!record) return void this.ctx.storage.sql.exec("DELETE FROM outbox WHERE hash = ?", hash); // folded meanwhile: its fold is in every snapshot
        try {
          await kv.put(this.prefix + TAG_RECORD_PREFIX + hash, JSON.stringify(record), { metadata: record });
          const at = Date.now();
          this.ctx.storage.sql.exec("INSERT OR REPLACE INTO written (hash, at) VALUES (?, ?)", hash, at);
          // Done, unless a newer invalidation re-queued it while the write was on the wire: that one goes a second later.
          this.ctx.storage.sql.exec("DELETE FROM outbox WHERE hash = ? AND seq = ?", hash, seq);
          this.ctx.storage.sql.exec(
            "UPDATE outbox SET notBefore = max(notBefore, ?) WHERE hash = ?",
            at + CoordinatorLimits.publishIntervalMs,
            hash,
          );
        } catch {
          this.ctx.storage.sql.exec(
            "UPDATE outbox SET notBefore = ? WHERE hash = ?",
            Date.now() + CoordinatorLimits.publishIntervalMs,
            hash,
          );
        }
      }),
    );
    const cutoff = now - 10 * CoordinatorLimits.publishIntervalMs;
    this.ctx.storage.sql.exec("DELETE FROM written WHERE at < ?", cutoff); // only the last second matters
  }

  /** Reads the pending list (and lists per-tag records when it must); merges what is new. */
  private async poll(kv: KVNamespaceLike, force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now < Number(this.meta("pollAt") ?? 0)) return;
    this.setMeta("pollAt", now + CoordinatorLimits.pollIntervalMs);
    let changed = false;
    const read = await kv.getWithMetadata(this.prefix + PENDING_KEY, { type: "arrayBuffer" }).catch(() => undefined);
    const text = read?.value ? new TextDecoder().decode(read.value) : "";
    if (text !== this.meta("pendingText")) {
      const pending = parsePending(text);
      for (const [hash, record] of Object.entries(pending?.records ?? {})) changed = this.merge(hash, record) || changed;
      if (pending?.overflow) this.setMeta("complete", 0);
      this.setMeta("pendingText", text);
    }
    if (this.meta("complete") !== 1) changed = (await this.absorbListed(kv, CoordinatorLimits.listCallsPerAlarm)) || changed;
    if (changed) {
      this.bound();
      this.bump();
      await this.publish(kv, now);
    }
  }

  /** Lists `t:` records (metadata only) and merges them, continuing from where the last alarm stopped. */
  private async absorbListed(kv: KVNamespaceLike, maxCalls: number): Promise<boolean> {
    let cursor = (this.meta("listCursor") as string | null) ?? undefined;
    let changed = false;
    for (let calls = 0; calls < maxCalls; calls++) {
      const page = await kv.list<unknown>({ prefix: this.prefix + TAG_RECORD_PREFIX, cursor, limit: 1000 });
      for (const key of page.keys) {
        const record = parseRecord(key.metadata);
        if (record) changed = this.merge(key.name.slice(this.prefix.length + TAG_RECORD_PREFIX.length), record) || changed;
      }
      cursor = page.list_complete ? undefined : page.cursor;
      this.setMeta("listCursor", cursor ?? null);
      if (!cursor) {
        this.setMeta("complete", 1);
        this.bump();
        return true;
      }
    }
    return changed;
  }

  /** Merges a record; whether it changed anything. */
  private merge(hash: string, record: TagRecord): boolean {
    if (hash.length !== 6) return false;
    const current = this.row(hash);
    const merged = mergeRecords(current, record);
    if (current && merged.s === current.s && merged.w === current.w && merged.fx === current.fx && merged.fa === current.fa) return false;
    this.upsert(hash, merged);
    return true;
  }

  /** Folds the oldest rows into the bucket table when there are more than the table should hold. */
  private bound(): void {
    const over = this.count() - CoordinatorLimits.maxRows;
    if (over <= 0) return;
    const buckets = this.buckets();
    const now = Date.now();
    const rows = this.ctx.storage.sql.exec("SELECT hash, s, w, fx, fa FROM records ORDER BY max(s, w, fa) ASC LIMIT ?", over).toArray();
    for (const row of rows) {
      foldRecord(buckets, SnapshotLimits.bucketBits, String(row.hash), settle(row as unknown as TagRecord, now));
      this.ctx.storage.sql.exec("DELETE FROM records WHERE hash = ?", row.hash);
    }
    this.setMeta("buckets", buckets.buffer);
  }

  private build(at: number) {
    const rows = this.ctx.storage.sql.exec("SELECT hash, s, w, fx, fa FROM records").toArray();
    return buildSnapshot({
      records: rows.map(
        (r) => [String(r.hash), { s: Number(r.s), w: Number(r.w), fx: Number(r.fx), fa: Number(r.fa) }] as [string, TagRecord],
      ),
      buckets: this.buckets(),
      publishedAt: at,
      sequence: Number(this.meta("version") ?? 0),
      absorbedAt: Number(this.meta("pollAt") ?? 0) - CoordinatorLimits.pollIntervalMs,
      complete: this.meta("complete") === 1,
    });
  }

  private async schedule(): Promise<void> {
    const now = Date.now();
    let next = Number(this.meta("pollAt") ?? now);
    const [queued] = this.ctx.storage.sql.exec("SELECT min(notBefore) AS at FROM outbox").toArray();
    if (queued?.at !== null && queued?.at !== undefined) next = Math.min(next, Math.max(Number(queued.at), now + 1));
    if (this.meta("dirty") === 1) next = Math.min(next, Number(this.meta("publishedAt") ?? 0) + CoordinatorLimits.publishIntervalMs);
    if (this.meta("complete") !== 1) next = Math.min(next, now + 100);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(Math.max(next, now + 1));
  }

  private buckets(): Uint32Array {
    const blob = this.meta("buckets");
    return blob instanceof ArrayBuffer ? new Uint32Array(blob.slice(0)) : emptyBuckets();
  }

  private row(hash: string): TagRecord | undefined {
    const [row] = this.ctx.storage.sql.exec("SELECT s, w, fx, fa FROM records WHERE hash = ?", hash).toArray();
    return row ? { s: Number(row.s), w: Number(row.w), fx: Number(row.fx), fa: Number(row.fa) } : undefined;
  }

  private upsert(hash: string, r: TagRecord): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO records (hash, s, w, fx, fa) VALUES (?, ?, ?, ?, ?)", hash, r.s, r.w, r.fx, r.fa);
  }

  private count(): number {
    return Number(this.ctx.storage.sql.exec("SELECT count(*) AS n FROM records").toArray()[0]?.n ?? 0);
  }

  private bump(): void {
    this.setMeta("version", Number(this.meta("version") ?? 0) + 1);
  }

  private meta(k: string): unknown {
    return this.ctx.storage.sql.exec("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  private setMeta(k: string, v: unknown): void {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", k, v);
  }
}
