/**
 * `dynamicParams: false`, as in Next.js: a dynamic route serves only the pages
 * its `staticParams` lists, and any other params answer 404 at once — no
 * render, no KV read, no write — so unknown URLs cost nothing but the answer.
 *
 * The allowed paths are loaded once per isolate (one load, whatever the number
 * of requests waiting for it) and kept, at most `RuntimeLimits.maxStaticParams`
 * per route. When they cannot be loaded — `staticParams` throws, is too slow or
 * lists more than that — the failure is reported, the route serves like a
 * dynamic one meanwhile (its 404s bounded by the not-found budget), and the
 * load is tried again a minute later.
 */
import { quoteKey } from "@edge-isr/kv-cache-handler";
import { normalizePath } from "./cache-key.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { RuntimeLimits } from "./limits.js";
import { SingleFlight } from "./single-flight.js";
import { withTimeout } from "./timeout.js";

/** The path of a route's page for `params`: `/products/:id` and `{ id: "1" }` give `/products/1`. */
export function pathFor(route: string, params: Record<string, string>): string {
  return route.replace(/:([A-Za-z_][A-Za-z0-9_]*)|\*/g, (_, name: string | undefined) => encodeURIComponent(params[name ?? "*"] ?? ""));
}

export interface StaticRoute<Env> {
  path: string;
  staticParams?: (env: Env) => Record<string, string>[] | Promise<Record<string, string>[]>;
}

/** How long a failed load is trusted before it is tried again. */
const RETRY_MS = 60_000;

type Loaded = { paths: Set<string> } | { failedAt: number };

/** The allowed pages of each `dynamicParams: false` route, per isolate. */
export class StaticParamsGate<Env> {
  private readonly loaded = new Map<string, Loaded>();
  private readonly loads: SingleFlight<Loaded>;

  constructor(private readonly options: { now: () => number; timeoutMs: number; report: (error: EdgeIsrRuntimeError) => void }) {
    this.loads = new SingleFlight(options.timeoutMs + 1_000);
  }

  /**
   * Whether the route has `dynamicParams: false` and `path` (normalized) is not
   * one of its pages. `false` for every other route, and while its list cannot be had.
   */
  async refuses(
    route: StaticRoute<Env> & { dynamicParams?: boolean },
    pattern: { params: readonly string[] },
    path: string,
    env: Env,
  ): Promise<boolean> {
    if (route.dynamicParams !== false || !pattern.params.length) return false;
    let state = this.loaded.get(route.path);
    if (!state || ("failedAt" in state && this.options.now() - state.failedAt >= RETRY_MS))
      state = await this.loads.run(route.path, () => this.load(route, env));
    return "paths" in state && !state.paths.has(path);
  }

  private async load(route: StaticRoute<Env>, env: Env): Promise<Loaded> {
    const where = `route ${quoteKey(route.path)} has dynamicParams: false`;
    let state: Loaded;
    try {
      const list = await withTimeout(
        Promise.resolve().then(() => route.staticParams!(env)),
        this.options.timeoutMs,
        () => new Error(`staticParams took longer than ${this.options.timeoutMs} ms`),
      );
      if (!Array.isArray(list)) throw new Error(`staticParams returned ${typeof list}, not an array`);
      if (list.length > RuntimeLimits.maxStaticParams)
        throw new Error(`staticParams listed ${list.length} pages, over the limit of ${RuntimeLimits.maxStaticParams}`);
      const paths = new Set<string>();
      for (const params of list) {
        const path = normalizePath(pathFor(route.path, params));
        if (path !== undefined) paths.add(path);
      }
      state = { paths };
    } catch (cause) {
      this.options.report(
        new EdgeIsrRuntimeError(
          "ERR_STATIC_PARAMS",
          `${where} but its pages could not be listed; serving it as a dynamic route for a minute: ${String((cause as Error)?.message ?? cause)}`,
          { cause },
        ),
      );
      state = { failedAt: this.options.now() };
    }
    this.loaded.set(route.path, state);
    return state;
  }
}

/** Refuses, when the pipeline is built, a `dynamicParams: false` route that has params but no `staticParams` to list them. */
export function checkDynamicParams<Env>(
  route: StaticRoute<Env> & { dynamicParams?: boolean },
  pattern: { params: readonly string[] },
): void {
  if (route.dynamicParams === false && pattern.params.length && typeof route.staticParams !== "function") {
    throw new EdgeIsrRuntimeError(
      "ERR_ROUTE_INVALID",
      `route ${quoteKey(route.path)} has dynamicParams: false but no staticParams: list its pages, e.g. staticParams: () => [{ ${pattern.params[0] === "*" ? '"*"' : pattern.params[0]}: "1" }]`,
    );
  }
}
