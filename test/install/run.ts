/**
 * Runs a command in the fresh project as a user's shell would — with only the
 * environment a user has: no npm_config_* from the outer `npm test` (which would
 * carry this repository's .npmrc into the project's install) and no Cloudflare
 * or edge-isr secrets. A command must exit by itself: one still running at its
 * time limit fails the test as hanging (and is then ended, so nothing is left behind).
 */
import { spawn } from "node:child_process";

export interface Ran {
  status: number | null;
  output: string;
  /** Seconds it took. */
  seconds: number;
}

/** The environment of a user's shell: PATH (with `binFirst` in front when given), HOME, no npm or Cloudflare settings. */
export function userEnv(binFirst?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^(npm_|CLOUDFLARE_|EDGE_ISR_|WRANGLER_|VITEST|NODE_OPTIONS$)/i.test(name)) env[name] = value;
  if (binFirst) env.PATH = `${binFirst}:${env.PATH ?? ""}`;
  // Offline machine: no request.cf download, no telemetry prompt.
  return { ...env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", CI: "true" };
}

export function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const limit = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      reject(new Error(`\`${command} ${args.join(" ")}\` did not exit within ${opts.timeoutMs / 1000} s (it hangs):\n${output}`));
    }, opts.timeoutMs);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(limit);
      resolve({ status, output, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** "`cmd` exited 1:\n<output>", for assertion messages. */
export const shown = (what: string, ran: Ran) => `${what} exited ${ran.status} after ${ran.seconds.toFixed(1)} s:\n${ran.output}`;
