/** The Markdown tables the benchmarks print (and benchmarks/README.md quotes). */

export type Cell = string | number;

/**
 * A Markdown table, each column padded to its widest cell. Alignment `"by-type"`:
 * numbers right, text left; `"first-left"`: the first column left, the others
 * right (marked `---:`), for tables whose figures are lists such as per-round values.
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
  align: "by-type" | "first-left" = "by-type",
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const right = (c: Cell, i: number) => (align === "by-type" ? typeof c === "number" : i > 0);
  const pad = (c: Cell, i: number) => (right(c, i) ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!));
  const line = (cells: readonly Cell[]) => `| ${cells.map(pad).join(" | ")} |`;
  const rule = widths.map((w, i) => (align === "first-left" && i > 0 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2)));
  return [line(header), `|${rule.join("|")}|`, ...rows.map(line)].join("\n");
}
