/** CPU and wall time of a stretch of bench work: Node's own, and Miniflare's workerd process's when given. */
import type { WorkerdProcess } from "./workerd-cpu.js";

/** CPU time this Node process used since `since` (a `process.cpuUsage()`), µs, user + system. */
export function nodeCpuMicros(since?: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(since);
  return cpu.user + cpu.system;
}

export interface Metered {
  wallMs: number;
  nodeMicros: number;
  /** 0 without a workerd process. */
  workerdMicros: number;
}

/** Starts measuring; the returned function stops and gives what was spent meanwhile. */
export function startMeter(workerd?: WorkerdProcess): () => Metered {
  const cpu0 = process.cpuUsage();
  const w0 = workerd?.cpuMicros() ?? 0;
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const workerdMicros = workerd ? workerd.cpuMicros() - w0 : 0;
    return { wallMs, nodeMicros: nodeCpuMicros(cpu0), workerdMicros };
  };
}
