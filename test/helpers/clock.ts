/** A manual clock: tests move time instead of waiting for it. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
  sleep(ms: number): Promise<void>;
}

export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    async sleep(ms) {
      now += ms;
    },
  };
}
