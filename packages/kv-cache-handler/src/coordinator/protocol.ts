/**
 * What the handler and the coordinator Durable Object say to each other, over
 * the stub's `fetch` (no RPC base class, so the package keeps no dependency on
 * `cloudflare:workers`). One coordinator per KV binding and key prefix.
 */
import { EdgeIsrCacheError } from "../errors.js";
import type { Invalidation } from "../clock/record.js";
import type { LeaseAnswer, LeaseMessage } from "./leases.js";

/** The part of a Durable Object namespace binding the handler uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): { toString(): string };
  get(id: { toString(): string }): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

export const CoordinatorLimits = {
  /** Tag hashes in one invalidation message. */
  maxHashes: 1000,
  /** Shortest gap between two snapshot writes to KV (KV takes one write per second per key). */
  publishIntervalMs: 1000,
  /** How often the coordinator reads the pending list for invalidations written to KV directly. */
  pollIntervalMs: 60_000,
  /** Exact records the coordinator keeps before folding the oldest into its bucket table. */
  maxRows: 20_000,
  /** `list()` calls one alarm may make while absorbing per-tag records (KV allows 1,000 operations). */
  listCallsPerAlarm: 400,
  /** Per-tag records written to KV in one invocation (the rest by the next alarm): within KV's 1,000 operations. */
  recordWritesPerInvocation: 500,
  /** Longest regeneration lease granted (ms): a renderer that crashed holds its page at most this long. */
  maxLeaseMs: 60_000,
  /** How long the coordinator remembers which generation of a key was stored (ms): an isolate with an older copy is refused meanwhile. */
  leaseMemoryMs: 120_000,
  /** Keys the lease table keeps (leases held, generations stored), the oldest forgotten first. */
  leaseKeys: 10_000,
} as const;

/** The body of `POST /invalidate`. */
export interface InvalidateMessage {
  /** The KV binding the coordinator publishes to, by name. */
  binding: string;
  prefix: string;
  hashes: string[];
  at: number;
  expireAt: number | null;
}

const ORIGIN = "https://edge-isr-coordinator";
const HASH = /^[A-Za-z0-9_-]{6}$/;

/** The coordinator's name for a binding and prefix. */
export const coordinatorName = (binding: string, prefix: string) => `edge-isr\n${binding}\n${prefix}`;

/** Validates a message; a string saying what is wrong, or the message. */
export function parseInvalidateMessage(raw: unknown): InvalidateMessage | string {
  const m = raw as Partial<InvalidateMessage> | null;
  if (typeof m !== "object" || m === null) return "body must be a JSON object";
  if (typeof m.binding !== "string" || !m.binding) return "binding must name the KV binding";
  if (typeof m.prefix !== "string") return "prefix must be a string";
  if (!Array.isArray(m.hashes) || m.hashes.length === 0 || m.hashes.length > CoordinatorLimits.maxHashes)
    return `hashes must hold 1 to ${CoordinatorLimits.maxHashes} tag hashes`;
  if (!m.hashes.every((h) => typeof h === "string" && HASH.test(h))) return "hashes must be 6-character base64url tag hashes";
  if (typeof m.at !== "number" || !Number.isFinite(m.at) || m.at <= 0) return "at must be a time in ms";
  if (m.expireAt !== null && (typeof m.expireAt !== "number" || !Number.isFinite(m.expireAt)))
    return "expireAt must be a time in ms or null";
  return m as InvalidateMessage;
}

/**
 * The handler's side; calls bounded by `timeoutMs`. A stub is made for each
 * call: in workerd a stub is an I/O object of the request that made it, and
 * the handler lives as long as the isolate.
 */
export class CoordinatorClient {
  readonly name: string;
  readonly id: string;

  constructor(
    private readonly namespace: DurableObjectNamespaceLike,
    private readonly binding: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.name = coordinatorName(binding, prefix);
    this.id = namespace.idFromName(this.name).toString();
  }

  /** Records an invalidation (in messages of at most `maxHashes` tags); answers the clock snapshot that includes it. */
  async invalidate(hashes: readonly string[], inv: Invalidation): Promise<Uint8Array> {
    let snapshot: Uint8Array | undefined;
    for (let i = 0; i < hashes.length; i += CoordinatorLimits.maxHashes) {
      const message: InvalidateMessage = {
        binding: this.binding,
        prefix: this.prefix,
        hashes: hashes.slice(i, i + CoordinatorLimits.maxHashes),
        at: inv.at,
        expireAt: inv.expireAt ?? null,
      };
      snapshot = await this.call("/invalidate", {
        method: "POST",
        body: JSON.stringify(message),
        headers: { "content-type": "application/json" },
      });
    }
    if (!snapshot) throw new EdgeIsrCacheError("ERR_COORDINATOR", "an invalidation needs at least one tag");
    return snapshot;
  }

  /** Asks the coordinator to publish its snapshot (a reader found none in KV). */
  publish(): Promise<Uint8Array> {
    return this.call(`/publish?binding=${encodeURIComponent(this.binding)}&prefix=${encodeURIComponent(this.prefix)}`, { method: "POST" });
  }

  /**
   * Makes sure the coordinator is configured for this namespace and its polling
   * alarm is set (once per isolate). A snapshot in KV may come from another
   * runtime (the CLI's prerender, an earlier local process), so finding one
   * does not prove this runtime's coordinator has ever run; unwoken, it would
   * never pick up records written straight into KV (`edge-isr purge`).
   */
  async wake(): Promise<void> {
    await this.call(`/wake?binding=${encodeURIComponent(this.binding)}&prefix=${encodeURIComponent(this.prefix)}`, { method: "POST" });
  }

  /** The current snapshot (for tools), publishing nothing. */
  snapshot(): Promise<Uint8Array> {
    return this.call(`/snapshot?binding=${encodeURIComponent(this.binding)}&prefix=${encodeURIComponent(this.prefix)}`, { method: "GET" });
  }

  /** Asks for a regeneration lease on `key` (a hash of the cache key) held by a copy generated at `m` (see leases.ts). */
  async acquireLease(key: string, m: number, ms: number, timeoutMs: number): Promise<LeaseAnswer> {
    return (await this.leaseCall({ action: "acquire", key, m, ms }, timeoutMs)) as LeaseAnswer;
  }

  /** Gives a lease back; `m`, the generation now stored, or `null` when nothing was. */
  async releaseLease(key: string, token: string, m: number | null, timeoutMs: number): Promise<void> {
    await this.leaseCall({ action: "release", key, token, m }, timeoutMs);
  }

  private async leaseCall(message: LeaseMessage, timeoutMs: number): Promise<unknown> {
    const bytes = await this.call(
      "/lease",
      { method: "POST", body: JSON.stringify(message), headers: { "content-type": "application/json" } },
      timeoutMs,
    );
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  private async call(path: string, init: RequestInit, timeoutMs = this.timeoutMs): Promise<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new EdgeIsrCacheError("ERR_COORDINATOR", `the coordinator did not answer ${path.split("?")[0]} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const stub = this.namespace.get(this.namespace.idFromName(this.name));
      const response = await Promise.race([stub.fetch(ORIGIN + path, init), late]);
      const bytes = new Uint8Array(await Promise.race([response.arrayBuffer(), late]));
      if (response.status !== 200) {
        const text = new TextDecoder().decode(bytes.subarray(0, 400));
        let reason = text.slice(0, 300);
        try {
          reason = String((JSON.parse(text) as { error?: unknown }).error ?? reason);
        } catch {
          // not JSON: the text as it is
        }
        throw new EdgeIsrCacheError("ERR_COORDINATOR", `the coordinator answered ${response.status}: ${reason}`);
      }
      return bytes;
    } catch (error) {
      throw error instanceof EdgeIsrCacheError
        ? error
        : new EdgeIsrCacheError("ERR_COORDINATOR", `calling the coordinator failed: ${String((error as Error)?.message ?? error)}`, {
            cause: error,
          });
    } finally {
      clearTimeout(timer);
    }
  }
}
