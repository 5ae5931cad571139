/**
 * Work that must outlive the response (regenerations, data-cache refreshes,
 * cache writes). Code without a request's `ctx` (the data cache) registers it
 * here; the ISR pipeline hands everything pending to `ctx.waitUntil` at the end
 * of each request, so nothing is cut off when the response is sent.
 */
import { pendingWork } from "@edge-isr/kv-cache-handler";

const pending = new Set<Promise<unknown>>();

/** Registers background work; errors are the caller's to handle. */
export function defer(work: Promise<unknown>): void {
  const tracked = work.catch(() => {}).finally(() => pending.delete(tracked));
  pending.add(tracked);
}

/** A promise for everything deferred so far: pass it to `ctx.waitUntil`. */
export function backgroundWork(): Promise<void> {
  // The cache handler's own background work too (clock refreshes, the coordinator's wake-up, L1 fills).
  return Promise.allSettled([...pending, pendingWork()]).then(() => undefined);
}

/** Whether anything is pending (tests). */
export function hasBackgroundWork(): boolean {
  return pending.size > 0;
}
