/**
 * The remote target: a Workers KV namespace through Cloudflare's REST API and
 * the official `cloudflare` client. Writes go in bulk (≤ 10,000 pairs and
 * < 100 MB per request, values base64 at the HTTP boundary only), retried on
 * 429 and 5xx; when the bulk endpoint answers 404 (Miniflare's local mirror of
 * the API has none) the target falls back to one PUT per key.
 */
import Cloudflare from "cloudflare";
import { CliError, redact, redactedLogger } from "../errors.js";
import { pool } from "../pool.js";
import type { KVEntry, KVListed, KVTarget } from "./target.js";

export const BULK_MAX_PAIRS = 10_000;
/** Cloudflare's limit is 100 MB per bulk request; stay clear of it after base64 (×4/3) and JSON. */
export const BULK_MAX_BYTES = 90 * 1000 * 1000;

export interface RemoteOptions {
  accountId?: string;
  apiToken?: string;
  namespaceId: string;
  /** API base URL (default Cloudflare's; `CLOUDFLARE_API_BASE_URL` overrides). */
  baseURL?: string;
  /** Custom fetch (tests point the official client at Miniflare's mirror). */
  fetch?: typeof fetch;
  /** Retries of a request answered 429 or 5xx. */
  maxRetries?: number;
}

const statusOf = (error: unknown) => (error as { status?: number })?.status;

export function openRemote(options: RemoteOptions): KVTarget {
  const apiToken = options.apiToken ?? process.env.CLOUDFLARE_API_TOKEN;
  const accountId = options.accountId ?? process.env.CLOUDFLARE_ACCOUNT_ID;
  if (!apiToken) {
    throw new CliError(
      "ERR_MISSING_TOKEN",
      "CLOUDFLARE_API_TOKEN is not set",
      'create an API token with the "Workers KV Storage: Edit" permission and export it: export CLOUDFLARE_API_TOKEN=… (it is never printed).',
    );
  }
  if (!accountId) {
    throw new CliError(
      "ERR_MISSING_ACCOUNT",
      "CLOUDFLARE_ACCOUNT_ID is not set",
      "export CLOUDFLARE_ACCOUNT_ID=<your account id> (shown in the dashboard's Workers & Pages overview).",
    );
  }
  const client = new Cloudflare({
    apiToken,
    maxRetries: options.maxRetries ?? 4, // the client retries 429 and 5xx with backoff
    logger: redactedLogger,
    ...((options.baseURL ?? process.env.CLOUDFLARE_API_BASE_URL)
      ? { baseURL: options.baseURL ?? process.env.CLOUDFLARE_API_BASE_URL }
      : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const ids = { account_id: accountId, namespace_id: options.namespaceId };
  const fail = (what: string, error: unknown): never => {
    throw new CliError(
      "ERR_KV_API",
      `${what} failed: ${redact(String((error as Error)?.message ?? error))}`,
      "check that the token can edit Workers KV in this account and that the namespace id in wrangler.toml is right; then run the command again (it is safe to repeat).",
    );
  };
  let bulkAvailable = true;

  const target: KVTarget = {
    description: `remote namespace ${options.namespaceId}`,
    async get(key) {
      let value: Uint8Array;
      try {
        const res = await client.kv.namespaces.values.get(key, ids);
        value = new Uint8Array(await res.arrayBuffer());
      } catch (error) {
        if (statusOf(error) === 404) return null;
        return fail(`reading ${JSON.stringify(key)}`, error);
      }
      let metadata: unknown = null;
      try {
        metadata = await client.kv.namespaces.metadata.get(key, ids);
      } catch (error) {
        if (statusOf(error) !== 404) return fail(`reading the metadata of ${JSON.stringify(key)}`, error);
        // No metadata endpoint (the local mirror): the key listing carries metadata.
        for await (const listed of target.list(key)) if (listed.name === key) metadata = listed.metadata ?? null;
      }
      return { value, metadata };
    },
    async put({ key, value, metadata, expiration }: KVEntry) {
      try {
        await client.kv.namespaces.values.update(key, {
          ...ids,
          value: new File([value as Uint8Array<ArrayBuffer>], "value"),
          ...(metadata !== undefined ? { metadata: JSON.stringify(metadata) } : {}),
          ...(expiration ? { expiration } : {}),
        });
      } catch (error) {
        fail(`writing ${JSON.stringify(key)}`, error);
      }
    },
    async putMany(entries, onProgress, signal) {
      let done = 0;
      for (const batch of batches(entries)) {
        if (signal?.aborted) return;
        if (bulkAvailable) {
          try {
            await client.kv.namespaces.bulkUpdate(options.namespaceId, {
              account_id: accountId,
              body: batch.map((e) => ({
                key: e.key,
                value: Buffer.from(e.value).toString("base64"),
                base64: true,
                ...(e.metadata !== undefined ? { metadata: e.metadata } : {}),
                ...(e.expiration ? { expiration: e.expiration } : {}),
              })),
            });
            done += batch.length;
            onProgress?.(done);
            continue;
          } catch (error) {
            if (statusOf(error) !== 404) fail(`a bulk write of ${batch.length} entries`, error);
            bulkAvailable = false; // no bulk endpoint: one PUT per key from here on
          }
        }
        await pool(
          batch,
          6,
          async (entry) => {
            await target.put(entry);
            onProgress?.(++done);
          },
          signal,
        );
      }
    },
    async delete(key) {
      try {
        await client.kv.namespaces.values.delete(key, ids);
      } catch (error) {
        if (statusOf(error) !== 404) fail(`deleting ${JSON.stringify(key)}`, error);
      }
    },
    async *list(prefix): AsyncIterable<KVListed> {
      try {
        for await (const key of client.kv.namespaces.keys.list(options.namespaceId, {
          account_id: accountId,
          ...(prefix ? { prefix } : {}),
        })) {
          yield { name: key.name, metadata: key.metadata, ...(key.expiration ? { expiration: key.expiration } : {}) };
        }
      } catch (error) {
        fail(`listing keys under ${JSON.stringify(prefix)}`, error);
      }
    },
    async close() {},
  };
  return target;
}

/** Splits entries into bulk requests under both of Cloudflare's limits. */
export function* batches(entries: KVEntry[]): Generator<KVEntry[]> {
  let batch: KVEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Math.ceil((entry.value.byteLength * 4) / 3) + entry.key.length + JSON.stringify(entry.metadata ?? null).length + 64;
    if (batch.length && (batch.length === BULK_MAX_PAIRS || bytes + size > BULK_MAX_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length) yield batch;
}
