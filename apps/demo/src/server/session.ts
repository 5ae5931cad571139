/**
 * The admin session: signing in with the secret once sets a cookie holding an
 * expiry and its HMAC-SHA-256 under the secret. Every admin request is checked
 * against it from its headers alone — before any body is read — and the
 * cookie is `HttpOnly`, `SameSite=Strict`, limited to `/admin` and to an hour.
 * Changing the secret signs everybody out.
 */
import { secretsEqual } from "@edge-isr/runtime";

const COOKIE = "edge_isr_admin";
/** Seconds a sign-in lasts. */
export const SESSION_SECONDS = 3600;

const encoder = new TextEncoder();
const base64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

async function signature(secret: string, expires: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64url(await crypto.subtle.sign("HMAC", key, encoder.encode(`edge-isr-demo-admin:${expires}`)));
}

const attributes = (request: Request, maxAge: number) =>
  `Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${new URL(request.url).protocol === "https:" ? "; Secure" : ""}`;

/** The Set-Cookie value that signs this browser in for {@link SESSION_SECONDS}. */
export async function sessionCookie(request: Request, secret: string, now: number): Promise<string> {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `${COOKIE}=${expires}.${await signature(secret, expires)}; ${attributes(request, SESSION_SECONDS)}`;
}

/** The Set-Cookie value that signs this browser out. */
export const clearedCookie = (request: Request) => `${COOKIE}=; ${attributes(request, 0)}`;

/** Whether the request carries an unexpired session signed with `secret` (compared in constant time). */
export async function hasSession(request: Request, secret: string, now: number): Promise<boolean> {
  const value = request.headers
    .get("cookie")
    ?.split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`))
    ?.slice(COOKIE.length + 1);
  const match = value ? /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
  if (!match) return false;
  const expires = Number(match[1]);
  if (expires * 1000 <= now) return false;
  return secretsEqual(match[2]!, await signature(secret, expires));
}
