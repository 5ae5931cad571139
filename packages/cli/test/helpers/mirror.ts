/**
 * Miniflare's local mirror of the Workers KV REST API (`unsafeLocalExplorer`),
 * behind an HTTP server that speaks the paths the official `cloudflare` client
 * uses: `/client/v4/accounts/<id>/storage/kv/…` → `/cdn-cgi/explorer/api/storage/kv/…`.
 * A built `edge-isr --remote` reaches it through CLOUDFLARE_API_BASE_URL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Miniflare } from "miniflare";

/** Forwards one client request (its body already read) to the mirror at `api`; `path` is the client's path. */
export async function forwardToMirror(api: URL, req: IncomingMessage, body: Buffer, path: string, res: ServerResponse): Promise<void> {
  const upstream = await fetch(new URL(path.replace(/^\/client\/v4\/accounts\/[^/]+\//, "/cdn-cgi/explorer/api/"), api), {
    method: req.method,
    headers: req.headers["content-type"] ? { "content-type": req.headers["content-type"] } : {},
    ...(body.byteLength ? { body: new Uint8Array(body) } : {}),
  } as RequestInit);
  res
    .writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" })
    .end(Buffer.from(await upstream.arrayBuffer()));
}

/**
 * Starts Miniflare with these namespaces (binding → id) and the translating server; `baseUrl` is for
 * CLOUDFLARE_API_BASE_URL. `modules`: a Worker of the test's own (e.g. one that seeds entries), reached with `dispatch`.
 */
export async function startMirror(kvNamespaces: Record<string, string>, modules?: { type: "ESModule"; path: string; contents: string }[]) {
  const worker = modules ? { modules } : { modules: true, script: "export default { fetch() { return new Response('') } }" };
  const mf = new Miniflare({ ...worker, kvNamespaces, compatibilityDate: "2026-04-01", unsafeLocalExplorer: true } as ConstructorParameters<
    typeof Miniflare
  >[0]);
  const api = await mf.ready;
  /** Requests seen, as `METHOD /path`. */
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      forwardToMirror(api, req, Buffer.concat(chunks), req.url!, res).catch((error: unknown) => res.writeHead(599).end(String(error)));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    requests,
    kv: (binding: string) => mf.getKVNamespace(binding),
    dispatch: (path: string) => mf.dispatchFetch(`http://mirror${path}`),
    close: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      await mf.dispose();
    },
  };
}

/** The environment a `--remote` run needs against a mirror. */
export const mirrorEnv = (baseUrl: string) => ({
  CLOUDFLARE_API_TOKEN: "test-token-not-a-secret",
  CLOUDFLARE_ACCOUNT_ID: "acc0123",
  CLOUDFLARE_API_BASE_URL: baseUrl,
});
