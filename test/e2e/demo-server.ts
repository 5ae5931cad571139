/**
 * Starts the demo exactly as `npm run demo` / `npm run dev` do (scripts/demo.mjs),
 * on a free port with its own KV state directory and a short freshness window,
 * and waits for its "ready: <url>" line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface DemoServer {
  url: string;
  /** When the server said it was ready (ms): prerendered pages were generated before this. */
  readyAt: number;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startDemo(mode: "preview" | "dev", revalidateSeconds: number): Promise<DemoServer> {
  const state = mkdtempSync(join(tmpdir(), `edge-isr-demo-${mode}-`));
  const port = await freePort();
  const args = ["scripts/demo.mjs", "--port", String(port), "--persist-to", state, ...(mode === "dev" ? ["--dev"] : [])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    // EDGE_ISR_SECRET unset: the tests use the documented local default secret.
    env: { ...process.env, EDGE_ISR_SECRET: undefined, DEMO_REVALIDATE_SECONDS: String(revalidateSeconds), FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() also ends workerd
  });
  let log = "";
  const stopped = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const ready = /^ready: (\S+?)\/?$/m.exec(log);
      if (ready) resolve(ready[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`scripts/demo.mjs ${args.slice(1).join(" ")} exited (${code}) before it was ready:\n${log}`)));
  });
  return {
    url,
    readyAt: Date.now(),
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
      rmSync(state, { recursive: true, force: true });
    },
  };
}
