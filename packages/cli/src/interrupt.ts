/**
 * Ctrl-C. While a command that writes runs, the first Ctrl-C asks it to stop:
 * it starts nothing new, lets what is under way finish (or fail: in a terminal
 * Ctrl-C also stops the local workerd), then says what was done and how to
 * resume, exiting 130. A second Ctrl-C, or one while nothing is interruptible,
 * exits 130 at once; Miniflare's exit hook still stops workerd.
 */
let active: { controller: AbortController; stopping: string } | undefined;

/** Installs the handlers (the command does, once; library code never does). */
export function handleInterrupts(): void {
  process.on("SIGINT", () => {
    if (!active || active.controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${active.stopping} (Ctrl-C again to quit at once)\n`);
    active.controller.abort();
  });
  process.on("SIGTERM", () => process.exit(143));
}

/** A signal the next Ctrl-C aborts; `stopping` is what the command says it is doing meanwhile. */
export function interruptible(stopping = "stopping: finishing what is under way…"): AbortSignal {
  const controller = new AbortController();
  active = { controller, stopping };
  return controller.signal;
}

/**
 * Whether `signal` was aborted by Ctrl-C, waiting a moment first: in a terminal the
 * same Ctrl-C also ends the local workerd, and the failed write it causes can reach
 * the command before the signal does.
 */
export async function stoppedBy(signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return false;
  if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 250));
  return signal.aborted;
}
