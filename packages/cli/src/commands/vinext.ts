/**
 * `edge-isr vinext …`: the commands for a vinext app whose data cache is
 * `@edge-isr/kv-cache-handler/vinext` — prerender its pages through a running
 * server, and migrate what vinext's own KV handler stored.
 */
import { Command } from "commander";
import { CliError } from "../errors.js";
import { CliLimits } from "../limits.js";
import { addPathChoiceOptions, addTargetOptions, type TargetFlags } from "../target-flags.js";
// Types only: the commands' code (Miniflare, the cache handler, the Cloudflare client) loads when one runs.
import type { MigrateResult } from "./vinext-migrate.js";

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new CliError("ERR_BAD_ARGUMENT", `--${name} ${JSON.stringify(text)} is not a whole number ≥ 1`, `pass e.g. --${name} 8.`);
  return value;
}

export function vinextCommand(): Command {
  const vinext = new Command("vinext").description(
    "a vinext app on @edge-isr/kv-cache-handler/vinext: prerender its pages, migrate vinext's KV cache",
  );

  addPathChoiceOptions(
    vinext
      .command("prerender")
      .description(
        "store the app's static pages through a server running its build (vinext finds the pages; its Worker renders and stores them)",
      )
      .requiredOption(
        "--url <origin>",
        "the server running the app's build: vite preview (local KV), or a staged/deployed Worker (its namespace)",
      )
      .option("--root <dir>", "the vinext app (its dist/server and routes)", "."),
    "of vinext's discovery",
  )
    .option("--dry-run", "list the pages that would be rendered; request none")
    .option("--no-verify", "do not read each page back as a HIT")
    .addHelpText(
      "after",
      "\nExamples:\n  $ vite build && vite preview --port 4173 &\n  $ edge-isr vinext prerender --url http://localhost:4173",
    )
    .action(
      async (flags: {
        url: string;
        root: string;
        routes?: string;
        fromTraffic?: string;
        coverage: string;
        concurrency: string;
        dryRun?: boolean;
        verify: boolean;
      }) => {
        const { prerenderVinext } = await import("./vinext-prerender.js");
        const result = await prerenderVinext({
          url: flags.url,
          root: flags.root,
          concurrency: positiveInteger("concurrency", flags.concurrency),
          coverage: Number(flags.coverage),
          verify: flags.verify,
          dryRun: Boolean(flags.dryRun),
          ...(flags.routes ? { routes: flags.routes } : {}),
          ...(flags.fromTraffic ? { fromTraffic: flags.fromTraffic } : {}),
        });
        if (flags.dryRun) return;
        console.log(
          `prerendered ${result.rendered.length} pages of build ${result.buildId} through ${result.origin} ` +
            `(stored by its data cache${flags.verify ? ", each read back as a HIT" : ""}), ${result.uncached.length} not cached by vinext (dynamic), ` +
            `${result.failed.length} failed, in ${result.seconds.toFixed(1)} s`,
        );
        for (const path of result.uncached) console.log(`  not cached: ${path}`);
        if (result.failed.length) {
          console.error(`\n✘ [ERR_PRERENDER_FAILED] ${result.failed.length} page(s) failed:`);
          for (const f of result.failed) console.error(`  ${f.path}: ${f.reason}`);
          console.error(`\n  How to solve this error: open the failing paths on ${result.origin} to see why; the other pages are stored.`);
          process.exitCode = 1;
        }
      },
    );

  const migrate = addTargetOptions(
    vinext
      .command("migrate")
      .description(
        "turn the entries vinext's KV data cache stored (cache:*, __tag:*) into edge-isr's, in the same namespace, so switching does not start cold",
      )
      .option("--app-prefix <prefix>", "vinext's appPrefix (edge-isr's entries go under the same)")
      .option(
        "--build-id <id...>",
        "also carry over the pages of these builds (vinext keys pages by build id; only a build with the same id can serve them)",
      )
      .option("--dry-run", "read and convert everything, write nothing, and say what would be written")
      .option("--resume", "continue an interrupted run from its state file")
      .option("--state <file>", "where progress is recorded (default .edge-isr/vinext-migrate-<namespace>.json)")
      .option("--delete-source", "delete vinext's cache:* and __tag:* keys once everything is migrated (after the switch is deployed)")
      .option(
        "--max-requests <n>",
        "with --remote: Cloudflare API requests per 5 minutes, at most (Cloudflare allows 1,200)",
        String(CliLimits.remoteRequestsPer5Min),
      )
      .addHelpText(
        "after",
        "\nExamples:\n  $ edge-isr vinext migrate --dry-run\n  $ edge-isr vinext migrate --remote --env production --build-id $(cat dist/server/BUILD_ID)\n  $ edge-isr vinext migrate --remote --env production --resume",
      ),
  );
  // vinext's binding is VINEXT_KV_CACHE (kvDataAdapter's default), not the CACHE the other commands use.
  migrate.setOptionValueWithSource("binding", "VINEXT_KV_CACHE", "default");
  migrate.options.find((option) => option.long === "--binding")!.defaultValue = "VINEXT_KV_CACHE";
  migrate.action(
    async (
      flags: TargetFlags & {
        appPrefix?: string;
        buildId?: string[];
        dryRun?: boolean;
        resume?: boolean;
        state?: string;
        deleteSource?: boolean;
        maxRequests: string;
      },
    ) => {
      const { migrateVinext } = await import("./vinext-migrate.js");
      const result = await migrateVinext({
        remote: Boolean(flags.remote),
        ...(flags.config ? { config: flags.config } : {}),
        ...(flags.env ? { env: flags.env } : {}),
        binding: flags.binding,
        persistTo: flags.persistTo,
        ...(flags.appPrefix ? { appPrefix: flags.appPrefix } : {}),
        builds: flags.buildId ?? [],
        dryRun: Boolean(flags.dryRun),
        resume: Boolean(flags.resume),
        ...(flags.state ? { state: flags.state } : {}),
        deleteSource: Boolean(flags.deleteSource),
        maxRequests: positiveInteger("max-requests", flags.maxRequests),
      });
      printMigration(result);
    },
  );

  return vinext;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function printMigration(r: MigrateResult): void {
  const verb = r.dryRun ? "would migrate" : "migrated";
  const pages = Object.entries(r.pagesByBuild).map(([build, n]) => `${n} of build ${build}`);
  console.log(
    `${verb} ${r.migrated} of ${r.seen} vinext entries in namespace ${r.namespace}` +
      `${pages.length ? ` (pages: ${pages.join(", ")})` : ""}: ${kib(r.vinextBytes)} in vinext's format, ${kib(r.edgeIsrBytes)} in edge-isr's` +
      `${r.requests ? `, ${r.requests} API requests` : ""}${r.deleted ? `; deleted ${r.deleted} vinext keys` : ""}`,
  );
  for (const [reason, n] of Object.entries(r.skipped)) if (n) console.log(`  skipped ${n}: ${reason}`);
  for (const [build, n] of Object.entries(r.otherBuilds))
    console.log(
      `  ${n} page entries of build ${build} stay behind: pass --build-id ${build} if the build you deploy keeps that id (generateBuildId)`,
    );
}
