/**
 * Route patterns: `/`, `/products/:id`, `/docs/*` (rest). Compiled once;
 * matching is a regular expression on the normalized path.
 */
import { EdgeIsrRuntimeError } from "./errors.js";

export interface CompiledPattern {
  path: string;
  /** The pattern in Next.js's notation (`/products/[id]`), used for implicit tags. */
  nextRoute: string;
  /** Its parameters' names (`*` for a rest segment); empty for a static route. */
  params: readonly string[];
  match(pathname: string): Record<string, string> | undefined;
}

export function compilePattern(path: string): CompiledPattern {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new EdgeIsrRuntimeError("ERR_ROUTE_INVALID", `route path ${JSON.stringify(path)} must start with "/" (e.g. "/products/:id")`);
  }
  const names: string[] = [];
  const nextSegments: string[] = [];
  let source = "";
  for (const segment of path.split("/").filter(Boolean)) {
    if (segment === "*") {
      names.push("*");
      source += "(?:/(.*))?";
      nextSegments.push("[...rest]");
    } else if (segment.startsWith(":")) {
      const name = segment.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new EdgeIsrRuntimeError(
          "ERR_ROUTE_INVALID",
          `route ${JSON.stringify(path)}: parameter ${JSON.stringify(segment)} must be ":" and a name`,
        );
      }
      names.push(name);
      source += "/([^/]+)";
      nextSegments.push(`[${name}]`);
    } else {
      source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
      nextSegments.push(segment);
    }
  }
  const regex = new RegExp(`^${source || "/"}$`);
  return {
    path,
    nextRoute: `/${nextSegments.join("/")}`,
    params: names,
    match(pathname) {
      const found = regex.exec(pathname);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        const raw = found[i + 1] ?? "";
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      });
      return params;
    },
  };
}
