/**
 * Work the handler starts and nobody awaits: the tag clock's refreshes, the
 * coordinator's wake-up, L1 fills. In workerd an I/O promise belongs to the
 * request that started it; when that request ends without `ctx.waitUntil`
 * covering it, the promise never settles. So such work is kept here until
 * it settles, and whoever owns the request hands `pendingWork()` to
 * `ctx.waitUntil` at its end (`@edge-isr/runtime` does, for every request).
 */
const pending = new Set<Promise<unknown>>();

/** Keeps `work` until it settles (its errors are the caller's to report). */
export function keepAlive(work: Promise<unknown>): void {
  const tracked: Promise<unknown> = work.catch(() => {}).finally(() => pending.delete(tracked));
  pending.add(tracked);
}

/** Everything the handler has started in the background and not finished: pass it to `ctx.waitUntil` at the end of a request. */
export function pendingWork(): Promise<void> {
  return Promise.allSettled([...pending]).then(() => undefined);
}
