import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  SERVICE_NAME,
  ShadowMetric,
  VERSION_DIMENSION,
} from '../../contract/environment';
import type { ShadowComparison } from './shadow-comparison';

/** The outcome of replaying one sample against the candidate. */
export type ShadowOutcome =
  | { readonly kind: 'answered'; readonly latencyMs: number; readonly comparison: ShadowComparison }
  | { readonly kind: 'failed' };

/**
 * Publishes the shadow metrics of one model's candidate version as embedded metric format lines, in the runtime's
 * namespace with its service dimension plus `model` and `version` (the candidate's), so the dashboard finds them as
 * it finds the runtime's own. ShadowErrors is 0 or 1 per sample: its sum counts failures, its average is the rate.
 */
export class ShadowMetrics {
  private readonly metrics: Metrics;

  /**
   * `write`: where each EMF line goes instead of Powertools' own stdout output, which POWERTOOLS_METRICS_DISABLED
   * silences; the local twin prints its shadow metrics this way whatever that variable says.
   */
  constructor(
    model: string,
    candidateVersion: string,
    serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    private readonly write?: (line: string) => void,
  ) {
    this.metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName,
      defaultDimensions: { [MODEL_DIMENSION]: model, [VERSION_DIMENSION]: candidateVersion },
    });
  }

  /** One EMF line per sample: a value per output for ShadowExactMatch and ShadowMaxAbsDifference. */
  publish(outcome: ShadowOutcome): void {
    if (outcome.kind === 'failed') {
      this.metrics.addMetric(ShadowMetric.errors, MetricUnit.Count, 1);
    } else {
      this.metrics.addMetric(ShadowMetric.errors, MetricUnit.Count, 0);
      this.metrics.addMetric(ShadowMetric.latency, MetricUnit.Milliseconds, outcome.latencyMs);
      for (const match of outcome.comparison.exactMatches) {
        this.metrics.addMetric(ShadowMetric.exactMatch, MetricUnit.Count, match);
      }
      for (const difference of outcome.comparison.maxAbsDifferences) {
        this.metrics.addMetric(ShadowMetric.maxAbsDifference, MetricUnit.NoUnit, difference);
      }
    }
    if (this.write === undefined) {
      this.metrics.publishStoredMetrics();
    } else {
      this.write(JSON.stringify(this.metrics.serializeMetrics()));
      this.metrics.clearMetrics();
    }
  }
}
