import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';

/** One model's function as the monitoring sees it. */
export interface MonitoredModel {
  readonly modelName: string;
  /** The version the `live` alias serves: the runtime's metrics are read for this version only. */
  readonly modelVersion: string;
  readonly function: lambda.IFunction;
  /**
   * The `live` alias the API invokes. The Lambda alarms and graphs read its metrics (dimension `Resource`
   * `<function>:live`), so they follow what callers are served, not the sum of every version.
   */
  readonly alias: lambda.IAlias;
  readonly logGroup: logs.ILogGroup;
  /** Whether the alias has provisioned concurrency, which adds utilisation and spillover graphs. */
  readonly provisioned: boolean;
}

export interface InferenceMonitoringProps {
  /** The REST API whose requests, errors and latency are graphed and alarmed. */
  readonly api: apigw.IRestApi;
  readonly models: readonly MonitoredModel[];
  /** Topic the alarms notify, e.g. a team's existing one. @default - a new KMS-encrypted, SSL-only topic */
  readonly alarmTopic?: sns.ITopic;
  /** Email subscribed to the alarm topic; AWS sends a confirmation mail first. @default - no subscription */
  readonly alarmEmail?: string;
  /** Share of API requests answered 5xx that raises the alarm, between 0 and 1. @default 0.05 */
  readonly serverErrorRateThreshold?: number;
  /** API p99 latency (ms) that raises the alarm when sustained for 15 minutes. @default 3000 */
  readonly latencyP99ThresholdMs?: number;
  /** Service name the models' functions run under (InferenceFunction's `serviceName`). @default 'model-endpoint' */
  readonly serviceName?: string;
}

/**
 * One dashboard for the API and every model, and alarms on what needs a human: API 5xx rate and p99 latency, each
 * model's Lambda errors and throttles on its `live` alias, and the 5xx answers its runtime gave (InferenceErrors).
 * Every alarm notifies one SNS topic.
 */
export class InferenceMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic: sns.ITopic;
  /** The customer managed key of the created topic (CloudWatch cannot publish to a topic under the AWS managed key). */
  public readonly alarmTopicKey?: kms.Key;
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: InferenceMonitoringProps) {
    super(scope, id);
    const errorRate = props.serverErrorRateThreshold ?? 0.05;
    if (!(errorRate > 0 && errorRate < 1)) {
      throw new Error(`serverErrorRateThreshold (${errorRate}) must be between 0 and 1, e.g. 0.05 for 5%`);
    }
    const service = props.serviceName ?? SERVICE_NAME;
    const latencyMs = props.latencyP99ThresholdMs ?? 3000;
    if (!(latencyMs > 0 && latencyMs <= 29_000)) {
      throw new Error(`latencyP99ThresholdMs (${latencyMs}) must be above 0 and at most 29000, API Gateway's timeout`);
    }

    if (props.alarmTopic === undefined) {
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the inference alarm topic',
        enableKeyRotation: true,
      });
      key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      this.alarmTopicKey = key;
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
        // The sender name of every alarm mail: with the stack name, staging and production mails tell apart.
        displayName: `${Stack.of(this).stackName} alarms`,
        masterKey: key,
        enforceSSL: true,
      });
    } else {
      this.alarmTopic = props.alarmTopic;
    }
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const apiName = props.api.restApiName;
    // Alarms get unlabelled metrics: a label turns the alarm into a metric-math query, harder to read in the console.
    const apiMetric = (metricName: string, statistic: string, label?: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: apiName },
        statistic,
        ...(label === undefined ? {} : { label }),
        period: Duration.minutes(1),
      });

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, id, alarmProps);
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      created.addOkAction(new actions.SnsAction(this.alarmTopic));
      alarms.push(created);
      return created;
    };

    alarm('ApiServerErrorRate', {
      // 5XXError is 0 or 1 per request, so its average is the share of requests that failed.
      metric: apiMetric('5XXError', 'Average'),
      threshold: errorRate,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `More than ${errorRate * 100}% of API requests failed with 5xx in 3 of the last 5 minutes: callers get errors. ` +
        'Check first: the per-model Errors and Throttles graphs on the dashboard to find the model, then its log group ' +
        '(errors at "level": "ERROR", timeouts, "model load" failures such as a sha256 mismatch or a missing S3 object); ' +
        'a 502/504 with no function error points at the API access log (integrationStatus, error).',
    });
    alarm('ApiLatencyP99', {
      metric: apiMetric('Latency', 'p99').with({ period: Duration.minutes(5) }),
      threshold: latencyMs,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `API p99 latency stayed above ${latencyMs} ms for 15 minutes: 1 in 100 requests is slow. ` +
        'Check first: each model\'s "Cold starts" and "InferenceLatency" graphs (cold starts suggest provisioned ' +
        'concurrency; slow inference suggests more memory, i.e. more CPU), then IntegrationLatency vs Latency in the ' +
        'access log to tell the function from the gateway.',
    });

    const modelRows: cloudwatch.IWidget[][] = [];
    for (const model of props.models) {
      const live = model.alias;
      // The raw model name keeps ids distinct: `my-model` and `my_model` would collapse to one PascalCase id.
      alarm(`${model.modelName}-Errors`, {
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
      });
      alarm(`${model.modelName}-InferenceErrors`, {
        metric: runtimeMetric(service, model, RuntimeMetric.inferenceErrors, 'Sum').with({
          period: Duration.minutes(5),
        }),
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
      });
      alarm(`${model.modelName}-Throttles`, {
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
      });
      modelRows.push(modelWidgets(service, model));
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${Stack.of(this).stackName}: inference API\nRequests, errors and latency of every route; one row per model below.`,
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      graph('API requests', [apiMetric('Count', 'Sum', 'requests')]),
      graph('API errors', [apiMetric('4XXError', 'Sum', '4xx'), apiMetric('5XXError', 'Sum', '5xx')]),
      graph('API latency (ms)', [
        apiMetric('Latency', 'p50', 'p50'),
        apiMetric('Latency', 'p90', 'p90'),
        apiMetric('Latency', 'p99', 'p99'),
      ]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 6, height: 6 }),
    );
    for (const row of modelRows) this.dashboard.addWidgets(...row);
  }

  /** Console link to the dashboard. */
  public get dashboardUrl(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

/**
 * One of the runtime's metrics (Powertools EMF) for the model version the `live` alias serves. Powertools adds
 * `service`, the runtime adds `model` and `version`: CloudWatch finds a series only by its exact dimension set.
 */
function runtimeMetric(
  service: string,
  model: MonitoredModel,
  metricName: string,
  statistic: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: {
      service,
      [MODEL_DIMENSION]: model.modelName,
      [VERSION_DIMENSION]: model.modelVersion,
    },
    statistic,
    period: Duration.minutes(1),
  });
}

function modelWidgets(service: string, model: MonitoredModel): cloudwatch.IWidget[] {
  const live = model.alias;
  const minute = { period: Duration.minutes(1) };
  const labelled = (metricName: string, statistic: string): cloudwatch.Metric =>
    runtimeMetric(service, model, metricName, statistic).with({ label: `${metricName} ${statistic}` });
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({
      markdown: `## Model ${model.modelName} (version ${model.modelVersion}, live alias)`,
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
        live.metric('ProvisionedConcurrencyUtilization', {
          ...minute,
          statistic: 'Maximum',
          label: 'utilization',
        }),
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
