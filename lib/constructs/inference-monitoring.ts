import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ModelTarget } from './model-target';
import { propError } from './prop-error';

export interface InferenceMonitoringProps {
  /** The REST API whose requests, errors and latency are graphed and alarmed. */
  readonly api: apigw.IRestApi;
  /**
   * The served models: their alarms notify the topic too, and their rows follow the API's on the dashboard. Each
   * backend builds its own (ServedModel's `target`).
   */
  readonly models: readonly ModelTarget[];
  /** Topic the alarms notify, e.g. a team's existing one. @default - a new KMS-encrypted, SSL-only topic */
  readonly alarmTopic?: sns.ITopic;
  /** Email subscribed to the alarm topic; AWS sends a confirmation mail first. @default - no subscription */
  readonly alarmEmail?: string;
  /** Share of API requests answered 5xx that raises the alarm, between 0 and 1. @default 0.05 */
  readonly serverErrorRateThreshold?: number;
  /** API p99 latency (ms) that raises the alarm when sustained for 15 minutes. @default 3000 */
  readonly latencyP99ThresholdMs?: number;
}

/**
 * One dashboard for the API and every model, and alarms on what needs a human: API 5xx rate and p99 latency here,
 * each model's own alarms from its backend (ModelTarget). Every alarm notifies one SNS topic.
 */
export class InferenceMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic: sns.ITopic;
  /** The customer managed key of the created topic (CloudWatch cannot publish to a topic under the AWS managed key). */
  public readonly alarmTopicKey?: kms.Key;
  /** The API's alarms and every model's, all notifying the topic. */
  public readonly alarms: readonly cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: InferenceMonitoringProps) {
    super(scope, id);
    const errorRate = props.serverErrorRateThreshold ?? 0.05;
    if (!(errorRate > 0 && errorRate < 1)) {
      throw propError(this, `serverErrorRateThreshold (${errorRate}) must be between 0 and 1, e.g. 0.05 for 5%`);
    }
    const latencyMs = props.latencyP99ThresholdMs ?? 3000;
    if (!(latencyMs > 0 && latencyMs <= 29_000)) {
      throw propError(
        this,
        `latencyP99ThresholdMs (${latencyMs}) must be above 0 and at most 29000, API Gateway's timeout`,
      );
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

    const notify = (target: cloudwatch.IAlarm): void => {
      // ModelTarget promises IAlarm, which has no actions; every alarm CDK creates is an AlarmBase that does.
      if (!(target instanceof cloudwatch.AlarmBase)) {
        throw propError(
          this,
          `alarm ${target.node.path} cannot notify a topic: give models alarms created as cloudwatch.Alarm or CompositeAlarm`,
        );
      }
      target.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      target.addOkAction(new actions.SnsAction(this.alarmTopic));
    };
    const alarms: cloudwatch.IAlarm[] = [];
    const alarm = (id: string, alarmProps: cloudwatch.AlarmProps): void => {
      const created = new cloudwatch.Alarm(this, id, alarmProps);
      notify(created);
      alarms.push(created);
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

    for (const model of props.models) {
      for (const modelAlarm of model.alarms) {
        notify(modelAlarm);
        alarms.push(modelAlarm);
      }
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
    for (const model of props.models) this.dashboard.addWidgets(...model.dashboardWidgets);
  }

  /** Console link to the dashboard. */
  public get dashboardUrl(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6 });
}
