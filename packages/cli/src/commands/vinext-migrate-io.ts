/**
 * Where `edge-isr vinext migrate` reads, writes and deletes: the local state
 * (one key at a time, no limits) or Cloudflare's API (in bulk, every request
 * paced), and the namespace that captures what KVCacheHandler writes so it can
 * be uploaded in bulk.
 */
import Cloudflare from "cloudflare";
import type { KVNamespaceLike } from "@edge-isr/kv-cache-handler";
import { CliError, redact, redactedLogger } from "../errors.js";
import { entryOf } from "../kv/adapter.js";
import type { RemoteOptions } from "../kv/remote.js";
import type { KVEntry, KVTarget } from "../kv/target.js";

/** Where reads and deletes go: the local state (one key at a time, no limits), or the API in bulk. */
export interface Source {
  read(keys: string[]): Promise<Map<string, string | null>>;
  remove(keys: string[]): Promise<void>;
}

/**
 * At most `max` requests per `windowMs` (a sliding window). Wraps `fetch`, so every HTTP
 * request the Cloudflare client makes, its own retries included, waits its turn and counts.
 */
export function pacedFetch(
  max: number,
  windowMs: number,
  inner: typeof fetch,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> },
) {
  const recent: number[] = [];
  let made = 0;
  let turn = Promise.resolve();
  const take = () =>
    (turn = turn.then(async () => {
      for (;;) {
        const now = clock.now();
        while (recent.length && recent[0]! <= now - windowMs) recent.shift();
        if (recent.length < max) {
          recent.push(now);
          made++;
          return;
        }
        await clock.sleep(recent[0]! + windowMs - now);
      }
    }));
  const paced: typeof fetch = async (input, init) => {
    await take();
    return inner(input, init);
  };
  return { fetch: paced, made: () => made };
}

/** A KV namespace that keeps what KVCacheHandler writes, as entries to upload (`expirationTtl` made absolute). */
export function capture(into: KVEntry[], now: () => number): KVNamespaceLike {
  return {
    getWithMetadata: async () => ({ value: null, metadata: null }),
    async put(key, value, options) {
      into.push(entryOf(key, value, options, now()));
    },
    delete: async () => {},
    list: async () => ({ keys: [], list_complete: true }),
  };
}

export function localSource(target: KVTarget): Source {
  return {
    async read(keys) {
      const out = new Map<string, string | null>();
      for (const key of keys) {
        const hit = await target.get(key);
        out.set(key, hit ? new TextDecoder().decode(hit.value) : null);
      }
      return out;
    },
    async remove(keys) {
      for (const key of keys) await target.delete(key);
    },
  };
}

/** Bulk reads (100 keys a request) and deletes (10,000 a request) through the API; the writes go through `target`. */
export function remoteSource(target: KVTarget, namespace: string, remote: Partial<RemoteOptions>): Source {
  const accountId = remote.accountId ?? process.env.CLOUDFLARE_ACCOUNT_ID!;
  const client = new Cloudflare({
    apiToken: remote.apiToken ?? process.env.CLOUDFLARE_API_TOKEN!,
    maxRetries: remote.maxRetries ?? 4, // 429 and 5xx, Retry-After honoured by the client
    logger: redactedLogger,
    ...((remote.baseURL ?? process.env.CLOUDFLARE_API_BASE_URL) ? { baseURL: remote.baseURL ?? process.env.CLOUDFLARE_API_BASE_URL } : {}),
    ...(remote.fetch ? { fetch: remote.fetch } : {}),
  });
  const fail = (what: string, error: unknown): never => {
    throw new CliError(
      "ERR_KV_API",
      `${what} failed: ${redact(String((error as Error)?.message ?? error))}`,
      "check the token and namespace, then run the command again with --resume (it continues where it stopped).",
    );
  };
  let bulkDelete = true;
  return {
    async read(keys) {
      const out = new Map<string, string | null>();
      if (!keys.length) return out;
      try {
        const res = (await client.kv.namespaces.bulkGet(namespace, { account_id: accountId, keys, type: "text" })) as {
          values?: Record<string, unknown>;
        } | null;
        for (const key of keys) {
          const value = res?.values?.[key];
          out.set(key, value === undefined || value === null ? null : typeof value === "string" ? value : JSON.stringify(value));
        }
      } catch (error) {
        fail(`a bulk read of ${keys.length} keys`, error);
      }
      return out;
    },
    async remove(keys) {
      for (let i = 0; i < keys.length; i += 10_000) {
        const batch = keys.slice(i, i + 10_000);
        if (bulkDelete) {
          try {
            await client.kv.namespaces.bulkDelete(namespace, { account_id: accountId, body: batch });
            continue;
          } catch (error) {
            if ((error as { status?: number }).status !== 404) fail(`a bulk delete of ${batch.length} keys`, error);
            bulkDelete = false; // no bulk endpoint (Miniflare's mirror): one DELETE per key
          }
        }
        for (const key of batch) await target.delete(key);
      }
    },
  };
}
