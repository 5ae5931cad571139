/** Every kind comes back exactly as it was stored, bytes included. */
import { expect } from "vitest";
import type { Case } from "../fixture.js";
import { allBytes, appPage, bytesOf, everyKind, htmlOfSize, notUtf8 } from "../values.js";

export function roundTripCases(test: Case): void {
  test("a key never set is a miss", async ({ handler }) => {
    expect(await handler.get("/never-set")).toBeNull();
  });

  for (const [kind, value] of Object.entries(everyKind())) {
    test(`${kind} round-trips byte-exact`, async ({ handler, another }) => {
      await handler.set(`/kind/${kind}`, value, { cacheControl: { revalidate: 60 } });
      for (const reader of [handler, another()]) {
        const got = await reader.get(`/kind/${kind}`);
        expect(got?.value?.kind).toBe(kind);
        const { value: back } = got!;
        for (const [field, expected] of Object.entries(value)) {
          const actual = (back as unknown as Record<string, unknown>)[field];
          if (expected instanceof ArrayBuffer) expect(bytesOf(actual), field).toEqual(bytesOf(expected));
          else if (expected instanceof Map) {
            expect([...(actual as Map<string, ArrayBuffer>).keys()]).toEqual([...expected.keys()]);
            for (const [segment, data] of expected)
              expect(bytesOf((actual as Map<string, ArrayBuffer>).get(segment))).toEqual(bytesOf(data));
          } else expect(actual, field).toEqual(expected);
        }
      }
    });
  }

  test("a null value round-trips", async ({ handler }) => {
    await handler.set("/null", null, { cacheControl: { revalidate: 60 } });
    const got = await handler.get("/null");
    expect(got).not.toBeNull();
    expect(got!.value).toBeNull();
  });

  test("an empty body round-trips", async ({ handler, another }) => {
    await handler.set(
      "/empty",
      { kind: "APP_ROUTE", body: new ArrayBuffer(0), status: 204, headers: {} },
      { cacheControl: { revalidate: 60 } },
    );
    const got = await another().get("/empty");
    expect(got?.value).toMatchObject({ kind: "APP_ROUTE", status: 204 });
    expect((got!.value as { body: ArrayBuffer }).body.byteLength).toBe(0);
  });

  test("an RSC payload that is not UTF-8 round-trips byte-exact", async ({ handler, another }) => {
    await handler.set("/rsc", appPage("<p>x</p>", notUtf8()), { cacheControl: { revalidate: 60 } });
    const got = await another().get("/rsc");
    expect(bytesOf((got!.value as { rscData: ArrayBuffer }).rscData)).toEqual(Array.from(notUtf8()));
  });

  test("an RSC payload with all 256 byte values round-trips", async ({ handler }) => {
    await handler.set("/all-bytes", appPage("<p>y</p>", allBytes()), { cacheControl: { revalidate: 60 } });
    const got = await handler.get("/all-bytes");
    expect(bytesOf((got!.value as { rscData: ArrayBuffer }).rscData)).toEqual(Array.from(allBytes()));
  });

  test("a 5 MiB page round-trips", async ({ handler, another }) => {
    const html = htmlOfSize(5 * 1024 * 1024);
    const rsc = new TextEncoder().encode(htmlOfSize(1024 * 1024).replaceAll("<", "["));
    await handler.set("/big", appPage(html, rsc), { cacheControl: { revalidate: 60 } });
    const got = await another().get("/big");
    expect((got!.value as { html: string }).html === html).toBe(true);
    expect(bytesOf((got!.value as { rscData: ArrayBuffer }).rscData).length).toBe(rsc.byteLength);
  });

  test("cacheControl round-trips, so callers never fall back to a default", async ({ handler, another }) => {
    await handler.set("/cc", appPage(), { cacheControl: { revalidate: 120, expire: 86400 } });
    expect((await another().get("/cc"))?.cacheControl).toEqual({ revalidate: 120, expire: 86400 });
    await handler.set("/cc-false", appPage(), { cacheControl: { revalidate: false } });
    expect((await another().get("/cc-false"))?.cacheControl).toEqual({ revalidate: false });
  });

  test("a FETCH entry's own revalidate and a legacy ctx.revalidate are honoured", async ({ handler }) => {
    await handler.set("/fetch", everyKind().FETCH!, {});
    expect((await handler.get("/fetch"))?.cacheControl?.revalidate).toBe(30);
    await handler.set("/legacy", appPage(), { revalidate: 15 });
    expect((await handler.get("/legacy"))?.cacheControl?.revalidate).toBe(15);
  });

  test("revalidate 0 is not cached", async ({ handler, counting }) => {
    counting.reset();
    await handler.set("/dynamic", appPage(), { cacheControl: { revalidate: 0 } });
    expect(counting.counts.writes).toBe(0);
    expect(await handler.get("/dynamic")).toBeNull();
  });

  test("a value returned by get can be changed without changing the next get", async ({ handler }) => {
    await handler.set("/mutable", appPage("<p>x</p>"), { cacheControl: { revalidate: 60 } });
    const first = await handler.get("/mutable");
    new Uint8Array((first!.value as { rscData: ArrayBuffer }).rscData).fill(0);
    (first!.value as { headers: Record<string, string> }).headers["content-type"] = "changed";
    const second = await handler.get("/mutable");
    expect(bytesOf((second!.value as { rscData: ArrayBuffer }).rscData)).toEqual(Array.from(allBytes()));
    expect((second!.value as { headers: Record<string, string> }).headers["content-type"]).toBe("text/html; charset=utf-8");
  });

  test("an isolate that read an entry sees another isolate's overwrite on its next get", async ({ handler, another, clock }) => {
    await handler.set("/overwritten", appPage("<p>one</p>"), { cacheControl: { revalidate: 60 } });
    expect(((await handler.get("/overwritten"))!.value as { html: string }).html).toBe("<p>one</p>");
    clock.advance(2000);
    await another().set("/overwritten", appPage("<p>two</p>"), { cacheControl: { revalidate: 60 } });
    expect(((await handler.get("/overwritten"))!.value as { html: string }).html).toBe("<p>two</p>");
  });

  test("a later set replaces the entry", async ({ handler, another }) => {
    await handler.set("/replace", appPage("<p>one</p>"), { cacheControl: { revalidate: 60 } });
    await handler.set("/replace", appPage("<p>two</p>"), { cacheControl: { revalidate: 60 } });
    expect(((await another().get("/replace"))!.value as { html: string }).html).toBe("<p>two</p>");
  });
}
