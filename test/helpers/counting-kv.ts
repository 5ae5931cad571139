/**
 * A wrapper around a real KV binding that counts operations the way
 * Cloudflare bills them, and can inject faults. Not a fake: every call that is
 * not failed on purpose goes to the real namespace underneath.
 *
 * Billing model counted here: a `get`/`getWithMetadata` of one key is one key
 * read; a bulk `get([k1…kn])` is n key reads; `put` and `delete` are one write
 * each; `list` is one list call.
 */
type AnyKV = {
  get(key: string | string[], options?: unknown): Promise<unknown>;
  getWithMetadata(key: string | string[], options?: unknown): Promise<unknown>;
  put(key: string, value: unknown, options?: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: unknown): Promise<unknown>;
};

export interface KVCounts {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
}

export interface Faults {
  /** Return an Error to throw it instead of calling KV, "hang" to never answer, or undefined to pass through. */
  before?(op: keyof KVCounts, key: string | undefined): Error | "hang" | undefined;
  /**
   * Rewrites what a `getWithMetadata` of one key answers (truncated or
   * corrupted bytes, an older value): receives KV's real answer.
   */
  read?(key: string, answer: KVAnswer): KVAnswer;
}

export interface KVAnswer {
  value: unknown;
  metadata: unknown;
}

export interface CountingKV<K> {
  kv: K;
  counts: KVCounts;
  /** Every call, in order, as `op key`. */
  log: string[];
  reset(): void;
  faults: Faults;
}

export function countingKV<K extends object>(inner: K): CountingKV<K> {
  const real = inner as unknown as AnyKV;
  const counts: KVCounts = { reads: 0, writes: 0, deletes: 0, lists: 0 };
  const log: string[] = [];
  const faults: Faults = {};
  const guard = (op: keyof KVCounts, key: string | undefined, n = 1) => {
    counts[op] += n;
    log.push(`${op} ${key ?? ""}`);
    const fault = faults.before?.(op, key);
    if (fault === "hang") return new Promise<never>(() => {});
    if (fault) throw fault;
    return undefined;
  };
  const kv: AnyKV = {
    async get(key, options) {
      return (await guard("reads", String(key), Array.isArray(key) ? key.length : 1)) ?? real.get(key, options);
    },
    async getWithMetadata(key, options) {
      await guard("reads", String(key), Array.isArray(key) ? key.length : 1);
      const answer = await real.getWithMetadata(key, options);
      return faults.read && typeof key === "string" ? faults.read(key, answer as KVAnswer) : answer;
    },
    async put(key, value, options) {
      await guard("writes", key);
      return real.put(key, value, options);
    },
    async delete(key) {
      await guard("deletes", key);
      return real.delete(key);
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
    reset() {
      counts.reads = counts.writes = counts.deletes = counts.lists = 0;
      log.length = 0;
    },
  };
}
