/**
 * The demo's admin under hostile requests, on its real routes in workerd:
 * bodies are bounded while they stream and refused before a byte is read
 * when the session or the origin is wrong; a form from another origin is
 * refused; the inspector needs a session and reads KV metadata only; notices
 * come from a fixed set.
 */
import { describe, expect, it } from "vitest";
import { FORM_LIMITS } from "../../apps/demo/src/server/admin.js";
import { PAGE_SIZE } from "../../apps/demo/src/server/inspector.js";
import { SESSION_SECONDS } from "../../apps/demo/src/server/session.js";
import { ADMIN_SECRET, PAGES, openShop, visible } from "./shop.js";

const CHUNK = 64 * 1024;

/** A body of up to `total` bytes that counts what was pulled from it (as a 400 MB chunked upload would stream). */
function endless(total: number) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled.bytes >= total) return controller.close();
        pulled.bytes += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x61));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields);
const EDIT = { name: "Hacked", price: "0.01", mode: "expire" };

describe("the demo's admin", () => {
  it("reads no byte of a 400 MB chunked POST without a session, and at most the form limit with one", async () => {
    const shop = openShop();
    const anonymous = endless(400 * 1024 * 1024);
    const refused = await shop.post("/admin/products/1", anonymous.stream, { "content-type": "application/x-www-form-urlencoded" });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("sign in first");
    expect(anonymous.pulled.bytes).toBeLessThanOrEqual(CHUNK); // at most what the runtime buffered ahead, never the body

    const cookie = await shop.signIn();
    const signed = endless(400 * 1024 * 1024);
    const tooLarge = await shop.post("/admin/products/1", signed.stream, { "content-type": "application/x-www-form-urlencoded", cookie });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain(`over the limit of ${FORM_LIMITS.actionBytes} bytes`);
    expect(signed.pulled.bytes).toBeLessThanOrEqual(FORM_LIMITS.actionBytes + 2 * CHUNK);

    const signIn = endless(400 * 1024 * 1024);
    expect((await shop.post("/admin/sign-in", signIn.stream, { "content-type": "application/x-www-form-urlencoded" })).status).toBe(413);
    expect(signIn.pulled.bytes).toBeLessThanOrEqual(FORM_LIMITS.signInBytes + 2 * CHUNK);
  });

  it("refuses a declared Content-Length over the limit before reading the body", async () => {
    const shop = openShop();
    const body = endless(1024 * 1024);
    const res = await shop.post("/admin/sign-in", body.stream, {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(body.pulled.bytes).toBeLessThanOrEqual(CHUNK);
  });

  it("refuses a form posted from another origin, even with a valid session and the right secret (CSRF)", async () => {
    const shop = openShop();
    const cookie = await shop.signIn();
    const before = await visible(await shop.get("/products/1"));
    const hostile: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "http://localhost" },
      { origin: "null" },
    ];
    for (const headers of hostile) {
      const edit = await shop.post("/admin/products/1", form(EDIT), { ...headers, cookie });
      expect(edit.status, JSON.stringify(headers)).toBe(403);
      expect(await edit.text()).toContain("not sent from this site");
      const signIn = await shop.post("/admin/sign-in", form({ secret: ADMIN_SECRET }), headers);
      expect(signIn.status).toBe(403);
      expect(signIn.headers.get("set-cookie")).toBeNull();
      expect((await shop.post("/admin/purge", form({ tag: "products" }), { ...headers, cookie })).status).toBe(403);
    }
    expect(await visible(await shop.get("/products/1"))).toBe(before);
    // The same form from the admin page itself goes through.
    const own = await shop.post("/admin/products/1", form(EDIT), { origin: "http://localhost", "sec-fetch-site": "same-origin", cookie });
    expect(own.status).toBe(303);
  });

  it("signs in with the secret only: a wrong secret, a forged, foreign or expired session are refused", async () => {
    const shop = openShop();
    const wrong = await shop.post("/admin/sign-in", form({ secret: "guess" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const good = await shop.post("/admin/sign-in", form({ secret: ADMIN_SECRET, next: "/admin/cache" }));
    expect(good.status).toBe(303);
    expect(good.headers.get("location")).toBe("http://localhost/admin/cache?notice=signed-in");
    expect(good.headers.get("set-cookie")).toMatch(
      new RegExp(`^edge_isr_admin=\\d+\\.[\\w-]{43}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}$`),
    );
    const cookie = good.headers.get("set-cookie")!.split(";")[0]!;
    const [name, value] = cookie.split("=") as [string, string];
    const [expires, signature] = value.split(".") as [string, string];
    const edit = (c: string) => shop.post("/admin/products/2", form(EDIT), { cookie: c });
    expect((await edit(`${name}=${Number(expires) + 3600}.${signature}`)).status).toBe(401); // a later expiry, same signature
    // One character changed. The last one of 43 only carries four bits, so 'A' or 'E' keeps it a canonical
    // signature; it must differ from the real one, which itself ends in 'A' one time in sixteen.
    const forged = `${signature.slice(0, -1)}${signature.endsWith("A") ? "E" : "A"}`;
    expect(forged).not.toBe(signature);
    expect((await edit(`${name}=${expires}.${forged}`)).status).toBe(401);
    expect((await edit(`${name}=${expires}.${"A".repeat(43)}`)).status).toBe(401);
    shop.clock.advance((SESSION_SECONDS + 1) * 1000);
    expect((await edit(cookie)).status).toBe(401);
  });

  it("lists the inspector only after sign-in, one list() per page and no read of any entry (tag records only)", async () => {
    const shop = openShop();
    for (const path of PAGES) await shop.get(path);
    await shop.drain();
    shop.counting.reset();
    const anonymous = await shop.get("/admin/cache");
    expect(await anonymous.text()).toContain('data-testid="sign-in"');
    expect(shop.counting.counts).toEqual({ reads: 0, writes: 0, deletes: 0, lists: 0 });

    const cookie = await shop.signIn();
    const first = await shop.get("/admin/cache", { cookie });
    const html = await first.text();
    expect(first.status).toBe(200);
    expect({ ...shop.counting.counts, reads: 0 }).toEqual({ reads: 0, writes: 0, deletes: 0, lists: 1 });
    // The only reads are of tag records, for the states (one bulk read per 100 tags, memoized): never an entry.
    const reads = shop.counting.log.filter((line) => line.startsWith("reads "));
    expect(reads.filter((line) => !/^reads (\S+\/t:[A-Za-z0-9_-]{6},?)+$/.test(line))).toEqual([]);
    expect(reads.length).toBeLessThanOrEqual(1);
    const routes = [...html.matchAll(/data-route="([^"]+)"/g)].map((m) => m[1]);
    expect(routes).toEqual(expect.arrayContaining(["/", "/products/1", "/products/6", "/products/2/reviews"]));
    expect(routes.length).toBeLessThanOrEqual(PAGE_SIZE);
  });

  it("pages through more entries than fit one page, and refuses a cursor KV never gave", async () => {
    const shop = openShop();
    // 70 stored pages: the reviews of unknown products are stored 404s (within the fault suite's roomy budget).
    for (let i = 0; i < 70; i++) await shop.get(`/products/x${i}/reviews`);
    await shop.drain();
    const cookie = await shop.signIn();
    const seen = new Set<string>();
    let url: string | undefined = "/admin/cache";
    let pages = 0;
    while (url) {
      const html: string = await (await shop.get(url, { cookie })).text();
      for (const m of html.matchAll(/data-route="([^"]+)"/g)) seen.add(m[1]!);
      url = /href="(\/admin\/cache\?cursor=[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, "&");
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.size).toBe(70);
    const bad = await shop.get("/admin/cache?cursor=%3Cscript%3E", { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("not valid any more");
  });

  it("shows notices only from its fixed set, whatever the query says", async () => {
    const shop = openShop();
    const flash = async (query: string) => /data-testid="flash">([^<]*)</.exec(await (await shop.get(`/admin${query}`)).text())?.[1];
    expect(await flash("?notice=saved&id=2")).toBe("saved product 2; its pages are expired (the next view renders)");
    expect(await flash("?notice=signed-in")).toBe("Signed in for an hour.");
    for (const query of [
      "?ok=Your%20account%20is%20locked",
      "?notice=Call%20us",
      "?notice=saved&id=%3Cb%3E",
      "?notice=purged&tag=evil&count=1",
      "?notice=purged&tag=products&count=1e9",
      "?notice=__proto__",
    ]) {
      expect(await flash(query), query).toBeUndefined();
    }
  });
});
