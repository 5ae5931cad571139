/**
 * A server the tests start as a user would (`vite preview`, `npm run demo`): a
 * child process in its own process group, ready when its output says so, and
 * stopped with everything it started (workerd included).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** Terminal colour codes (ESC [ … m) that servers print: dropped before their output is searched. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  /** What `ready` found in the output (e.g. the URL it printed). */
  ready: string;
  /** Everything printed so far, colours removed. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `command args` and resolves once `ready(output)` returns a string; rejects if it exits first. */
export async function startServer(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ready: (output: string) => string | undefined },
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() also ends workerd
  });
  let log = "";
  const stopped = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString().replace(ANSI_COLOUR, "");
      const found = options.ready(log);
      if (found !== undefined) resolve(found);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited (${code}) before it was ready:\n${log}`)));
  });
  return {
    ready,
    output: () => log,
    async stop() {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // already gone
      }
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5000))]);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // ended on SIGTERM
      }
    },
  };
}
