/**
 * The handler's side of the coordinator's regeneration leases
 * (coordinator/leases.ts): one isolate regenerates a stale entry, the others
 * keep serving it stale, across every isolate of the namespace.
 *
 * A lease this isolate holds is given back when it stores the entry (with the
 * new copy's generation time, so isolates still holding the old copy are
 * refused) — or, if the isolate dies, when its time runs out. A refusal is
 * remembered for a few seconds per copy, so a busy isolate serving a stale
 * page asks the coordinator once, not once per request.
 */
import { base64UrlPrefix, sha256 } from "./bytes.js";
import type { CoordinatorClient } from "./coordinator/protocol.js";

/** Longest a refusal is remembered before this isolate asks again (ms). */
const REFUSAL_MS = 5_000;
/** Leases and refusals remembered per isolate (the oldest forgotten first). */
const MAX_KEYS = 1_000;

export class RegenerationLeases {
  private readonly held = new Map<string, { hash: string; token: string }>();
  private readonly refused = new Map<string, { m: number; until: number }>();

  constructor(
    private readonly client: CoordinatorClient,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Whether this isolate may regenerate `key`, whose stale copy was generated
   * at `m`, for at most `seconds`. Throws when the coordinator cannot be asked.
   */
  async acquire(key: string, m: number, seconds: number): Promise<boolean> {
    const memo = this.refused.get(key);
    if (memo && memo.m === m && memo.until > Date.now()) return false;
    const hash = await leaseKey(key);
    const answer = await this.client.acquireLease(hash, m, seconds * 1000, this.timeoutMs);
    if (answer.granted) {
      remember(this.held, key, { hash, token: answer.token });
      return true;
    }
    remember(this.refused, key, { m, until: Date.now() + Math.min(answer.retryMs, REFUSAL_MS) });
    return false;
  }

  /** Gives back the lease this isolate holds on `key`, if any: `m` is the generation now stored, `null` when nothing was. */
  async release(key: string, m: number | null): Promise<void> {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    await this.client.releaseLease(held.hash, held.token, m, this.timeoutMs);
  }
}

/** The coordinator knows a key by a hash: bounded size, and no cache key in its memory. */
async function leaseKey(key: string): Promise<string> {
  return base64UrlPrefix(await sha256(key), 22);
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
}
