/** The statistics the benchmarks report: medians of rounds, means and quantiles of latencies, rounded figures. */

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The `q` quantile of ascending samples by nearest rank: p99 of 100 samples is the 99th. */
export const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

/** A bench's rounding of its figures: `digits` decimals, `defaultDigits` unless told. */
export const rounding =
  (defaultDigits: number) =>
  (x: number, digits = defaultDigits): number =>
    Number(x.toFixed(digits));
