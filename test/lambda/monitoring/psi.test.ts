import { countInBins, driftStatus, populationStabilityIndex } from '../../../lambda/monitoring/psi';

describe('populationStabilityIndex', () => {
  it('is 0 for the same shares, whatever the totals', () => {
    expect(populationStabilityIndex([10, 20, 30, 40], [1, 2, 3, 4])).toBeCloseTo(0, 12);
  });

  it('gives the textbook value for a known shift', () => {
    // Shares 0.5/0.5 against 0.25/0.75: (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5) = 0.25 ln 3.
    expect(populationStabilityIndex([50, 50], [25, 75])).toBeCloseTo(0.25 * Math.log(3), 12);
  });

  it('is symmetric and stays finite when a bin is empty on one side', () => {
    const forward = populationStabilityIndex([100, 0], [50, 50]);
    expect(forward).toBeCloseTo(populationStabilityIndex([50, 50], [100, 0]), 12);
    expect(Number.isFinite(forward)).toBe(true);
    expect(forward).toBeGreaterThan(2);
  });

  it('is NaN when either side has no values, and refuses different bins', () => {
    expect(populationStabilityIndex([0, 0], [1, 2])).toBeNaN();
    expect(populationStabilityIndex([1, 2], [0, 0])).toBeNaN();
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/same bins: 2 expected bins, 3 actual/);
  });
});

describe('countInBins', () => {
  it('puts a value on an edge in the bin the edge closes, and NaN in missing', () => {
    expect(countInBins([1, 2], [0, 1, 1.5, 2, 2.5, Number.NaN, -Infinity, Infinity])).toEqual({
      counts: [3, 2, 2],
      missing: 1,
    });
  });

  it('has one bin for no edges', () => {
    expect(countInBins([], [1, 2, 3])).toEqual({ counts: [3], missing: 0 });
  });
});

describe('driftStatus', () => {
  const thresholds = { watch: 0.1, act: 0.2 };
  it.each([
    [0, 'stable'],
    [0.0999, 'stable'],
    [0.1, 'watch'],
    [0.1999, 'watch'],
    [0.2, 'act'],
    [3, 'act'],
    [Number.NaN, 'stable'],
  ])('%d is %s', (psi, status) => {
    expect(driftStatus(psi, thresholds)).toBe(status);
  });
});
