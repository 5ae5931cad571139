/**
 * The `edge-isr` command. Every subcommand works on the local Miniflare state
 * by default and on a Cloudflare namespace with `--remote --env <name>`.
 *
 * This file only declares the commands: each one's code — and what it needs,
 * Miniflare, the Cloudflare client, the cache handler — is imported when that
 * command runs, so `--help` and argument errors answer at once.
 */
import { Command } from "commander";
import { CliError, exitCodeOf, formatError } from "./errors.js";
import { addPathChoiceOptions, addTargetOptions, type TargetFlags } from "./target-flags.js";
import { vinextCommand } from "./commands/vinext.js";
import { handleInterrupts, interruptible } from "./interrupt.js";
import type { KVTarget } from "./kv/target.js";
import type { PrerenderFlags } from "./commands/prerender.js";
import type { PurgeFlags } from "./commands/purge-tags.js";
import type { WorkerView } from "./worker.js";
import { CLI_VERSION } from "./version.js";
import { describeToolchain, findToolchain, foundWhere } from "./toolchain.js";

const program = new Command("edge-isr")
  .description("Prerender a Worker's pages into Workers KV, switch builds, purge by tag, inspect and back up the cache.")
  .option("-V, --version", "print edge-isr's version and the Miniflare it runs Workers on here")
  .on("option:version", () => {
    const toolchain = findToolchain();
    console.log(`edge-isr ${CLI_VERSION}`);
    console.log(
      toolchain
        ? `runs Workers on ${describeToolchain(toolchain)}, found ${foundWhere(toolchain)}`
        : `found no Miniflare from ${process.cwd()}`,
    );
    process.exit(0);
  })
  .option("--cwd <dir>", "run as if edge-isr was started in <dir> (your app's directory)")
  .showHelpAfterError()
  .addHelpText(
    "after",
    `
Examples:
  $ edge-isr prerender                                  render every static page into the local state
  $ edge-isr prerender --remote --env production        … into the production namespace
  $ edge-isr prerender --from-traffic top-paths.csv --coverage 0.9
  $ edge-isr builds                                     list builds with their sizes, and the one served
  $ edge-isr promote 2026-11-23-a1b2c3 && edge-isr rollback
  $ edge-isr purge --tag product:42                     expire it: the next request renders
  $ edge-isr purge --path /blog --layout --stale        serve every page below /blog stale while it regenerates
  $ edge-isr inspect --route /products/42
  $ edge-isr export backup.jsonl && edge-isr import backup.jsonl
  $ edge-isr --cwd apps/demo watch
  $ edge-isr init --dry-run                             what adding edge-isr to this project would change`,
  )
  .hook("preAction", (command) => {
    const dir = command.opts().cwd as string | undefined;
    if (!dir) return;
    try {
      process.chdir(dir);
    } catch (error) {
      throw new CliError(
        "ERR_BAD_ARGUMENT",
        `--cwd ${JSON.stringify(dir)}: ${(error as Error).message}`,
        "pass the directory of your app (the one with its wrangler config), e.g. --cwd apps/demo.",
      );
    }
  });

type Flags = TargetFlags & Record<string, unknown>;
type Target = KVTarget;

/**
 * Runs a command body with its target (and its positional arguments), always
 * closing the target. `check` validates the flags before anything is opened;
 * `existing` commands never create local state (see openTarget).
 */
const withTarget =
  (
    body: (target: Target, flags: Flags, positional: (string | undefined)[]) => Promise<void>,
    opts: { existing?: boolean; check?: (flags: Flags) => void } = {},
  ) =>
  async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const flags = command.opts() as Flags;
    const positional = args.slice(0, -2) as (string | undefined)[];
    opts.check?.(flags);
    const { openTarget } = await import("./target-options.js");
    const target = await openTarget(flags, { existing: opts.existing ?? false });
    try {
      await body(target, flags, positional);
    } finally {
      // After a Ctrl-C in a terminal the local workerd is already gone: nothing left to close.
      await target.close().catch(() => {});
    }
  };
const existing = true;

/** What the built Worker serves; a Worker that does not start or speak the protocol is "unknown", with why. */
async function workerView(flags: Flags): Promise<WorkerView> {
  try {
    const { describeWorker } = await import("./worker.js");
    return await describeWorker(flags.worker as string | undefined);
  } catch (error) {
    if (error instanceof CliError && (error.code === "ERR_WORKER_START" || error.code === "ERR_NO_PRERENDER_SUPPORT"))
      return { known: false, why: error.message };
    throw error;
  }
}
/** A flag that must be a whole number ≥ `min`. */
function wholeNumber(flag: string, value: unknown, min: number, hint: string): void {
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new CliError("ERR_BAD_ARGUMENT", `${flag} ${JSON.stringify(text)} is not a whole number ≥ ${min}`, hint);
}
const workerOption = [
  "--worker <path>",
  "the built Worker's wrangler.json, asked which build it serves (default: dist/*/wrangler.json)",
] as const;

addTargetOptions(
  addPathChoiceOptions(
    program
      .command("prerender")
      .description("render the app's static pages with its own built Worker and store them in KV")
      .option("--worker <path>", "the built Worker's wrangler.json (default: dist/*/wrangler.json, as vite build writes it)")
      .option(
        "--url <origin>",
        "prerender through a running server (vite dev, wrangler dev) whose Worker has EDGE_ISR_PRERENDER_TOKEN; export the same token",
      ),
    "of the Worker's static pages",
  )
    .option("--build-id <id>", "store under this build id (default: the Worker's own)")
    .option("--dry-run", "list what would be rendered and stored; write nothing")
    .option("--resume", "skip pages already stored for this build")
    .option("--no-verify", "skip reading every entry back")
    .option("--since <date>", "never overwrite entries the runtime wrote after this (default: when the run starts)")
    .option("--strict", "count pages the Worker answers 404 or 410 as failures (by default they are reported as not found, exit 0)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ vite build && edge-isr prerender --concurrency 16\n  $ EDGE_ISR_PRERENDER_TOKEN=$TOKEN edge-isr prerender --url http://localhost:5173",
    ),
).action(async (...args: unknown[]) => {
  const command = args[args.length - 1] as Command;
  const { runPrerender } = await import("./commands/prerender.js");
  process.exitCode = await runPrerender(
    command.opts() as PrerenderFlags,
    interruptible("stopping: no new page starts; the pages under way finish…"),
  );
});

addTargetOptions(
  program
    .command("builds")
    .description("list the builds stored in KV, with entries and sizes, and the one the Worker serves")
    .option(...workerOption),
).action(
  withTarget(
    async (target, flags) => {
      const { printBuilds, scanBuilds } = await import("./commands/builds.js");
      const { servedBuild } = await import("./served.js");
      const { builds, pointer } = await scanBuilds(target);
      printBuilds(builds, servedBuild(pointer, await workerView(flags)));
    },
    { existing },
  ),
);
addTargetOptions(
  program
    .command("promote <buildId>")
    .description("serve <buildId>: flip the build pointer (one KV write); refused when the Worker does not read the pointer")
    .option("--force", "promote even if the build has no entries, or the built Worker does not (or cannot be shown to) read the pointer")
    .option(...workerOption),
).action(
  withTarget(async (target, flags, [buildId]) => {
    const { promote } = await import("./commands/promote.js");
    await promote(target, String(buildId), { force: Boolean(flags.force), worker: await workerView(flags) });
  }),
);
addTargetOptions(
  program
    .command("rollback")
    .description("serve an earlier build again (one KV write): the previous one, or --steps back, or --to a build in the history")
    .option("--steps <n>", "how many builds back in the pointer's history", "1")
    .option("--to <buildId>", "the build in the history to serve again")
    .option("--force", "roll back even if the build has no entries, or the Worker cannot be shown to read the pointer")
    .option(...workerOption),
).action(
  withTarget(
    async (target, flags) => {
      const { rollback } = await import("./commands/promote.js");
      await rollback(target, {
        steps: Number(flags.steps),
        ...(flags.to ? { to: String(flags.to) } : {}),
        force: Boolean(flags.force),
        worker: await workerView(flags),
      });
    },
    {
      existing,
      check: (flags) => wholeNumber("--steps", flags.steps, 1, "pass how many builds to go back, e.g. --steps 2 (or --to <build>)."),
    },
  ),
);
addTargetOptions(
  program
    .command("prune")
    .description("delete the entries of old builds; never the served build, the pointer's or the Worker's own")
    .requiredOption("--keep <n>", "other builds to keep besides those (newest first)")
    .option("--keep-build <id...>", "builds never to delete (e.g. the one the deployed Worker serves)")
    .option("--dry-run", "say what would be deleted")
    .option(...workerOption),
).action(
  withTarget(
    async (target, flags) => {
      const { prune } = await import("./commands/prune.js");
      await prune(target, Number(flags.keep), {
        dryRun: Boolean(flags.dryRun),
        worker: await workerView(flags),
        keepBuilds: (flags.keepBuild as string[] | undefined) ?? [],
      });
    },
    {
      existing,
      check: (flags) => wholeNumber("--keep", flags.keep, 0, "pass how many builds to keep besides the served one, e.g. --keep 3."),
    },
  ),
);

addTargetOptions(
  program
    .command("gc")
    .description("delete entries that can never be served again (expired, or expired by a tag invalidation), a page of 1,000 at a time")
    .option("--max <n>", "check at most n entries in this run (run it again for the rest)")
    .option("--dry-run", "say how many would be deleted"),
).action(
  withTarget(
    async (target, flags) => {
      const { gc } = await import("./commands/gc.js");
      await gc(target, { dryRun: Boolean(flags.dryRun), ...(flags.max === undefined ? {} : { max: Number(flags.max) }) });
    },
    {
      existing,
      check: (flags) =>
        flags.max === undefined
          ? undefined
          : wholeNumber("--max", flags.max, 1, "pass how many entries to check in this run, e.g. --max 10000."),
    },
  ),
);

addTargetOptions(
  program
    .command("purge")
    .description("expire tagged entries (the next request renders, as Next 16's revalidateTag), or mark them stale")
    .option("--tag <tag...>", "tags to revalidate")
    .option("--path <path...>", "paths to revalidate (their implicit tags)")
    .option("--layout", "with --path: every page below each path")
    .option("--stale", 'mark them stale instead: served once more while they regenerate (Next\'s "max" profile)')
    .option("--expire", "expire them at once (the default)")
    .option("--endpoint <url>", "call the deployed revalidation endpoint instead of writing KV (secret from EDGE_ISR_SECRET)")
    .option("--cdn-zone <zoneId>", "also purge Cloudflare's CDN cache by these tags (Cache-Tag)"),
).action(async (...args: unknown[]) => {
  const command = args[args.length - 1] as Command;
  const flags = command.opts() as PurgeFlags;
  (await import("./commands/purge-tags.js")).purgeTags(flags); // a wrong call answers before the rest loads
  const { purge } = await import("./commands/purge.js");
  await purge(flags);
});

addTargetOptions(
  program
    .command("inspect [key]")
    .description("show entries: one key, a route, or a summary of all")
    .option("--route <path>", "the entry serving this path: in the build the Worker serves")
    .option(...workerOption),
).action(
  withTarget(
    async (target, flags, [key]) => {
      const { inspect } = await import("./commands/inspect.js");
      await inspect(target, { key, route: flags.route as string | undefined, worker: () => workerView(flags), binding: flags.binding });
    },
    { existing },
  ),
);
addTargetOptions(
  program.command("export <file>").description("back up the namespace as JSON lines (values base64, each line with its sha256)"),
).action(
  withTarget(
    async (target, _flags, [file]) => {
      const { exportTo } = await import("./commands/export.js");
      await exportTo(target, String(file), { signal: interruptible("stopping: removing the partial file…") });
    },
    { existing },
  ),
);
addTargetOptions(
  program
    .command("import <file>")
    .description("restore a backup made by export: every line checked first, then written (idempotent)")
    .option("--with-pointer", "also restore the build pointer the file holds (it decides which build is served)"),
).action(
  withTarget(async (target, flags, [file]) => {
    const { importFrom } = await import("./commands/import.js");
    await importFrom(target, String(file), {
      withPointer: Boolean(flags.withPointer),
      signal: interruptible("stopping: no new write starts; the writes under way finish…"),
    });
  }),
);
addTargetOptions(
  program
    .command("watch")
    .description("print set/delete events of the namespace as they happen")
    .option("--interval <ms>", "polling interval (default: 500 ms locally; remotely 90 s per 1,000 keys, Cloudflare's free plan's pace)"),
).action(
  withTarget(
    async (target, flags) => {
      const { watch } = await import("./commands/watch.js");
      const interval = flags.interval === undefined ? undefined : Number(flags.interval);
      await watch(target, {
        ...(interval === undefined ? {} : { intervalMs: interval }),
        remote: Boolean(flags.remote),
        signal: interruptible("stopped watching"),
        onEvent: (line) => console.log(line),
      });
    },
    { existing },
  ),
);

program
  .command("init")
  .description(
    "add edge-isr to this Vite + @cloudflare/vite-plugin project: the KV binding, the coordinator, a starter Worker if none, the build step",
  )
  .option("--dry-run", "say what would change; write nothing")
  .addHelpText("after", "\nRun it again at any time: what is there is kept, and it says so.")
  .action(async (flags: { dryRun?: boolean }) => {
    const { init } = await import("./commands/init.js");
    init({ dir: process.cwd(), dryRun: Boolean(flags.dryRun) });
  });

program.addCommand(vinextCommand());
handleInterrupts();

// `edge-isr inspect | head` closes stdout early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

program
  .parseAsync()
  .catch(async (error: unknown) => {
    // workerd dying under a command (state another workerd migrated) gets its own code.
    const coded = (await import("./miniflare.js")).runtimeError(error) ?? error;
    process.stderr.write(formatError(coded));
    process.exitCode = exitCodeOf(coded);
  })
  .finally(exitWhenDone);

/**
 * Once the command has finished and its output is flushed, the process ends even if a
 * library left a handle open (a keep-alive socket to a workerd that crashed): a CI step
 * running `vite build && edge-isr prerender` must never wait for ever. The timer does
 * not keep an otherwise idle process alive.
 */
function exitWhenDone(): void {
  process.stdout.write("", () => process.stderr.write("", () => setTimeout(() => process.exit(), 1000).unref()));
}
