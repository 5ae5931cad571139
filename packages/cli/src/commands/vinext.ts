/**
 * `edge-isr vinext …`: the commands for a vinext app whose data cache is
 * `@edge-isr/kv-cache-handler/vinext` — prerender its pages through a running
 * server, and migrate what vinext's own KV handler stored.
 */
import { Command } from "commander";
import { CliError } from "../errors.js";
import { prerenderVinext } from "./vinext-prerender.js";

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new CliError("ERR_BAD_ARGUMENT", `--${name} ${JSON.stringify(text)} is not a whole number ≥ 1`, `pass e.g. --${name} 8.`);
  return value;
}

export function vinextCommand(): Command {
  const vinext = new Command("vinext").description("a vinext app on @edge-isr/kv-cache-handler/vinext: prerender its pages, migrate vinext's KV cache");

  vinext
    .command("prerender")
    .description("store the app's static pages through a server running its build (vinext finds the pages; its Worker renders and stores them)")
    .requiredOption("--url <origin>", "the server running the app's build: vite preview (local KV), or a staged/deployed Worker (its namespace)")
    .option("--root <dir>", "the vinext app (its dist/server and routes)", ".")
    .option("--routes <file>", "render these paths instead of vinext's discovery (one per line, or a JSON array)")
    .option("--from-traffic <file>", "choose paths from a request log or analytics export (path,count per line, or JSON)")
    .option("--coverage <share>", "with --from-traffic: the fewest paths covering this share of requests", "0.9")
    .option("--concurrency <n>", "pages rendered at once", "8")
    .option("--dry-run", "list the pages that would be rendered; request none")
    .option("--no-verify", "do not read each page back as a HIT")
    .addHelpText("after", "\nExamples:\n  $ vite build && vite preview --port 4173 &\n  $ edge-isr vinext prerender --url http://localhost:4173")
    .action(async (flags: { url: string; root: string; routes?: string; fromTraffic?: string; coverage: string; concurrency: string; dryRun?: boolean; verify: boolean }) => {
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
    });

  return vinext;
}
