/**
 * Edits a wrangler config the way a person would: comments, order and layout
 * kept. JSON(C) through jsonc-parser's `modify`; TOML by appending tables
 * (`[[kv_namespaces]]` and the like are absolute, so they belong anywhere) or
 * inserting a top-level key before the first table. Every edit is checked by
 * parsing the result; one that does not give the value asked for is refused.
 */
import { applyEdits, modify } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { parseConfigText } from "../config.js";
import { CliError } from "../errors.js";

/** The parts of a wrangler config `init` reads. */
export interface ConfigView {
  main?: string;
  kv_namespaces?: { binding: string }[];
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  migrations?: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  assets?: { binding?: string; not_found_handling?: string; run_worker_first?: boolean | string[] };
  env?: Record<string, { kv_namespaces?: { binding: string }[] }>;
}

export interface ConfigEditor {
  readonly text: string;
  read(): ConfigView;
  /** Appends an item to a top-level array of tables (`kv_namespaces`, `migrations`) or `durable_objects.bindings`. */
  append(path: ["kv_namespaces"] | ["migrations"] | ["durable_objects", "bindings"], item: Record<string, unknown>): void;
  /** Sets a top-level string (`main`). */
  setTop(key: "main", value: string): void;
  /** Sets a key of the `assets` table (`binding`, `run_worker_first`). */
  setAssets(key: "binding" | "run_worker_first", value: string | string[]): void;
}

const refuse = (file: string, what: string) =>
  new CliError(
    "ERR_INIT",
    `${file}: could not add ${what} without rewriting the file's own layout`,
    `add it by hand (the README's "edge-isr init" section shows the lines), then run \`edge-isr init\` again: it keeps what is there.`,
  );

/** Sets the value at `path` in a JSON(C) text (-1 appends to an array), in the file's own indentation. */
export function jsonEdit(text: string, path: (string | number)[], value: unknown): string {
  const indent = /\n(\t| +)"/.exec(text)?.[1] ?? "  ";
  const formattingOptions = {
    insertSpaces: indent !== "\t",
    tabSize: indent === "\t" ? 1 : indent.length,
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
  return applyEdits(text, modify(text, path, value, { formattingOptions }));
}

/** A JSON or JSONC wrangler config. */
export function jsoncEditor(file: string, source: string): ConfigEditor {
  let text = source;
  const read = () => (parseConfigText(file, text) ?? {}) as ConfigView;
  const edit = (path: (string | number)[], value: unknown) => {
    text = jsonEdit(text, path, value);
  };
  return {
    get text() {
      return text;
    },
    read,
    append(path, item) {
      const parent = path.reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], read());
      if (parent !== undefined && !Array.isArray(parent)) throw refuse(file, path.join("."));
      edit(parent === undefined ? path : [...path, -1], parent === undefined ? [item] : item);
    },
    setTop(key, value) {
      edit([key], value);
    },
    setAssets(key, value) {
      edit(["assets", key], value);
    },
  };
}

const tomlString = (value: string) => JSON.stringify(value);
const tomlValue = (value: unknown): string =>
  Array.isArray(value) ? `[${value.map(tomlValue).join(", ")}]` : typeof value === "string" ? tomlString(value) : String(value);

/** A wrangler.toml. */
export function tomlEditor(file: string, source: string): ConfigEditor {
  let text = source;
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const read = () => parseConfigText(file, text) as ConfigView;
  /** Applies a text edit, kept only if the result still parses (e.g. not a table redefining an inline array). */
  const checked = (what: string, change: () => string) => {
    const next = change();
    try {
      parseToml(next);
    } catch {
      throw refuse(file, what);
    }
    text = next;
  };
  const appended = (block: string) => `${text.replace(/\s*$/, "")}${eol}${eol}${block.split("\n").join(eol)}${eol}`;
  return {
    get text() {
      return text;
    },
    read,
    append(path, item) {
      checked(path.join("."), () =>
        appended([`[[${path.join(".")}]]`, ...Object.entries(item).map(([k, v]) => `${k} = ${tomlValue(v)}`)].join("\n")),
      );
    },
    setTop(key, value) {
      const line = `${key} = ${tomlString(value)}`;
      const firstTable = /^[ \t]*\[/m.exec(text);
      checked(key, () =>
        firstTable
          ? `${text.slice(0, firstTable.index)}${line}${eol}${text.slice(firstTable.index)}`
          : `${text.replace(/\s*$/, "")}${eol}${line}${eol}`,
      );
    },
    setAssets(key, value) {
      const header = /^[ \t]*\[assets\][ \t]*$/m.exec(text);
      if (!header) throw refuse(file, `assets.${key}`);
      const at = header.index + header[0].length;
      checked(`assets.${key}`, () => `${text.slice(0, at)}${eol}${key} = ${tomlValue(value)}${text.slice(at)}`);
    },
  };
}

/** The editor for a config file by its name. */
export const configEditor = (file: string, source: string): ConfigEditor =>
  file.endsWith(".toml") ? tomlEditor(file, source) : jsoncEditor(file, source);
