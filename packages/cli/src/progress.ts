/**
 * Progress on stderr (stdout carries results, so `edge-isr export x | …` and
 * `> log` stay clean): a cli-progress bar on a terminal; elsewhere (CI logs,
 * pipes) one plain line per tenth of the work, so long runs still say where they are.
 */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** `label`: what is being counted, e.g. "importing" with `unit` "keys". `enabled: false` prints nothing. */
export function progress(total: number, label: string, unit: string, enabled = true): Progress {
  if (!enabled || total === 0) return silent;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(9)} [{bar}] {value}/{total} ${unit} ({percentage}%)`,
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let shown = 0; // tenths already printed
  return {
    update(done) {
      const tenth = Math.floor((done / total) * 10);
      if (tenth <= shown || done >= total) return; // the summary line says when it is done
      shown = tenth;
      process.stderr.write(`${label} ${done}/${total} ${unit} (${tenth * 10}%)\n`);
    },
    stop() {},
  };
}
