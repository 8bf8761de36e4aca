import { type Random, randomInt, shuffle } from './seeded-random';

export type TreeNode =
  | { readonly kind: 'leaf'; readonly distribution: readonly number[] }
  | {
      readonly kind: 'split';
      readonly feature: number;
      /** Rows with `value <= threshold` go left, as ONNX's BRANCH_LEQ does. A float32, so ONNX compares the same. */
      readonly threshold: number;
      readonly left: TreeNode;
      readonly right: TreeNode;
    };

export interface ForestOptions {
  readonly trees: number;
  readonly maxDepth: number;
  /** How many randomly chosen features each split may look at; fewer decorrelates the trees. */
  readonly featuresPerSplit: number;
}

interface Sample {
  readonly features: readonly (readonly number[])[];
  readonly classes: readonly number[];
  readonly classCount: number;
}

function classCounts(sample: Sample, rows: readonly number[]): number[] {
  const counts = new Array<number>(sample.classCount).fill(0);
  for (const row of rows) counts[sample.classes[row]]++;
  return counts;
}

function gini(counts: readonly number[], total: number): number {
  return total === 0 ? 0 : 1 - counts.reduce((sum, count) => sum + (count / total) ** 2, 0);
}

interface Split {
  readonly feature: number;
  readonly threshold: number;
  readonly impurity: number;
}

function bestSplit(sample: Sample, rows: readonly number[], candidates: readonly number[]): Split | undefined {
  let best: Split | undefined;
  for (const feature of candidates) {
    const sorted = [...rows].sort((a, b) => sample.features[a][feature] - sample.features[b][feature]);
    const left = new Array<number>(sample.classCount).fill(0);
    const right = classCounts(sample, sorted);
    for (let i = 0; i < sorted.length - 1; i++) {
      const label = sample.classes[sorted[i]];
      left[label]++;
      right[label]--;
      const below = sample.features[sorted[i]][feature];
      const above = sample.features[sorted[i + 1]][feature];
      if (below === above) continue;
      const leftRows = i + 1;
      const rightRows = sorted.length - leftRows;
      const impurity = (leftRows * gini(left, leftRows) + rightRows * gini(right, rightRows)) / sorted.length;
      if (best === undefined || impurity < best.impurity) {
        // The float32 midpoint of two adjacent float32 values can round up to `above`, which would send it left.
        const midpoint = Math.fround((below + above) / 2);
        best = { feature, threshold: midpoint < above ? midpoint : below, impurity };
      }
    }
  }
  return best;
}

function growTree(
  sample: Sample,
  rows: readonly number[],
  depth: number,
  options: ForestOptions,
  random: Random,
): TreeNode {
  const counts = classCounts(sample, rows);
  const leaf: TreeNode = { kind: 'leaf', distribution: counts.map((count) => count / rows.length) };
  if (depth >= options.maxDepth || counts.filter((count) => count > 0).length < 2) return leaf;
  const featureCount = sample.features[0].length;
  const candidates = shuffle(
    Array.from({ length: featureCount }, (_, feature) => feature),
    random,
  ).slice(0, options.featuresPerSplit);
  const split = bestSplit(sample, rows, candidates);
  if (split === undefined || split.impurity >= gini(counts, rows.length)) return leaf;
  const goesLeft = (row: number) => sample.features[row][split.feature] <= split.threshold;
  return {
    kind: 'split',
    feature: split.feature,
    threshold: split.threshold,
    left: growTree(sample, rows.filter(goesLeft), depth + 1, options, random),
    right: growTree(
      sample,
      rows.filter((row) => !goesLeft(row)),
      depth + 1,
      options,
      random,
    ),
  };
}

/** Bagged CART trees with Gini splits: small enough to write here, which keeps the ONNX export under our control. */
export function trainRandomForest(
  features: readonly (readonly number[])[],
  classes: readonly number[],
  classCount: number,
  options: ForestOptions,
  random: Random,
): TreeNode[] {
  const sample: Sample = { features, classes, classCount };
  return Array.from({ length: options.trees }, () => {
    const bootstrap = Array.from({ length: classes.length }, () => randomInt(random, classes.length));
    return growTree(sample, bootstrap, 0, options, random);
  });
}

/** The mean of the trees' leaf distributions: what the exported TreeEnsembleClassifier computes. */
export function forestProbabilities(forest: readonly TreeNode[], row: readonly number[]): number[] {
  const sum: number[] = [];
  for (const tree of forest) {
    let node = tree;
    while (node.kind === 'split') node = row[node.feature] <= node.threshold ? node.left : node.right;
    node.distribution.forEach((p, label) => {
      sum[label] = (sum[label] ?? 0) + p / forest.length;
    });
  }
  return sum;
}
