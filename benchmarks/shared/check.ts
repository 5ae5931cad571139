/** A bench's sanity check: a wrong answer stops the run rather than being measured. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`bench sanity check failed: ${message}`);
}
