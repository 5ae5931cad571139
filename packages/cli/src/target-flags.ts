/** The flags every command that reads or writes KV shares: `--local` / `--remote --env` and where. */
import type { Command } from "commander";

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
