import type { DriftStatus } from '../../contract/baseline';

/**
 * Share given to an empty bin on either side. Without it a bin empty in one distribution makes PSI infinite; with
 * it, PSI stays finite and a bin that fills from nothing still adds a large term. 1e-4 is the usual choice.
 */
const EMPTY_BIN_SHARE = 1e-4;

/**
 * Population stability index of `actual` against `expected`, both counts over the same bins:
 * sum over bins of (a - e) * ln(a / e), with a and e the bins' shares. 0 for identical shares; by convention
 * below 0.1 is stable, 0.1 to 0.2 a moderate shift, above 0.2 a significant one. Either side with no values at all
 * gives NaN: there is nothing to compare.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) {
    throw new Error(`PSI needs counts over the same bins: ${expected.length} expected bins, ${actual.length} actual`);
  }
  const expectedTotal = sum(expected);
  const actualTotal = sum(actual);
  if (expectedTotal === 0 || actualTotal === 0) return Number.NaN;
  let psi = 0;
  for (let bin = 0; bin < expected.length; bin++) {
    const e = Math.max(expected[bin] / expectedTotal, EMPTY_BIN_SHARE);
    const a = Math.max(actual[bin] / actualTotal, EMPTY_BIN_SHARE);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Counts of `values` in the bins cut by `edges` (ascending inner cut points, contract/baseline.ts): bin 0 holds
 * values <= edges[0], bin i holds edges[i-1] < value <= edges[i], the last bin values above the last edge.
 * NaN values are not counted in any bin; they are returned as `missing`.
 */
export function countInBins(
  edges: readonly number[],
  values: Iterable<number>,
): { readonly counts: number[]; readonly missing: number } {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let missing = 0;
  for (const value of values) {
    if (Number.isNaN(value)) {
      missing++;
      continue;
    }
    counts[binOf(edges, value)]++;
  }
  return { counts, missing };
}

/** The bin of `value` among bins cut by `edges`: the first edge at or above it, by binary search. */
export function binOf(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (value <= edges[middle]) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Where a PSI stands against the thresholds; NaN (nothing to compare) counts as stable. */
export function driftStatus(psi: number, thresholds: { readonly watch: number; readonly act: number }): DriftStatus {
  if (psi >= thresholds.act) return 'act';
  if (psi >= thresholds.watch) return 'watch';
  return 'stable';
}

function sum(counts: readonly number[]): number {
  let total = 0;
  for (const count of counts) total += count;
  return total;
}
