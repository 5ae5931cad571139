#!/usr/bin/env node
/**
 * Node 22 for the steps that need it (vinext 1.4 requires Node ≥ 22), without
 * assuming the machine's Node: when the running Node is older, the `node`
 * package is installed from the npm registry (the only place anything is
 * downloaded from) once, under node_modules/.cache/node22, and reused.
 *
 *   node scripts/node22.mjs vite build      run a command with Node 22 first on PATH
 *   node scripts/node22.mjs --print         print the node binary's path
 *   import { node22 } from "./node22.mjs"   → { node, bin, env } for spawning
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MAJOR = 22;
const CACHE = join(ROOT, "node_modules", ".cache", `node${MAJOR}`);

/** Whether the running Node is already new enough. */
const currentIsEnough = () => Number(process.versions.node.split(".")[0]) >= MAJOR;

/**
 * Where Node 22 is: the running Node when it is ≥ 22, else the cached copy
 * (installed on first use). `env` puts it first on PATH, so `#!/usr/bin/env node`
 * scripts (vite, npm bins) run on it too.
 */
export function node22() {
  let node = process.execPath;
  if (!currentIsEnough()) {
    node = join(CACHE, "node_modules", "node", "bin", "node");
    if (!existsSync(node)) install();
  }
  const bin = dirname(node);
  const env = { ...process.env, PATH: `${bin}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
  return { node, bin, env };
}

/**
 * `npm install node@22` into a fresh folder beside the cache, then one rename:
 * two processes installing at once both succeed, and a half-done install is never used.
 */
function install() {
  const parent = dirname(CACHE);
  mkdirSync(parent, { recursive: true });
  if (!existsSync(join(CACHE, "node_modules", "node", "bin", "node"))) rmSync(CACHE, { recursive: true, force: true }); // a copy without its binary is no copy
  const staging = mkdtempSync(join(parent, `node${MAJOR}-`));
  try {
    process.stderr.write(`[node22] installing node@${MAJOR} from the npm registry into ${CACHE} (once)\n`);
    // Run from the staging folder so the repository's .npmrc and workspaces do not apply.
    execFileSync(
      "npm",
      ["install", "--prefix", staging, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error", `node@${MAJOR}`],
      {
        cwd: staging,
        stdio: ["ignore", 2, 2],
        env: withoutNpmConfig(process.env),
      },
    );
    if (!existsSync(join(staging, "node_modules", "node", "bin", "node"))) {
      throw new Error(`npm installed node@${MAJOR} but ${staging}/node_modules/node/bin/node is missing`);
    }
    try {
      renameSync(staging, CACHE);
    } catch (error) {
      if (!existsSync(CACHE)) throw error; // another process won the race: use its copy
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `[node22] could not install node@${MAJOR} from the npm registry: ${error.message}. Check that npm can reach the registry, or run with Node ${MAJOR}+ on PATH.`,
    );
  }
}

/** An outer `npm test` exports npm_config_* (prefix, workspace flags…) that must not steer this install. */
function withoutNpmConfig(env) {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toLowerCase().startsWith("npm_config_")));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const { node, env } = node22();
  if (args[0] === "--print" || args.length === 0) {
    console.log(node);
  } else {
    const child = spawn(args[0], args.slice(1), { stdio: "inherit", env });
    child.on("exit", (code, signal) => {
      if (signal) process.kill(process.pid, signal);
      process.exit(code ?? 1);
    });
  }
}
