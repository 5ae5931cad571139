/**
 * The demo in real Chromium, against the built Worker (`vite preview`, as
 * `npm run demo` serves it) and against `vite dev` (`npm run dev`): what a
 * newcomer is told to try must be what happens. States are waited for, never
 * timed: the only clock is the freshness window the demo is started with.
 */
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, openBrowser } from "./browser";
import { type DemoServer, startDemo } from "./demo-server";

const WINDOW_SECONDS = 12;
const SECRET = "edge-isr-demo"; // the documented local default
const SHOTS = new URL("../../test-results/e2e/", import.meta.url).pathname;

interface Visit {
  status: number;
  /** x-edge-isr-cache of the response. */
  header: string | undefined;
  /** What the badge shows once hydrated. */
  badge: string | null;
  /** When the HTML was rendered, from the page itself. */
  generatedAt: number;
}

/** Navigates (by `goto`, or by `navigate`, e.g. a click) and reads the cache state the way a visitor sees it. */
async function visit(page: Page, url: string, navigate?: () => Promise<unknown>): Promise<Visit> {
  const response = navigate
    ? (await Promise.all([page.waitForResponse((r) => r.url() === url && r.request().isNavigationRequest()), navigate()]))[0]
    : await page.goto(url, { waitUntil: "load" });
  if (!response) throw new Error(`no response for ${url}`);
  await page.waitForLoadState("load");
  // The badge's state is filled in by hydration: waiting for it waits for React.
  await page.waitForSelector('[data-testid="cache-badge"]:not([data-state=""])');
  return {
    status: response.status(),
    header: response.headers()["x-edge-isr-cache"],
    badge: await page.getAttribute('[data-testid="cache-badge"]', "data-state"),
    generatedAt: Date.parse((await page.getAttribute('[data-testid="generated-at"]', "datetime")) ?? ""),
  };
}

/** Signs in on the admin page open in `page` if it asks for the secret, as a person would. */
async function signInIfAsked(page: Page) {
  const form = page.locator('[data-testid="sign-in"]');
  if (!(await form.count())) return;
  await form.locator('input[name="secret"]').fill(SECRET);
  await Promise.all([page.waitForURL(/\?notice=signed-in$/), form.locator('button[type="submit"]').click()]);
}

/** Submits product `id`'s form in /admin, as a person would, and waits for the confirmation. */
async function editProduct(page: Page, url: string, id: string, edit: { name?: string; price?: string; mode?: "expire" | "stale" }) {
  await page.goto(`${url}/admin`);
  await signInIfAsked(page);
  const form = page.locator(`[data-testid="edit-${id}"]`);
  if (edit.name !== undefined) await form.locator('input[name="name"]').fill(edit.name);
  if (edit.price !== undefined) await form.locator('input[name="price"]').fill(edit.price);
  if (edit.mode) await form.locator("select").selectOption(edit.mode);
  await Promise.all([page.waitForURL(/\/admin\?notice=saved/), form.locator('button[type="submit"]').click()]);
  await expect(page.textContent('[data-testid="flash"]')).resolves.toContain(`saved product ${id}`);
}

/** A page on another origin (another port of localhost: same site, so SameSite cookies go along) that posts a form to the demo. */
async function attackerSite(target: string, fields: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
    .join("");
  const server: Server = createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><form method="post" action="${target}">${inputs}</form><script>document.forms[0].submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const url = `http://${new URL(target).hostname}:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    close: () => {
      server.closeAllConnections(); // the browser keeps its connection alive
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

for (const mode of ["preview", "dev"] as const) {
  describe(`the demo under vite ${mode} in Chromium`, () => {
    let demo: DemoServer;
    let browser: Browser;
    let page: Page;
    const firstVisit = new Map<string, Visit>();

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      [demo, browser] = await Promise.all([startDemo(mode, WINDOW_SECONDS), openBrowser()]);
      page = browser.page;
      // What a browser on a Cloudflare zone with Google Analytics carries: every visit below sends them.
      await page.context().addCookies([
        { name: "__cf_bm", value: "aZ9.bY8-1700000000-1.0.1.1-cXyZ", url: demo.url },
        { name: "_ga", value: "GA1.1.123456789.1700000000", url: demo.url },
      ]);
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it("serves a prerendered product page as a HIT on the first visit, generated before the server was up — with __cf_bm and _ga cookies", async () => {
      const cookies = page.waitForRequest((r) => r.url() === `${demo.url}/products/1`).then((r) => r.allHeaders());
      const v = await visit(page, `${demo.url}/products/1`);
      expect((await cookies).cookie).toMatch(/^(?=.*__cf_bm=)(?=.*_ga=)/);
      firstVisit.set("/products/1", v);
      expect(v).toMatchObject({ status: 200, header: "HIT", badge: "HIT" });
      expect(v.generatedAt).toBeLessThan(demo.readyAt);
      await expect(page.textContent('[data-testid="generated-at"]')).resolves.toMatch(/^\d\d:\d\d:\d\d UTC$/);
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Edge Espresso");
    });

    it("hydrates: the basket control responds to clicks", async () => {
      await page.click('[data-testid="add"]');
      await page.click('[data-testid="add"]');
      await expect(page.textContent('[data-testid="quantity"]')).resolves.toBe("2");
      await expect(page.textContent('[data-testid="basket-total"]')).resolves.toBe("€25.80 in your basket");
    });

    it("renders a page that was not prerendered on its first request (MISS), then serves it (HIT)", async () => {
      const first = await visit(page, `${demo.url}/products/1/reviews`, () => page.click('[data-testid="reviews-link"]'));
      expect(first).toMatchObject({ status: 200, header: "MISS", badge: "MISS" });
      const second = await visit(page, `${demo.url}/products/1/reviews`);
      expect(second).toMatchObject({ status: 200, header: "HIT", badge: "HIT", generatedAt: first.generatedAt });
    });

    it("shows an admin edit on the next view when its pages are expired", async () => {
      await editProduct(page, demo.url, "2", { name: "Sourdough, now with seeds", price: "7.25" });

      const product = await visit(page, `${demo.url}/products/2`);
      expect(product).toMatchObject({ header: "MISS", badge: "MISS" });
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Sourdough, now with seeds");
      await expect(page.textContent('[data-testid="product-price"]')).resolves.toBe("€7.25");
      const catalogue = await visit(page, `${demo.url}/`);
      expect(catalogue.header).toBe("MISS");
      await expect(page.textContent('[data-testid="product-link-2"]')).resolves.toContain("Sourdough, now with seeds");
    });

    it("serves the old page once more after a 'stale' edit, then the new one", async () => {
      await editProduct(page, demo.url, "4", { name: "Isolate Iced Tea, large", mode: "stale" });

      const stale = await visit(page, `${demo.url}/products/4`);
      expect(stale).toMatchObject({ header: "STALE", badge: "STALE" });
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Isolate Iced Tea");
      await expect
        .poll(
          async () => {
            const v = await visit(page, `${demo.url}/products/4`);
            return `${v.header} ${await page.textContent('[data-testid="product-name"]')}`;
          },
          { timeout: 30_000, interval: 300 },
        )
        .toBe("HIT Isolate Iced Tea, large");
    });

    it("refuses an admin edit without a session, and a sign-in with a wrong secret, and changes nothing", async () => {
      const edit = await fetch(`${demo.url}/admin/products/5`, {
        method: "POST",
        body: new URLSearchParams({ name: "hacked", price: "0.01" }),
        redirect: "manual",
      });
      expect(edit.status).toBe(401);
      expect(await edit.text()).toContain("sign in first");
      const signIn = await fetch(`${demo.url}/admin/sign-in`, {
        method: "POST",
        body: new URLSearchParams({ secret: "not-the-secret" }),
        redirect: "manual",
      });
      expect(signIn.status).toBe(401);
      expect(await signIn.text()).toContain("wrong admin secret");
      // The banner said which secret is in use (issue 14: it kept naming the default when another was set).
      expect(demo.output()).toContain(
        `/admin — change a price (secret: ${SECRET} (the local default, accepted on localhost only; set EDGE_ISR_SECRET to change it))`,
      );
      await visit(page, `${demo.url}/products/5`);
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Prerendered Pretzel");
    });

    it("refuses a form another origin posts to the admin, though the browser is signed in and sends its session cookie", async () => {
      for (const [path, fields] of [
        ["/admin/purge", { tag: "products" }],
        ["/admin/sign-in", { secret: SECRET }],
        ["/admin/products/5", { name: "hacked", price: "0.01", mode: "expire" }],
      ] as const) {
        const attacker = await attackerSite(`${demo.url}${path}`, fields);
        try {
          const [refused] = await Promise.all([page.waitForResponse((r) => r.url() === `${demo.url}${path}`), page.goto(attacker.url)]);
          expect(refused.status(), path).toBe(403);
          expect((await refused.request().allHeaders()).cookie ?? "", path).toContain("edge_isr_admin="); // the session went along: only the origin check stopped it
          expect(await refused.text()).toContain("not sent from this site");
        } finally {
          await attacker.close();
        }
      }
      // Chromium logs each refused navigation as a failed load: expected here, so not counted as errors below.
      const refusedLoads = (e: string) =>
        e.startsWith("console: Failed to load resource: the server responded with a status of 403") && e.includes(`(${demo.url}/admin/`);
      browser.errors.splice(0, browser.errors.length, ...browser.errors.filter((e) => !refusedLoads(e)));
      // Not purged (that would make it a MISS), not edited.
      expect(["HIT", "STALE"]).toContain((await visit(page, `${demo.url}/products/5`)).header);
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Prerendered Pretzel");
    });

    it("lists the entries in the inspector and purges a tag from it", async () => {
      await visit(page, `${demo.url}/admin/cache`);
      await signInIfAsked(page);
      const rows = page.locator('[data-testid="entries"] tbody tr');
      const routes = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-route")));
      expect(routes).toEqual(expect.arrayContaining(["/", "/products/1", "/products/3", "/products/6", "/products/1/reviews"]));
      await page.screenshot({ path: `${SHOTS}${mode}-inspector.png`, fullPage: true });

      await Promise.all([page.waitForURL(/\/admin\/cache\?notice=purged/), page.click('[data-testid="purge-product:3"]')]);
      await expect(page.textContent('[data-testid="flash"]')).resolves.toMatch(
        /^purged product:3: every entry carrying it expired, through the (coordinator|tag records in KV)$/,
      );
      const after = await page
        .locator('[data-testid="entries"] tbody tr[data-route="/products/3"]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-state")));
      expect(after.every((state) => state === "expired")).toBe(true);
      expect((await visit(page, `${demo.url}/products/3`)).header).toBe("MISS");
    });

    it("serves a page past its window STALE with the old timestamp at once, then the regenerated one", async () => {
      const prerendered = firstVisit.get("/products/1")!;
      await sleepUntil(prerendered.generatedAt + WINDOW_SECONDS * 1000 + 500);
      const stale = await visit(page, `${demo.url}/products/1`);
      expect(stale).toMatchObject({ header: "STALE", badge: "STALE", generatedAt: prerendered.generatedAt });
      await page.screenshot({ path: `${SHOTS}${mode}-product-stale.png` });
      await expect
        .poll(
          async () => {
            const v = await visit(page, `${demo.url}/products/1`);
            return v.header === "HIT" && v.badge === "HIT" && v.generatedAt > prerendered.generatedAt;
          },
          { timeout: 30_000, interval: 300 },
        )
        .toBe(true);
      await page.screenshot({ path: `${SHOTS}${mode}-product.png` });
    });

    it("logged no console errors and no page errors in Chromium", () => {
      expect(browser.errors).toEqual([]);
    });
  });
}
