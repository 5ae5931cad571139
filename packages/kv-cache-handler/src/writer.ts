/**
 * Every KV write goes through here. KV takes about one write per second per
 * key and answers 429 beyond, so:
 * - a write to a key written less than a second ago waits for the gap;
 * - while one write to a key waits, a later one replaces it (last write wins):
 *   a burst of sets costs one or two writes;
 * - a 429 is retried with exponential backoff, off the response path.
 * The latest not-yet-landed write of a key is readable, so an isolate reads its
 * own writes.
 *
 * No caller ever awaits a promise another caller created. In workerd each
 * promise belongs to the request that made it; a write chained on another
 * request's promise is cancelled when that request ends, and a shared queue
 * then never moves again (the soak benchmark showed a key wedged after ~100 s).
 * So each caller waits with its own timers and writes with its own I/O; the
 * per-key state is plain data, and state left behind by a request that died is
 * ignored after a bounded time.
 */
import { EdgeIsrCacheError, quoteKey } from "./errors.js";
import { KVLimits } from "./limits.js";
import type { KVNamespaceLike } from "./types.js";

export type WriteOp =
  | { type: "put"; value: Uint8Array<ArrayBuffer>; options: { expiration?: number; expirationTtl?: number; metadata: unknown } }
  | { type: "delete" };

interface KeyState {
  /** Number of the newest write queued for the key: an older caller that sees a higher one stands down. */
  seq: number;
  latest: WriteOp;
  /** Real time (ms) the newest write was queued; a state older than `abandonAfterMs` is a dead request's. */
  queuedAt: number;
  /** Real time (ms) a write went on the wire, 0 when none is. */
  busySince: number;
}

export interface WriterOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  report: (error: EdgeIsrCacheError) => void;
  /** Retries after a 429 or a transient failure (default 3: waits of 1, 2, 4 s). */
  retries: number;
  /** Longest a put or delete may be on the wire (the deadline on KV calls); past it the key is free again. */
  writeTimeoutMs: number;
}

const is429 = (error: unknown) => /\b429\b|too many requests/i.test(String((error as Error)?.message ?? error));
/** Real time, for deciding whether a request that left state behind is gone (not the injectable clock). */
const realNow = () => Date.now();
/** How often a write checks whether the write on the wire before it has finished. */
const BUSY_POLL_MS = 20;
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class KeyWriter {
  private readonly keys = new Map<string, KeyState>();
  private readonly lastWrite = new Map<string, number>();
  /** After this long a queued write whose caller never finished is forgotten. */
  private readonly abandonAfterMs: number;

  constructor(
    private readonly kv: KVNamespaceLike,
    private readonly options: WriterOptions,
  ) {
    // The longest a live caller can take: every attempt on the wire, every backoff, one gap.
    this.abandonAfterMs =
      (options.retries + 1) * (options.writeTimeoutMs + BUSY_POLL_MS) + KVLimits.minWriteIntervalMs * 2 ** (options.retries + 1);
  }

  /** The newest write of `key` that has not landed yet, if any. */
  pending(key: string): WriteOp | undefined {
    return this.live(key)?.latest;
  }

  /**
   * Queues a write and carries it out in the caller's own request. Resolves
   * `true` once it landed, or once a later write replaced it (that write is
   * then its caller's to land or report); `false` when it failed (reported).
   * `landed` runs (and is awaited) only when this very write reached KV.
   */
  async write(key: string, op: WriteOp, landed?: () => Promise<void>): Promise<boolean> {
    const state = this.live(key) ?? { seq: 0, latest: op, queuedAt: 0, busySince: 0 };
    const mine = ++state.seq;
    state.latest = op;
    state.queuedAt = realNow();
    this.keys.set(key, state);
    const replaced = () => state.seq !== mine || this.keys.get(key) !== state;

    // Wait while the write before this one is on the wire, then for the gap after
    // the last landed write — once per landed write (an injected sleep may not move the clock).
    let waitedAfter: number | undefined;
    for (;;) {
      if (replaced()) return true;
      if (state.busySince && realNow() - state.busySince < this.options.writeTimeoutMs + BUSY_POLL_MS) {
        await pause(BUSY_POLL_MS);
        continue;
      }
      const last = this.lastWrite.get(key);
      const gap = last === undefined ? 0 : last + KVLimits.minWriteIntervalMs - this.options.now();
      if (gap <= 0 || waitedAfter === last) break;
      waitedAfter = last;
      await this.options.sleep(gap);
    }
    state.busySince = realNow();
    let outcome: "landed" | "replaced" | "failed";
    try {
      outcome = await this.attempt(key, op, replaced);
    } finally {
      state.busySince = 0;
      if (!replaced()) this.keys.delete(key);
    }
    if (outcome === "landed") await landed?.().catch(() => {});
    return outcome !== "failed";
  }

  /** The key's state, unless its newest caller has been gone longer than any live one could take. */
  private live(key: string): KeyState | undefined {
    const state = this.keys.get(key);
    if (state && realNow() - state.queuedAt > this.abandonAfterMs) {
      this.keys.delete(key);
      return undefined;
    }
    return state;
  }

  private async attempt(key: string, op: WriteOp, replaced: () => boolean): Promise<"landed" | "replaced" | "failed"> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (op.type === "put") await this.kv.put(key, op.value, op.options);
        else await this.kv.delete(key);
        this.remember(key);
        return "landed";
      } catch (cause) {
        if (attempt < this.options.retries && is429(cause)) {
          await this.options.sleep(KVLimits.minWriteIntervalMs * 2 ** attempt);
          if (replaced()) return "replaced"; // a newer write is waiting: it goes instead of this retry
          continue;
        }
        const timedOut = cause instanceof EdgeIsrCacheError && cause.code === "ERR_KV_TIMEOUT";
        this.options.report(
          new EdgeIsrCacheError(
            timedOut ? "ERR_KV_TIMEOUT" : "ERR_KV_WRITE",
            `KV ${op.type} of ${quoteKey(key)} failed after ${attempt + 1} attempt(s): ${String((cause as Error)?.message ?? cause)}`,
            { key, cause },
          ),
        );
        return "failed";
      }
    }
  }

  private remember(key: string): void {
    const now = this.options.now();
    this.lastWrite.set(key, now);
    if (this.lastWrite.size > 1024) {
      // Only the last second matters; forget older writes so the map stays small.
      for (const [k, at] of this.lastWrite) if (now - at >= KVLimits.minWriteIntervalMs) this.lastWrite.delete(k);
    }
  }
}
