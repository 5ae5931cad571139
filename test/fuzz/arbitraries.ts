/** Generators for hostile input: unicode, traversal, NUL, bad escapes, long strings. */
import fc from "fast-check";

const nasty = fc.constantFrom("..", "../", "%00", "\u0000", "%zz", "%2e%2e", "//", "\\", "?", "#", "é", "💥", "\u202e", "<script>", " ", "%", ";", ",", '"');

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
  fc.constantFrom("/products/..%2f..%2fadmin", "/products/%00", "/products/%zz", "/./products//1/", `/products/${"a".repeat(10 * 1024)}`, "/products/1%2F2"),
);

/** Tags: up to 129 of them, up to 257 characters each. */
export const hostileTags = fc.array(fc.oneof(hostileString(40), fc.string({ minLength: 256, maxLength: 257 })), { maxLength: 129 });
