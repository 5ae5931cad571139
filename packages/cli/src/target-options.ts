/** `--local` / `--remote --env` → a KVTarget, shared by every command. */
import type { Command } from "commander";
import { findSourceConfig, namespaceIdFor } from "./config.js";
import { hasLocalNamespace, openLocal } from "./kv/local.js";
import { openRemote } from "./kv/remote.js";
import type { KVTarget } from "./kv/target.js";
import { noLocalState } from "./where.js";

export interface TargetFlags {
  local?: boolean;
  remote?: boolean;
  env?: string;
  config?: string;
  binding: string;
  persistTo: string;
}

export function addTargetOptions(command: Command): Command {
  return command
    .option("--local", "use the local Miniflare state that vite dev / vite preview read (default)")
    .option("--remote", "use the namespace in your Cloudflare account (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID)")
    .option("--env <name>", "the wrangler environment whose namespace to use")
    .option("--config <path>", "the wrangler config (default: wrangler.toml, wrangler.jsonc or wrangler.json)")
    .option("--binding <name>", "the KV binding of the cache", "CACHE")
    .option("--persist-to <dir>", "the local state directory", ".wrangler/state");
}

/**
 * Opens the target the flags name. `existing`: for commands with nothing to do
 * on an empty namespace (they read, or change what is there) — a namespace never
 * written locally is ERR_NO_LOCAL_STATE, and no local state is created.
 */
export async function openTarget(flags: TargetFlags, opts: { existing?: boolean } = {}): Promise<KVTarget> {
  const config = findSourceConfig(flags.config);
  const namespaceId = namespaceIdFor(config, flags.binding, flags.env);
  if (flags.remote) return openRemote({ namespaceId });
  if (opts.existing && !hasLocalNamespace(flags.persistTo, namespaceId)) throw noLocalState(flags.persistTo, namespaceId, flags.binding, config.path);
  return openLocal(flags.persistTo, namespaceId);
}
