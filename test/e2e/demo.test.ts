/**
 * The demo in real Chromium, against the built Worker (`vite preview`, as
 * `npm run demo` serves it) and against `vite dev` (`npm run dev`): what a
 * newcomer is told to try must be what happens. States are waited for, never
 * timed: the only clock is the freshness window the demo is started with.
 */
import { mkdirSync } from "node:fs";
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

/** Submits product `id`'s form in /admin, as a person would, and waits for the confirmation. */
async function editProduct(page: Page, url: string, id: string, edit: { name?: string; price?: string; mode?: "expire" | "stale" }) {
  await page.goto(`${url}/admin`);
  const form = page.locator(`[data-testid="edit-${id}"]`);
  if (edit.name !== undefined) await form.locator('input[name="name"]').fill(edit.name);
  if (edit.price !== undefined) await form.locator('input[name="price"]').fill(edit.price);
  if (edit.mode) await form.locator("select").selectOption(edit.mode);
  await form.locator('input[name="secret"]').fill(SECRET);
  await Promise.all([page.waitForURL(/\/admin\?ok=/), form.locator('button[type="submit"]').click()]);
  await expect(page.textContent('[data-testid="flash"]')).resolves.toContain(`saved product ${id}`);
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
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it("serves a prerendered product page as a HIT on the first visit, generated before the server was up", async () => {
      const v = await visit(page, `${demo.url}/products/1`);
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
        .poll(async () => {
          const v = await visit(page, `${demo.url}/products/4`);
          return `${v.header} ${await page.textContent('[data-testid="product-name"]')}`;
        }, { timeout: 30_000, interval: 300 })
        .toBe("HIT Isolate Iced Tea, large");
    });

    it("refuses an admin edit with a wrong secret and changes nothing", async () => {
      const res = await fetch(`${demo.url}/admin/products/5`, {
        method: "POST",
        body: new URLSearchParams({ name: "hacked", price: "0.01", secret: "not-the-secret" }),
        redirect: "manual",
      });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain("wrong admin secret");
      // The banner said which secret is in use (issue 14: it kept naming the default when another was set).
      expect(demo.output()).toContain(`/admin — change a price (secret: ${SECRET} (the local default, accepted on localhost only; set EDGE_ISR_SECRET to change it))`);
      await visit(page, `${demo.url}/products/5`);
      await expect(page.textContent('[data-testid="product-name"]')).resolves.toBe("Prerendered Pretzel");
    });

    it("lists the entries in the inspector and purges a tag from it", async () => {
      await visit(page, `${demo.url}/admin/cache`);
      const rows = page.locator('[data-testid="entries"] tbody tr');
      const routes = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-route")));
      expect(routes).toEqual(expect.arrayContaining(["/", "/products/1", "/products/3", "/products/6", "/products/1/reviews"]));
      const row3 = page.locator('[data-testid="entries"] tbody tr[data-route="/products/3"]');
      await expect(row3.locator("td").nth(5).textContent()).resolves.toContain("product:3");
      await page.screenshot({ path: `${SHOTS}${mode}-inspector.png`, fullPage: true });

      await page.locator('[data-testid="purge-form"] input[name="secret"]').fill(SECRET);
      await Promise.all([page.waitForURL(/\/admin\/cache\?ok=/), page.click('[data-testid="purge-product:3"]')]);
      await expect(page.textContent('[data-testid="flash"]')).resolves.toMatch(/^purged product:3: 1 entry expired$/);
      const after = await page.locator('[data-testid="entries"] tbody tr[data-route="/products/3"]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-state")));
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
        .poll(async () => {
          const v = await visit(page, `${demo.url}/products/1`);
          return v.header === "HIT" && v.badge === "HIT" && v.generatedAt > prerendered.generatedAt;
        }, { timeout: 30_000, interval: 300 })
        .toBe(true);
      await page.screenshot({ path: `${SHOTS}${mode}-product.png` });
    });

    it("logged no console errors and no page errors in Chromium", () => {
      expect(browser.errors).toEqual([]);
    });
  });
}
