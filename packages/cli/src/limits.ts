/**
 * The limits the CLI paces itself by, in one place. Cloudflare's (from its
 * pricing and limits pages) and the CLI's own; the revalidation endpoint's come
 * from `@edge-isr/runtime`, which enforces them.
 */
export const CliLimits = {
  /** Workers Free: KV list operations a day (writes, deletes and lists: 1,000 each). */
  freeListsPerDay: 1000,
  /** Keys one list call returns at most: a namespace of n keys costs ceil(n / 1000) lists. */
  keysPerList: 1000,
  /** Workers Paid: US$ per million list operations. */
  listPricePerMillion: 5,
  /** `watch --remote` waits at least this long per list call of a poll: 86,400 s / 1,000 lists, rounded up. */
  remoteWatchSecondsPerList: 90,
  /** `watch` on the local state: nothing is billed, so poll often. */
  localWatchIntervalMs: 500,
  /** `vinext migrate --remote`: Cloudflare API requests per 5 minutes by default (the API allows about 1,200). */
  remoteRequestsPer5Min: 1000,
  /** Secrets shorter than this are words, not secrets: never redacted (it would mangle messages), warned about. */
  minRedactedSecret: 8,
} as const;
