/** Generators for hostile input: unicode, traversal, NUL, bad escapes, long strings. */
import fc from "fast-check";

const nasty = fc.constantFrom(
  "..",
  "../",
  "%00",
  "\u0000",
  "%zz",
  "%2e%2e",
  "//",
  "\\",
  "?",
  "#",
  "é",
  "💥",
  "\u202e",
  "<script>",
  " ",
  "%",
  ";",
  ",",
  '"',
);

/** Strings made of ordinary text and hostile pieces. */
export const hostileString = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength, unit: "grapheme" }),
    fc.array(fc.oneof(nasty, fc.string({ maxLength: 8 })), { maxLength: 24 }).map((parts) => parts.join("").slice(0, maxLength)),
  );

/** Paths as a client could send them, up to `/` followed by 10 KB. */
export const hostilePath = fc.oneof(
  fc.webPath(),
  hostileString(200).map((s) => `/${s}`),
  fc.constantFrom(
    "/products/..%2f..%2fadmin",
    "/products/%00",
    "/products/%zz",
    "/./products//1/",
    `/products/${"a".repeat(10 * 1024)}`,
    "/products/1%2F2",
  ),
);

/** Tags: up to 129 of them, up to 257 characters each. */
export const hostileTags = fc.array(fc.oneof(hostileString(40), fc.string({ minLength: 256, maxLength: 257 })), { maxLength: 129 });

/** Cookie names a browser on a real zone carries (Cloudflare's, analytics), ones nobody declared, and the test routes' personal ones. */
const cookieName = fc.oneof(
  fc.constantFrom(
    "__cf_bm",
    "cf_clearance",
    "__cflb",
    "_cfuvid",
    "_ga",
    "_ga_K3Y9",
    "_gid",
    "_gat_UA-1",
    "_fbp",
    "_hjSessionUser_7",
    "ajs_anonymous_id",
    "_clck",
  ),
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/),
  fc.constantFrom("session", "sb-project-auth-token"),
);

/** A Cookie header: 0–8 cookies, each with a value that may be a secret the shared page must never show. */
export const cookieJar = fc
  .tuple(fc.array(fc.tuple(cookieName, fc.stringMatching(/^[A-Za-z0-9%._-]{0,40}$/)), { maxLength: 8 }), fc.constantFrom("; ", ";", ", "))
  .map(([pairs, separator]) => pairs.map(([name, value]) => `${name}=${value}`).join(separator));

/** Ids a crawler or an attacker sends for `/:id`: unknown, unicode, encoded, long. */
export const unknownId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  hostileString(60).filter((s) => s.length > 0),
  fc.string({ minLength: 300, maxLength: 1500 }),
);
