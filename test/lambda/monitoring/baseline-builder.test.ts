import { parseBaseline } from '../../../contract/baseline';
import { buildBaseline, categoricalSummary, numericSummary } from '../../../lambda/monitoring/baseline-builder';
import type { DescribedModel } from '../../../lambda/monitoring/feature-values';
import type { Tensor } from '../../../lambda/protocol/tensor';

describe('numericSummary', () => {
  it('cuts a uniform column into ten bins of a tenth each', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const summary = numericSummary(values, 10);
    expect(summary.edges).toEqual([99, 199, 299, 399, 499, 599, 699, 799, 899]);
    expect(summary.counts).toEqual(new Array(10).fill(100));
  });

  it('makes a constant column one bin, and a column of few values no more bins than values', () => {
    expect(numericSummary([5, 5, 5, 5], 10)).toEqual({ kind: 'numeric', edges: [], counts: [4] });
    const twoValues = numericSummary([...new Array(70).fill(0), ...new Array(30).fill(1)], 10);
    expect(twoValues.edges).toEqual([0]);
    expect(twoValues.counts).toEqual([70, 30]);
  });

  it('counts NaN as missing, outside the bins, and ignores it for the cut points', () => {
    const summary = numericSummary([1, 2, 3, 4, Number.NaN, Number.NaN], 2);
    expect(summary.edges).toEqual([2]);
    expect(summary.counts).toEqual([2, 2]);
    expect(summary.missing).toBe(2);
  });

  it('gives edges a baseline parser accepts: finite and strictly ascending, whatever the values', () => {
    const values = [Number.NEGATIVE_INFINITY, -1, -1, 0, 0, 0, 2, 2, 1e9, Number.POSITIVE_INFINITY];
    const summary = numericSummary(values, 10);
    const baseline = { format: 1, rows: 10, inputs: [{ name: 'x', tensor: 'x', ...summary }], outputs: [] };
    expect(() => parseBaseline(baseline, 'test')).not.toThrow();
    expect(summary.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
  });
});

describe('categoricalSummary', () => {
  it('lists the labels in their order, even one never seen, then other values by frequency', () => {
    expect(categoricalSummary(['b', 'x', 'y', 'y', 'b'], ['a', 'b'])).toEqual({
      kind: 'categorical',
      categories: ['a', 'b', 'y', 'x'],
      counts: [0, 2, 2, 1],
    });
  });
});

describe('buildBaseline', () => {
  const model: DescribedModel = {
    name: 'mixed',
    version: '1',
    inputs: [
      { name: 'measures', datatype: 'FP16', shape: [-1, 2] },
      { name: 'flags', datatype: 'BOOL', shape: [-1, 3] },
      { name: 'image', datatype: 'UINT8', shape: [-1, 2, 2] },
    ],
    outputs: [
      { name: 'class', datatype: 'INT64', shape: [-1] },
      { name: 'scores', datatype: 'FP32', shape: [-1, 2] },
    ],
    manifest: { features: ['height', 'weight'], labels: ['cat', 'dog'] },
  };
  // 1.5 and 2.5 as half-precision bit patterns, what the server hands ONNX Runtime for FP16.
  const half = { '1.5': 0x3e00, '2.5': 0x4100 };
  const batch = {
    inputs: [
      {
        name: 'measures',
        datatype: 'FP16',
        shape: [2, 2],
        data: Uint16Array.from([half['1.5'], half['2.5'], half['2.5'], half['2.5']]),
      },
      { name: 'flags', datatype: 'BOOL', shape: [2, 3], data: Uint8Array.from([1, 0, 0, 1, 1, 0]) },
      { name: 'image', datatype: 'UINT8', shape: [2, 2, 2], data: Uint8Array.from([0, 0, 0, 255, 0, 0, 255, 255]) },
    ] satisfies Tensor[],
    outputs: [
      { name: 'class', datatype: 'INT64', shape: [2], data: BigInt64Array.from([1n, 7n]) },
      { name: 'scores', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([0.2, 0.8, 0.9, 0.1]) },
    ] satisfies Tensor[],
  };

  it('gives one distribution per named feature, one per other tensor, and labels for a class index', () => {
    const baseline = buildBaseline(model, [batch], { source: 'two rows' });
    expect(baseline.rows).toBe(2);
    expect(baseline.source).toBe('two rows');
    expect(baseline.inputs.map((d) => [d.name, d.tensor, d.index, d.kind])).toEqual([
      ['height', 'measures', 0, 'numeric'],
      ['weight', 'measures', 1, 'numeric'],
      ['flags', 'flags', undefined, 'categorical'],
      ['image', 'image', undefined, 'numeric'],
    ]);
    const [height, weight, flags] = baseline.inputs;
    expect(height?.kind === 'numeric' && height.edges).toEqual([1.5]);
    expect(height?.counts).toEqual([1, 1]);
    expect(weight?.kind === 'numeric' && weight.edges).toEqual([]);
    expect(flags?.kind === 'categorical' && flags.categories).toEqual(['false', 'true']);
    expect(flags?.counts).toEqual([3, 3]);
    const [label, scores] = baseline.outputs;
    // An index outside the labels keeps its number, so it still shows up rather than being counted as a label.
    expect(label).toEqual({
      name: 'class',
      tensor: 'class',
      kind: 'categorical',
      categories: ['cat', 'dog', '7'],
      counts: [0, 1, 1],
    });
    expect(scores?.kind).toBe('numeric');
    expect(() => parseBaseline(JSON.parse(JSON.stringify(baseline)), 'test')).not.toThrow();
  });

  it('fails when there are no rows to summarise', () => {
    expect(() => buildBaseline(model, [])).toThrow(/no rows to summarise for model "mixed"/);
  });
});
