/**
 * Every `edge-isr …` command the docs and the demo's pages tell a user to run
 * names a real subcommand with options it has (issue 14: the demo's inspector
 * suggested `npx edge-isr builds prune`, which fails with "too many arguments").
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureCliBuilt, ROOT, runCli } from "./helpers/run.js";

/** Markdown and the demo's UI sources, where commands are written for people. */
function sources(): string[] {
  const files = ["README.md", "benchmarks/README.md", "apps/demo/README.md", "scripts/demo.mjs"];
  for (const dir of ["packages", "docs"]) {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (entry.isDirectory() && dir === "packages") files.push(`packages/${entry.name}/README.md`);
      if (entry.isFile() && entry.name.endsWith(".md")) files.push(`${dir}/${entry.name}`);
    }
  }
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(`${dir}/${e.name}`) : /\.(tsx?|mjs)$/.test(e.name) ? [`${dir}/${e.name}`] : [],
    );
  return [
    ...files.filter((f) => {
      try {
        readFileSync(join(ROOT, f));
        return true;
      } catch {
        return false;
      }
    }),
    ...walk("apps/demo/src"),
    ...walk("packages/cli/src"),
  ];
}

/** Code a person would copy: inline `code`, <code> elements, code blocks, and the CLI's own hint strings. */
function snippets(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) out.push(...m[1]!.split("\n"));
  for (const m of text.matchAll(/`([^`\n]+)`/g)) out.push(m[1]!);
  for (const m of text.matchAll(/<code>([^<]+)<\/code>/g)) out.push(m[1]!);
  return out;
}

interface Use {
  file: string;
  command: string;
  /** The words after the subcommand. */
  words: string[];
  text: string;
}

function uses(): Use[] {
  const found: Use[] = [];
  for (const file of sources()) {
    for (const snippet of snippets(readFileSync(join(ROOT, file), "utf8"))) {
      // `a && b`, `a | b`, and the README table's "x / y" alternatives; `# comments` dropped.
      // Optional options as docs write them, `[--steps n]`, count as given.
      const typed = snippet.replace(/\s#\s.*$/, "").replace(/\[(--[^\]]*)\]/g, "$1");
      for (const part of typed.split(/&&|\|\||\||;|\s\/\s/)) {
        // A command as typed: `$ `, environment assignments and `npx` before it, at most --cwd between.
        const m = /^\s*(?:\$\s*)?(?:[A-Z_]+=\S+\s+)*(?:npx\s+)?edge-isr((?:\s+--cwd\s+\S+)?)\s+([a-z][a-z-]*)(?=\s|$)(.*)$/.exec(part);
        if (!m) continue;
        found.push({ file, command: m[2]!, words: m[3]!.trim().split(/\s+/).filter(Boolean), text: part.trim() });
      }
    }
  }
  return found;
}

/** What `edge-isr <command> --help` says the command takes. */
interface Grammar {
  /** Positional arguments at most. */
  positional: number;
  /** Each option: "flag" (no value), "value" or "values" (variadic). */
  options: Map<string, "flag" | "value" | "values">;
}

function grammar(help: string, command: string): Grammar {
  const usage = new RegExp(`^Usage: edge-isr ${command} (.*)$`, "m").exec(help)?.[1] ?? "";
  const options = new Map<string, "flag" | "value" | "values">([
    ["--cwd", "value"],
    ["--help", "flag"],
  ]);
  for (const m of help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)(?: ([<[][^>\]]*[>\]]))?/gm))
    options.set(m[1]!, !m[2] ? "flag" : m[2].includes("...") ? "values" : "value");
  return { positional: (usage.replace("[options]", "").match(/[<[][^>\]]+[>\]]/g) ?? []).length, options };
}

/** What is wrong with a use, or undefined. */
function problem(use: Use, g: Grammar | undefined): string | undefined {
  if (!g) return "no such command";
  let positional = 0;
  for (let i = 0; i < use.words.length; i++) {
    const word = use.words[i]!;
    if (word === "…" || word === "...") continue; // words left out
    if (!word.startsWith("--")) {
      positional++;
      continue;
    }
    const [name] = word.split("=");
    const kind = g.options.get(name!);
    if (!kind) return `no option ${name}`;
    if (kind === "value" && !word.includes("=")) i++;
    if (kind === "values") while (i + 1 < use.words.length && !use.words[i + 1]!.startsWith("--")) i++;
  }
  return positional > g.positional ? `${positional} arguments, it takes ${g.positional}` : undefined;
}

describe("commands in the docs", () => {
  const grammars = new Map<string, Grammar>();
  beforeAll(async () => {
    await ensureCliBuilt();
    const main = await runCli(["--help"], { cwd: ROOT });
    const listed = (help: string) =>
      [...(help.split("Commands:")[1] ?? "").matchAll(/^\s{2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
    const commands = listed(main.stdout);
    expect(commands).toContain("prune");
    const helps = await Promise.all(commands.map((command) => runCli([command, "--help"], { cwd: ROOT })));
    for (const [i, command] of commands.entries()) grammars.set(command, grammar(helps[i]!.stdout, command));
    // Commands with their own subcommands (`edge-isr vinext prerender`): each one's grammar, by "command sub".
    const nested = commands.flatMap((command, i) => listed(helps[i]!.stdout).map((sub) => `${command} ${sub}`));
    expect(nested).toContain("vinext prerender");
    const nestedHelps = await Promise.all(nested.map((name) => runCli([...name.split(" "), "--help"], { cwd: ROOT })));
    for (const [i, name] of nested.entries()) grammars.set(name, grammar(nestedHelps[i]!.stdout, name));
  }, 120_000);

  it("name real subcommands, with options they have and no more arguments than they take", () => {
    const all = uses();
    expect(all.length).toBeGreaterThan(20); // the scan finds the docs' commands
    expect(problem({ file: "", command: "builds", words: ["prune"], text: "" }, grammars.get("builds"))).toBe("1 arguments, it takes 0"); // the inspector's old hint
    const resolved = all.map((use) => {
      const nested = `${use.command} ${use.words[0]}`;
      return grammars.has(nested) ? { ...use, command: nested, words: use.words.slice(1) } : use;
    });
    expect(resolved.some((use) => use.command === "vinext prerender")).toBe(true);
    const wrong = resolved.map((use) => [use, problem(use, grammars.get(use.command))] as const).filter(([, p]) => p);
    expect(wrong.map(([use, p]) => `${use.file}: ${use.text} — ${p}`)).toEqual([]);
  });
});
