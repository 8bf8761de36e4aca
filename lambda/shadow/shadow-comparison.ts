import { FLOAT_DATATYPES, outputAgreement, type WireTensor } from '../../contract/golden-set';

/** What one sample contributes to the shadow metrics. */
export interface ShadowComparison {
  /** 1 or 0 per label output (BYTES, BOOL, integers), and 0 per output the candidate answered incomparably. */
  readonly exactMatches: readonly number[];
  /** Largest |live - candidate| per numeric output the candidate answered with the same datatype and shape. */
  readonly maxAbsDifferences: readonly number[];
}

/**
 * Compares the candidate's outputs with the live ones, output by output (contract/golden-set.ts outputAgreement).
 * Labels count as exact matches; numbers as their largest difference. An output the candidate left out or gave
 * another datatype or shape cannot be compared element by element: it counts as a mismatch, whatever its type, so
 * the exact match rate shows it (an infinite difference is no value CloudWatch accepts).
 */
export function compareOutputs(live: readonly WireTensor[], candidate: readonly WireTensor[]): ShadowComparison {
  const exactMatches: number[] = [];
  const maxAbsDifferences: number[] = [];
  const agreements = outputAgreement(live, candidate);
  live.forEach((output, index) => {
    const { exact, maxAbsoluteDifference } = agreements[index];
    const comparable = maxAbsoluteDifference === undefined || Number.isFinite(maxAbsoluteDifference);
    if (!comparable) {
      exactMatches.push(0);
      return;
    }
    if (!FLOAT_DATATYPES.has(output.datatype)) exactMatches.push(exact ? 1 : 0);
    if (maxAbsoluteDifference !== undefined) maxAbsDifferences.push(maxAbsoluteDifference);
  });
  return { exactMatches, maxAbsDifferences };
}

/** What a candidate that failed to answer comparably contributes: a mismatch for every live output. */
export function incomparable(live: readonly WireTensor[]): ShadowComparison {
  return { exactMatches: live.map(() => 0), maxAbsDifferences: [] };
}
