/**
 * The colo's Cache API as a free first tier: for the tag clock (the snapshot,
 * and the tag records readers confirm against) and for entries (the L1,
 * `l1.ts`). A fresh isolate in a data centre that served recently finds them
 * there instead of paying billed KV reads. Best effort: where there is no
 * Cache API (or it is a no-op, as on workers.dev) every call answers
 * "nothing", and every call is bounded in time — a failing or slow Cache API
 * costs at most `timeoutMs`, then the caller goes to KV.
 *
 * A copy also carries the time it stops being good on the handler's clock, so
 * an injected clock (tests, benchmarks) ages copies as the Cache API's own
 * `max-age` does in real time: whichever ends first wins.
 */

type CacheLike = {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
};
/** The part of the Cache API (`caches`) used here. */
export type CachesLike = { open(name: string): Promise<CacheLike> };

const CACHE_NAME = "edge-isr";
/** Header holding when a copy stops being good, in ms on the handler's clock. */
const UNTIL = "x-edge-isr-until";

/** A copy read back: its bytes and the headers it was stored with. */
export interface ColoCopy {
  bytes: Uint8Array<ArrayBuffer>;
  headers: Headers;
  /** When the copy stops being good, ms on the handler's clock. */
  until: number;
}

export interface ColoCacheOptions {
  /** The handler's clock (ms). Default `Date.now`. */
  now?: () => number;
  /** Longest a Cache API call may take before it counts as "nothing" (ms). Default 250. */
  timeoutMs?: number;
  /** The Cache API (tests inject a failing one). Default: the global `caches`. */
  caches?: CachesLike;
}

export class ColoCache {
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly caches: CachesLike | undefined;

  /** `base` is a URL unique to one clock or namespace (the coordinator's id, or an explicit scope); copies live `seconds`. */
  constructor(
    private readonly base: string,
    readonly seconds: number,
    options: ColoCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 250;
    this.caches = options.caches ?? (globalThis as { caches?: CachesLike }).caches;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.read(key))?.bytes;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.write(key, bytes, this.seconds);
  }

  /** A copy with its headers, unless missing, past its time or the Cache API failed or was slow. Never throws. */
  async read(key: string): Promise<ColoCopy | undefined> {
    return within(this.timeoutMs, async () => {
      const cache = await this.open();
      const response = await cache?.match(this.url(key));
      if (!response) return undefined;
      const until = Number(response.headers.get(UNTIL));
      if (!(until > this.now())) {
        await response.body?.cancel();
        return undefined;
      }
      return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers, until };
    });
  }

  /** Stores a copy for `seconds` (at least 1), with extra headers. Never throws; `false` when it did not go in. */
  async write(key: string, bytes: Uint8Array, seconds: number, headers: Record<string, string> = {}): Promise<boolean> {
    const ttl = Math.max(1, Math.floor(seconds));
    const done = await within(this.timeoutMs, async () => {
      const cache = await this.open();
      if (!cache) return false;
      const response = new Response(bytes.slice(), {
        headers: {
          ...headers,
          [UNTIL]: String(this.now() + ttl * 1000),
          "cache-control": `max-age=${ttl}`,
          "content-type": "application/octet-stream",
        },
      });
      await cache.put(this.url(key), response);
      return true;
    });
    return done === true;
  }

  /** Removes a copy. Never throws. */
  async delete(key: string): Promise<void> {
    await within(this.timeoutMs, async () => (await this.open())?.delete(this.url(key)));
  }

  private url(key: string): string {
    return `${this.base}/${key}`;
  }

  /** Opened for each use: in workerd a Cache object may belong to the request that opened it. */
  private async open(): Promise<CacheLike | undefined> {
    if (typeof this.caches?.open !== "function") return undefined;
    return this.caches.open(CACHE_NAME).catch(() => undefined);
  }
}

/** `work`'s result, or `undefined` when it fails or takes longer than `ms` (the call is then left to finish on its own). */
function within<T>(ms: number, work: () => Promise<T>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const run = Promise.resolve()
    .then(work)
    .catch(() => undefined);
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}
