/**
 * Reads wrangler configuration: the source `wrangler.toml`/`wrangler.json(c)`
 * (for `--env` and the namespace ids), and the `wrangler.json` that
 * `vite build` with `@cloudflare/vite-plugin` writes next to the built Worker.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { CliError } from "./errors.js";

export interface KVNamespaceConfig {
  binding: string;
  id?: string;
  preview_id?: string;
}

export interface WranglerConfig {
  name?: string;
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
  kv_namespaces?: KVNamespaceConfig[];
  vars?: Record<string, unknown>;
  env?: Record<string, Omit<WranglerConfig, "env">>;
  /** The file this was read from. */
  path: string;
}

const stripJsonComments = (text: string) => text.replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_, str: string | undefined) => str ?? "");

export function readWranglerConfig(path: string): WranglerConfig {
  const full = resolve(path);
  if (!existsSync(full)) {
    throw new CliError("ERR_CONFIG_NOT_FOUND", `no wrangler configuration at ${full}`, "run the command from your project root, or pass --config <path to wrangler.toml>.");
  }
  const text = readFileSync(full, "utf8");
  try {
    const parsed = full.endsWith(".toml") ? parseToml(text) : JSON.parse(stripJsonComments(text));
    return { ...(parsed as object), path: full } as WranglerConfig;
  } catch (error) {
    throw new CliError("ERR_CONFIG_NOT_FOUND", `${full} could not be parsed: ${(error as Error).message}`, "fix the syntax error it names.");
  }
}

/** The source config in the current directory: wrangler.toml, wrangler.jsonc or wrangler.json. */
export function findSourceConfig(explicit?: string): WranglerConfig {
  if (explicit) return readWranglerConfig(explicit);
  for (const name of ["wrangler.toml", "wrangler.jsonc", "wrangler.json"]) if (existsSync(name)) return readWranglerConfig(name);
  throw new CliError("ERR_CONFIG_NOT_FOUND", `no wrangler.toml, wrangler.jsonc or wrangler.json in ${process.cwd()}`, "run the command in your app's directory (or pass --cwd <dir>), or pass --config <path>.");
}

/** The KV namespace id of `binding` in `env` (or the top level when no env is given). */
export function namespaceIdFor(config: WranglerConfig, binding: string, env?: string): string {
  let section: Omit<WranglerConfig, "env"> = config;
  if (env) {
    const envs = Object.keys(config.env ?? {});
    const found = config.env?.[env];
    if (!found) {
      const add = `add an [env.${env}] section with a [[env.${env}.kv_namespaces]] binding "${binding}"`;
      throw new CliError(
        "ERR_UNKNOWN_ENV",
        `${config.path} has no environment "${env}"${envs.length ? ` (it has: ${envs.join(", ")})` : " (it defines no environments)"}`,
        envs.length ? `pass one of ${envs.join(", ")} to --env, or ${add}.` : `drop --env to use the top-level namespace, or ${add}.`,
      );
    }
    section = found;
  }
  const ns = section.kv_namespaces?.find((n) => n.binding === binding);
  if (!ns?.id) {
    const where = env ? `[env.${env}]` : "the top level";
    throw new CliError(
      "ERR_NO_KV_BINDING",
      `${config.path} binds no KV namespace "${binding}" in ${where}`,
      `add [[${env ? `env.${env}.` : ""}kv_namespaces]] binding = "${binding}", id = "<namespace id>" — or pass --binding <name> if yours is called differently.`,
    );
  }
  return ns.id;
}

/** The built Worker's config: `--worker <wrangler.json>`, or the one `vite build` wrote under dist/. */
export function findBuiltWorker(explicit?: string): WranglerConfig & { main: string } {
  let path = explicit;
  if (!path && existsSync("dist")) {
    for (const dir of readdirSync("dist", { withFileTypes: true })) {
      const candidate = join("dist", dir.name, "wrangler.json");
      if (dir.isDirectory() && existsSync(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (!path) {
    throw new CliError("ERR_WORKER_NOT_BUILT", "found no built Worker (dist/<name>/wrangler.json)", "run `vite build` first (with @cloudflare/vite-plugin), or pass --worker <path to the built wrangler.json>.");
  }
  const config = readWranglerConfig(path);
  if (!config.main) throw new CliError("ERR_WORKER_NOT_BUILT", `${config.path} names no "main" module`, "point --worker at the wrangler.json that `vite build` wrote next to the built Worker.");
  const main = resolve(dirname(config.path), config.main);
  if (!existsSync(main)) throw new CliError("ERR_WORKER_NOT_BUILT", `the built Worker ${main} does not exist`, "run `vite build` again.");
  return { ...config, main };
}
