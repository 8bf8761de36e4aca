/**
 * Which distributions a model's tensors give (one per named feature, one per labelled output, one per other tensor)
 * and the values of each in a decoded tensor. The baseline builder and the drift computation both go through these
 * functions, so recent traffic is always summarised exactly as the training rows were.
 */

import { INTEGER_DATATYPES } from '../../contract/datatypes';
import type { ModelManifest } from '../../contract/model-repository';
import { fromHalfBits } from '../protocol/fp16';
import type { Datatype, ModelSpec, Tensor } from '../protocol/tensor';
import type { HiddenPositions } from './hidden-values';

/** What the layout needs of a model: its tensors and its model.json. A ModelDescriptor is one. */
export interface DescribedModel extends ModelSpec {
  readonly manifest: ModelManifest;
}

/** One distribution of a model, before any value is counted: what contract/baseline.ts Distribution describes. */
export interface DistributionKey {
  readonly name: string;
  readonly tensor: string;
  readonly index?: number;
  readonly kind: 'numeric' | 'categorical';
}

export interface DistributionLayout {
  readonly inputs: readonly DistributionKey[];
  readonly outputs: readonly DistributionKey[];
}

/**
 * The distributions of a model. An input whose declared last axis has as many elements as model.json names
 * "features" gives one numeric column per feature (the first such input only: names must stay unique). An output
 * that carries a label (BYTES, or an integer class index of one element per row) is categorical when model.json
 * names "labels". Any other tensor is one distribution over all its elements: categorical for BYTES and BOOL,
 * numeric otherwise (probabilities and scores included).
 */
export function distributionLayout(model: DescribedModel): DistributionLayout {
  const features = model.manifest.features ?? [];
  const featureTensor = model.inputs.find(
    (spec) => features.length > 0 && spec.anyRank !== true && spec.shape[spec.shape.length - 1] === features.length,
  );
  const inputs = model.inputs.flatMap((spec): DistributionKey[] =>
    spec === featureTensor
      ? features.map((name, index) => ({ name, tensor: spec.name, index, kind: wholeTensorKind(spec.datatype) }))
      : [{ name: spec.name, tensor: spec.name, kind: wholeTensorKind(spec.datatype) }],
  );
  const hasLabels = (model.manifest.labels ?? []).length > 0;
  const outputs = model.outputs.map(
    (spec): DistributionKey => ({
      name: spec.name,
      tensor: spec.name,
      kind: hasLabels && isLabelOutput(spec) ? 'categorical' : wholeTensorKind(spec.datatype),
    }),
  );
  return { inputs, outputs };
}

function wholeTensorKind(datatype: Datatype): DistributionKey['kind'] {
  return datatype === 'BYTES' || datatype === 'BOOL' ? 'categorical' : 'numeric';
}

/** A label per row: BYTES, or an integer tensor of shape [batch] or [batch, 1] (a class index). */
function isLabelOutput(spec: ModelSpec['outputs'][number]): boolean {
  if (spec.datatype === 'BYTES') return true;
  if (!INTEGER_DATATYPES.has(spec.datatype)) return false;
  return spec.shape.length === 1 || (spec.shape.length === 2 && spec.shape[1] === 1);
}

/**
 * The elements of `tensor` that belong to a distribution: every element, or with `index` the elements at that
 * position of the last axis (one per row), except `hidden` positions (values a capture policy dropped or hashed).
 * Calls `visit` with each element's position in the flat data.
 */
function forEachPosition(
  tensor: Tensor,
  index: number | undefined,
  hidden: ReadonlySet<number> | undefined,
  visit: (position: number) => void,
): void {
  const length = tensor.data.length;
  const start = index ?? 0;
  const stride = index === undefined ? 1 : (tensor.shape[tensor.shape.length - 1] ?? 1);
  if (start >= stride && index !== undefined) return;
  for (let position = start; position < length; position += stride) {
    if (hidden === undefined || !hidden.has(position)) visit(position);
  }
}

/** Numeric values of a distribution in a tensor; FP16 bit patterns become their values, 64-bit integers numbers. */
export function numericValues(tensor: Tensor, index?: number, hidden?: ReadonlySet<number>): number[] {
  const values: number[] = [];
  const data = tensor.data;
  if (isStringData(data)) {
    forEachPosition(tensor, index, hidden, (position) => values.push(Number(data[position])));
  } else if (tensor.datatype === 'FP16') {
    forEachPosition(tensor, index, hidden, (position) => values.push(fromHalfBits(Number(data[position]))));
  } else {
    forEachPosition(tensor, index, hidden, (position) => values.push(Number(data[position])));
  }
  return values;
}

/**
 * Categorical values of a distribution in a tensor, as strings: BYTES as they are, BOOL as "true"/"false", and
 * integers as the label they index when `labels` is given (an index outside the labels stays its number).
 */
export function categoricalValues(
  tensor: Tensor,
  index?: number,
  labels?: readonly string[],
  hidden?: ReadonlySet<number>,
): string[] {
  const values: string[] = [];
  const data = tensor.data;
  if (isStringData(data)) {
    forEachPosition(tensor, index, hidden, (position) => values.push(data[position]));
  } else if (tensor.datatype === 'BOOL') {
    forEachPosition(tensor, index, hidden, (position) => values.push(data[position] ? 'true' : 'false'));
  } else {
    forEachPosition(tensor, index, hidden, (position) => {
      const value = Number(data[position]);
      values.push(labels?.[value] ?? String(value));
    });
  }
  return values;
}

function isStringData(data: Tensor['data']): data is readonly string[] {
  return Array.isArray(data);
}

/** Number of rows (the first dimension) of the first tensor, 1 for a scalar. */
export function rowCount(tensors: readonly Tensor[]): number {
  const first = tensors[0];
  if (first === undefined) return 0;
  return first.shape.length === 0 ? 1 : (first.shape[0] ?? 0);
}

/** Where a distribution's values come from among decoded tensors, for the baseline builder and the window. */
export function valuesOf(
  key: DistributionKey,
  tensors: readonly Tensor[],
  labels: readonly string[] | undefined,
  hidden?: HiddenPositions,
): number[] | string[] | undefined {
  const tensor = tensors.find((candidate) => candidate.name === key.tensor);
  if (tensor === undefined) return undefined;
  const skip = hidden?.get(key.tensor);
  return key.kind === 'numeric'
    ? numericValues(tensor, key.index, skip)
    : categoricalValues(tensor, key.index, labels, skip);
}
