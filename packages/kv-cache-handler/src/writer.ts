/**
 * Every KV write goes through here, one queue per key. KV takes about one
 * write per second per key and answers 429 beyond, so:
 * - a write to a key written less than a second ago waits for the gap;
 * - while one write to a key is waiting, later ones replace it (last write wins,
 *   all callers resolve together): a burst of sets costs one or two writes;
 * - a 429 is retried with exponential backoff, off the response path.
 * The latest not-yet-landed write of a key is readable, so an isolate reads its
 * own writes.
 */
import { EdgeIsrCacheError, quoteKey } from "./errors.js";
import { KVLimits } from "./limits.js";
import type { KVNamespaceLike } from "./types.js";

export type WriteOp =
  | { type: "put"; value: Uint8Array<ArrayBuffer>; options: { expiration?: number; expirationTtl?: number; metadata: unknown } }
  | { type: "delete" };

interface Queue {
  tail: Promise<boolean>;
  waiting: { op: WriteOp; done: Promise<boolean> } | undefined;
  latest: WriteOp;
}

export interface WriterOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  report: (error: EdgeIsrCacheError) => void;
  /** Retries after a 429 or a transient failure (default 3: waits of 1, 2, 4 s). */
  retries: number;
}

const is429 = (error: unknown) => /\b429\b|too many requests/i.test(String((error as Error)?.message ?? error));

export class KeyWriter {
  private readonly queues = new Map<string, Queue>();
  private readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly kv: KVNamespaceLike,
    private readonly options: WriterOptions,
  ) {}

  /** The newest write of `key` that has not landed yet, if any. */
  pending(key: string): WriteOp | undefined {
    return this.queues.get(key)?.latest;
  }

  /** Queues a write; resolves `true` once it (or a later write that replaced it) landed. */
  write(key: string, op: WriteOp): Promise<boolean> {
    let queue = this.queues.get(key);
    if (queue?.waiting) {
      queue.waiting.op = op;
      queue.latest = op;
      return queue.waiting.done;
    }
    if (!queue) {
      queue = { tail: Promise.resolve(true), waiting: undefined, latest: op };
      this.queues.set(key, queue);
    }
    const q = queue;
    const waiting = { op, done: Promise.resolve(true) };
    q.latest = op;
    q.waiting = waiting;
    waiting.done = q.tail.then(async () => {
      q.waiting = undefined; // from here on, new writes queue behind this one
      const wait = (this.lastWrite.get(key) ?? -Infinity) + KVLimits.minWriteIntervalMs - this.options.now();
      if (wait > 0) await this.options.sleep(wait);
      const landed = await this.attempt(key, waiting.op);
      if (!q.waiting && this.queues.get(key) === q) this.queues.delete(key);
      return landed;
    });
    q.tail = waiting.done;
    return waiting.done;
  }

  private async attempt(key: string, op: WriteOp): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (op.type === "put") await this.kv.put(key, op.value, op.options);
        else await this.kv.delete(key);
        this.remember(key);
        return true;
      } catch (cause) {
        if (attempt < this.options.retries && is429(cause)) {
          await this.options.sleep(KVLimits.minWriteIntervalMs * 2 ** attempt);
          continue;
        }
        const timedOut = cause instanceof EdgeIsrCacheError && cause.code === "ERR_KV_TIMEOUT";
        this.options.report(
          new EdgeIsrCacheError(timedOut ? "ERR_KV_TIMEOUT" : "ERR_KV_WRITE", `KV ${op.type} of ${quoteKey(key)} failed after ${attempt + 1} attempt(s): ${String((cause as Error)?.message ?? cause)}`, { key, cause }),
        );
        return false;
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
