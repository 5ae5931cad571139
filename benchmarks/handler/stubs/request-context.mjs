// Stand-in for `vinext/shims/request-context` (vinext itself is not installed):
// outside a vinext request there is no ExecutionContext, so the handler falls
// back to the `ctx` passed to its constructor, as it does in Node.
export function getRequestExecutionContext() {
  return undefined;
}
