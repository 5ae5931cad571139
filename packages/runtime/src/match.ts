/** Step 1 of a request, match: which route a normalized path belongs to, and its params. */
import { checkCookieOptions } from "./cookies.js";
import type { ISRRoute } from "./options.js";
import { type CompiledPattern, compilePattern } from "./route.js";
import { checkDynamicParams } from "./static-params.js";

/** A route with its pattern compiled once, when the pipeline is built. */
export interface CompiledRoute<Env> {
  route: ISRRoute<Env>;
  pattern: CompiledPattern;
}

/** A request's route, its params and its normalized path: what every later step works from. */
export interface Matched<Env> extends CompiledRoute<Env> {
  params: Record<string, string>;
  path: string;
}

/** Compiles the routes, refusing a bad one (cookie options, `dynamicParams`) before any request comes. */
export function compileRoutes<Env>(routes: readonly ISRRoute<Env>[]): CompiledRoute<Env>[] {
  return routes.map((route) => {
    checkCookieOptions(route);
    const pattern = compilePattern(route.path);
    checkDynamicParams(route, pattern);
    return { route, pattern };
  });
}

/** The first route whose pattern matches `path` (normalized); `undefined` when none does. */
export function matchRoute<Env>(routes: readonly CompiledRoute<Env>[], path: string): Matched<Env> | undefined {
  for (const { route, pattern } of routes) {
    const params = pattern.match(path);
    if (params) return { route, pattern, params, path };
  }
  return undefined;
}
