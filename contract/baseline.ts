/**
 * A model's training-data baseline: the distribution of each input feature and each output over the rows it was
 * trained on. `npm run train` and `npm run baseline` write it into a version's model.json under "baseline"; it then
 * travels in the model descriptor, pinned with the model, and the drift job and `npm run drift` compare recent
 * traffic against it.
 */
export interface Baseline {
  /** Format of this block; a reader refuses a format it does not know instead of misreading it. */
  readonly format: typeof BASELINE_FORMAT;
  /** Number of rows (batch rows) summarised. */
  readonly rows: number;
  /** Where the rows came from, for people: e.g. "training split of penguins.json, 258 rows". */
  readonly source?: string;
  readonly inputs: readonly Distribution[];
  readonly outputs: readonly Distribution[];
}

export const BASELINE_FORMAT = 1;

/**
 * One feature's distribution. A tensor whose last axis has named features (model.json "features", in order) gives
 * one distribution per feature, `index` being its position on that axis; any other tensor gives one distribution
 * over all its elements, named after the tensor, without `index`.
 */
export type Distribution = NumericDistribution | CategoricalDistribution;

interface DistributionBase {
  /** The feature's name (from model.json "features"), or the tensor's name for a tensor summarised whole. */
  readonly name: string;
  /** The input or output tensor the values come from. */
  readonly tensor: string;
  /** Position on the tensor's last axis; absent when the whole tensor is summarised. */
  readonly index?: number;
}

/**
 * Quantile bins of a numeric feature. `edges` are the inner cut points, ascending and distinct, so there are
 * `edges.length + 1` bins: bin 0 holds values <= edges[0], bin i holds edges[i-1] < value <= edges[i], and the last
 * bin holds values > the last edge. `counts[i]` is the number of baseline values in bin i. NaN values are counted
 * in `missing`, outside the bins.
 */
export interface NumericDistribution extends DistributionBase {
  readonly kind: 'numeric';
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly missing?: number;
}

/**
 * Frequencies of a label-like feature (BYTES, BOOL, a class index, or an output named by model.json "labels"):
 * `counts[i]` is the number of values equal to `categories[i]`; values seen later that are not among the
 * categories fall into an implicit "other" bin whose baseline count is `other` (0 when absent).
 */
export interface CategoricalDistribution extends DistributionBase {
  readonly kind: 'categorical';
  readonly categories: readonly string[];
  readonly counts: readonly number[];
  readonly other?: number;
}

/**
 * The usual population stability index thresholds: below `watch` the feature is stable; from `watch` to `act` it
 * has moved and is worth watching; from `act` up it has shifted enough to act on (investigate, retrain).
 */
export const DRIFT_THRESHOLDS = { watch: 0.1, act: 0.2 } as const;

export type DriftStatus = 'stable' | 'watch' | 'act';

/** Parses and checks a baseline block; throws an Error naming the source, the field and what was expected. */
export function parseBaseline(value: unknown, source: string): Baseline {
  const fail = (what: string): never => {
    throw new Error(`${source}: "baseline" ${what}; recompute it with npm run baseline`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a JSON object');
  const b = value as Record<string, unknown>;
  if (b.format !== BASELINE_FORMAT) fail(`"format" must be ${BASELINE_FORMAT}, got ${JSON.stringify(b.format)}`);
  if (!Number.isInteger(b.rows) || (b.rows as number) < 0) fail('"rows" must be a whole number');
  if (b.source !== undefined && typeof b.source !== 'string') fail('"source" must be a string');
  const distributions = (field: 'inputs' | 'outputs'): Distribution[] => {
    const list = b[field];
    if (!Array.isArray(list)) return fail(`"${field}" must be an array`);
    return list.map((item, position) => checkDistribution(item, `"${field}"[${position}]`, fail));
  };
  return {
    format: BASELINE_FORMAT,
    rows: b.rows as number,
    ...(b.source !== undefined && { source: b.source as string }),
    inputs: distributions('inputs'),
    outputs: distributions('outputs'),
  };
}

function checkDistribution(item: unknown, where: string, fail: (what: string) => never): Distribution {
  if (typeof item !== 'object' || item === null) return fail(`${where} must be an object`);
  const d = item as Record<string, unknown>;
  if (typeof d.name !== 'string' || typeof d.tensor !== 'string') fail(`${where} needs "name" and "tensor" strings`);
  if (d.index !== undefined && !(Number.isInteger(d.index) && (d.index as number) >= 0)) {
    fail(`${where}."index" must be a whole number`);
  }
  const counts = d.counts;
  const countsOk = Array.isArray(counts) && counts.every((count) => Number.isInteger(count) && count >= 0);
  if (!countsOk) fail(`${where}."counts" must be an array of whole numbers`);
  const length = (counts as number[]).length;
  if (d.kind === 'numeric') {
    const edges = d.edges;
    const ascending =
      Array.isArray(edges) &&
      edges.every((edge, i) => typeof edge === 'number' && Number.isFinite(edge) && (i === 0 || edge > edges[i - 1]));
    if (!ascending) fail(`${where}."edges" must be finite numbers in strictly ascending order`);
    if (length !== (edges as number[]).length + 1) fail(`${where} needs one more count than edges`);
    return item as NumericDistribution;
  }
  if (d.kind === 'categorical') {
    const categories = d.categories;
    if (!(Array.isArray(categories) && categories.every((category) => typeof category === 'string'))) {
      fail(`${where}."categories" must be an array of strings`);
    }
    if (length !== (categories as string[]).length) fail(`${where} needs one count per category`);
    return item as CategoricalDistribution;
  }
  return fail(`${where}."kind" must be "numeric" or "categorical"`);
}
