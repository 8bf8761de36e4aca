/** Robust summaries: a benchmark on a shared, noisy machine reports medians and quartiles, never means. */

export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly n: number;
}

/** Linear interpolation between the closest ranks (numpy's default), on a sorted copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75), n: values.length };
}

/**
 * Calls `work` back to back, timing each call, until `budgetMs` has passed (at least `minCalls`, at most `maxCalls`)
 * and returns each call's duration in microseconds. Warm-up is the caller's business.
 */
export async function timeCalls(
  work: () => Promise<unknown>,
  budgetMs: number,
  minCalls: number,
  maxCalls: number,
): Promise<number[]> {
  const micros: number[] = [];
  const deadline = performance.now() + budgetMs;
  while (micros.length < maxCalls && (micros.length < minCalls || performance.now() < deadline)) {
    const started = performance.now();
    await work();
    micros.push((performance.now() - started) * 1000);
  }
  return micros;
}
