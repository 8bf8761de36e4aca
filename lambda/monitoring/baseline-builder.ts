/**
 * A model's training-data baseline (contract/baseline.ts) from the tensors of its training rows and of the model's
 * answers on them: quantile bins for numeric features, frequencies for categorical ones. `npm run train` and
 * `npm run baseline` write what this builds into model.json.
 */
import {
  BASELINE_FORMAT,
  type Baseline,
  type CategoricalDistribution,
  type Distribution,
  type NumericDistribution,
} from '../../contract/baseline';
import type { Tensor } from '../protocol/tensor';
import { type DescribedModel, type DistributionKey, distributionLayout, rowCount, valuesOf } from './feature-values';
import { countInBins } from './psi';

/** Ten bins of a tenth of the training rows each: the usual choice for PSI, fine enough and stable enough. */
export const DEFAULT_BINS = 10;

export interface BaselineBatch {
  /** The model's input tensors for a batch of training rows. */
  readonly inputs: readonly Tensor[];
  /** The model's answers on those rows. */
  readonly outputs: readonly Tensor[];
}

export interface BaselineOptions {
  /** Number of quantile bins per numeric feature (fewer when values repeat). @default 10 */
  readonly bins?: number;
  /** Where the rows came from, for people reading model.json. */
  readonly source?: string;
}

/** Summarises the batches of a model's training rows and answers; throws when there are no rows at all. */
export function buildBaseline(
  model: DescribedModel,
  batches: Iterable<BaselineBatch>,
  options: BaselineOptions = {},
): Baseline {
  const bins = options.bins ?? DEFAULT_BINS;
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a whole number of at least 1, got ${bins}`);
  const layout = distributionLayout(model);
  const inputValues = layout.inputs.map(() => [] as (number | string)[]);
  const outputValues = layout.outputs.map(() => [] as (number | string)[]);
  const labels = model.manifest.labels;
  let rows = 0;
  for (const batch of batches) {
    rows += rowCount(batch.inputs);
    collect(layout.inputs, inputValues, batch.inputs, undefined);
    collect(layout.outputs, outputValues, batch.outputs, labels);
  }
  if (rows === 0) throw new Error(`no rows to summarise for model "${model.name}": give at least one training row`);
  return {
    format: BASELINE_FORMAT,
    rows,
    ...(options.source !== undefined && { source: options.source }),
    inputs: layout.inputs.map((key, i) => summarise(key, inputValues[i] ?? [], bins, undefined)),
    outputs: layout.outputs.map((key, i) => summarise(key, outputValues[i] ?? [], bins, labels)),
  };
}

function collect(
  keys: readonly DistributionKey[],
  sinks: (number | string)[][],
  tensors: readonly Tensor[],
  labels: readonly string[] | undefined,
): void {
  keys.forEach((key, i) => {
    const values = valuesOf(key, tensors, labels);
    const sink = sinks[i];
    if (values === undefined || sink === undefined) return;
    for (const value of values) sink.push(value);
  });
}

function summarise(
  key: DistributionKey,
  values: readonly (number | string)[],
  bins: number,
  labels: readonly string[] | undefined,
): Distribution {
  const base = { name: key.name, tensor: key.tensor, ...(key.index !== undefined && { index: key.index }) };
  if (key.kind === 'numeric') return { ...base, ...numericSummary(values.map(Number), bins) };
  return { ...base, ...categoricalSummary(values.map(String), labels) };
}

/**
 * Quantile bins: the cut points are the values at 1/bins, 2/bins ... of the sorted values, kept once each and only
 * below the largest value (a cut at the maximum would leave an empty last bin), so a constant column is one bin
 * and a column of few distinct values gets one bin per value at most.
 */
export function numericSummary(
  values: readonly number[],
  bins: number,
): Pick<NumericDistribution, 'kind' | 'edges' | 'counts' | 'missing'> {
  const present = Float64Array.from(values.filter((value) => !Number.isNaN(value))).sort();
  const edges: number[] = [];
  const largest = present[present.length - 1];
  for (let bin = 1; bin < bins && largest !== undefined; bin++) {
    const edge = present[Math.ceil((bin * present.length) / bins) - 1];
    if (edge === undefined || !Number.isFinite(edge) || edge >= largest) continue;
    if (edges.length === 0 || edge > (edges[edges.length - 1] ?? Number.NEGATIVE_INFINITY)) edges.push(edge);
  }
  const { counts, missing } = countInBins(edges, values);
  return { kind: 'numeric', edges, counts, ...(missing > 0 && { missing }) };
}

/**
 * Frequencies: the labels in their order when the model names them (so a class never predicted in training still
 * has its bin), then every other value seen, most frequent first.
 */
export function categoricalSummary(
  values: readonly string[],
  labels: readonly string[] | undefined,
): Pick<CategoricalDistribution, 'kind' | 'categories' | 'counts'> {
  const frequency = new Map<string, number>();
  for (const value of values) frequency.set(value, (frequency.get(value) ?? 0) + 1);
  const named = labels ?? [];
  const seen = [...frequency.keys()]
    .filter((value) => !named.includes(value))
    .sort((a, b) => (frequency.get(b) ?? 0) - (frequency.get(a) ?? 0) || a.localeCompare(b));
  const categories = [...named, ...seen];
  return { kind: 'categorical', categories, counts: categories.map((category) => frequency.get(category) ?? 0) };
}
