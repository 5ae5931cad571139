/**
 * A short-lived KV lease that bounds duplicate regenerations across isolates.
 * In-isolate dedupe (single-flight) makes one render per isolate; the lease
 * makes other isolates that see it skip theirs and keep serving stale.
 *
 * What KV allows: a lease written in one data centre is visible to readers in
 * the same data centre at once, and elsewhere within KV's propagation delay
 * (up to ~60 s). So the bound is one render per data centre per lease period
 * in the worst case, one render in total in the common case. Two isolates
 * that read "no lease" in the same instant both render: the lease narrows the
 * window, it is not a lock. (Reading the lease back after writing it, to let
 * only the last writer render, is not done: KV may answer that read from its
 * edge cache of the "no lease" read made a moment before, so every racer could
 * see a value other than its own and none would render, leaving the page stale
 * for up to a minute. A duplicate render is the lesser harm.) An opt-in cost: one read (and one write when it is
 * taken) on the STALE path only, never on a HIT.
 */
export interface LeaseKV {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

/** KV's shortest expirationTtl: the lease key outlives the lease itself, its value carries the real deadline. */
const MIN_KV_TTL = 60;

export class Lease {
  constructor(
    private readonly kv: LeaseKV,
    private readonly seconds: number,
    private readonly now: () => number,
    private readonly owner: string = crypto.randomUUID(),
  ) {}

  /** Takes the lease on `key` for `seconds` (at most the lease period) unless another holder's is still running. */
  async acquire(key: string, seconds = this.seconds): Promise<boolean> {
    const held = await this.kv.get(this.keyOf(key));
    if (held) {
      const [until, owner] = held.split(" ");
      if (Number(until) > this.now() && owner !== this.owner) return false;
    }
    await this.kv.put(this.keyOf(key), `${this.now() + Math.min(seconds, this.seconds) * 1000} ${this.owner}`, {
      expirationTtl: MIN_KV_TTL,
    });
    return true;
  }

  private keyOf(key: string): string {
    return `lease:${key}`.slice(0, 512);
  }
}
