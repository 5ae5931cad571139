/**
 * The `edge-isr` command. Every subcommand works on the local Miniflare state
 * by default and on a Cloudflare namespace with `--remote --env <name>`.
 */
import { Command } from "commander";
import { CliError, formatError } from "./errors.js";
import { addTargetOptions, openTarget, type TargetFlags } from "./target-options.js";
import { runPrerender, type PrerenderFlags } from "./commands/prerender.js";
import { listBuilds, printBuilds, promote, prune, rollback } from "./commands/builds.js";
import { purge } from "./commands/purge.js";
import { inspect } from "./commands/inspect.js";
import { exportTo, importFrom } from "./commands/backup.js";
import { watch } from "./commands/watch.js";
import { vinextCommand } from "./commands/vinext.js";

const program = new Command("edge-isr")
  .description("Prerender a Worker's pages into Workers KV, switch builds, purge by tag, inspect and back up the cache.")
  .version("0.1.0")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
Examples:
  $ edge-isr prerender                                  render every static page into the local state
  $ edge-isr prerender --remote --env production        … into the production namespace
  $ edge-isr prerender --from-traffic top-paths.csv --coverage 0.9
  $ edge-isr builds                                     list builds with their sizes
  $ edge-isr promote 2026-11-23-a1b2c3 && edge-isr rollback
  $ edge-isr purge --tag product:42                     serve it stale while it regenerates
  $ edge-isr purge --path /blog --layout --expire       expire every page below /blog
  $ edge-isr inspect --route /products/42
  $ edge-isr export backup.jsonl && edge-isr import backup.jsonl
  $ edge-isr watch`,
  );

/** Runs a command body with its target (and its positional arguments), always closing the target. */
const withTarget = (body: (target: Awaited<ReturnType<typeof openTarget>>, flags: TargetFlags & Record<string, unknown>, positional: (string | undefined)[]) => Promise<void>) =>
  async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const flags = command.opts() as TargetFlags & Record<string, unknown>;
    const positional = args.slice(0, -2) as (string | undefined)[];
    const target = await openTarget(flags);
    try {
      await body(target, flags, positional);
    } finally {
      await target.close();
    }
  };

addTargetOptions(
  program
    .command("prerender")
    .description("render the app's static pages with its own built Worker and store them in KV")
    .option("--worker <path>", "the built Worker's wrangler.json (default: dist/*/wrangler.json, as vite build writes it)")
    .option("--url <origin>", "prerender through a running server (vite dev, wrangler dev) whose Worker has EDGE_ISR_PRERENDER_TOKEN; export the same token")
    .option("--routes <file>", "render these paths instead (one per line, or a JSON array)")
    .option("--from-traffic <file>", "choose paths from a request log or analytics export (path,count per line, or JSON)")
    .option("--coverage <share>", "with --from-traffic: the fewest paths covering this share of requests", "0.9")
    .option("--concurrency <n>", "pages rendered at once", "8")
    .option("--build-id <id>", "store under this build id (default: the Worker's own)")
    .option("--dry-run", "list what would be rendered and stored; write nothing")
    .option("--resume", "skip pages already stored for this build")
    .option("--no-verify", "skip reading every entry back")
    .option("--since <date>", "never overwrite entries the runtime wrote after this (default: when the run starts)")
    .addHelpText("after", "\nExamples:\n  $ vite build && edge-isr prerender --concurrency 16\n  $ EDGE_ISR_PRERENDER_TOKEN=$TOKEN edge-isr prerender --url http://localhost:5173"),
).action(async (...args: unknown[]) => {
  const command = args[args.length - 1] as Command;
  const code = await runPrerender(command.opts() as PrerenderFlags);
  process.exitCode = code;
});

addTargetOptions(program.command("builds").description("list the builds stored in KV, with entries and sizes")).action(
  withTarget(async (target) => printBuilds(await listBuilds(target))),
);
addTargetOptions(
  program.command("promote <buildId>").description("serve <buildId>: flip the build pointer (one KV write)").option("--force", "promote even if the build has no entries"),
).action(withTarget(async (target, flags, [buildId]) => void (await promote(target, String(buildId), { force: Boolean(flags.force) }))));
addTargetOptions(program.command("rollback").description("serve the previous build again (one KV write)")).action(withTarget(async (target) => void (await rollback(target))));
addTargetOptions(
  program.command("prune").description("delete the entries of old builds").requiredOption("--keep <n>", "builds to keep besides the current one").option("--dry-run", "say what would be deleted"),
).action(
  withTarget(async (target, flags) => {
    const keep = String(flags.keep);
    if (!/^\d+$/.test(keep)) throw new CliError("ERR_BAD_ARGUMENT", `--keep ${JSON.stringify(keep)} is not a whole number ≥ 0`, "pass how many builds to keep besides the current one, e.g. --keep 3.");
    await prune(target, Number(keep), { dryRun: Boolean(flags.dryRun) });
  }),
);

addTargetOptions(
  program
    .command("purge")
    .description("mark tagged entries stale (served while they regenerate) or expired")
    .option("--tag <tag...>", "tags to revalidate")
    .option("--path <path...>", "paths to revalidate (their implicit tags)")
    .option("--layout", "with --path: every page below each path")
    .option("--expire", "expire instead: the next request renders")
    .option("--endpoint <url>", "call the deployed revalidation endpoint instead of writing KV (secret from EDGE_ISR_SECRET)")
    .option("--cdn-zone <zoneId>", "also purge Cloudflare's CDN cache by these tags (Cache-Tag)"),
).action(async (...args: unknown[]) => {
  const command = args[args.length - 1] as Command;
  const flags = command.opts() as TargetFlags & { tag?: string[]; path?: string[]; layout?: boolean; expire?: boolean; endpoint?: string; cdnZone?: string };
  await purge(flags);
});

addTargetOptions(program.command("inspect [key]").description("show entries: one key, a route, or a summary of all").option("--route <path>", "the entry serving this path in the current build")).action(
  withTarget(async (target, flags, [key]) => inspect(target, { key, route: flags.route as string | undefined })),
);
addTargetOptions(program.command("export <file>").description("back up the namespace as JSON lines (values base64)")).action(
  withTarget(async (target, _flags, [file]) => void (await exportTo(target, String(file)))),
);
addTargetOptions(program.command("import <file>").description("restore a backup made by export (idempotent)")).action(
  withTarget(async (target, _flags, [file]) => void (await importFrom(target, String(file)))),
);
addTargetOptions(program.command("watch").description("print set/delete events of the local namespace as they happen").option("--interval <ms>", "polling interval", "500")).action(
  withTarget(async (target, flags) => {
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    await watch(target, { intervalMs: Number(flags.interval), signal: controller.signal, onEvent: (line) => console.log(line) });
  }),
);

program.addCommand(vinextCommand());

// `edge-isr inspect | head` closes stdout early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(formatError(error));
  process.exitCode = error instanceof CliError ? 1 : 2;
});
