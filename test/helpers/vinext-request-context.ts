/** Stands in for `vinext/shims/request-context` when vinext's KV handler runs outside vinext. */
export function getRequestExecutionContext(): undefined {
  return undefined;
}
