/**
 * `edge-isr promote | rollback`: rewrite the build pointer — one KV write — but
 * only when the Worker would follow it: a Worker without `buildPointer` keeps
 * serving its own build whatever the pointer says, so switching is refused.
 */
import { BUILD_POINTER_KEY, type BuildPointer } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import type { KVTarget } from "../kv/target.js";
import { servedBuild } from "../served.js";
import { describeView, type WorkerView } from "../worker.js";
import { type BuildInfo, readPointer, scanBuilds } from "./builds.js";

/** How many builds the pointer remembers for rollback. */
export const MAX_PREVIOUS_BUILDS = 20;

export interface SwitchOptions {
  /** Switch even when the build has no entries or the Worker cannot be shown to follow the pointer. */
  force: boolean;
  worker: WorkerView;
}

async function writePointer(target: KVTarget, pointer: BuildPointer): Promise<void> {
  await target.put({ key: BUILD_POINTER_KEY, value: new TextEncoder().encode(JSON.stringify(pointer)) });
}

const existing = (builds: BuildInfo[]) =>
  builds.length
    ? `the builds stored are: ${builds.map((b) => `${b.id} (${b.entries} entries)`).join(", ")}`
    : "no build is stored yet; run `edge-isr prerender` first";

/** Refuses (unless forced) when the Worker would not serve what the pointer names; returns a warning when forced. */
function checkWorkerFollows(verb: string, buildId: string, opts: SwitchOptions): string | undefined {
  const { worker } = opts;
  if (worker.known && worker.buildPointer) return undefined;
  const problem = worker.known
    ? `${describeView(worker)} does not read the build pointer: it serves ${worker.buildId} whatever the pointer says`
    : `cannot tell whether the Worker reads the build pointer: ${worker.why}`;
  if (opts.force) return `warning: ${problem}; the pointer was written anyway (--force)`;
  const fix = worker.known
    ? `give createISR a pointer to read — buildPointer: { kv: (env) => env.CACHE } — and build and deploy again; until then, serving ${buildId} means deploying its Worker. Nothing was written.`
    : "run the command in your app's directory after `vite build` (or pass --cwd <dir> or --worker <path to the built wrangler.json>), or pass --force if you know the deployed Worker reads the pointer. Nothing was written.";
  throw new CliError(worker.known ? "ERR_POINTER_IGNORED" : "ERR_WORKER_UNKNOWN", `cannot ${verb} ${buildId}: ${problem}`, fix);
}

/** Refuses (unless forced) a build with no entries: every page would render on its first request. */
function checkHasEntries(builds: BuildInfo[], buildId: string, target: KVTarget, force: boolean): void {
  if (force || builds.some((b) => b.id === buildId && b.entries > 0)) return;
  throw new CliError(
    "ERR_BUILD_NOT_FOUND",
    `build ${JSON.stringify(buildId)} has no entries in ${target.description}`,
    `${existing(builds)}. Pick one of those, prerender this build first, or pass --force to serve it anyway (every page then renders on its first request).`,
  );
}

const propagation = "the Worker follows within its pointer cache time (30 s by default), plus KV's propagation (up to ~60 s) on Cloudflare";

/** Serves `buildId`: one KV write (the pointer). */
export async function promote(target: KVTarget, buildId: string, opts: SwitchOptions): Promise<BuildPointer> {
  if (!buildId || buildId.includes(":")) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `${JSON.stringify(buildId)} is not a build id`,
      'pass a build id as `edge-isr builds` lists it (it contains no ":").',
    );
  }
  const warning = checkWorkerFollows("promote", buildId, opts);
  const { builds, pointer: old } = await scanBuilds(target);
  checkHasEntries(builds, buildId, target, opts.force);
  const was = servedBuild(old, opts.worker).build ?? old?.current;
  // The build served until now goes first in the history, so `rollback` returns to it.
  const previous = [...(was && was !== old?.current ? [was] : []), ...(old ? [old.current, ...old.previous] : [])].filter(
    (b) => b !== buildId,
  );
  const pointer: BuildPointer = {
    current: buildId,
    previous: [...new Set(previous)].slice(0, MAX_PREVIOUS_BUILDS),
    promotedAt: Date.now(),
  };
  await writePointer(target, pointer);
  console.log(`promoted ${buildId} (was ${was ?? "none"}); ${propagation}`);
  if (warning) console.log(warning);
  return pointer;
}

/**
 * Serves an earlier build again: `steps` back in the pointer's history (1 by
 * default), or the build `to` names. One KV write; the builds skipped over
 * leave the history.
 */
export async function rollback(target: KVTarget, opts: SwitchOptions & { steps?: number; to?: string }): Promise<BuildPointer> {
  const old = await readPointer(target);
  const history = old?.previous ?? [];
  if (!old || history.length === 0) {
    throw new CliError(
      "ERR_NO_PREVIOUS_BUILD",
      old
        ? `build ${old.current} is current and no build was promoted before it`
        : `${target.description} holds no build pointer, so there is nothing to roll back to`,
      "promote a build explicitly instead: `edge-isr builds` lists them, `edge-isr promote <build>` serves one.",
    );
  }
  let steps = opts.steps ?? 1;
  if (opts.to !== undefined) {
    steps = history.indexOf(opts.to) + 1;
    if (steps === 0) {
      throw new CliError(
        "ERR_BAD_ARGUMENT",
        `--to ${JSON.stringify(opts.to)} is not in the rollback history of ${old.current}`,
        `the history, newest first: ${history.join(", ")}. Pick one of those, or \`edge-isr promote ${opts.to}\` to serve it.`,
      );
    }
  }
  if (!Number.isInteger(steps) || steps < 1 || steps > history.length) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--steps ${JSON.stringify(String(opts.steps))} must be a whole number from 1 to ${history.length} (the builds in the history)`,
      `the history, newest first: ${history.join(", ")}.`,
    );
  }
  const back = history[steps - 1]!;
  const warning = checkWorkerFollows("roll back to", back, opts);
  checkHasEntries((await scanBuilds(target)).builds, back, target, opts.force);
  const pointer: BuildPointer = { current: back, previous: history.slice(steps), promotedAt: Date.now() };
  await writePointer(target, pointer);
  const skipped = history.slice(0, steps - 1);
  console.log(`rolled back to ${back} (was ${old.current}${skipped.length ? `; skipped ${skipped.join(", ")}` : ""}); ${propagation}`);
  if (warning) console.log(warning);
  return pointer;
}
