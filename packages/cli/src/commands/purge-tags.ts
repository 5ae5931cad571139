/**
 * What `edge-isr purge` invalidates: its --tag and --path arguments, checked
 * before anything is opened (the command imports this first, so a wrong call
 * answers at once).
 */
import { HandlerLimits } from "@edge-isr/kv-cache-handler";
import { pathTag } from "@edge-isr/runtime";
import { CliError } from "../errors.js";
import type { TargetFlags } from "../target-flags.js";

/** `stale`: served while they regenerate (Next's "max" profile); otherwise expired at once (Next 16's default). `expire` is the default, kept as a flag for scripts that pass it. */
export type PurgeFlags = TargetFlags & {
  tag?: string[];
  path?: string[];
  layout?: boolean;
  expire?: boolean;
  stale?: boolean;
  endpoint?: string;
  cdnZone?: string;
};

/** The tags a purge names: `--tag`s, then each `--path`'s implicit tag. */
export function purgeTags(flags: Pick<PurgeFlags, "tag" | "path" | "layout">): string[] {
  const tags = [...(flags.tag ?? [])];
  for (const tag of tags) {
    if (tag.length === 0 || tag.length > HandlerLimits.maxTagLength) {
      throw new CliError(
        "ERR_BAD_ARGUMENT",
        `--tag ${JSON.stringify(tag.slice(0, 80))} is ${tag.length ? `${tag.length} characters, over the limit of ${HandlerLimits.maxTagLength}` : "empty"}`,
        `tags are 1 to ${HandlerLimits.maxTagLength} characters, as the pages set them.`,
      );
    }
  }
  for (const path of flags.path ?? []) {
    if (!path.startsWith("/")) {
      throw new CliError(
        "ERR_BAD_ARGUMENT",
        `--path ${JSON.stringify(path.slice(0, 100))} does not start with "/"`,
        "pass the page's path as the browser shows it, e.g. --path /blog/hello.",
      );
    }
    try {
      tags.push(pathTag(path, flags.layout ? "layout" : undefined));
    } catch {
      throw new CliError(
        "ERR_BAD_ARGUMENT",
        `--path ${JSON.stringify(path.slice(0, 100))} is not a valid path`,
        "pass a path without NUL characters or broken %-escapes, at most 2048 characters long.",
      );
    }
  }
  if (tags.length === 0) {
    throw new CliError(
      "ERR_BAD_ARGUMENT",
      "purge needs at least one --tag or --path",
      "name what to invalidate, e.g. `edge-isr purge --tag product:42` or `edge-isr purge --path /blog --layout`.",
    );
  }
  return [...new Set(tags)];
}
