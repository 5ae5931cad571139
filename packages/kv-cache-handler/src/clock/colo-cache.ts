/**
 * The colo's Cache API as a free first tier for the tag clock (the snapshot,
 * and the tag records readers confirm against): a fresh isolate in a data
 * centre that served recently finds them there instead of paying billed KV
 * reads. Best effort: where there is no Cache API (or it is a no-op, as on
 * workers.dev) every call answers "nothing".
 */

type CacheLike = { match(url: string): Promise<Response | undefined>; put(url: string, response: Response): Promise<void> };
type CachesLike = { open(name: string): Promise<CacheLike> };

const CACHE_NAME = "edge-isr";

export class ColoCache {
  /** `base` is a URL unique to one clock (the coordinator's id); copies live `seconds`. */
  constructor(
    private readonly base: string,
    readonly seconds: number,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const cache = await this.open();
    const response = await cache?.match(`${this.base}/${key}`);
    return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const cache = await this.open();
    await cache?.put(`${this.base}/${key}`, new Response(bytes.slice(), { headers: { "cache-control": `max-age=${this.seconds}`, "content-type": "application/octet-stream" } }));
  }

  /** Opened for each use: in workerd a Cache object may belong to the request that opened it. */
  private async open(): Promise<CacheLike | undefined> {
    const caches = (globalThis as { caches?: CachesLike }).caches;
    if (!caches || typeof caches.open !== "function") return undefined;
    return caches.open(CACHE_NAME).catch(() => undefined);
  }
}
