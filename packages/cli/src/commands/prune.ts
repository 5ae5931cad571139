/**
 * `edge-isr prune --keep N`: deletes the entries of old builds. It never
 * deletes the build the Worker serves, the build the pointer names, the
 * Worker's own build (served when the pointer is missing) or a `--keep-build`;
 * when it cannot tell which build is served, it deletes nothing.
 */
import { CliError } from "../errors.js";
import type { KVTarget } from "../kv/target.js";
import { pool } from "../pool.js";
import { progress } from "../progress.js";
import { servedBuild } from "../served.js";
import type { WorkerView } from "../worker.js";
import { CONCURRENCY, scanBuilds } from "./builds.js";

export interface PruneOptions {
  dryRun: boolean;
  worker: WorkerView;
  /** Builds never deleted, whatever else holds. */
  keepBuilds?: string[];
  progress?: boolean;
}

export interface PruneResult {
  deleted: number;
  /** The builds whose entries were (or, with --dry-run, would be) deleted. */
  builds: string[];
  entries: number;
  /** Each kept build with why. */
  kept: { id: string; why: string }[];
}

export async function prune(target: KVTarget, keep: number, opts: PruneOptions): Promise<PruneResult> {
  if (!Number.isInteger(keep) || keep < 0) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--keep must be a whole number ≥ 0, got ${JSON.stringify(String(keep))}`,
      "pass how many builds to keep besides the served one, e.g. --keep 2 (0 keeps only the builds that must stay).",
    );
  }
  const { builds, pointer } = await scanBuilds(target);
  const served = servedBuild(pointer, opts.worker);
  const keepBuilds = opts.keepBuilds ?? [];
  if (served.build === undefined && keepBuilds.length === 0) {
    throw new CliError(
      "ERR_SERVED_BUILD_UNKNOWN",
      `prune deletes nothing while it cannot tell which build is served: ${served.why}`,
      "run it in your app's directory after `vite build` (or pass --cwd <dir> or --worker <path to the built wrangler.json>), or name the build the deployed Worker serves with --keep-build <id>.",
    );
  }

  // Why each protected build stays, in the order the reasons matter.
  const reasons = new Map<string, string[]>();
  const protect = (id: string | undefined, why: string) => id !== undefined && reasons.set(id, [...(reasons.get(id) ?? []), why]);
  if (served.build !== undefined) protect(served.build, `served: ${served.why}`);
  if (pointer)
    protect(
      pointer.current,
      served.worker.known && !served.worker.buildPointer
        ? "the build pointer names it (the Worker does not read the pointer)"
        : "the build pointer names it",
    );
  if (served.worker.known && served.worker.buildPointer)
    protect(served.worker.buildId, "the Worker's own build: it serves it whenever the pointer is missing or unreadable");
  for (const id of keepBuilds) protect(id, "--keep-build");

  const others = builds.filter((b) => !reasons.has(b.id));
  const newest = others.slice(0, keep);
  for (const b of newest) protect(b.id, `one of the ${keep} newest other build(s) (--keep ${keep})`);
  const doomed = others.slice(keep);
  const kept = builds.filter((b) => reasons.has(b.id)).map((b) => ({ id: b.id, why: reasons.get(b.id)!.join("; ") }));
  for (const line of kept) console.log(`kept ${line.id}: ${line.why}`);

  const keys = doomed.flatMap((b) => b.keys);
  const names = doomed.map((b) => b.id);
  if (doomed.length === 0) {
    console.log(`nothing to prune: ${builds.length} build(s) stored, all kept`);
    return { deleted: 0, builds: [], entries: 0, kept };
  }
  if (opts.dryRun) {
    console.log(`would delete ${keys.length} entries of ${names.length} build(s): ${names.join(", ")} (dry run: nothing deleted)`);
  } else {
    const bar = progress(keys.length, "deleting", "entries", opts.progress);
    let done = 0;
    try {
      await pool(keys, CONCURRENCY, async (key) => {
        await target.delete(key);
        bar.update(++done);
      });
    } finally {
      bar.stop();
    }
    console.log(`deleted ${done} entries of ${names.length} build(s): ${names.join(", ")}`);
  }
  const inHistory = names.filter((id) => pointer?.previous.includes(id));
  if (inHistory.length)
    console.log(`note: the rollback history names ${inHistory.join(", ")}; rolling back to it renders its pages afresh`);
  return { deleted: opts.dryRun ? 0 : keys.length, builds: names, entries: keys.length, kept };
}
