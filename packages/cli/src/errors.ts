/**
 * CLI errors in wrangler's style: a stable code, what happened, and how to
 * solve it. Printed without a stack trace; the process exits non-zero.
 */
import { format } from "node:util";
import { CliLimits } from "./limits.js";

export type CliErrorCode =
  | "ERR_CONFIG_NOT_FOUND"
  | "ERR_UNKNOWN_ENV"
  | "ERR_NO_KV_BINDING"
  | "ERR_MISSING_TOKEN"
  | "ERR_MISSING_ACCOUNT"
  | "ERR_WORKER_NOT_BUILT"
  | "ERR_WORKER_START"
  | "ERR_NO_PRERENDER_SUPPORT"
  | "ERR_ROUTES_FILE"
  | "ERR_PRERENDER_FAILED"
  | "ERR_VERIFY_FAILED"
  | "ERR_VALUE_TOO_LARGE"
  | "ERR_BUILD_NOT_FOUND"
  | "ERR_NO_PREVIOUS_BUILD"
  | "ERR_BAD_ARGUMENT"
  | "ERR_KV_API"
  | "ERR_IMPORT_FILE"
  | "ERR_ENTRY_NOT_FOUND"
  | "ERR_PURGE_FAILED"
  | "ERR_EXPORT_FILE"
  | "ERR_SERVER_UNREACHABLE"
  | "ERR_NO_LOCAL_STATE"
  | "ERR_POINTER_IGNORED"
  | "ERR_WORKER_UNKNOWN"
  | "ERR_SERVED_BUILD_UNKNOWN"
  | "ERR_CHECKSUM"
  | "ERR_NOT_ENDPOINT"
  | "ERR_INTERRUPTED";

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: CliErrorCode,
    message: string,
    /** How to solve it, in one or two sentences. */
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The secrets the CLI (or the cloudflare client it uses) reads from the environment. */
const SECRET_VARIABLES = ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "EDGE_ISR_PRERENDER_TOKEN", "EDGE_ISR_SECRET"];

/**
 * Hides the secrets the CLI holds — wherever they appear, e.g. echoed back in a
 * server's error body — and anything else that looks like a token, before a
 * message is printed. A "secret" shorter than `CliLimits.minRedactedSecret` is
 * not hidden: it is a word ("wrong", "test") that would mangle every message
 * containing it, and no secret at all (`purge --endpoint` warns about it).
 */
export function redact(text: string): string {
  for (const name of SECRET_VARIABLES) {
    const secret = process.env[name];
    if (secret && secret.length >= CliLimits.minRedactedSecret) text = text.split(secret).join("[redacted]");
  }
  return text.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, "$1[redacted]").replace(/\b[A-Za-z0-9_-]{40}\b/g, "[redacted]");
}

/** The cloudflare client's logger, redacted like errors (with CLOUDFLARE_LOG=debug it logs error bodies, which may echo the token). */
export const redactedLogger = {
  error: (...args: unknown[]) => console.error(redact(format(...args))),
  warn: (...args: unknown[]) => console.warn(redact(format(...args))),
  info: (...args: unknown[]) => console.info(redact(format(...args))),
  debug: (...args: unknown[]) => console.debug(redact(format(...args))),
};

/** The exit code of an error: 130 for Ctrl-C (as shells report SIGINT), 1 for a CliError, 2 for a bug. */
export const exitCodeOf = (error: unknown) => (error instanceof CliError ? (error.code === "ERR_INTERRUPTED" ? 130 : 1) : 2);

export function formatError(error: unknown): string {
  if (error instanceof CliError) {
    return `✘ [${error.code}] ${redact(error.message)}\n\n  How to solve this error: ${redact(error.hint)}\n`;
  }
  return `✘ [ERR_UNEXPECTED] ${redact(String((error as Error)?.stack ?? error))}\n\n  How to solve this error: this is a bug in edge-isr; please report it with the command you ran.\n`;
}
