import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, MODEL_DIMENSION, RuntimeMetric, VERSION_DIMENSION } from '../../contract/environment';

/** A model served by a Lambda function (zip or image) that runs this project's runtime, as its monitoring sees it. */
export interface MonitoredFunction {
  readonly modelName: string;
  /** The version the `live` alias serves: the runtime's metrics are read for this version only. */
  readonly modelVersion: string;
  /**
   * The `live` alias the API invokes. The Lambda alarms and graphs read its metrics (dimension `Resource`
   * `<function>:live`), so they follow what callers are served, not the sum of every version.
   */
  readonly alias: lambda.IAlias;
  readonly logGroup: logs.ILogGroup;
  /** Whether the alias has provisioned concurrency, which adds utilisation and spillover graphs. */
  readonly provisioned: boolean;
  /** The runtime's service name (the `service` dimension of its metrics). */
  readonly serviceName: string;
}

/**
 * The alarms of one model's function that need a human: Lambda errors and throttles on its `live` alias, and the
 * 5xx answers its runtime gave (InferenceErrors). Created in `scope` without actions; InferenceMonitoring adds its
 * topic to every model's alarms.
 */
export function functionAlarms(scope: Construct, model: MonitoredFunction): cloudwatch.Alarm[] {
  const live = model.alias;
  const alarm = (id: string, props: cloudwatch.AlarmProps) => new cloudwatch.Alarm(scope, id, props);
  return [
    alarm('Errors', {
      metric: live.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `Model ${model.modelName}: its function (live alias) failed (crash, timeout or out of memory) in the last ` +
        '5 minutes; 5xx answers the runtime gives itself are the InferenceErrors alarm, client mistakes (4xx) count ' +
        `nowhere. Check first: the log group ${model.logGroup.logGroupName} for "Task timed out", "Runtime exited" ` +
        'or "level": "ERROR", and Max memory used vs the memory size in the REPORT lines.',
    }),
    alarm('InferenceErrors', {
      metric: runtimeMetric(model, RuntimeMetric.inferenceErrors, 'Sum').with({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `Model ${model.modelName} version ${model.modelVersion}: the runtime answered requests with 5xx in the last ` +
        '5 minutes (503: the model cannot be loaded; 500: running it failed). Lambda counts these invocations as ' +
        `successful, so the Errors alarm stays quiet. Check first: the log group ${model.logGroup.logGroupName} ` +
        'for "model load failed" (a sha256 mismatch means the artifact changed after deploy: redeploy; a missing ' +
        'object or AccessDenied points at the bucket) or "request failed" with its error.',
    }),
    alarm('Throttles', {
      metric: live.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `Model ${model.modelName}: Lambda refused invocations of the live alias for lack of concurrency in the ` +
        'last 5 minutes; callers got 5xx. Check first: the Concurrency graph against the reserved concurrency and ' +
        'the account limit (Service Quotas, "Concurrent executions"), then raise reservedConcurrency or the ' +
        'provisioned maximum.',
    }),
  ];
}

/**
 * One of the runtime's metrics (Powertools EMF) for the model version the `live` alias serves. Powertools adds
 * `service`, the runtime adds `model` and `version`: CloudWatch finds a series only by its exact dimension set.
 */
export function runtimeMetric(
  model: Pick<MonitoredFunction, 'serviceName' | 'modelName' | 'modelVersion'>,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: {
      service: model.serviceName,
      [MODEL_DIMENSION]: model.modelName,
      [VERSION_DIMENSION]: model.modelVersion,
    },
    statistic,
    period: Duration.minutes(1),
  });
}

/** The model's dashboard row: a title, then Lambda and runtime graphs of its live alias and its cold starts. */
export function functionDashboardRow(model: MonitoredFunction, backend: string): cloudwatch.IWidget[] {
  const live = model.alias;
  const minute = { period: Duration.minutes(1) };
  const labelled = (metricName: string, statistic: string): cloudwatch.Metric =>
    runtimeMetric(model, metricName, statistic).with({ label: `${metricName} ${statistic}` });
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({
      markdown: `## Model ${model.modelName} (version ${model.modelVersion}, live alias, backend ${backend})`,
      width: 24,
      height: 1,
    }),
    graph(`${model.modelName}: invocations, errors, throttles`, [
      live.metricInvocations({ ...minute, label: 'invocations' }),
      live.metricErrors({ ...minute, label: 'errors' }),
      live.metricThrottles({ ...minute, label: 'throttles' }),
      labelled(RuntimeMetric.inferenceErrors, 'Sum'),
    ]),
    graph(`${model.modelName}: duration (ms)`, [
      live.metricDuration({ ...minute, statistic: 'p50', label: 'p50' }),
      live.metricDuration({ ...minute, statistic: 'p99', label: 'p99' }),
    ]),
    graph(`${model.modelName}: concurrency`, [
      live.metric('ConcurrentExecutions', { ...minute, statistic: 'Maximum', label: 'concurrent executions' }),
    ]),
    graph(`${model.modelName}: InferenceLatency and ModelLoadTime (ms)`, [
      labelled(RuntimeMetric.inferenceLatency, 'p50'),
      labelled(RuntimeMetric.inferenceLatency, 'p99'),
      labelled(RuntimeMetric.modelLoadTime, 'Maximum'),
    ]),
    new cloudwatch.LogQueryWidget({
      title: `${model.modelName}: cold starts (init duration from REPORT records)`,
      logGroupNames: [model.logGroup.logGroupName],
      view: cloudwatch.LogQueryVisualizationType.LINE,
      // Lambda publishes no init-duration metric; the JSON platform.report record carries it per cold start.
      queryLines: [
        'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)',
        'stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, max(record.metrics.initDurationMs) as maxInitMs by bin(5m)',
      ],
      width: 8,
      height: 6,
    }),
  ];
  if (model.provisioned) {
    widgets.push(
      graph(`${model.modelName}: provisioned concurrency`, [
        live.metric('ProvisionedConcurrencyUtilization', { ...minute, statistic: 'Maximum', label: 'utilization' }),
      ]),
      graph(`${model.modelName}: spillover to on-demand`, [
        live.metric('ProvisionedConcurrencySpilloverInvocations', {
          ...minute,
          statistic: 'Sum',
          label: 'spillover invocations',
        }),
      ]),
    );
  }
  return widgets;
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6 });
}
