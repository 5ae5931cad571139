/**
 * The `edge-isr` binary never prints a secret it holds: the Cloudflare API token
 * (`--remote`, `purge --cdn-zone`), the prerender token (`prerender --url`) and
 * the revalidation secret (`purge --endpoint`). Each scenario runs the built
 * binary with all three in its environment, checks that it did what it should
 * (exit code, a recognizable message, and that the server really received the
 * secret), and that no 8-character piece of any secret is on stdout or stderr —
 * on success, on a 401/403/500 whose body echoes the request's credentials, on
 * an unreachable server, on bad arguments and on an unexpected error.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PRERENDER_HEADER, PRERENDER_MANIFEST_PATH } from "@edge-isr/runtime";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixture, serveFixture } from "./fixtures/build.js";
import { forwardToMirror } from "./helpers/mirror.js";
import { ensureCliBuilt, type Run, runCli, show } from "./helpers/run.js";

// Fresh values every run, none of them 40 characters long: the generic "looks like a
// Cloudflare token" pattern in redact() must not be what hides them.
const hex = () => randomUUID().replaceAll("-", "");
const CF_TOKEN = `cfat_${hex()}`;
const PRERENDER_TOKEN = `pre_${hex()}`;
const WRONG_PRERENDER_TOKEN = `pre_${hex()}_old`;
const ADMIN_SECRET = `isr_${hex()}${hex().slice(0, 9)}`;
const SECRETS = { CF_TOKEN, PRERENDER_TOKEN, WRONG_PRERENDER_TOKEN, ADMIN_SECRET };
const ACCOUNT = "acc0123";

/** Every secret the CLI may hold, as a user who has all of them exported would run it. */
const ALL_SECRETS = {
  CLOUDFLARE_API_TOKEN: CF_TOKEN,
  CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
  EDGE_ISR_PRERENDER_TOKEN: PRERENDER_TOKEN,
  EDGE_ISR_SECRET: ADMIN_SECRET,
};

// ───────────────────────── helpers ─────────────────────────

/** Runs the built binary in `cwd` with only the given secrets (none inherited from this process). */
const cli = (args: string[], env: Record<string, string | undefined>, cwd: string): Promise<Run> =>
  runCli(args, { cwd, env, timeoutMs: 50_000 });

/** No secret, nor any 8-character piece of one, on stdout or stderr. */
function expectNoSecrets(run: Run) {
  for (const [name, secret] of Object.entries(SECRETS)) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      for (const stream of ["stdout", "stderr"] as const) {
        if (run[stream].includes(piece))
          expect.fail(`${name} (or its piece ${JSON.stringify(piece)}) was printed on ${stream}:\n${show(run)}`);
      }
    }
  }
}

/** Runs a scenario, checks what it did, and that it printed no secret. */
async function scenario(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  expected: { status: number; stdout?: (string | RegExp)[]; stderr?: (string | RegExp)[] },
): Promise<Run> {
  const run = await cli(args, env, cwd);
  expectNoSecrets(run);
  expect(run.status, show(run)).toBe(expected.status);
  for (const [stream, wanted] of [
    ["stdout", expected.stdout],
    ["stderr", expected.stderr],
  ] as const) {
    for (const w of wanted ?? []) {
      if (typeof w === "string") expect(run[stream], show(run)).toContain(w);
      else expect(run[stream], show(run)).toMatch(w);
    }
  }
  return run;
}

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  prerender: string | undefined;
}

/** An HTTP server on a free local port; records each request's credentials. */
async function listen(answer: (req: IncomingMessage, body: Buffer, res: ServerResponse) => unknown) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method!,
        path: req.url!,
        authorization: req.headers.authorization,
        prerender: req.headers[PRERENDER_HEADER] as string | undefined,
      });
      Promise.resolve(answer(req, Buffer.concat(chunks), res)).catch((error: unknown) => res.writeHead(599).end(String(error)));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((done) => server.close(() => done())) };
}

/** The requests a server saw under a path prefix (the scenarios run concurrently). */
const under = (server: { seen: Seen[] }, prefix: string) => server.seen.filter((r) => r.path.startsWith(prefix));

/** The raw request as a server that dumps it into its error page would show it. */
const rawRequest = (req: IncomingMessage) =>
  `${req.method} ${req.url}\n${Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join("\n")}`;
const bareToken = (req: IncomingMessage) => (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "");
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

// ───────────────────────── fixtures ─────────────────────────

let dir: string;
let api: Miniflare;
let apiUrl: URL;
let cloudflare: Awaited<ReturnType<typeof listen>>;
let worker: Miniflare;
let workerUrl: string;
let echoWorker: Awaited<ReturnType<typeof listen>>;
let endpoint: Awaited<ReturnType<typeof listen>>;
/** Nothing listens on the discard port, and it is never handed out by `listen(0)` as other tests' ports are. */
const unreachable = "http://127.0.0.1:9";

beforeAll(async () => {
  await ensureCliBuilt();

  dir = mkdtempSync(join(tmpdir(), "edge-isr-secrets-"));
  await buildFixture(dir, { PAGES: "3", BUILD_POINTER: "1" }); // promote needs a Worker that reads the pointer
  writeFileSync(
    join(dir, "wrangler.toml"),
    '[[kv_namespaces]]\nbinding = "CACHE"\nid = "dev-ns"\n\n[env.staging]\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\nid = "staging-ns"\n',
  );
  writeFileSync(join(dir, "routes.txt"), "/\n/products/1\n/products/2\n");
  writeFileSync(join(dir, "traffic.json"), "[{ not json");

  // Miniflare's local mirror of the KV REST API, behind a stand-in for api.cloudflare.com whose
  // first path segment says how it answers. The official client speaks
  // /client/v4/accounts/<id>/storage/kv/…; the mirror serves /cdn-cgi/explorer/api/storage/kv/….
  api = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response('') } }",
    kvNamespaces: { STAGING: "staging-ns" },
    compatibilityDate: "2026-04-01",
    unsafeLocalExplorer: true,
  } as ConstructorParameters<typeof Miniflare>[0]);
  apiUrl = await api.ready;
  cloudflare = await listen(async (req, body, res) => {
    const [, mode, ...rest] = req.url!.split("/");
    const path = `/${rest.join("/")}`;
    switch (mode) {
      case "mirror":
        return forwardToMirror(apiUrl, req, body, path, res);
      case "cdn": // the zone purge endpoint, answering as Cloudflare does
        return json(res, 200, { success: true, errors: [], messages: [], result: { id: "purge-1" } });
      case "e401": // an auth failure that echoes the request's headers
        return json(res, 401, {
          success: false,
          errors: [{ code: 10000, message: "Authentication error" }],
          messages: [],
          result: null,
          request: { method: req.method, headers: req.headers },
        });
      case "e403": // a permission error naming the bare token
        return json(res, 403, {
          success: false,
          errors: [{ code: 10000, message: `token ${bareToken(req)} lacks Workers KV Storage:Edit` }],
          messages: [],
          result: null,
        });
      case "e500": // a proxy's plain-text error page dumping the request (and asking not to be retried)
        return void res
          .writeHead(500, { "content-type": "text/plain", "x-should-retry": "false" })
          .end(`upstream failed for\n${rawRequest(req)}`);
      default:
        return json(res, 404, { success: false, errors: [{ code: 7003, message: "no route" }] });
    }
  });

  // The fixture app running with a prerender token, as vite dev / wrangler dev would serve it.
  const workerDir = join(dir, "dist", "fixture");
  worker = serveFixture(workerDir, undefined, { bindings: { PAGES: "3", EDGE_ISR_PRERENDER_TOKEN: PRERENDER_TOKEN }, listen: true });
  workerUrl = (await worker.ready).toString();

  // A server that speaks the prerender protocol but echoes the token in every error.
  echoWorker = await listen((req, _body, res) => {
    const token = req.headers[PRERENDER_HEADER];
    if (token !== PRERENDER_TOKEN)
      return void res.writeHead(403, { "content-type": "text/plain" }).end(`bad prerender token ${String(token)}\n${rawRequest(req)}`);
    if (req.url === PRERENDER_MANIFEST_PATH) return json(res, 200, { buildId: "echo-1", paths: ["/a", "/b"] });
    res.writeHead(500, { "content-type": "text/html" }).end(`<pre>render failed\n${rawRequest(req)}</pre>`);
  });

  // The deployed revalidation endpoint; the first path segment says how it answers.
  endpoint = await listen((req, _body, res) => {
    const mode = req.url!.split("/")[1];
    if (mode === "ok") return json(res, 200, { revalidated: { tags: 1, paths: 0 } });
    if (mode === "e401") return json(res, 401, { error: `missing or wrong bearer secret (got "${req.headers.authorization}")` });
    if (mode === "e403") return json(res, 403, { error: `secret ${bareToken(req)} may not purge these tags` });
    if (mode === "long")
      return void res.writeHead(500, { "content-type": "text/plain" }).end(`${".".repeat(180)} secret ${bareToken(req)} refused`);
    return void res.writeHead(500, { "content-type": "text/plain" }).end(rawRequest(req));
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.dispose(), worker?.dispose(), cloudflare?.close(), echoWorker?.close(), endpoint?.close()]);
});

/** The secrets plus the stand-in Cloudflare API answering in `mode`, for --remote. */
const remoteEnv = (mode: string, extra: Record<string, string | undefined> = {}) => ({
  ...ALL_SECRETS,
  CLOUDFLARE_API_BASE_URL: `${cloudflare.origin}/${mode}/client/v4`,
  ...extra,
});
const staging = ["--remote", "--env", "staging"];

// The scenarios run concurrently (each is mostly a child process starting up, or waiting), so
// on a busy machine one may take longer than the project's default timeout.
describe.concurrent("the edge-isr binary never prints a secret", { timeout: 120_000 }, () => {
  // ───────────────────────── CLOUDFLARE_API_TOKEN ─────────────────────────

  describe("CLOUDFLARE_API_TOKEN (--remote, through the official cloudflare client)", () => {
    it("successful commands print results, never the token — nor does the client's own debug log", async () => {
      await scenario(["prerender", ...staging, "--routes", "routes.txt"], remoteEnv("mirror"), dir, {
        status: 0,
        stdout: ["prerendered 3 pages of build fixture-1 into remote namespace staging-ns", "0 failed"],
      });
      await scenario(["promote", "fixture-1", ...staging], remoteEnv("mirror"), dir, { status: 0, stdout: ["promoted fixture-1"] });
      const backup = join(dir, "backup.jsonl");
      const [, , , debug] = await Promise.all([
        scenario(["inspect", "--route", "/products/1", ...staging], remoteEnv("mirror"), dir, {
          status: 0,
          stdout: [/^key\s+fixture-1:\/products\/1$/m, /^kind\s+APP_PAGE$/m],
        }),
        scenario(["purge", "--tag", "product:1", ...staging], remoteEnv("mirror"), dir, {
          status: 0,
          stdout: ["expired 1 tag(s) (product:1): 1 tag record(s) written", "remote namespace staging-ns"],
        }),
        // 4 keys, plus the tag record and the pending list the concurrent purge may have written by then.
        scenario(["export", backup, ...staging], remoteEnv("mirror"), dir, { status: 0, stdout: [/^exported [456] keys/m] }),
        // CLOUDFLARE_LOG=debug: the client logs every request and response, headers included.
        scenario(["builds", ...staging], remoteEnv("mirror", { CLOUDFLARE_LOG: "debug" }), dir, {
          status: 0,
          stdout: [/^fixture-1\s+3\s.*← served \(pointer\)$/m],
        }),
      ]);
      expect(readFileSync(backup, "utf8")).not.toContain(CF_TOKEN);
      expect(debug.stdout).toMatch(/sending request/);
      expect(debug.stdout).toMatch(/authorization: '\*\*\*'/);

      // Not vacuous: every one of those requests carried the token.
      const requests = under(cloudflare, "/mirror/");
      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((r) => r.authorization !== `Bearer ${CF_TOKEN}`)).toEqual([]);
    });

    it("a 401 whose body echoes the request's headers: ERR_KV_API with the status, the token redacted", async () => {
      await scenario(["builds", ...staging], remoteEnv("e401"), dir, {
        status: 1,
        stderr: ["✘ [ERR_KV_API]", "failed: 401", "Authentication error", '"authorization":"Bearer [redacted]"', "How to solve this error"],
      });
      const requests = under(cloudflare, "/e401/");
      expect(requests.length).toBeGreaterThan(0);
      expect(requests.filter((r) => r.authorization !== `Bearer ${CF_TOKEN}`)).toEqual([]);
    });

    it("a 403 that names the bare token: ERR_KV_API with the status, the token redacted", async () => {
      await scenario(["inspect", "--route", "/products/1", ...staging], remoteEnv("e403"), dir, {
        status: 1,
        stderr: ["✘ [ERR_KV_API]", "failed: 403", "token [redacted] lacks Workers KV Storage:Edit"],
      });
    });

    it("a 500 plain-text page dumping the raw request, during prerender --remote: ERR_KV_API, the token redacted", async () => {
      await scenario(["prerender", ...staging, "--routes", "routes.txt"], remoteEnv("e500"), dir, {
        status: 1,
        stderr: ["✘ [ERR_KV_API] listing keys", "failed: 500 upstream failed for"],
      });
    });

    it("with CLOUDFLARE_LOG=debug, the client's log of an error body that dumps the request is redacted too", async () => {
      const run = await scenario(["builds", ...staging], remoteEnv("e500", { CLOUDFLARE_LOG: "debug" }), dir, {
        status: 1,
        stderr: ["✘ [ERR_KV_API]", "failed: 500"],
      });
      expect(run.stdout).toMatch(/response error \(error; not retryable\)/);
      expect(run.stdout).toContain("authorization: Bearer [redacted]"); // the body, as the client logs it
    });

    it("an unreachable API: ERR_KV_API naming a connection error (after the client's retries)", async () => {
      await scenario(["builds", ...staging], { ...ALL_SECRETS, CLOUDFLARE_API_BASE_URL: `${unreachable}/client/v4` }, dir, {
        status: 1,
        stderr: ["✘ [ERR_KV_API]", "failed: Connection error"],
      });
    });

    it("a missing account, bad arguments: coded errors, never the token", async () => {
      await scenario(["builds", ...staging], remoteEnv("mirror", { CLOUDFLARE_ACCOUNT_ID: undefined }), dir, {
        status: 1,
        stderr: ["✘ [ERR_MISSING_ACCOUNT] CLOUDFLARE_ACCOUNT_ID is not set"],
      });
      await scenario(["prune", "--keep", "x", ...staging], remoteEnv("mirror"), dir, {
        status: 1,
        stderr: ['✘ [ERR_BAD_ARGUMENT] --keep "x" is not a whole number'],
      });
    });

    it("purge --cdn-zone: the purge succeeds, and a 403 naming the token is redacted", async () => {
      const persistTo = mkdtempSync(join(tmpdir(), "edge-isr-secrets-state-"));
      const args = ["purge", "--tag", "product:1", "--cdn-zone", "zone42", "--persist-to", persistTo];
      // CLOUDFLARE_API_BASE_URL points every Cloudflare client of the CLI at the test server.
      await scenario(args, { ...ALL_SECRETS, CLOUDFLARE_API_BASE_URL: `${cloudflare.origin}/cdn/client/v4` }, dir, {
        status: 0,
        stdout: ["purged 1 tag(s) from the CDN cache of zone zone42"],
      });
      await scenario(args, { ...ALL_SECRETS, CLOUDFLARE_API_BASE_URL: `${cloudflare.origin}/e403/client/v4` }, dir, {
        status: 1,
        stderr: ["✘ [ERR_PURGE_FAILED] purging the CDN cache of zone zone42 failed: 403", "token [redacted] lacks"],
      });
      const requests = [...under(cloudflare, "/cdn/"), ...under(cloudflare, "/e403/client/v4/zones/")];
      expect(requests.map((r) => [r.method, r.path, r.authorization])).toEqual([
        ["POST", "/cdn/client/v4/zones/zone42/purge_cache", `Bearer ${CF_TOKEN}`],
        ["POST", "/e403/client/v4/zones/zone42/purge_cache", `Bearer ${CF_TOKEN}`],
      ]);
    });
  });

  // ───────────────────────── EDGE_ISR_PRERENDER_TOKEN ─────────────────────────

  describe("EDGE_ISR_PRERENDER_TOKEN (prerender --url)", () => {
    it("a run through the running Worker prints its summary and the failing page, never the token", async () => {
      await scenario(["prerender", "--url", workerUrl], ALL_SECRETS, dir, {
        status: 1,
        stdout: ["prerendered 4 pages of build fixture-1 through", "each read back as a HIT", "1 failed"],
        stderr: ["✘ [ERR_PRERENDER_FAILED] 1 page(s) failed", "/broken: the Worker answered 500"],
      });
      const res = await fetch(new URL("/products/2", workerUrl));
      await res.arrayBuffer();
      expect(res.headers.get("x-edge-isr-cache")).toBe("HIT"); // the token really was accepted
    });

    it("a wrong token: ERR_NO_PRERENDER_SUPPORT, printing neither the wrong token nor the right one", async () => {
      await scenario(["prerender", "--url", workerUrl], { ...ALL_SECRETS, EDGE_ISR_PRERENDER_TOKEN: WRONG_PRERENDER_TOKEN }, dir, {
        status: 1,
        stderr: ["✘ [ERR_NO_PRERENDER_SUPPORT]", "did not answer /_isr/prerender-manifest"],
      });
    });

    it("a server that echoes the token in its error pages: the statuses, never the token", async () => {
      await scenario(["prerender", "--url", echoWorker.origin], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_PRERENDER_FAILED] 2 page(s) failed", "/a: the Worker answered 500"],
      });
      await scenario(["prerender", "--url", echoWorker.origin], { ...ALL_SECRETS, EDGE_ISR_PRERENDER_TOKEN: WRONG_PRERENDER_TOKEN }, dir, {
        status: 1,
        stderr: ["✘ [ERR_NO_PRERENDER_SUPPORT]", "(status 403)"],
      });
      expect(echoWorker.seen.map((r) => r.prerender)).toEqual([PRERENDER_TOKEN, PRERENDER_TOKEN, PRERENDER_TOKEN, WRONG_PRERENDER_TOKEN]);
    });

    it("an unreachable server, bad arguments, an unexpected error: coded errors, never the token", async () => {
      await scenario(["prerender", "--url", unreachable], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_SERVER_UNREACHABLE] could not reach", "start the server first"],
      });
      await scenario(["prerender", "--url", workerUrl, "--remote"], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_BAD_ARGUMENT] --url cannot be combined with --remote"],
      });
      // A traffic file that is not JSON: an unexpected error, printed with its stack.
      await scenario(["prerender", "--url", workerUrl, "--from-traffic", "traffic.json"], ALL_SECRETS, dir, {
        status: 2,
        stderr: ["✘ [ERR_UNEXPECTED] SyntaxError"],
      });
    });
  });

  // ───────────────────────── EDGE_ISR_SECRET ─────────────────────────

  describe("EDGE_ISR_SECRET (purge --endpoint)", () => {
    const url = (mode: string) => `${endpoint.origin}/${mode}/_isr/revalidate`;

    it("a successful purge prints what it did, never the secret", async () => {
      await scenario(["purge", "--tag", "product:1", "--endpoint", url("ok")], ALL_SECRETS, dir, {
        status: 0,
        stdout: [`expired 1 tag(s) (product:1) through ${endpoint.origin}`],
      });
      expect(under(endpoint, "/ok/").map((r) => r.authorization)).toEqual([`Bearer ${ADMIN_SECRET}`]);
    });

    it("answers that echo the secret (401 with the header, 403 bare, 500 with the raw request, cut mid-secret): the status, the secret redacted", async () => {
      await scenario(["purge", "--tag", "product:1", "--endpoint", url("e401")], ALL_SECRETS, dir, {
        status: 1,
        stderr: [
          "✘ [ERR_PURGE_FAILED]",
          'answered 401: missing or wrong bearer secret (got "Bearer [redacted]")',
          "EDGE_ISR_SECRET does not match",
        ],
      });
      await scenario(["purge", "--tag", "product:1", "--endpoint", url("e403")], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_PURGE_FAILED]", "answered 403: secret [redacted] may not purge these tags"],
      });
      await scenario(["purge", "--tag", "product:1", "--endpoint", url("e500")], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_PURGE_FAILED]", "answered 500: POST /e500/_isr/revalidate", "authorization: Bearer [redacted]"],
      });
      await scenario(["purge", "--tag", "product:1", "--endpoint", url("long")], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_PURGE_FAILED]", "answered 500: ....", "secret [redacted]"],
      });
      expect(under(endpoint, "/e").length + under(endpoint, "/long/").length).toBe(4);
    });

    it("an unreachable endpoint, a bad URL: coded errors, never the secret", async () => {
      await scenario(["purge", "--tag", "product:1", "--endpoint", `${unreachable}/_isr/revalidate`], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_PURGE_FAILED] could not reach"],
      });
      await scenario(["purge", "--tag", "product:1", "--endpoint", "not a url"], ALL_SECRETS, dir, {
        status: 1,
        stderr: ["✘ [ERR_BAD_ARGUMENT] --endpoint"],
      });
    });
  });
});
