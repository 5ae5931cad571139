/**
 * A map bounded by the bytes its values stand for, least recently used out
 * first: what an isolate keeps of entries (decoded values, stored copies)
 * must fit in Workers' 128 MB beside the app.
 */
export class SizedLRU<V> {
  private readonly items = new Map<string, { value: V; size: number }>();
  private bytes = 0;

  /** Values over a quarter of `maxBytes` are not kept (one page must not push out every other). */
  constructor(private readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    this.items.delete(key); // most recently used goes last
    this.items.set(key, item);
    return item.value;
  }

  set(key: string, value: V, size: number): void {
    this.delete(key);
    if (size > this.maxBytes / 4) return;
    this.items.set(key, { value, size });
    this.bytes += size;
    for (const [oldest] of this.items) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const item = this.items.get(key);
    if (!item) return;
    this.bytes -= item.size;
    this.items.delete(key);
  }
}
