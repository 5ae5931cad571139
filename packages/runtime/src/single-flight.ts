/**
 * One in-flight promise per key in this isolate: concurrent callers share it.
 * 1,000 concurrent requests for a stale or missing page cause one render.
 *
 * In workerd a promise belongs to the request that created it: if that request
 * is cancelled (client gone, waitUntil over its limit), its flight may never
 * settle. So a flight is forgotten `maxAgeMs` after it started, and callers that
 * join one wait with their own timer, never longer than that: a dead request can
 * cost a duplicate render, never a key that hangs for good.
 */
const LATE = Symbol("late");

export class SingleFlight<T> {
  private readonly flights = new Map<string, { promise: Promise<T>; started: number }>();

  constructor(private readonly maxAgeMs: number) {}

  /**
   * Joins the flight under way for `key`: `undefined` (at once) when there is
   * none; else its result, waited for with this caller's own timer — `undefined`
   * if it did not settle within its budget.
   */
  join(key: string): Promise<{ value: T } | undefined> | undefined {
    const flight = this.live(key);
    if (!flight) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<typeof LATE>(
      (resolve) => (timer = setTimeout(() => resolve(LATE), Math.max(0, flight.started + this.maxAgeMs - Date.now()))),
    );
    return Promise.race([flight.promise, late])
      .then((value) => (value === LATE ? undefined : { value }))
      .finally(() => clearTimeout(timer));
  }

  /** Runs `work`, or joins the flight under way for `key` (and runs `work` after all if that one is late). */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const joining = this.join(key);
    if (joining) return joining.then((joined) => (joined ? joined.value : this.run(key, work)));
    const flight = { promise: undefined as unknown as Promise<T>, started: Date.now() };
    flight.promise = (async () => {
      try {
        return await work();
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, flight);
    return flight.promise;
  }

  /** The flight for `key`, unless it is older than `maxAgeMs` (then it is forgotten). */
  private live(key: string) {
    const flight = this.flights.get(key);
    if (flight && Date.now() - flight.started >= this.maxAgeMs) {
      this.flights.delete(key);
      return undefined;
    }
    return flight;
  }
}
