/**
 * A wrapper around a real KV binding that counts operations the way
 * Cloudflare bills them, enforces production's limits that Miniflare does not,
 * and can inject faults. Not a fake: every call that is not refused or failed
 * on purpose goes to the real namespace underneath.
 *
 * Billing counted here: a `get`/`getWithMetadata` of one key is one key read;
 * a bulk `get([k1…kn])` is n key reads (and one operation); `put` and `delete`
 * are one write each; `list` is one list call.
 *
 * Limits enforced (on by default, as production has them):
 * - 1,000 KV operations per Worker invocation (a bulk read is one). An
 *   invocation is `run(fn)` — everything `fn` starts, its `waitUntil` work
 *   included, is attributed to it through AsyncLocalStorage — and, outside any
 *   `run`, everything since the last `reset()`. Past the limit every call throws,
 *   as Workers does ("Too many API requests by single worker invocation").
 * - About one write per second per key: a second put or delete of a key within
 *   `writeIntervalMs` of the last one answers 429, as KV does.
 */
import { AsyncLocalStorage } from "node:async_hooks";

type AnyKV = {
  get(key: string | string[], options?: unknown): Promise<unknown>;
  getWithMetadata(key: string | string[], options?: unknown): Promise<unknown>;
  put(key: string, value: unknown, options?: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: unknown): Promise<unknown>;
};

export interface KVCounts {
  /** Billed key reads (a bulk read of n keys is n). */
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
}

export interface Faults {
  /** Return an Error to throw it instead of calling KV, "hang" to never answer, or undefined to pass through. */
  before?(op: keyof KVCounts, key: string | undefined): Error | "hang" | undefined;
  /**
   * Rewrites what a read answers (truncated or corrupted bytes, an older
   * value): receives KV's real answer for one key — of a `getWithMetadata`, or
   * of each key of a bulk `get` (whose value is then text or null).
   */
  read?(key: string, answer: KVAnswer): KVAnswer;
  /** Sees every put and delete that went through (a lagging replica keeps their history). */
  wrote?(key: string, answer: KVAnswer): void;
}

export interface KVAnswer {
  value: unknown;
  metadata: unknown;
}

export interface Limits {
  /** Operations per invocation (production: 1,000); `false` lifts it. */
  operationsPerInvocation: number | false;
  /** Least ms between two writes of one key (production: ~1,000); `false` lifts it. */
  writeIntervalMs: number | false;
  /** The clock the write interval is measured on (a test's manual clock). Default `Date.now`. */
  now: () => number;
}

/** One invocation's budget. */
export interface Invocation {
  operations: number;
  /** Calls refused because the budget was spent. */
  refused: number;
}

export interface CountingKV<K> {
  kv: K;
  counts: KVCounts;
  /** Every call, in order, as `op key`. */
  log: string[];
  /** Operations of the ambient invocation (outside any `run`). */
  ambient: Invocation;
  /** Writes refused with 429 (same key within the interval). */
  throttled: number;
  /** Resets the counts, the log and the ambient invocation's budget. */
  reset(): void;
  /** Runs `fn` as one Worker invocation with its own operation budget; returns its result and what it used. */
  run<T>(fn: () => Promise<T>): Promise<{ result: T; invocation: Invocation }>;
  faults: Faults;
  limits: Limits;
}

/** The error Workers throws once an invocation has used its operations. */
export const TOO_MANY_OPERATIONS = "Too many API requests by single worker invocation (KV: over 1,000 operations)";

export function countingKV<K extends object>(inner: K, limits: Partial<Limits> = {}): CountingKV<K> {
  const real = inner as unknown as AnyKV;
  const counts: KVCounts = { reads: 0, writes: 0, deletes: 0, lists: 0 };
  const log: string[] = [];
  const faults: Faults = {};
  const scope = new AsyncLocalStorage<Invocation>();
  const lastWrite = new Map<string, number>();
  const state = {
    ambient: { operations: 0, refused: 0 } as Invocation,
    throttled: 0,
    limits: { operationsPerInvocation: 1000, writeIntervalMs: 1000, now: Date.now, ...limits } as Limits,
  };

  const guard = (op: keyof KVCounts, key: string | undefined, billed = 1) => {
    const invocation = scope.getStore() ?? state.ambient;
    const budget = state.limits.operationsPerInvocation;
    if (budget !== false && invocation.operations >= budget) {
      invocation.refused++;
      throw new Error(TOO_MANY_OPERATIONS);
    }
    invocation.operations++;
    counts[op] += billed;
    log.push(`${op} ${key ?? ""}`);
    const fault = faults.before?.(op, key);
    if (fault === "hang") return new Promise<never>(() => {});
    if (fault) throw fault;
    return undefined;
  };
  const throttle = (key: string) => {
    const interval = state.limits.writeIntervalMs;
    const now = state.limits.now();
    const last = lastWrite.get(key);
    if (interval !== false && last !== undefined && now - last < interval) {
      state.throttled++;
      throw new Error(
        `KV PUT failed: 429 Too Many Requests (key written ${now - last} ms ago; KV takes about one write per second per key)`,
      );
    }
    lastWrite.set(key, now);
  };
  const kv: AnyKV = {
    async get(key, options) {
      await guard("reads", String(key), Array.isArray(key) ? key.length : 1);
      const answer = await real.get(key, options);
      if (!faults.read || !Array.isArray(key) || !(answer instanceof Map)) return answer;
      // A bulk read goes through the same rewriting, key by key (as text, as the bulk read asked).
      const out = new Map<string, unknown>();
      for (const [k, v] of answer as Map<string, unknown>) {
        const rewritten = faults.read(k, { value: v, metadata: null }).value;
        out.set(k, rewritten instanceof ArrayBuffer ? new TextDecoder().decode(rewritten) : rewritten);
      }
      return out;
    },
    async getWithMetadata(key, options) {
      await guard("reads", String(key), Array.isArray(key) ? key.length : 1);
      const answer = await real.getWithMetadata(key, options);
      return faults.read && typeof key === "string" ? faults.read(key, answer as KVAnswer) : answer;
    },
    async put(key, value, options) {
      await guard("writes", key);
      throttle(key);
      await real.put(key, value, options);
      faults.wrote?.(key, { value, metadata: (options as { metadata?: unknown } | undefined)?.metadata ?? null });
    },
    async delete(key) {
      await guard("deletes", key);
      throttle(key);
      await real.delete(key);
      faults.wrote?.(key, { value: null, metadata: null });
    },
    async list(options) {
      await guard("lists", (options as { prefix?: string } | undefined)?.prefix);
      return real.list(options);
    },
  };
  return {
    kv: kv as unknown as K,
    counts,
    log,
    faults,
    get ambient() {
      return state.ambient;
    },
    get throttled() {
      return state.throttled;
    },
    limits: state.limits,
    reset() {
      counts.reads = counts.writes = counts.deletes = counts.lists = 0;
      log.length = 0;
      state.ambient = { operations: 0, refused: 0 };
    },
    async run(fn) {
      const invocation: Invocation = { operations: 0, refused: 0 };
      const result = await scope.run(invocation, fn);
      return { result, invocation };
    },
  };
}

/**
 * Makes reads through `counting` lag like KV's eventually consistent replicas:
 * each read answers, with probability `p`, the value a key had at a random
 * time up to `maxLagMs` ago on `now`'s clock (writes made since are not seen).
 * Keys written before it was installed read through.
 */
export function lagReads(
  counting: CountingKV<unknown>,
  opts: { maxLagMs: number; p: number; now: () => number; random: () => number },
): void {
  const history = new Map<string, { at: number; answer: KVAnswer }[]>();
  counting.faults.wrote = (key, answer) => {
    const list = history.get(key) ?? [];
    list.push({ at: opts.now(), answer });
    history.set(key, list);
  };
  counting.faults.read = (key, answer) => {
    const list = history.get(key);
    if (!list || opts.random() >= opts.p) return answer;
    const asOf = opts.now() - opts.random() * opts.maxLagMs;
    let seen: KVAnswer = { value: null, metadata: null };
    for (const item of list) if (item.at <= asOf) seen = item.answer;
    const value = seen.value;
    // Values are handed out as the reader would get them: bytes as an ArrayBuffer.
    if (value instanceof Uint8Array) return { value: value.slice().buffer, metadata: seen.metadata };
    if (typeof value === "string" && answer.value instanceof ArrayBuffer)
      return { value: new TextEncoder().encode(value).buffer, metadata: seen.metadata };
    return seen;
  };
}
