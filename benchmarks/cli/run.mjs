/**
 * How fast `edge-isr` answers when it has nothing heavy to do: `--help`, and an
 * argument error caught before anything is opened (`purge` with nothing to
 * purge). Each is a fresh process, as a user types it; the baseline is
 * `node -e 0` in the same run, alternated with them, so a loaded machine
 * slows every figure alike and the ratio stays comparable.
 *
 *   node benchmarks/cli/run.mjs [--rounds 15] [--cli path/to/dist/cli.js]
 *
 * (That `--help` loads no Miniflare, Cloudflare client or cache handler is a
 * test: packages/cli/test/lazy.test.ts.)
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "15" }, cli: { type: "string" } } });
const rounds = Number(values.rounds);
const cli = values.cli ?? fileURLToPath(new URL("../../packages/cli/dist/cli.js", import.meta.url));

const cases = {
  "node -e 0 (baseline)": ["-e", "0"],
  "edge-isr --help": [cli, "--help"],
  "edge-isr purge (argument error)": [cli, "purge"],
};

/** Wall-clock ms of one fresh process. */
function timeOnce(args) {
  const started = process.hrtime.bigint();
  const ran = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (ran.error) throw ran.error;
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const args of Object.values(cases)) timeOnce(args); // warm the file cache
for (let round = 0; round < rounds; round++) for (const [name, args] of Object.entries(cases)) samples[name].push(timeOnce(args));

const baseline = median(samples["node -e 0 (baseline)"]);
console.log(`edge-isr CLI start-up: ${cli}, ${rounds} alternating rounds, Node ${process.version}\n`);
console.log("| command | median ms | min ms | × node -e 0 |");
console.log("|---|---:|---:|---:|");
for (const [name, xs] of Object.entries(samples)) {
  console.log(`| ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${(median(xs) / baseline).toFixed(2)} |`);
}
