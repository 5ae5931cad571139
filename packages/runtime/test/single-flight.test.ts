/**
 * A flight whose request died never settles. Joiners must not wait for it
 * forever, and the key must not stay blocked: after `maxAgeMs` it is forgotten.
 */
import { describe, expect, it } from "vitest";
import { SingleFlight } from "../src/single-flight.js";

describe("SingleFlight", () => {
  it("shares one run among concurrent callers", async () => {
    const flights = new SingleFlight<number>(1_000);
    let runs = 0;
    const results = await Promise.all(Array.from({ length: 50 }, () => flights.run("k", async () => ++runs)));
    expect(results).toEqual(Array(50).fill(1));
    expect(runs).toBe(1);
  });

  it("a flight that never settles: joiners give up after maxAgeMs, and the next run starts afresh", async () => {
    const flights = new SingleFlight<string>(50);
    void flights.run("k", () => new Promise<string>(() => {})); // a request that died mid-flight
    expect(await flights.join("k")).toBeUndefined();
    expect(await flights.run("k", async () => "fresh")).toBe("fresh");
    expect(flights.join("k")).toBeUndefined(); // settled and gone
  });

  it("a joiner whose flight settles in time gets its value", async () => {
    const flights = new SingleFlight<string>(1_000);
    let finish!: (value: string) => void;
    const leader = flights.run("k", () => new Promise<string>((resolve) => (finish = resolve)));
    const joined = flights.join("k");
    finish("shared");
    expect(await leader).toBe("shared");
    expect(await joined).toEqual({ value: "shared" });
  });
});
