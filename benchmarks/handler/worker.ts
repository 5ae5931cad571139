/**
 * Runs inside workerd (Miniflare) for the "CPU per get inside workerd" figure:
 * GET /cpu?handler=edge-isr|vinext&gets=N&key=… makes N gets on one busy
 * handler instance whose KV answers from bytes captured once from the real
 * binding, so the workerd process's CPU time (read from outside) is the
 * handler's own work. GET /record?handler=…&prefix=… first makes one get
 * against the real KV and records what it answered. `edge-isr:decodeEntry`
 * times decoding the recorded edge-isr value alone.
 */
import { KVCacheHandler as EdgeIsrHandler, decodeEntry } from "@edge-isr/kv-cache-handler";
import { KVCacheHandler as VinextHandler } from "@vinext/cloudflare/cache/kv-data-adapter.runtime";

interface Env {
  CACHE: KVNamespace;
}
type Getter = { get(key: string, ctx?: Record<string, unknown>): Promise<{ value: unknown; cacheState?: string } | null> };

const recorded = new Map<string, unknown>();
const recordKey = (op: string, key: string, options: unknown) =>
  `${op} ${key} ${(options as { type?: string } | undefined)?.type ?? "text"}`;
function recordingKV(kv: KVNamespace, replay: () => boolean) {
  const answer = async (op: "get" | "getWithMetadata", key: string, options: unknown) => {
    const k = recordKey(op, key, options);
    if (replay()) {
      if (!recorded.has(k)) throw new Error(`replay: ${k} was not recorded`);
      return recorded.get(k);
    }
    const v = op === "get" ? await kv.get(key, options as "text") : await kv.getWithMetadata(key, options as "text");
    recorded.set(k, v);
    return v;
  };
  const refuse = () => Promise.reject(new Error("benchmark worker: unexpected KV write or list"));
  return {
    get: (key: string, options?: unknown) => answer("get", key, options),
    getWithMetadata: (key: string, options?: unknown) => answer("getWithMetadata", key, options),
    put: refuse,
    delete: refuse,
    list: refuse,
  };
}

const sha256 = async (bytes: Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource))].map((b) => b.toString(16).padStart(2, "0")).join("");

const handlers = new Map<string, Getter>();
let replaying = false;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("handler") ?? "";
    const key = url.searchParams.get("key") ?? "/products";
    const gets = Number(url.searchParams.get("gets") ?? "0");
    const ctx = { waitUntil() {} };
    if (url.pathname === "/record") {
      replaying = false;
      const kv = recordingKV(env.CACHE, () => replaying);
      const h =
        name === "edge-isr" || name === "edge-isr:cold"
          ? new EdgeIsrHandler(kv as never, {
              prefix: url.searchParams.get("prefix") ?? "",
              ctx,
              ...(name === "edge-isr:cold" ? { memoBytes: 0 } : {}),
            })
          : new VinextHandler(kv as never, { appPrefix: url.searchParams.get("prefix") ?? "", ctx });
      const first = await (h as unknown as Getter).get(key, { kind: "APP_PAGE" });
      if (!first || first.cacheState) return new Response("recording get was not a fresh hit", { status: 500 });
      handlers.set(name, h as unknown as Getter);
      return new Response("ok");
    }
    if (url.pathname === "/cpu") {
      replaying = true;
      let last: Awaited<ReturnType<Getter["get"]>> = null;
      if (name === "edge-isr:getEncoded") {
        // The runtime's HIT path: the parts as stored, nothing inflated.
        const h = handlers.get("edge-isr") as unknown as EdgeIsrHandler | undefined;
        if (!h) return new Response("no edge-isr handler recorded", { status: 400 });
        let html: { bytes: Uint8Array; gzip: boolean } | undefined;
        for (let i = 0; i < gets; i++) html = (await h.getEncoded(key, { kind: "APP_PAGE" }))?.part("html");
        if (!html?.gzip) return new Response("getEncoded gave no gzip html part", { status: 500 });
        const full = await (await h.getEncoded(key, { kind: "APP_PAGE" }))!.decode();
        last = { value: full } as Awaited<ReturnType<Getter["get"]>>;
      } else if (name === "edge-isr:decodeEntry") {
        const read = [...recorded].find(([k]) => k.startsWith("getWithMetadata "))?.[1] as { value: ArrayBuffer } | undefined;
        if (!read) return new Response("no edge-isr value recorded", { status: 400 });
        for (let i = 0; i < gets; i++) last = await decodeEntry(new Uint8Array(read.value));
      } else {
        const h = handlers.get(name);
        if (!h) return new Response(`no handler ${name} recorded`, { status: 400 });
        for (let i = 0; i < gets; i++) last = await h.get(key, { kind: "APP_PAGE" });
      }
      const value = last?.value as { html?: string; rscData?: ArrayBuffer } | undefined;
      if (typeof value?.html !== "string" || !(value.rscData instanceof ArrayBuffer) || last?.cacheState) {
        return new Response("replayed get was not a fresh hit", { status: 500 });
      }
      return Response.json({ html: await sha256(new TextEncoder().encode(value.html)), rsc: await sha256(new Uint8Array(value.rscData)) });
    }
    return new Response("");
  },
};
