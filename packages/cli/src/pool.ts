/**
 * Runs `work` over `items`, at most `concurrency` at a time (each lane takes the
 * next item). Once `signal` aborts, no lane takes another item.
 */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length && !signal?.aborted) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}
