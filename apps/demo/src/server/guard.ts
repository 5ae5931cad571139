/**
 * What an admin POST must pass before anything else happens — in this order,
 * from its headers alone, so a refused request costs no body read:
 * 1. it comes from a page of this origin (CSRF): `Sec-Fetch-Site` is
 *    `same-origin` and `Origin` is this origin, when the browser sends them
 *    (all current ones do on a POST; a client with neither is no browser, and
 *    cannot carry a victim's session cookie);
 * 2. admin actions are on: a secret is configured (or the local default applies);
 * 3. for every action but signing in, the request carries a valid session.
 */
import { adminSecret, type ActionResult, type AdminEnv, fail } from "./admin";
import { hasSession } from "./session";

/** Whether a POST was sent by a page of this origin, or by no browser at all. */
export function sameOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const origin = request.headers.get("origin");
  return origin === null || origin === new URL(request.url).origin;
}

/** The secret when the request may go on (`session: false` for signing in); else the refusal. */
export async function guard(
  request: Request,
  env: AdminEnv,
  now: number,
  needs: { session: boolean },
): Promise<{ secret: string } | ActionResult> {
  if (!sameOrigin(request)) return fail(403, "refused: this form was not sent from this site's own admin pages");
  const { secret } = adminSecret(env, new URL(request.url));
  if (!secret)
    return fail(
      403,
      "admin actions are off: set the EDGE_ISR_SECRET variable (wrangler secret put EDGE_ISR_SECRET) to use them outside localhost",
    );
  if (needs.session && !(await hasSession(request, secret, now)))
    return fail(401, "sign in first: your admin session is missing or has expired");
  return { secret };
}
