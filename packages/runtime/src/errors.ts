/** Stable codes for what the runtime reports. */
export type EdgeIsrRuntimeErrorCode =
  | "ERR_NO_CACHE_HANDLER"
  | "ERR_ROUTE_INVALID"
  | "ERR_RENDER_FAILED"
  | "ERR_RENDER_TIMEOUT"
  | "ERR_CACHE_READ"
  | "ERR_CACHE_WRITE"
  | "ERR_LEASE"
  | "ERR_STATIC_PARAMS"
  | "ERR_OPTION_INVALID";

/** The one error class of `@edge-isr/runtime`: a stable `code` and a message that says what to do. */
export class EdgeIsrRuntimeError extends Error {
  override readonly name = "EdgeIsrRuntimeError";
  readonly code: EdgeIsrRuntimeErrorCode;

  constructor(code: EdgeIsrRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[edge-isr] ${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
