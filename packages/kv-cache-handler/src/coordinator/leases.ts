/**
 * Regeneration leases the coordinator grants: one isolate regenerates a stale
 * entry, every other isolate keeps serving the stale copy. The coordinator
 * handles one request at a time, so two isolates asking in the same instant
 * cannot both win (a KV lease can only narrow that race: read, then write).
 *
 * A lease ends when its holder stores the entry (`release`, with the new
 * copy's generation time) or when its time runs out, so a renderer that
 * crashed holds the page for at most the lease's length. An isolate that read
 * the stale copy just before the new one was stored asks with the stale
 * copy's generation time; the table remembers the newest generation stored
 * per key for a while and refuses it — no second render for one window.
 *
 * In memory only: a coordinator that restarts forgets its leases, which costs
 * at most one duplicate render, never a page that stays stale.
 */
import { CoordinatorLimits } from "./protocol.js";

export type LeaseAnswer = { granted: true; token: string; until: number } | { granted: false; reason: "held" | "done"; retryMs: number };

export class LeaseTable {
  private readonly held = new Map<string, { token: string; until: number }>();
  /** The newest generation (ms, the handlers' clock) stored per key, and when that was learned (real ms). */
  private readonly done = new Map<string, { m: number; at: number }>();

  /** A lease on `key` for `ms`, asked for by an isolate holding a copy generated at `m`. */
  acquire(key: string, m: number, ms: number, now: number): LeaseAnswer {
    const done = this.done.get(key);
    if (done && now - done.at < CoordinatorLimits.leaseMemoryMs && m < done.m) {
      return { granted: false, reason: "done", retryMs: CoordinatorLimits.leaseMemoryMs - (now - done.at) };
    }
    const lease = this.held.get(key);
    if (lease && lease.until > now) return { granted: false, reason: "held", retryMs: lease.until - now };
    const until = now + Math.min(Math.max(1, ms), CoordinatorLimits.maxLeaseMs);
    const token = crypto.randomUUID();
    this.held.delete(key);
    this.held.set(key, { token, until });
    this.bound(this.held, (l) => l.until <= now);
    return { granted: true, token, until };
  }

  /** Ends the lease `token` holds (if it still does) and remembers that a copy generated at `m` was stored. */
  release(key: string, token: string, m: number | undefined, now: number): void {
    if (this.held.get(key)?.token === token) this.held.delete(key);
    if (m === undefined) return;
    const known = this.done.get(key);
    this.done.delete(key);
    this.done.set(key, { m: Math.max(m, known?.m ?? 0), at: now });
    this.bound(this.done, (d) => now - d.at >= CoordinatorLimits.leaseMemoryMs);
  }

  /** Keeps a map within `leaseKeys`: forgets what is over, then the oldest. */
  private bound<V>(map: Map<string, V>, over: (value: V) => boolean): void {
    if (map.size <= CoordinatorLimits.leaseKeys) return;
    for (const [key, value] of map) if (over(value)) map.delete(key);
    for (const key of map.keys()) {
      if (map.size <= CoordinatorLimits.leaseKeys) break;
      map.delete(key);
    }
  }
}

/** The body of `POST /lease`. */
export type LeaseMessage =
  | { action: "acquire"; key: string; m: number; ms: number }
  | { action: "release"; key: string; token: string; m: number | null };

const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const time = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;

/** Validates a lease message; a string saying what is wrong, or the message. */
export function parseLeaseMessage(raw: unknown): LeaseMessage | string {
  const m = raw as Partial<Record<string, unknown>> | null;
  if (typeof m !== "object" || m === null) return "body must be a JSON object";
  if (typeof m.key !== "string" || !KEY.test(m.key)) return "key must be 1 to 64 base64url characters (a hash of the cache key)";
  if (m.action === "acquire") {
    if (!time(m.m)) return "m must be the stale copy's generation time in ms";
    if (!time(m.ms) || m.ms === 0) return "ms must be the lease's length in ms";
    return { action: "acquire", key: m.key, m: m.m, ms: m.ms };
  }
  if (m.action === "release") {
    if (typeof m.token !== "string" || m.token.length > 64) return "token must be the lease's token";
    if (m.m !== null && !time(m.m)) return "m must be the stored copy's generation time in ms, or null";
    return { action: "release", key: m.key, token: m.token, m: m.m as number | null };
  }
  return 'action must be "acquire" or "release"';
}
