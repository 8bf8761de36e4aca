import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import {
  DriftMetric,
  FEATURE_DIMENSION,
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  VERSION_DIMENSION,
} from '../../contract/environment';
import { runtimeMetric } from './function-monitoring';

/** One model version the drift job checks, as its alarms and dashboard row see it. */
export interface DriftMonitoredModel {
  readonly modelName: string;
  readonly modelVersion: string;
  /** The service dimension of the job's metrics. */
  readonly serviceName: string;
  /** Hours between two runs: the period of every drift metric. */
  readonly scheduleHours: number;
  readonly thresholds: { readonly watch: number; readonly act: number };
  /** Accuracy measured at training (model.json metrics.accuracy); no accuracy alarm without it. */
  readonly trainedAccuracy?: number;
  /** How far below trainedAccuracy ModelAccuracy may fall before the alarm. */
  readonly accuracyAlarmMargin: number;
}

/** A drift job metric of the model version: the runtime's dimensions, one datapoint per run. */
function driftMetric(model: DriftMonitoredModel, metricName: string, statistic: string, label?: string) {
  return runtimeMetric(model, metricName, statistic).with({
    period: Duration.hours(model.scheduleHours),
    ...(label === undefined ? {} : { label }),
  });
}

/**
 * The drift alarms of one model version: any input feature, or any output, at or past the act threshold, and
 * the fed-back accuracy below the trained one by more than the margin. One datapoint per run, so one breaching run
 * raises them; a run with too few rows publishes none of these, which counts as not breaching.
 */
export function driftAlarms(scope: Construct, model: DriftMonitoredModel): cloudwatch.Alarm[] {
  const alarms = new Construct(scope, 'DriftAlarms');
  const subject = `model ${model.modelName} version ${model.modelVersion}`;
  const common = {
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  } as const;
  const created = [
    new cloudwatch.Alarm(alarms, 'FeatureDrift', {
      ...common,
      metric: driftMetric(model, DriftMetric.maxFeatureDrift, 'Maximum'),
      threshold: model.thresholds.act,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription:
        `An input feature of ${subject} drifted: its population stability index against the training baseline ` +
        `reached ${model.thresholds.act} over the last window. Check first: the "${DriftMetric.featureDrift}" graph ` +
        'of the model (which feature), the drift job\'s "model drift detected" log line and the "Model Drift ' +
        'Detected" event (every feature past watch), then npm run drift on a copy of the captures for the charts.',
    }),
    new cloudwatch.Alarm(alarms, 'PredictionDrift', {
      ...common,
      metric: driftMetric(model, DriftMetric.predictionDrift, 'Maximum'),
      threshold: model.thresholds.act,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmDescription:
        `The answers of ${subject} drifted: an output's population stability index against the training ` +
        `baseline reached ${model.thresholds.act}. Check first: whether the inputs drifted too (feature drift ` +
        'alarm); if not, the traffic mix changed (e.g. one client) or the model behaves differently on it.',
    }),
  ];
  if (model.trainedAccuracy !== undefined) {
    const threshold = Math.max(0, model.trainedAccuracy - model.accuracyAlarmMargin);
    created.push(
      new cloudwatch.Alarm(alarms, 'Accuracy', {
        ...common,
        metric: driftMetric(model, DriftMetric.modelAccuracy, 'Minimum'),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        alarmDescription:
          `The accuracy of ${subject} on fed-back requests fell below ${threshold.toFixed(3)} (trained ` +
          `${model.trainedAccuracy.toFixed(3)} minus a margin of ${model.accuracyAlarmMargin}). Check first: the ` +
          'feature drift graph (a shifted input explains it), then the feedback volume: few fed-back rows make a noisy figure.',
      }),
    );
  }
  return created;
}

/** The drift row of one model on the dashboard: drift against the two thresholds, per feature, and the quality. */
export function driftDashboardRow(model: DriftMonitoredModel): cloudwatch.IWidget[] {
  const period = Duration.hours(model.scheduleHours);
  const thresholds = [
    { value: model.thresholds.watch, label: 'watch', color: cloudwatch.Color.ORANGE },
    { value: model.thresholds.act, label: 'act', color: cloudwatch.Color.RED },
  ];
  const subject = `${model.modelName} v${model.modelVersion}`;
  // A search, not one metric per feature: it graphs whichever features the job published, however many there are.
  const perFeature = new cloudwatch.MathExpression({
    expression:
      `SEARCH('{${METRICS_NAMESPACE},${FEATURE_DIMENSION},${MODEL_DIMENSION},service,${VERSION_DIMENSION}} ` +
      `MetricName="${DriftMetric.featureDrift}" ${MODEL_DIMENSION}="${model.modelName}" ` +
      `${VERSION_DIMENSION}="${model.modelVersion}" service="${model.serviceName}"', 'Maximum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period,
  });
  return [
    new cloudwatch.TextWidget({
      markdown: `## Drift: model ${model.modelName} version ${model.modelVersion} against its training baseline (PSI, every ${model.scheduleHours} h)`,
      width: 24,
      height: 1,
    }),
    new cloudwatch.GraphWidget({
      title: `${subject}: drift (PSI)`,
      left: [
        driftMetric(model, DriftMetric.maxFeatureDrift, 'Maximum', 'largest feature PSI'),
        driftMetric(model, DriftMetric.predictionDrift, 'Maximum', 'largest output PSI'),
      ],
      leftAnnotations: thresholds,
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `${subject}: PSI per feature`,
      left: [perFeature],
      leftAnnotations: thresholds,
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `${subject}: accuracy and error on feedback`,
      left: [driftMetric(model, DriftMetric.modelAccuracy, 'Minimum', 'accuracy')],
      right: [driftMetric(model, DriftMetric.modelError, 'Maximum', 'mean absolute error')],
      ...(model.trainedAccuracy === undefined
        ? {}
        : { leftAnnotations: [{ value: model.trainedAccuracy, label: 'trained', color: cloudwatch.Color.GREEN }] }),
      leftYAxis: { min: 0, max: 1 },
      width: 6,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `${subject}: captured rows per window`,
      left: [driftMetric(model, DriftMetric.capturedRows, 'Maximum', 'rows')],
      leftYAxis: { min: 0 },
      width: 6,
      height: 6,
    }),
  ];
}
