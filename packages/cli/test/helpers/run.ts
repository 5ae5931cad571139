/**
 * Runs the built `edge-isr` binary as a user would: in a directory, with only
 * the environment given (no CLOUDFLARE_* or EDGE_ISR_* inherited from the test
 * process), optionally pressing Ctrl-C once its output says it is under way.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const CLI = join(ROOT, "packages/cli/dist/cli.js");

/** `npm test` builds every package first; this builds the command only when a test file runs on its own. */
export async function ensureCliBuilt(): Promise<void> {
  if (!existsSync(CLI)) await promisify(execFile)("npm", ["run", "build", "-w", "edge-isr"], { cwd: ROOT });
  if (!existsSync(CLI)) throw new Error(`${CLI} was not built`);
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /**
   * Presses Ctrl-C once, when stdout or stderr first matches: SIGINT to the
   * command's whole process group, as a terminal sends it — its workerd too.
   */
  interruptWhen?: RegExp;
  timeoutMs?: number;
}

export function runCli(args: string[], opts: RunOptions): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(CLOUDFLARE_|EDGE_ISR_)/.test(name)) env[name] = value;
  for (const [name, value] of Object.entries(opts.env ?? {})) if (value !== undefined) env[name] = value;
  env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false"; // no request.cf download on an offline machine
  return new Promise((done, fail) => {
    // Its own process group, like a terminal's foreground job.
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env, timeout: opts.timeoutMs ?? 60_000, detached: true });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    const watch = () => {
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(stdout + stderr)) {
        interrupted = true;
        process.kill(-child.pid!, "SIGINT");
      }
    };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => ((stdout += chunk), watch()));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => ((stderr += chunk), watch()));
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** A run's output, for assertion messages. */
export const show = (run: Run) => `exit ${run.status}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
