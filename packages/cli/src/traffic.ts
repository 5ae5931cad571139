/**
 * Traffic-aware page selection: from a request log or an analytics export,
 * the fewest paths that cover a share of all requests (most requested first).
 */
import { readFileSync } from "node:fs";
import { CliError } from "./errors.js";

/** Reads `path,count` lines (CSV, a header line allowed), JSON lines `{path,count}`, a JSON array of those, or a plain log of one path per request. */
export function readTraffic(file: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(
      "ERR_ROUTES_FILE",
      `cannot read ${file}: ${(error as Error).message}`,
      "pass the path of a request log or an analytics export (path,count per line).",
    );
  }
  const counts = new Map<string, number>();
  const add = (path: unknown, count: unknown, line: number) => {
    const n = count === undefined ? 1 : Number(count);
    if (typeof path !== "string" || !path.startsWith("/") || !Number.isFinite(n) || n < 0) {
      throw new CliError(
        "ERR_ROUTES_FILE",
        `${file}:${line}: expected a path starting with "/" and a count, got ${JSON.stringify(String(path)).slice(0, 80)}`,
        'fix or remove that line; each line is `path,count`, a JSON object {"path","count"}, or a bare path.',
      );
    }
    const clean = path.split("?")[0]!;
    counts.set(clean, (counts.get(clean) ?? 0) + n);
  };
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    for (const [i, row] of (JSON.parse(trimmed) as { path: string; count?: number }[]).entries()) add(row.path, row.count, i + 1);
    return counts;
  }
  for (const [i, raw] of trimmed.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || (i === 0 && /^"?path"?\s*,/i.test(line))) continue;
    if (line.startsWith("{")) {
      const row = JSON.parse(line) as { path?: string; count?: number; requests?: number };
      add(row.path, row.count ?? row.requests, i + 1);
      continue;
    }
    const [path, count] = line.split(/[,\t]/).map((s) => s.trim().replace(/^"|"$/g, ""));
    add(path, count, i + 1);
  }
  return counts;
}

/** The fewest paths whose counts add up to at least `coverage` of the total. */
export function coverPaths(counts: Map<string, number>, coverage: number): { paths: string[]; covered: number; total: number } {
  if (!(coverage > 0 && coverage <= 1)) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      `--coverage ${coverage} is not a share between 0 and 1`,
      "pass e.g. --coverage 0.9 for the pages that serve 90% of requests.",
    );
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const paths: string[] = [];
  let covered = 0;
  for (const [path, count] of sorted) {
    if (covered >= coverage * total) break;
    paths.push(path);
    covered += count;
  }
  return { paths, covered, total };
}

/** Reads a routes file: one path per line, or a JSON array of paths. */
export function readRoutes(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new CliError(
      "ERR_ROUTES_FILE",
      `cannot read ${file}: ${(error as Error).message}`,
      "pass a file with one path per line, or a JSON array of paths.",
    );
  }
  const paths = text.startsWith("[")
    ? (JSON.parse(text) as unknown[])
    : text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"));
  paths.forEach((p, i) => {
    if (typeof p !== "string" || !p.startsWith("/")) {
      throw new CliError(
        "ERR_ROUTES_FILE",
        `${file}: entry ${i + 1} (${JSON.stringify(p)}) is not a path starting with "/"`,
        "fix or remove that entry.",
      );
    }
  });
  return paths as string[];
}
