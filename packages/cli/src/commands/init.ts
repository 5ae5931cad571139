/**
 * `edge-isr init`: adds edge-isr to an existing Vite + @cloudflare/vite-plugin
 * project — the KV binding, the coordinator Durable Object, a starter Worker
 * with a tagged route when there is none, and the build step (build, then
 * prerender). Idempotent: what is there is kept and reported as such, and a
 * second run changes nothing. `--dry-run` says what it would change.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CliError } from "../errors.js";
import { coordinatorExport, InitNames, starterWorker } from "../init/starter.js";
import { configEditor, type ConfigView, jsonEdit } from "../init/wrangler-edit.js";

/** Whether init wires the coordinator Durable Object `@edge-isr/kv-cache-handler` exports (it serializes invalidations). */
export const COORDINATOR = true;

export interface InitOptions {
  dir: string;
  dryRun?: boolean;
  /** Wire the coordinator Durable Object (default {@link COORDINATOR}). */
  coordinator?: boolean;
  log?: (line: string) => void;
}

/** One thing `init` did, or found already done. */
export interface InitStep {
  file: string;
  what: string;
  changed: boolean;
}

const CONFIG_NAMES = ["wrangler.jsonc", "wrangler.json", "wrangler.toml"];
const PACKAGES = ["@edge-isr/runtime", "@edge-isr/kv-cache-handler"];

interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function readPackageJson(dir: string): { text: string; pkg: PackageJson } {
  const path = join(dir, "package.json");
  if (!existsSync(path)) {
    throw new CliError(
      "ERR_INIT",
      `no package.json in ${dir}`,
      "run `edge-isr init` in your app's directory (or pass --cwd <dir>): a Vite project with @cloudflare/vite-plugin.",
    );
  }
  const text = readFileSync(path, "utf8");
  try {
    return { text, pkg: JSON.parse(text) as PackageJson };
  } catch (error) {
    throw new CliError("ERR_INIT", `${path} is not valid JSON: ${(error as Error).message}`, "fix it, then run `edge-isr init` again.");
  }
}

/** The wrangler config's steps: binding, coordinator, main (and the starter), assets routing. */
function configSteps(dir: string, coordinator: boolean, pending: Map<string, string>): InitStep[] {
  const name = CONFIG_NAMES.find((n) => existsSync(join(dir, n)));
  if (!name) {
    throw new CliError(
      "ERR_CONFIG_NOT_FOUND",
      `no wrangler.jsonc, wrangler.json or wrangler.toml in ${dir}`,
      "create the Worker's config first (the @cloudflare/vite-plugin docs show a minimal wrangler.jsonc: name and compatibility_date), then run `edge-isr init` again.",
    );
  }
  const editor = configEditor(name, readFileSync(join(dir, name), "utf8"));
  const steps: InitStep[] = [];
  /** Adds what `present` says is missing, and records either way. */
  const ensure = (present: (view: ConfigView) => boolean | undefined, there: string, added: string, add: () => void) => {
    const changed = !present(editor.read());
    if (changed) add();
    steps.push({ file: name, what: changed ? added : there, changed });
  };
  const { cacheBinding: binding, coordinatorBinding: doBinding, coordinatorClass: className, coordinatorMigration: tag } = InitNames;
  ensure(
    (v) => v.kv_namespaces?.some((ns) => ns.binding === binding),
    `kv_namespaces: ${binding} is there`,
    `kv_namespaces: ${binding}, the cache (no id: wrangler deploy creates the namespace; locally its id is "${binding}")`,
    () => editor.append(["kv_namespaces"], { binding }),
  );
  if (coordinator) {
    ensure(
      (v) => v.durable_objects?.bindings?.some((b) => b.name === doBinding),
      `durable_objects: ${doBinding} is there`,
      `durable_objects: ${doBinding} → ${className}, the coordinator`,
      () => editor.append(["durable_objects", "bindings"], { name: doBinding, class_name: className }),
    );
    ensure(
      (v) => v.migrations?.some((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])].includes(className)),
      `migrations: ${className} is there`,
      `migrations: ${tag} creates ${className} (SQLite-backed)`,
      () => editor.append(["migrations"], { tag, new_sqlite_classes: [className] }),
    );
  }
  const step = (what: string) => steps.push({ file: name, what, changed: true });
  const view = editor.read();
  let assetsBinding: string | undefined;
  if (view.main) steps.push({ file: name, what: `main is ${view.main}`, changed: false });
  else {
    editor.setTop("main", InitNames.starterPath);
    step(`main = "${InitNames.starterPath}"`);
    if (view.assets) {
      // The starter hands every request it has no route for to the static assets, through their binding.
      assetsBinding = view.assets.binding ?? InitNames.assetsBinding;
      if (!view.assets.binding) {
        editor.setAssets("binding", assetsBinding);
        step(`assets.binding = "${assetsBinding}" (the starter answers what it has no route for with the static assets)`);
      }
    }
    const first = view.assets?.run_worker_first;
    if (
      view.assets?.not_found_handling === "single-page-application" &&
      first !== true &&
      !(Array.isArray(first) && first.includes(InitNames.starterAssetsPattern))
    ) {
      // Otherwise the single-page app's fallback answers the starter's pages with index.html.
      editor.setAssets("run_worker_first", [...(Array.isArray(first) ? first : []), InitNames.starterAssetsPattern]);
      step(`assets.run_worker_first: ${InitNames.starterAssetsPattern} (the Worker answers these before the single-page app's fallback)`);
    }
  }
  // Bindings are not inherited by environments: each needs its own (with its own namespace).
  for (const [env, section] of Object.entries(view.env ?? {})) {
    if (!section.kv_namespaces?.some((ns) => ns.binding === binding)) {
      const also = coordinator ? ` (and ${doBinding})` : "";
      steps.push({
        file: name,
        what: `[env.${env}] binds no ${binding}: environments do not inherit bindings — add one there${also} before deploying with --env ${env}`,
        changed: false,
      });
    }
  }
  if (editor.text !== readFileSync(join(dir, name), "utf8")) pending.set(join(dir, name), editor.text);
  return [...steps, ...workerSteps(dir, editor.read().main!, { assetsBinding, coordinator }, pending)];
}

/** The Worker's main module: the starter when there is none; else the coordinator's export, and a word on routes. */
function workerSteps(
  dir: string,
  main: string,
  opts: { assetsBinding: string | undefined; coordinator: boolean },
  pending: Map<string, string>,
): InitStep[] {
  const path = resolve(dir, main);
  if (!existsSync(path)) {
    pending.set(path, starterWorker(opts));
    return [
      {
        file: main,
        what: `a starter Worker: createISR with ${InitNames.starterRoute} (tags products, product:<id>; pages 1–3 prerendered)`,
        changed: true,
      },
    ];
  }
  const text = readFileSync(path, "utf8");
  const steps: InitStep[] = [];
  if (opts.coordinator) {
    if (text.includes(InitNames.coordinatorClass))
      steps.push({ file: main, what: `exports ${InitNames.coordinatorClass}`, changed: false });
    else {
      pending.set(path, `${text.replace(/\s*$/, "")}\n\n${coordinatorExport}\n`);
      steps.push({
        file: main,
        what: `export { ${InitNames.coordinatorClass} } (wrangler finds the coordinator's class in the main module)`,
        changed: true,
      });
    }
  }
  steps.push(
    text.includes("createISR")
      ? { file: main, what: "serves pages with createISR", changed: false }
      : {
          file: main,
          what: `does not call createISR yet: serve your pages with it (the runtime README's quick start${opts.coordinator ? `; pass { coordinator: env.${InitNames.coordinatorBinding}, binding: "${InitNames.cacheBinding}" } to KVCacheHandler` : ""})`,
          changed: false,
        },
  );
  return steps;
}

/** package.json: the build runs the prerender after vite build. */
function packageSteps(dir: string, pending: Map<string, string>): InitStep[] {
  const { text, pkg } = readPackageJson(dir);
  const build = pkg.scripts?.build;
  if (build?.includes(InitNames.prerender))
    return [{ file: "package.json", what: `scripts.build runs ${InitNames.prerender}`, changed: false }];
  const next = build ? `${build} && ${InitNames.prerender}` : `vite build && ${InitNames.prerender}`;
  pending.set(join(dir, "package.json"), jsonEdit(text, ["scripts", "build"], next));
  return [{ file: "package.json", what: `scripts.build = "${next}"`, changed: true }];
}

/** Runs `init` in `opts.dir`; writes nothing with `dryRun`. Returns every step, done or found done. */
export function init(opts: InitOptions): InitStep[] {
  const log = opts.log ?? ((line: string) => console.log(line));
  const dir = resolve(opts.dir);
  const { pkg } = readPackageJson(dir);
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  if (!deps["@cloudflare/vite-plugin"]) {
    throw new CliError(
      "ERR_INIT",
      `${join(dir, "package.json")} does not depend on @cloudflare/vite-plugin`,
      "edge-isr init adds to a Vite + Cloudflare project: `npm install -D @cloudflare/vite-plugin wrangler` and add cloudflare() to vite.config's plugins, then run it again.",
    );
  }
  // Every change is computed first, then written: a refusal half-way writes nothing.
  const pending = new Map<string, string>();
  const steps = [...configSteps(dir, opts.coordinator ?? COORDINATOR, pending), ...packageSteps(dir, pending)];
  if (!opts.dryRun) {
    for (const [path, text] of pending) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  const verb = opts.dryRun ? "would add" : "added";
  for (const s of steps) log(`  ${s.changed ? `+ ${s.file}: ${verb}` : `= ${s.file}:`} ${s.what}`);
  const missing = PACKAGES.filter((name) => !deps[name]);
  const changed = steps.filter((s) => s.changed).length;
  log(
    changed === 0
      ? "edge-isr init: nothing to change, the project is set up."
      : `edge-isr init: ${opts.dryRun ? `${changed} change(s) to make (dry run: nothing written)` : `${changed} change(s) made`}.`,
  );
  log(
    `next: ${missing.length ? `npm install ${missing.join(" ")}, then ` : ""}npm run build (vite build, then edge-isr prerender), then npx vite preview.`,
  );
  return steps;
}
