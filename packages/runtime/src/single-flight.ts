/**
 * One in-flight promise per key in this isolate: concurrent callers share it.
 * 1,000 concurrent requests for a stale or missing page cause one render.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** The run under way for `key`, if any. */
  current(key: string): Promise<T> | undefined {
    return this.inFlight.get(key);
  }

  /** Runs `work` unless a run for `key` is under way, in which case its promise is shared. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const promise = (async () => {
      try {
        return await work();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return promise;
  }
}
