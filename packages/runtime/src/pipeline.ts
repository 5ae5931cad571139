/**
 * What every step of a request shares: `createISR`'s options resolved once
 * (defaults filled in, routes compiled, bad values refused), and the state one
 * isolate keeps across requests (renders in flight, the not-found budget, the
 * build pointer, the counters tests and benchmarks read).
 */
import { type CacheHandler, quoteKey } from "@edge-isr/kv-cache-handler";
import { BuildPointerCache } from "./build-pointer.js";
import { CACHEABLE_STATUS } from "./cacheability.js";
import { EdgeIsrRuntimeError } from "./errors.js";
import { type CompiledRoute, compileRoutes } from "./match.js";
import type { MissResult } from "./miss.js";
import { NotFoundPolicy } from "./not-found.js";
import type { ISROptions } from "./options.js";
import { getCacheHandler } from "./registry.js";
import { SingleFlight } from "./single-flight.js";
import { StaticParamsGate } from "./static-params.js";

/** Renders started, by reason (read by tests and benchmarks). */
export interface ISRStats {
  renders: number;
  regenerations: number;
  failures: number;
}

export interface Pipeline<Env> {
  options: ISROptions<Env>;
  routes: readonly CompiledRoute<Env>[];
  now: () => number;
  cacheableStatus: readonly number[];
  renderTimeoutMs: number;
  cacheTimeoutMs: number;
  backoff: { min: number; max: number };
  /** Renders of missing pages in flight, by key: concurrent requests share one. */
  misses: SingleFlight<MissResult>;
  /** Regenerations of stale pages in flight, by key: one per isolate at a time. */
  regenerations: SingleFlight<void>;
  stats: ISRStats;
  notFound: NotFoundPolicy;
  staticPages: StaticParamsGate<Env>;
  /** The build pointer's cache, when `buildPointer` is set. */
  pointer: BuildPointerCache | undefined;
  /** Logs a problem and hands it to `onError`; never throws. */
  report(error: EdgeIsrRuntimeError): void;
  handlerFor(env: Env): CacheHandler;
  /** The origin renders see; a bad value from `origin(env)` is reported and the request's origin used. */
  originFor(env: Env): string | undefined;
  /** This Worker's own build. */
  buildIdFor(env: Env): string;
  /** The build to serve: the one the pointer names, else this Worker's own. */
  currentBuild(env: Env): Promise<string>;
  prerenderTokenFor(env: Env): string | undefined;
}

/** The default prerender token: the `EDGE_ISR_PRERENDER_TOKEN` binding, which only the CLI's prerender Worker has. */
const prerenderTokenBinding = (env: unknown) => (env as { EDGE_ISR_PRERENDER_TOKEN?: string } | undefined)?.EDGE_ISR_PRERENDER_TOKEN;

/** Resolves `options` once per `createISR`: throws on a bad route or option, before any request comes. */
export function createPipeline<Env>(options: ISROptions<Env>): Pipeline<Env> {
  const routes = compileRoutes(options.routes);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? console;
  const renderTimeoutMs = options.renderTimeoutMs ?? 10_000;
  const cacheTimeoutMs = options.cacheTimeoutMs ?? 2_000;
  const cacheSeconds = options.buildPointer?.cacheSeconds ?? 30;
  const pointer = options.buildPointer ? new BuildPointerCache(cacheSeconds * 1000, now, cacheTimeoutMs) : undefined;
  const notFound = new NotFoundPolicy(options.notFound, now);

  const report = (error: EdgeIsrRuntimeError) => {
    logger.error(error.message);
    try {
      options.onError?.(error);
    } catch {
      // onError must not turn a cache problem into a page error
    }
  };
  const badOrigin = (origin: string) =>
    new EdgeIsrRuntimeError("ERR_OPTION_INVALID", `origin ${quoteKey(origin)} is not a URL such as "https://shop.example"`);
  if (typeof options.origin === "string" && !URL.canParse(options.origin)) throw badOrigin(options.origin);
  const buildIdFor = (env: Env) => (typeof options.buildId === "function" ? options.buildId(env) : (options.buildId ?? "dev"));

  return {
    options,
    routes,
    now,
    cacheableStatus: options.cacheableStatus ?? CACHEABLE_STATUS,
    renderTimeoutMs,
    cacheTimeoutMs,
    backoff: options.retryBackoff ?? { min: 3, max: 30 },
    // A shared render is waited for at most this long (render, body, start of the store), then forgotten.
    misses: new SingleFlight<MissResult>(renderTimeoutMs + 5_000),
    // A regeneration (lease, render, its write) past Workers' 30 s waitUntil budget is gone: forgotten.
    regenerations: new SingleFlight<void>(renderTimeoutMs + 30_000),
    stats: { renders: 0, regenerations: 0, failures: 0 },
    notFound,
    staticPages: new StaticParamsGate<Env>({ now, timeoutMs: renderTimeoutMs, report }),
    pointer,
    report,
    handlerFor: (env) => (typeof options.handler === "function" ? options.handler(env) : (options.handler ?? getCacheHandler())),
    originFor(env) {
      const origin = typeof options.origin === "function" ? options.origin(env) : options.origin;
      if (!origin) return undefined;
      if (URL.canParse(origin)) return new URL(origin).origin;
      report(badOrigin(origin));
      return undefined;
    },
    buildIdFor,
    currentBuild: (env) => (pointer ? pointer.current(options.buildPointer!.kv(env), buildIdFor(env)) : Promise.resolve(buildIdFor(env))),
    prerenderTokenFor: options.prerenderToken ?? prerenderTokenBinding,
  };
}
