/**
 * The build pointer: one small KV key naming the build whose entries are
 * served, so `edge-isr promote`/`rollback` switch builds with one KV write and
 * no deploy. Each isolate caches it for `cacheSeconds` (default 30): a fresh
 * isolate pays one extra KV read, then none until the cache runs out.
 */
import { SingleFlight } from "./single-flight.js";
import { withTimeout } from "./timeout.js";

export const BUILD_POINTER_KEY = "__edge-isr/build";

/** What the pointer key holds: the current build and the ones before it, newest first. */
export interface BuildPointer {
  current: string;
  previous: string[];
  promotedAt: number;
}

export interface PointerKV {
  get(key: string, type: "json"): Promise<unknown>;
}

export function parsePointer(raw: unknown): BuildPointer | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const p = raw as Partial<BuildPointer>;
  if (typeof p.current !== "string" || !p.current) return undefined;
  return {
    current: p.current,
    previous: Array.isArray(p.previous) ? p.previous.filter((b) => typeof b === "string") : [],
    promotedAt: Number(p.promotedAt) || 0,
  };
}

/** Reads the pointer through a per-isolate cache; falls back to `fallback` when it is missing or KV fails. */
export class BuildPointerCache {
  private cached: { build: string; until: number } | undefined;
  /** One read at a time, shared by the requests that need it (each waits with its own timer). */
  private readonly reads: SingleFlight<string>;

  constructor(
    private readonly cacheMs: number,
    private readonly now: () => number,
    /** A pointer read slower than this falls back like a failed one. */
    private readonly timeoutMs = 2000,
  ) {
    this.reads = new SingleFlight(timeoutMs + 100);
  }

  async current(kv: PointerKV, fallback: string): Promise<string> {
    if (this.cached && this.cached.until > this.now()) return this.cached.build;
    return this.reads.run("pointer", async () => {
      let build: string;
      try {
        const raw = await withTimeout(
          kv.get(BUILD_POINTER_KEY, "json"),
          this.timeoutMs,
          () => new Error(`reading ${BUILD_POINTER_KEY} took longer than ${this.timeoutMs} ms`),
        );
        build = parsePointer(raw)?.current ?? fallback;
      } catch {
        build = this.cached?.build ?? fallback;
      }
      this.cached = { build, until: this.now() + this.cacheMs };
      return build;
    });
  }
}
