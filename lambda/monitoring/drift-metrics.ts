import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DriftMetric,
  FEATURE_DIMENSION,
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';

/** What the job measured for one model version over one window; absent parts are not published. */
export interface DriftMeasurement {
  readonly model: string;
  readonly version: string;
  readonly capturedRows: number;
  /** PSI per input feature, in the baseline's order; NaN (nothing to compare) is left out. */
  readonly features?: readonly { readonly name: string; readonly psi: number }[];
  readonly predictionDrift?: number;
  readonly accuracy?: number;
  readonly meanAbsoluteError?: number;
}

/**
 * Publishes the drift job's metrics as embedded metric format lines in its own log group: CloudWatch extracts them
 * from the log, so the job needs no cloudwatch:PutMetricData permission at all. Each line carries the service,
 * `model` and `version` dimensions; FeatureDrift lines add `feature`, for the first `featureMetricsLimit` features
 * in the baseline's order (each is a paid custom metric), while MaxFeatureDrift covers every feature. The first
 * ones rather than the worst ones: the same features keep a series every hour, so their graphs have no holes.
 */
export function publishDriftMetrics(
  measurement: DriftMeasurement,
  options: {
    readonly featureMetricsLimit: number;
    readonly serviceName?: string;
    /** Where each EMF line goes. @default - Powertools' own output, stdout */
    readonly write?: (line: string) => void;
  },
): void {
  const serviceName = options.serviceName ?? (process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME);
  const dimensions = { [MODEL_DIMENSION]: measurement.model, [VERSION_DIMENSION]: measurement.version };
  const flush = (metrics: Metrics): void => {
    if (options.write === undefined) {
      metrics.publishStoredMetrics();
    } else {
      options.write(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
    }
  };
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, defaultDimensions: dimensions });
  metrics.addMetric(DriftMetric.capturedRows, MetricUnit.Count, measurement.capturedRows);
  const features = (measurement.features ?? []).filter((feature) => Number.isFinite(feature.psi));
  if (features.length > 0) {
    metrics.addMetric(DriftMetric.maxFeatureDrift, MetricUnit.NoUnit, Math.max(...features.map((f) => f.psi)));
  }
  if (measurement.predictionDrift !== undefined && Number.isFinite(measurement.predictionDrift)) {
    metrics.addMetric(DriftMetric.predictionDrift, MetricUnit.NoUnit, measurement.predictionDrift);
  }
  if (measurement.accuracy !== undefined) {
    metrics.addMetric(DriftMetric.modelAccuracy, MetricUnit.NoUnit, measurement.accuracy);
  }
  if (measurement.meanAbsoluteError !== undefined) {
    metrics.addMetric(DriftMetric.modelError, MetricUnit.NoUnit, measurement.meanAbsoluteError);
  }
  flush(metrics);
  const published = (measurement.features ?? []).slice(0, options.featureMetricsLimit);
  for (const feature of published.filter((candidate) => Number.isFinite(candidate.psi))) {
    const perFeature = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName,
      defaultDimensions: { ...dimensions, [FEATURE_DIMENSION]: feature.name },
    });
    perFeature.addMetric(DriftMetric.featureDrift, MetricUnit.NoUnit, feature.psi);
    flush(perFeature);
  }
}
