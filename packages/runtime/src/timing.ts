/** `Server-Timing` entries: the cache state plus KV and render durations. */
export class Timing {
  private readonly entries: string[] = [];

  constructor(private readonly now: () => number) {}

  /** Runs `work` and records its duration under `name`. */
  async measure<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await work();
    } finally {
      this.entries.push(`${name};dur=${Math.max(0, this.now() - start).toFixed(1)}`);
    }
  }

  header(state: string): string {
    return [`cache;desc="${state}"`, ...this.entries].join(", ");
  }
}
