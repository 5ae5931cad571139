/**
 * Flags shared by several commands: where KV is (`--local` / `--remote --env`,
 * every command that reads or writes it), and which paths a prerender renders.
 */
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

/**
 * The flags that choose which paths a prerender renders and how many at once,
 * shared by `prerender` and `vinext prerender`; `routes` says what `--routes` replaces.
 */
export function addPathChoiceOptions(command: Command, routes: string): Command {
  return command
    .option("--routes <file>", `render these paths instead ${routes} (one per line, or a JSON array)`)
    .option("--from-traffic <file>", "choose paths from a request log or analytics export (path,count per line, or JSON)")
    .option("--coverage <share>", "with --from-traffic: the fewest paths covering this share of requests", "0.9")
    .option("--concurrency <n>", "pages rendered at once", "8");
}
