/**
 * Reads wrangler configuration: the source `wrangler.toml`/`wrangler.json(c)`
 * (for `--env` and the namespace ids), and the `wrangler.json` that
 * `vite build` with `@cloudflare/vite-plugin` writes next to the built Worker.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseJsoncText, type ParseError, printParseErrorCode } from "jsonc-parser";
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
  durable_objects?: { bindings?: { name: string; class_name: string; script_name?: string }[] };
  migrations?: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  /** Module rules (`vite build` writes ES module rules for its chunks). */
  rules?: { type: string; globs: string[] }[];
  vars?: Record<string, unknown>;
  env?: Record<string, Omit<WranglerConfig, "env">>;
  /** The file this was read from. */
  path: string;
}

/** JSON with comments and trailing commas, as wrangler.jsonc allows. */
function parseJsonc(text: string): unknown {
  const errors: ParseError[] = [];
  const value = parseJsoncText(text, errors, { allowTrailingComma: true });
  if (errors.length) throw new Error(`${printParseErrorCode(errors[0]!.error)} at offset ${errors[0]!.offset}`);
  return value;
}

/** A wrangler config's text (TOML by the file's name, else JSON with comments); a coded error naming the file when it does not parse. */
export function parseConfigText(file: string, text: string): object {
  try {
    return (file.endsWith(".toml") ? parseToml(text) : parseJsonc(text)) as object;
  } catch (error) {
    throw new CliError(
      "ERR_CONFIG_NOT_FOUND",
      `${file} could not be parsed: ${(error as Error).message.split("\n")[0]}`,
      "fix the syntax error it names.",
    );
  }
}

export function readWranglerConfig(path: string): WranglerConfig {
  const full = resolve(path);
  if (!existsSync(full)) {
    throw new CliError(
      "ERR_CONFIG_NOT_FOUND",
      `no wrangler configuration at ${full}`,
      "run the command from your project root, or pass --config <path to wrangler.toml>.",
    );
  }
  return { ...parseConfigText(full, readFileSync(full, "utf8")), path: full } as WranglerConfig;
}

/** The source config in the current directory: wrangler.toml, wrangler.jsonc or wrangler.json. */
export function findSourceConfig(explicit?: string): WranglerConfig {
  if (explicit) return readWranglerConfig(explicit);
  for (const name of ["wrangler.toml", "wrangler.jsonc", "wrangler.json"]) if (existsSync(name)) return readWranglerConfig(name);
  throw new CliError(
    "ERR_CONFIG_NOT_FOUND",
    `no wrangler.toml, wrangler.jsonc or wrangler.json in ${process.cwd()}`,
    "run the command in your app's directory (or pass --cwd <dir>), or pass --config <path>.",
  );
}

/**
 * The namespace id local state keeps a binding under — its `id`, else the binding's name, as
 * wrangler and the Vite plugin do for a binding without one (wrangler deploy provisions it).
 */
export const localNamespaceId = (ns: KVNamespaceConfig) => ns.id ?? ns.binding;

/** The KV namespace id of `binding` in `env` (or the top level when no env is given); `remote` needs a real id. */
export function namespaceIdFor(config: WranglerConfig, binding: string, env?: string, opts: { remote?: boolean } = {}): string {
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
  if (ns && !ns.id && opts.remote) {
    throw new CliError(
      "ERR_NO_KV_BINDING",
      `${config.path} binds "${binding}" without a namespace id${env ? ` in [env.${env}]` : ""}, and --remote needs one`,
      `deploy once (\`wrangler deploy\` creates the namespace), then add its id: \`npx wrangler kv namespace list\` shows it — or create one with \`npx wrangler kv namespace create ${binding}\`.`,
    );
  }
  if (!ns) {
    const where = env ? `[env.${env}]` : "the top level";
    throw new CliError(
      "ERR_NO_KV_BINDING",
      `${config.path} binds no KV namespace "${binding}" in ${where}`,
      `add [[${env ? `env.${env}.` : ""}kv_namespaces]] binding = "${binding}", id = "<namespace id>" — or pass --binding <name> if yours is called differently.`,
    );
  }
  return localNamespaceId(ns);
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
    throw new CliError(
      "ERR_WORKER_NOT_BUILT",
      "found no built Worker (dist/<name>/wrangler.json)",
      "run `vite build` first (with @cloudflare/vite-plugin), or pass --worker <path to the built wrangler.json>.",
    );
  }
  const config = readWranglerConfig(path);
  if (!config.main)
    throw new CliError(
      "ERR_WORKER_NOT_BUILT",
      `${config.path} names no "main" module`,
      "point --worker at the wrangler.json that `vite build` wrote next to the built Worker.",
    );
  const main = resolve(dirname(config.path), config.main);
  if (!existsSync(main)) throw new CliError("ERR_WORKER_NOT_BUILT", `the built Worker ${main} does not exist`, "run `vite build` again.");
  return { ...config, main };
}
