/** `--local` / `--remote --env` → a KVTarget, shared by every command. */
import { findSourceConfig, namespaceIdFor } from "./config.js";
import { hasLocalNamespace, openLocal } from "./kv/local.js";
import type { KVTarget } from "./kv/target.js";
import type { TargetFlags } from "./target-flags.js";
import { noLocalState } from "./where.js";

export type { TargetFlags } from "./target-flags.js";

/**
 * Opens the target the flags name. `existing`: for commands with nothing to do
 * on an empty namespace (they read, or change what is there) — a namespace never
 * written locally is ERR_NO_LOCAL_STATE, and no local state is created.
 */
export async function openTarget(flags: TargetFlags, opts: { existing?: boolean } = {}): Promise<KVTarget> {
  const config = findSourceConfig(flags.config);
  const namespaceId = namespaceIdFor(config, flags.binding, flags.env, { remote: flags.remote });
  // The Cloudflare client is loaded only by the commands that go remote.
  if (flags.remote) return (await import("./kv/remote.js")).openRemote({ namespaceId });
  if (opts.existing && !hasLocalNamespace(flags.persistTo, namespaceId))
    throw noLocalState(flags.persistTo, namespaceId, flags.binding, config.path);
  return openLocal(flags.persistTo, namespaceId);
}
