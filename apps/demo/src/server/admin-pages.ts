/**
 * The admin pages, never cached: `/admin` (edit products), `/admin/cache` (the
 * inspector, one page of KV at a time) and their POST actions. Both pages ask
 * for the secret (a sign-in form) until the browser holds a session; their
 * notices come only from the fixed set in notices.ts.
 */
import type { KVCacheHandler } from "@edge-isr/kv-cache-handler";
import { listProducts } from "../db";
import type { PageData } from "../types";
import { type ActionResult, type AdminEnv, adminSecret, editProduct, purgeTag, signIn, signOut } from "./admin";
import { listEntries } from "./inspector";
import { demoTags, noticeFrom } from "./notices";
import { hasSession } from "./session";

export interface AdminDeps {
  /** Renders a never-cached page. */
  page(data: PageData, status?: number): Promise<Response>;
  cache: KVCacheHandler;
  cacheKV: KVNamespace;
  buildId: string;
  now: number;
}

const EDIT = /^\/admin\/products\/([^/]{1,40})$/;

export async function adminPages(request: Request, env: AdminEnv, deps: AdminDeps): Promise<Response> {
  const url = new URL(request.url);
  const { secret, localDefault } = adminSecret(env, url);
  const signedIn = secret !== undefined && (await hasSession(request, secret, deps.now));
  const flash = noticeFrom(url.searchParams);

  const adminView = async (): Promise<PageData> => ({
    page: "admin",
    products: await listProducts(env.DB),
    signedIn,
    localDefaultSecret: localDefault,
  });
  /** The inspector: nothing listed before sign-in; then one page of KV (or why there is none, with its status). */
  const inspector = async (): Promise<{ data: PageData; status: number }> => {
    const base = {
      page: "inspector",
      signedIn,
      currentBuild: deps.buildId,
      now: deps.now,
      tags: demoTags(),
      localDefaultSecret: localDefault,
    } as const;
    if (!signedIn) return { data: { ...base, entries: [] }, status: 200 };
    const listed = await listEntries(deps.cacheKV, deps.cache, url.searchParams.get("cursor") ?? undefined);
    if ("error" in listed) return { data: { ...base, entries: [], flash: { kind: "error", text: listed.error } }, status: listed.status };
    return { data: { ...base, ...listed }, status: 200 };
  };
  const inspectorView = async () => (await inspector()).data;
  const answer = async (result: ActionResult, view: () => Promise<PageData>) => {
    if ("redirect" in result) {
      const headers = new Headers({ location: new URL(result.redirect, url).toString() });
      if (result.setCookie) headers.set("set-cookie", result.setCookie);
      return new Response(null, { status: 303, headers });
    }
    return deps.page({ ...(await view()), flash: result.flash } as PageData, result.status);
  };

  const edit = EDIT.exec(url.pathname);
  if (request.method === "POST") {
    if (edit) return answer(await editProduct(request, env, edit[1]!, deps.now), adminView);
    if (url.pathname === "/admin/purge") return answer(await purgeTag(request, env, deps.cache, deps.now), inspectorView);
    if (url.pathname === "/admin/sign-in") return answer(await signIn(request, env, deps.now), adminView);
    if (url.pathname === "/admin/sign-out") return answer(await signOut(request, env, deps.now), adminView);
  }
  if (request.method === "GET" && url.pathname === "/admin") return deps.page({ ...(await adminView()), flash } as PageData);
  if (request.method === "GET" && url.pathname === "/admin/cache") {
    const { data, status } = await inspector();
    return deps.page({ flash, ...data } as PageData, status);
  }
  return deps.page({ page: "not-found", path: url.pathname }, 404);
}
