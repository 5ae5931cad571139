/**
 * The admin actions: edit a product, purge a tag. Both need the admin secret:
 * `ADMIN_SECRET` when set, otherwise the documented local default — which is
 * honoured only when the demo is opened on localhost, so a deployed copy
 * without a secret has its admin actions switched off rather than open.
 */
import { HandlerLimits, type KVCacheHandler } from "@edge-isr/kv-cache-handler";
import { revalidateTag, secretsEqual } from "@edge-isr/runtime";
import { saveProduct, validateEdit } from "../db";
import type { Flash } from "../types";

export const LOCAL_DEFAULT_SECRET = "edge-isr-demo";
const MAX_FORM_BYTES = 16 * 1024;

export interface AdminEnv {
  DB: KVNamespace;
  ADMIN_SECRET?: string;
}

const isLoopback = (url: URL) => ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);

/** The secret admin actions need here, and whether it is the local default. */
export function adminSecret(env: AdminEnv, url: URL): { secret: string | undefined; localDefault: boolean } {
  if (env.ADMIN_SECRET) return { secret: env.ADMIN_SECRET, localDefault: false };
  return isLoopback(url) ? { secret: LOCAL_DEFAULT_SECRET, localDefault: true } : { secret: undefined, localDefault: false };
}

/** The outcome of an action: a redirect to show the result, or an error to render with its status. */
export type ActionResult = { redirect: string } | { status: number; flash: Flash };

const fail = (status: number, text: string): ActionResult => ({ status, flash: { kind: "error", text } });
const done = (page: string, text: string): ActionResult => ({ redirect: `${page}?ok=${encodeURIComponent(text)}` });

/** Reads the form and checks the secret; an ActionResult when the request must stop here. */
async function authorizedForm(request: Request, env: AdminEnv): Promise<FormData | ActionResult> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_FORM_BYTES) return fail(413, `the form is ${length} bytes, over the limit of ${MAX_FORM_BYTES}`);
  const { secret } = adminSecret(env, new URL(request.url));
  if (!secret) return fail(403, "admin actions are off: set the ADMIN_SECRET variable (wrangler secret put ADMIN_SECRET) to use them outside localhost");
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return fail(400, "the request body is not a form");
  }
  if (!(await secretsEqual(String(form.get("secret") ?? ""), secret))) return fail(401, "wrong admin secret");
  return form;
}

/** POST /admin/products/:id — store the edit, then revalidate the pages that show it. */
export async function editProduct(request: Request, env: AdminEnv, id: string, now: number): Promise<ActionResult> {
  const form = await authorizedForm(request, env);
  if (!(form instanceof FormData)) return form;
  const checked = validateEdit(id, String(form.get("name") ?? ""), String(form.get("price") ?? ""));
  if ("error" in checked) return fail(400, checked.error);
  await saveProduct(env.DB, id, checked.product, now);
  const stale = form.get("mode") === "stale";
  // Expire (Next's updateTag): the next view renders with the new data.
  // Stale (revalidateTag's default profile): the old page is served once more while it regenerates.
  await revalidateTag([`product:${id}`, "catalogue"], stale ? "max" : undefined);
  return done("/admin", `saved product ${id}; its pages are ${stale ? "stale (served once more, then regenerated)" : "expired (the next view renders)"}`);
}

/** POST /admin/purge — expire every entry carrying a tag. */
export async function purgeTag(request: Request, env: AdminEnv, cache: KVCacheHandler): Promise<ActionResult> {
  const form = await authorizedForm(request, env);
  if (!(form instanceof FormData)) return form;
  const tag = String(form.get("tag") ?? "");
  if (!tag || tag.length > HandlerLimits.maxTagLength) return fail(400, `tag must be 1–${HandlerLimits.maxTagLength} characters, got ${tag.length}`);
  const result = await cache.invalidate(tag);
  if (result.failed || result.degraded) return fail(503, `purging ${tag} did not reach every isolate (${result.failed ? `${result.failed} KV write(s) failed` : "the coordinator could not be reached"}); try again`);
  return done("/admin/cache", `purged ${tag}: every entry carrying it expired (through the ${result.via === "coordinator" ? "coordinator" : "KV tag records"})`);
}
