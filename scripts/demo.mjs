#!/usr/bin/env node
/**
 * `npm run demo`: build the packages and apps/demo, prerender its pages into the
 * local KV state with `edge-isr prerender`, then serve the build in workerd
 * with `vite preview`. `npm run dev` (`--dev`) does the same, but serves with
 * `vite dev` (HMR) and prerenders through the dev server itself (build id "dev").
 *
 * Options and environment variables: `npm run demo -- --help`.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeSecret } from "./demo-secret.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const demo = resolve(root, "apps/demo");
const cli = resolve(root, "packages/cli/bin/edge-isr.js");

function parse() {
  try {
    return parseArgs({
      options: {
        dev: { type: "boolean", default: false },
        port: { type: "string" },
        "persist-to": { type: "string" },
        prerender: { type: "boolean", default: true }, // --no-prerender turns it off
        help: { type: "boolean", short: "h", default: false },
      },
      allowNegative: true,
    }).values;
  } catch (error) {
    fail(`${error.message} (npm run demo -- --help lists the options)`);
  }
}
const args = parse();
if (args.help) {
  console.log(`Usage: npm run demo -- [options]    (npm run dev -- [options] for vite dev)

  --port <n>          port to listen on (default 4173, dev 5173; the next free one if taken)
  --persist-to <dir>  local KV state directory (default apps/demo/.wrangler/state)
  --no-prerender      serve without prerendering (every page starts as a MISS)

Environment: DEMO_REVALIDATE_SECONDS (freshness window, default 20); EDGE_ISR_SECRET, the admin and
revalidation secret (or put EDGE_ISR_SECRET=… in apps/demo/.dev.vars; without it "edge-isr-demo",
accepted on localhost only). The secret never goes into the build's wrangler.json.`);
  process.exit(0);
}
const dev = args.dev;
const prerenderPages = args.prerender;
// A relative --persist-to is taken from where npm was run; the default lives in apps/demo.
const persistTo = args["persist-to"]
  ? resolve(process.env.INIT_CWD ?? process.cwd(), args["persist-to"])
  : resolve(demo, ".wrangler/state");
const port = args.port === undefined ? (dev ? 5173 : 4173) : Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number (0–65535), got ${JSON.stringify(args.port)}`);
// vite.config.ts reads these when it loads (in this process).
process.env.DEMO_PERSIST_TO = persistTo;
// The demo never reads request.cf; without this Miniflare tries to download it and
// prints a stack trace on machines without internet access.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const windowSeconds = process.env.DEMO_REVALIDATE_SECONDS ?? "20";

function fail(message) {
  console.error(`edge-isr demo: ${message}`);
  process.exit(1);
}

/** Runs a step as a child process; the demo stops, pointing at its output, if it fails. */
function run(title, command, commandArgs, extraEnv = {}) {
  console.log(`\n▸ ${title}`);
  return new Promise((done) => {
    const child = spawn(command, commandArgs, { cwd: demo, stdio: "inherit", env: { ...process.env, ...extraEnv } });
    child.on("exit", (code, signal) => (code === 0 ? done() : fail(`${title} failed (exit ${code ?? signal}); the output above says why`)));
  });
}

const serverUrl = (server) => (server.resolvedUrls?.local[0] ?? `http://localhost:${port}/`).replace(/\/$/, "");

const started = Date.now();
await run("building @edge-isr/kv-cache-handler, @edge-isr/runtime and the edge-isr command", "npm", [
  "run",
  "build",
  "--silent",
  "--prefix",
  root,
]);

const { createBuilder, createServer, preview } = await import("vite");
// The CACHE namespace's local state: prune has nothing to do (and says so, exit 1) before the first run.
const cacheId = /\[\[kv_namespaces\]\]\s*binding\s*=\s*"CACHE"\s*id\s*=\s*"([^"]+)"/.exec(
  readFileSync(resolve(demo, "wrangler.toml"), "utf8"),
)?.[1];
// In dev the Worker serves build "dev", whatever dist/ holds from an earlier build: keep it by name.
const prune = () =>
  cacheId && existsSync(join(persistTo, "v3", "kv", cacheId))
    ? run("pruning older builds' entries (edge-isr prune --keep 1)", process.execPath, [
        cli,
        "prune",
        "--keep",
        "1",
        "--persist-to",
        persistTo,
        ...(dev ? ["--keep-build", "dev"] : []),
      ])
    : undefined;
let server;
if (dev) {
  // vite dev serves build "dev" from the sources: prerender through it (edge-isr prerender --url),
  // so the stored pages link the dev server's modules, not a build's hashed files.
  const token = randomUUID();
  process.env.DEMO_PRERENDER_TOKEN = token;
  if (prerenderPages) await prune();
  console.log("\n▸ starting vite dev");
  server = await (await createServer({ root: demo, server: { port, strictPort: false } })).listen();
  if (prerenderPages) {
    // Asynchronously: this process is serving the pages being rendered.
    await run(
      "prerendering the pages through the dev server (edge-isr prerender --url)",
      process.execPath,
      [cli, "prerender", "--url", serverUrl(server)],
      { EDGE_ISR_PRERENDER_TOKEN: token },
    );
  }
} else {
  console.log("\n▸ building apps/demo (vite build: client, then the Worker)");
  // React's production build, whatever NODE_ENV the caller has (Vitest sets "test").
  process.env.NODE_ENV = "production";
  const builder = await createBuilder({ root: demo, logLevel: "warn", mode: "production" });
  await builder.buildApp();
  if (prerenderPages) {
    // Pruned first (the new build is the Worker's own: kept), so the pages are served right after they are rendered.
    await prune();
    await run("prerendering the pages into the local KV state (edge-isr prerender)", process.execPath, [
      cli,
      "prerender",
      "--persist-to",
      persistTo,
    ]);
  }
  server = await preview({ root: demo, preview: { port, strictPort: false } });
}
const url = serverUrl(server);

console.log(`
edge-isr demo (${dev ? "vite dev, HMR on" : "vite preview: the built Worker in workerd"}) — ready in ${((Date.now() - started) / 1000).toFixed(1)} s

  ➜  ${url}/

Try this (every page shows a badge: HIT / STALE / MISS, when it was generated, its age):
  1. ${url}/products/1 — HIT: rendered at build time by edge-isr prerender, served from KV.
  2. Wait ${windowSeconds} s and reload — STALE: the old page at once while a new one renders; reload again: HIT, new time.
  3. ${url}/products/1/reviews — not prerendered: MISS on the first visit, HIT on the next.
  4. ${url}/admin — change a price (secret: ${describeSecret(process.env, resolve(demo, ".dev.vars"))}); the product page shows it on the next view.
  5. ${url}/admin/cache — every entry in KV (route, build, size, age, state, tags); purge a tag.
  Or from a terminal: curl -sI ${url}/products/1 | grep -i x-edge-isr

Windows: DEMO_REVALIDATE_SECONDS=${windowSeconds}. Local KV state: ${persistTo}. Ctrl-C stops.
ready: ${url}/`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.close();
    process.exit(0);
  });
}
