/**
 * Drift of one window of captured traffic against a model version's training baseline: the population stability
 * index of every input feature and every output, counted in the baseline's own bins. The scheduled drift job and
 * `npm run drift` both call windowDrift, so the cloud and the local report always agree.
 */
import {
  type CategoricalDistribution,
  type Distribution,
  DRIFT_THRESHOLDS,
  type DriftStatus,
  type NumericDistribution,
} from '../../contract/baseline';
import type { CaptureRecord } from '../../contract/capture';
import type { ModelDescriptor } from '../../contract/model-descriptor';
import type { Tensor } from '../protocol/tensor';
import { decodeCapturedRequest, decodeCapturedResponse } from './captured-tensors';
import { valuesOf } from './feature-values';
import { binOf, driftStatus, populationStabilityIndex } from './psi';

export interface DriftThresholds {
  readonly watch: number;
  readonly act: number;
}

/** One feature's or output's drift. */
export type DistributionDrift = NumericDrift | CategoricalDrift;

interface DriftBase {
  readonly name: string;
  readonly tensor: string;
  readonly index?: number;
  /**
   * Population stability index of the recent counts against the baseline's; NaN when the window holds no value of
   * it (an output no request asked for, say): nothing to compare, status "stable". Check Number.isFinite before
   * publishing it as a metric.
   */
  readonly psi: number;
  readonly status: DriftStatus;
  /** Baseline counts per bin (or category), as in model.json. */
  readonly baseline: readonly number[];
  /** The window's counts over the same bins. */
  readonly recent: readonly number[];
}

export interface NumericDrift extends DriftBase {
  readonly kind: 'numeric';
  /** The baseline's inner cut points: `edges.length + 1` bins (contract/baseline.ts). */
  readonly edges: readonly number[];
  /** NaN values in the window, outside the bins. */
  readonly recentMissing: number;
}

export interface CategoricalDrift extends DriftBase {
  readonly kind: 'categorical';
  /**
   * One per count: the baseline's categories, followed by OTHER_CATEGORY when either side has values outside them
   * (the PSI always counts that bin; an empty one on both sides adds nothing).
   */
  readonly categories: readonly string[];
}

/** The name shown for the bin of values that are not among a baseline's categories. */
export const OTHER_CATEGORY = '(other)';

export interface WindowDrift {
  /** Batch rows compared (a request of 8 rows counts 8). */
  readonly rows: number;
  /** Records of this model version whose request was decoded and counted. */
  readonly records: number;
  /** Records left out: of another model or version, or whose request could not be decoded. */
  readonly skipped: number;
  /** Why records were skipped: the first few distinct reasons, for a log line. */
  readonly skipReasons: readonly string[];
  readonly inputs: readonly DistributionDrift[];
  readonly outputs: readonly DistributionDrift[];
  /** The worst status of any input or output. */
  readonly status: DriftStatus;
}

const MAX_SKIP_REASONS = 5;

/**
 * Counts the window's records in the bins of the descriptor's baseline and compares. Records of another model or
 * version, and records whose request cannot be decoded, are counted in `skipped`, never thrown: one malformed
 * capture must not hide the drift of all the others. An answer that cannot be decoded only leaves the outputs out.
 */
export function windowDrift(
  descriptor: ModelDescriptor,
  records: Iterable<CaptureRecord>,
  thresholds: DriftThresholds = DRIFT_THRESHOLDS,
): WindowDrift {
  const window = startWindow(descriptor, thresholds);
  for (const record of records) window.add(record);
  return window.result();
}

/** A window counted one record at a time, so a reader never holds more than the record it is on. */
export interface DriftWindow {
  /** Counts a record (or skips it, with the reason, as windowDrift does). */
  add(record: CaptureRecord): void;
  /** Counts a line or object that is not even a capture record (not JSON, say) as skipped, with the reason. */
  skip(reason: string): void;
  /** The drift of everything added so far. */
  result(): WindowDrift;
}

/** Starts counting a window; throws, with what to run, when the descriptor has no baseline. */
export function startWindow(descriptor: ModelDescriptor, thresholds: DriftThresholds = DRIFT_THRESHOLDS): DriftWindow {
  const baseline = descriptor.manifest.baseline;
  if (baseline === undefined) {
    throw new Error(
      `model "${descriptor.name}" version ${descriptor.version} has no baseline in its model.json, so there is ` +
        `nothing to compare its traffic with; run npm run baseline -- models/${descriptor.name}/${descriptor.version} ` +
        '--data FILE (or npm run train for the demo models) and deploy the version again',
    );
  }
  const labels = descriptor.manifest.labels;
  const inputs = baseline.inputs.map(startCounting);
  const outputs = baseline.outputs.map(startCounting);
  let rows = 0;
  let counted = 0;
  let skipped = 0;
  const skipReasons = new Set<string>();
  const skip = (reason: string): void => {
    skipped++;
    if (skipReasons.size < MAX_SKIP_REASONS) skipReasons.add(reason);
  };

  return {
    skip,
    add(record) {
      if (record.model !== descriptor.name || record.version !== descriptor.version) {
        skip(`records of model "${record.model}" version ${record.version} belong to another window`);
        return;
      }
      let requestTensors: Tensor[];
      try {
        requestTensors = decodeCapturedRequest(descriptor, record.request);
      } catch (error) {
        skip(`request could not be decoded: ${(error as Error).message}`);
        return;
      }
      counted++;
      rows += requestTensors[0]?.shape[0] ?? 1;
      for (const counter of inputs) counter.add(valuesOf(counter.distribution, requestTensors, undefined));
      let responseTensors: Tensor[] = [];
      try {
        responseTensors = decodeCapturedResponse(descriptor, record.response);
      } catch {
        // An answer that is not an inference answer (an error, say) has no outputs to count; its inputs still count.
      }
      for (const counter of outputs) counter.add(valuesOf(counter.distribution, responseTensors, labels));
    },
    result() {
      const inputDrift = inputs.map((counter) => counter.drift(thresholds));
      const outputDrift = outputs.map((counter) => counter.drift(thresholds));
      return {
        rows,
        records: counted,
        skipped,
        skipReasons: [...skipReasons],
        inputs: inputDrift,
        outputs: outputDrift,
        status: worstStatus([...inputDrift, ...outputDrift].map((drift) => drift.status)),
      };
    },
  };
}

const SEVERITY: Readonly<Record<DriftStatus, number>> = { stable: 0, watch: 1, act: 2 };

export function worstStatus(statuses: Iterable<DriftStatus>): DriftStatus {
  let worst: DriftStatus = 'stable';
  for (const status of statuses) if (SEVERITY[status] > SEVERITY[worst]) worst = status;
  return worst;
}

interface Counter {
  readonly distribution: Distribution;
  add(values: readonly (number | string)[] | undefined): void;
  drift(thresholds: DriftThresholds): DistributionDrift;
}

function startCounting(distribution: Distribution): Counter {
  return distribution.kind === 'numeric' ? numericCounter(distribution) : categoricalCounter(distribution);
}

function numericCounter(distribution: NumericDistribution): Counter {
  const { edges } = distribution;
  const recent = new Array<number>(edges.length + 1).fill(0);
  let missing = 0;
  return {
    distribution,
    add(values) {
      if (values === undefined) return;
      for (const value of values) {
        const number = typeof value === 'number' ? value : Number(value);
        if (Number.isNaN(number)) missing++;
        else recent[binOf(edges, number)]++;
      }
    },
    drift(thresholds) {
      const psi = populationStabilityIndex(distribution.counts, recent);
      return {
        name: distribution.name,
        tensor: distribution.tensor,
        ...(distribution.index !== undefined && { index: distribution.index }),
        kind: 'numeric',
        psi,
        status: driftStatus(psi, thresholds),
        baseline: distribution.counts,
        recent: [...recent],
        edges,
        recentMissing: missing,
      };
    },
  };
}

function categoricalCounter(distribution: CategoricalDistribution): Counter {
  const position = new Map(distribution.categories.map((category, index) => [category, index]));
  const recent = new Array<number>(distribution.categories.length).fill(0);
  let other = 0;
  return {
    distribution,
    add(values) {
      if (values === undefined) return;
      for (const value of values) {
        const index = position.get(String(value));
        if (index === undefined) other++;
        else recent[index]++;
      }
    },
    drift(thresholds) {
      const baselineOther = distribution.other ?? 0;
      const psi = populationStabilityIndex([...distribution.counts, baselineOther], [...recent, other]);
      const showOther = baselineOther > 0 || other > 0;
      return {
        name: distribution.name,
        tensor: distribution.tensor,
        ...(distribution.index !== undefined && { index: distribution.index }),
        kind: 'categorical',
        psi,
        status: driftStatus(psi, thresholds),
        baseline: showOther ? [...distribution.counts, baselineOther] : distribution.counts,
        recent: showOther ? [...recent, other] : [...recent],
        categories: showOther ? [...distribution.categories, OTHER_CATEGORY] : distribution.categories,
      };
    },
  };
}
