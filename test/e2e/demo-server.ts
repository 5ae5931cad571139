/**
 * Starts the demo exactly as `npm run demo` / `npm run dev` do (scripts/demo.mjs),
 * on a free port with its own KV state directory and a short freshness window,
 * and waits for its "ready: <url>" line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startServer } from "../helpers/server-process.js";

const ROOT = new URL("../../", import.meta.url).pathname;

export interface DemoServer {
  url: string;
  /** When the server said it was ready (ms): prerendered pages were generated before this. */
  readyAt: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startDemo(mode: "preview" | "dev", revalidateSeconds: number): Promise<DemoServer> {
  const state = mkdtempSync(join(tmpdir(), `edge-isr-demo-${mode}-`));
  const port = await freePort();
  const args = ["scripts/demo.mjs", "--port", String(port), "--persist-to", state, ...(mode === "dev" ? ["--dev"] : [])];
  const server = await startServer(process.execPath, args, {
    cwd: ROOT,
    // EDGE_ISR_SECRET unset: the tests use the documented local default secret.
    env: { ...process.env, EDGE_ISR_SECRET: undefined, DEMO_REVALIDATE_SECONDS: String(revalidateSeconds), FORCE_COLOR: "0" },
    ready: (log) => /^ready: (\S+?)\/?$/m.exec(log)?.[1],
  });
  return {
    url: server.ready,
    readyAt: Date.now(),
    output: server.output,
    async stop() {
      await server.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
