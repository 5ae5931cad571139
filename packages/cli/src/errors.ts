/**
 * CLI errors in wrangler's style: a stable code, what happened, and how to
 * solve it. Printed without a stack trace; the process exits non-zero.
 */
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
  | "ERR_SERVER_UNREACHABLE";

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

/** Hides anything that looks like a token before a message is printed. */
export function redact(text: string): string {
  return text.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, "$1[redacted]").replace(/\b[A-Za-z0-9_-]{40}\b/g, "[redacted]");
}

export function formatError(error: unknown): string {
  if (error instanceof CliError) {
    return `✘ [${error.code}] ${redact(error.message)}\n\n  How to solve this error: ${redact(error.hint)}\n`;
  }
  return `✘ [ERR_UNEXPECTED] ${redact(String((error as Error)?.stack ?? error))}\n\n  How to solve this error: this is a bug in edge-isr; please report it with the command you ran.\n`;
}
