import {
  DEFAULT_GOLDEN_TOLERANCE,
  type GoldenSet,
  goldenMismatch,
  outputAgreement,
  parseGoldenSet,
  serializeGoldenSet,
  type WireTensor,
} from '../../contract/golden-set';

const probabilities: WireTensor = {
  name: 'probabilities',
  datatype: 'FP32',
  shape: [2, 3],
  data: [0.1, 0.2, 0.7, 0.5, 0.25, 0.25],
};
const label: WireTensor = { name: 'label', datatype: 'BYTES', shape: [2], data: ['Gentoo', 'Adelie'] };
const golden: GoldenSet = {
  format: 1,
  tolerance: DEFAULT_GOLDEN_TOLERANCE,
  cases: [
    {
      name: 'held-out row 1',
      request: { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 1], data: [1, 2] }] },
      expected: [label, probabilities],
    },
  ],
};

describe('golden set file', () => {
  it('parses what it serializes, byte for byte the same on a second round', () => {
    const text = serializeGoldenSet(golden);
    const parsed = parseGoldenSet(text, 'golden.json');
    expect(parsed).toEqual(golden);
    expect(serializeGoldenSet(parsed)).toBe(text);
  });

  it.each([
    ['{', /golden.json is not valid JSON/],
    ['{"format": 2}', /"format" is 2, this version reads format 1/],
    [
      '{"format": 1, "tolerance": {"absolute": -1, "relative": 0}, "cases": []}',
      /"tolerance.absolute" must be a number >= 0/,
    ],
    ['{"format": 1, "tolerance": {"absolute": 0, "relative": 0}, "cases": []}', /"cases" is empty/],
  ])('refuses %s naming the place', (text, message) => {
    expect(() => parseGoldenSet(text, 'golden.json')).toThrow(message);
  });

  it('refuses data that does not fill the shape', () => {
    const broken = JSON.parse(serializeGoldenSet(golden));
    broken.cases[0].expected[1].data.pop();
    expect(() => parseGoldenSet(JSON.stringify(broken), 'g.json')).toThrow(
      'g.json is not a golden set: cases[0].expected[1].data has 5 elements, its shape holds 6',
    );
  });
});

describe('goldenMismatch', () => {
  it('accepts an answer within the tolerance and ignores outputs it does not expect', () => {
    const close = { ...probabilities, data: probabilities.data.map((v) => (v as number) + 1e-6) };
    const extra = { name: 'logits', datatype: 'FP32', shape: [1], data: [3] };
    expect(goldenMismatch([label, probabilities], [extra, close, label], DEFAULT_GOLDEN_TOLERANCE)).toBeUndefined();
  });

  it('names the output, the element, both values and the difference', () => {
    const off = { ...probabilities, data: [0.1, 0.2, 0.7, 0.5, 0.3, 0.2] };
    expect(goldenMismatch([probabilities], [off], DEFAULT_GOLDEN_TOLERANCE)).toBe(
      'output "probabilities" element 4 (index [1, 1]) is 0.3, expected 0.25 (difference 0.05, tolerance 0.000035)',
    );
  });

  it('compares labels exactly and says when an output is missing or reshaped', () => {
    expect(goldenMismatch([label], [{ ...label, data: ['Gentoo', 'Chinstrap'] }], DEFAULT_GOLDEN_TOLERANCE)).toBe(
      'output "label" element 1 is "Chinstrap", expected "Adelie"',
    );
    expect(goldenMismatch([label], [], DEFAULT_GOLDEN_TOLERANCE)).toBe('output "label" is missing from the answer');
    expect(goldenMismatch([label], [{ ...label, shape: [1, 2] }], DEFAULT_GOLDEN_TOLERANCE)).toBe(
      'output "label" has shape [1, 2], expected [2]',
    );
    expect(goldenMismatch([label], { error: 'x' }, DEFAULT_GOLDEN_TOLERANCE)).toBe(
      'the answer has no "outputs" array (got {"error":"x"})',
    );
  });
});

describe('outputAgreement', () => {
  it('reports exact agreement and the largest numeric difference per output', () => {
    const shifted = { ...probabilities, data: [0.1, 0.2, 0.7, 0.5, 0.35, 0.15] };
    const [labels, probs] = outputAgreement([label, probabilities], [shifted, { ...label }]);
    expect(labels).toEqual({ name: 'label', exact: true, maxAbsoluteDifference: undefined });
    expect(probs.exact).toBe(false);
    expect(probs.maxAbsoluteDifference).toBeCloseTo(0.1, 10);
  });

  it('treats a missing or reshaped output as total disagreement', () => {
    expect(outputAgreement([probabilities], [])).toEqual([
      { name: 'probabilities', exact: false, maxAbsoluteDifference: Number.POSITIVE_INFINITY },
    ]);
  });
});
