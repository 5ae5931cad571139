/**
 * CPU time of Miniflare's workerd child process, from Linux /proc: the sum of
 * `se.sum_exec_runtime` (ms) over its threads. `undefined` where /proc is not
 * there (the figure is then skipped, or the bench says it needs Linux).
 */
import { readdirSync, readFileSync } from "node:fs";

export interface WorkerdProcess {
  pid: number;
  /** CPU time used so far, µs, all threads. */
  cpuMicros(): number;
}

export function findWorkerd(): WorkerdProcess | undefined {
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm !== "workerd" || ppid !== process.pid) continue;
      const pid = Number(entry);
      const cpuMicros = () => {
        let ms = 0;
        for (const task of readdirSync(`/proc/${pid}/task`)) {
          try {
            const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${task}/sched`, "utf8"));
            if (m) ms += Number(m[1]);
          } catch {
            // a thread that just ended
          }
        }
        return ms * 1000;
      };
      return cpuMicros() > 0 ? { pid, cpuMicros } : undefined;
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** The workerd process, or an error saying the bench needs Linux /proc for `figure`. */
export function requireWorkerd(bench: string, figure: string): WorkerdProcess {
  const workerd = findWorkerd();
  if (!workerd) throw new Error(`${bench} needs Linux /proc to find Miniflare's workerd process (its ${figure} is one of the figures)`);
  return workerd;
}
