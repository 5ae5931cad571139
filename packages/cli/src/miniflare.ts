/**
 * Every Miniflare the CLI starts. Miniflare installs SIGINT/SIGTERM handlers
 * that stop workerd and exit at once; the CLI handles Ctrl-C itself (see
 * interrupt.ts) so a command can finish what is under way and say what it did,
 * so those two are removed. Miniflare's "exit" hook stays: workerd never
 * outlives the command.
 */
import { Miniflare, type MiniflareOptions } from "miniflare";

export function startMiniflare(options: MiniflareOptions): Miniflare {
  const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
  const mf = new Miniflare(options);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.removeListener(signal, listener);
  }
  return mf;
}
