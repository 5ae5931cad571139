/**
 * The admin actions: sign in, sign out, edit a product, purge a tag. They need
 * the admin secret: `EDGE_ISR_SECRET` when set, otherwise the documented local
 * default — honoured only when the demo is opened on localhost, so a deployed
 * copy without a secret has its admin actions switched off rather than open.
 * Every action passes `guard` (same origin, secret configured, session) before
 * its body is read, and reads at most a small, bounded form.
 */
import type { KVCacheHandler } from "@edge-isr/kv-cache-handler";
import { revalidateTag, secretsEqual } from "@edge-isr/runtime";
import { saveProduct, validateEdit } from "../db";
import type { Flash } from "../types";
import { readForm } from "./body";
import { guard } from "./guard";
import { demoTags, withNotice } from "./notices";
import { clearedCookie, sessionCookie } from "./session";

export const LOCAL_DEFAULT_SECRET = "edge-isr-demo";
/** Bounds of the admin forms, in bytes: the edit and purge forms, and the sign-in form (a secret and a page). */
export const FORM_LIMITS = { actionBytes: 16 * 1024, signInBytes: 1024 } as const;

export interface AdminEnv {
  DB: KVNamespace;
  EDGE_ISR_SECRET?: string;
}

const isLoopback = (url: URL) => ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);

/** The secret admin actions need here, and whether it is the local default. */
export function adminSecret(env: AdminEnv, url: URL): { secret: string | undefined; localDefault: boolean } {
  if (env.EDGE_ISR_SECRET) return { secret: env.EDGE_ISR_SECRET, localDefault: false };
  return isLoopback(url) ? { secret: LOCAL_DEFAULT_SECRET, localDefault: true } : { secret: undefined, localDefault: false };
}

/** The outcome of an action: a redirect to show the result (maybe setting a cookie), or an error to render with its status. */
export type ActionResult = { redirect: string; setCookie?: string } | { status: number; flash: Flash };

export const fail = (status: number, text: string): ActionResult => ({ status, flash: { kind: "error", text } });

/** Guards the request and reads its form (at most `limit` bytes); an ActionResult when it must stop here. */
async function guardedForm(
  request: Request,
  env: AdminEnv,
  now: number,
  limit: number,
  session: boolean,
): Promise<{ form: URLSearchParams; secret: string } | ActionResult> {
  const allowed = await guard(request, env, now, { session });
  if (!("secret" in allowed)) return allowed;
  const form = await readForm(request, limit);
  if (form === "too large") return fail(413, `the form is over the limit of ${limit} bytes`);
  if (form === "not a form") return fail(400, "the request body is not a form");
  return { form, secret: allowed.secret };
}

/** The admin pages a sign-in may return to. */
const RETURN_TO = ["/admin", "/admin/cache"];

/** POST /admin/sign-in — check the secret once, then keep a signed session cookie. */
export async function signIn(request: Request, env: AdminEnv, now: number): Promise<ActionResult> {
  const read = await guardedForm(request, env, now, FORM_LIMITS.signInBytes, false);
  if (!("form" in read)) return read;
  if (!(await secretsEqual(read.form.get("secret") ?? "", read.secret))) return fail(401, "wrong admin secret");
  const next = read.form.get("next") ?? "";
  return {
    redirect: withNotice(RETURN_TO.includes(next) ? next : "/admin", "signed-in"),
    setCookie: await sessionCookie(request, read.secret, now),
  };
}

/** POST /admin/sign-out — forget the session (a cross-site page cannot sign anyone out either). */
export async function signOut(request: Request, env: AdminEnv, now: number): Promise<ActionResult> {
  const allowed = await guard(request, env, now, { session: false });
  if (!("secret" in allowed)) return allowed;
  return { redirect: withNotice("/admin", "signed-out"), setCookie: clearedCookie(request) };
}

/** POST /admin/products/:id — store the edit, then revalidate the pages that show it. */
export async function editProduct(request: Request, env: AdminEnv, id: string, now: number): Promise<ActionResult> {
  const read = await guardedForm(request, env, now, FORM_LIMITS.actionBytes, true);
  if (!("form" in read)) return read;
  const checked = validateEdit(id, read.form.get("name") ?? "", read.form.get("price") ?? "");
  if ("error" in checked) return fail(400, checked.error);
  await saveProduct(env.DB, id, checked.product, now);
  const stale = read.form.get("mode") === "stale";
  // Expire (Next's updateTag): the next view renders with the new data.
  // Stale (revalidateTag's default profile): the old page is served once more while it regenerates.
  await revalidateTag([`product:${id}`, "catalogue"], stale ? "max" : undefined);
  return { redirect: withNotice("/admin", stale ? "saved-stale" : "saved", { id }) };
}

/** POST /admin/purge — expire every entry carrying one of the demo's tags. */
export async function purgeTag(request: Request, env: AdminEnv, cache: KVCacheHandler, now: number): Promise<ActionResult> {
  const read = await guardedForm(request, env, now, FORM_LIMITS.actionBytes, true);
  if (!("form" in read)) return read;
  const tag = read.form.get("tag") ?? "";
  if (!demoTags().includes(tag)) return fail(400, `tag must be one of the demo's tags: ${demoTags().join(", ")}`);
  const result = await cache.invalidate(tag);
  if (result.failed || result.degraded)
    return fail(
      503,
      `purging ${tag} did not reach every isolate (${result.failed ? `${result.failed} KV write(s) failed` : "the coordinator could not be reached"}); try again`,
    );
  return { redirect: withNotice("/admin/cache", "purged", { tag, via: result.via }) };
}
