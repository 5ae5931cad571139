/**
 * Which build the Worker serves: the pointer's, but only when the Worker reads
 * the pointer (`createISR({ buildPointer })`); otherwise its own build id. The
 * builds commands decide with this, never with the pointer alone.
 */
import type { BuildPointer } from "@edge-isr/runtime";
import { describeView, type WorkerView } from "./worker.js";

export interface Served {
  /** The build served, when it can be told. */
  build: string | undefined;
  /** Why that build, in words. */
  why: string;
  pointer: BuildPointer | undefined;
  worker: WorkerView;
}

export function servedBuild(pointer: BuildPointer | undefined, worker: WorkerView): Served {
  if (!worker.known) {
    return {
      build: undefined,
      why: `which build is served is unknown: ${worker.why}${pointer ? `; the build pointer names ${pointer.current}, but nothing shows the Worker reads it` : ""}`,
      pointer,
      worker,
    };
  }
  const who = describeView(worker);
  if (!worker.buildPointer)
    return { build: worker.buildId, why: `${who} serves its own build: it does not read the build pointer`, pointer, worker };
  if (pointer) return { build: pointer.current, why: `the build pointer names it, and ${who} reads the pointer`, pointer, worker };
  return { build: worker.buildId, why: `${who} reads the build pointer, and there is none: it serves its own build`, pointer, worker };
}
