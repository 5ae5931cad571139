/**
 * Reads in flight that concurrent requests of this isolate share, so a cold
 * isolate hit by many requests at once reads the clock once, not once per
 * request. A request that joins another's read waits with its own timer: in
 * workerd a promise belongs to the request that made it and never settles
 * once that request is gone, so a joiner gives up after `joinMs` and reads
 * for itself.
 */
interface Flight {
  done: Promise<unknown>;
  at: number;
}

export class Flights<K> {
  private readonly flights = new Map<K, Flight>();

  constructor(private readonly joinMs: number) {}

  /**
   * Splits `keys` into those a live flight covers — `wait` settles when those
   * flights have (or after at most `joinMs` from their start; one wait per
   * flight however many keys it covers) — and the `uncovered` rest.
   */
  cover(keys: Iterable<K>): { wait: Promise<void>; uncovered: K[] } {
    const waits = new Map<Flight, Promise<void>>();
    const uncovered: K[] = [];
    const now = Date.now();
    for (const key of keys) {
      const flight = this.flights.get(key);
      const left = flight ? this.joinMs - (now - flight.at) : 0;
      if (!flight || left <= 0) {
        if (flight) this.flights.delete(key); // a dead request's: forget it
        uncovered.push(key);
      } else if (!waits.has(flight)) {
        waits.set(flight, waitAtMost(flight.done, left));
      }
    }
    return { wait: Promise.all(waits.values()).then(noop), uncovered };
  }

  /** Registers `work` as the flight of `keys` until it settles. */
  start(keys: Iterable<K>, work: Promise<unknown>): void {
    const flight = { done: work, at: Date.now() };
    const mine = [...keys];
    for (const key of mine) this.flights.set(key, flight);
    work.then(noop, noop).finally(() => {
      for (const key of mine) if (this.flights.get(key) === flight) this.flights.delete(key);
    });
  }
}

const noop = () => {};

function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(noop, noop), timeout]).finally(() => clearTimeout(timer));
}
