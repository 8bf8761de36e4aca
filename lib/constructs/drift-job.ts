import * as path from 'node:path';
import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DRIFT_THRESHOLDS } from '../../contract/baseline';
import { DriftJobEnvironment, SERVICE_NAME } from '../../contract/environment';
import { acknowledge } from '../compliance';
import { driftAlarms, driftDashboardRow } from './drift-monitoring';
import { propError } from './prop-error';
import { supportFunction } from './support-function';

export const DRIFT_JOB_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'monitoring', 'drift-job.ts');

/** One model version to check: its pinned descriptor holds the baseline. */
export interface DriftJobModelProps {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Content-addressed key of the version's descriptor in the model bucket. */
  readonly descriptorKey: string;
  readonly descriptorSha256: string;
  /** Accuracy measured at training (model.json metrics.accuracy). @default - no accuracy alarm */
  readonly trainedAccuracy?: number;
}

export interface DriftJobProps {
  readonly models: readonly DriftJobModelProps[];
  /** Where the captures are (ModelCapture's bucket) and the key that encrypts them. */
  readonly captureBucket: s3.IBucket;
  readonly captureKey: kms.IKey;
  /** The bucket of the pinned descriptors (ModelStore's). */
  readonly modelBucket: s3.IBucket;
  /** Hours between runs. @default 1 */
  readonly scheduleHours?: number;
  /** Hours of captures compared on each run. @default 24 */
  readonly windowHours?: number;
  /** PSI thresholds. @default DRIFT_THRESHOLDS (watch 0.1, act 0.2) */
  readonly thresholds?: { readonly watch: number; readonly act: number };
  /** Fewest captured rows for a verdict. @default 100 */
  readonly minimumRows?: number;
  /** Most FeatureDrift metrics per model. @default 32 */
  readonly featureMetricsLimit?: number;
  /** How far accuracy may fall below the trained one before the alarm. @default 0.05 */
  readonly accuracyAlarmMargin?: number;
  /** Bus of the `Model Drift Detected` events. @default - the account's default event bus */
  readonly eventBus?: events.IEventBus;
  /** The runtime's service name, the `service` dimension of the drift metrics. @default 'model-endpoint' */
  readonly serviceName?: string;
  /** Retention of the job's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The scheduled drift job (lambda/monitoring/drift-job.ts): every `scheduleHours` it compares each model version's
 * last window of captures with its training baseline, publishes drift and quality metrics, and sends `Model Drift
 * Detected` to the event bus when a feature or output reaches the act threshold. Its role reads exactly its models'
 * capture and feedback prefixes and their descriptor keys, and puts events on that one bus; its metrics travel in
 * its log group as embedded metric format lines, so it has no CloudWatch permission at all.
 */
export class DriftJob extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: events.Rule;
  public readonly eventBus: events.IEventBus;
  /** Per model version (`<name>/<version>`): its drift alarms and dashboard row. */
  public readonly monitoring: ReadonlyMap<
    string,
    { readonly alarms: readonly cloudwatch.IAlarm[]; readonly dashboardWidgets: readonly cloudwatch.IWidget[] }
  >;

  constructor(scope: Construct, id: string, props: DriftJobProps) {
    super(scope, id);
    const scheduleHours = props.scheduleHours ?? 1;
    const windowHours = props.windowHours ?? 24;
    const thresholds = props.thresholds ?? DRIFT_THRESHOLDS;
    const minimumRows = props.minimumRows ?? 100;
    const featureMetricsLimit = props.featureMetricsLimit ?? 32;
    const accuracyAlarmMargin = props.accuracyAlarmMargin ?? 0.05;
    const serviceName = props.serviceName ?? SERVICE_NAME;
    if (!(Number.isInteger(scheduleHours) && scheduleHours >= 1 && scheduleHours <= 24)) {
      throw propError(this, `scheduleHours (${scheduleHours}) must be a whole number from 1 to 24, e.g. 1`);
    }
    if (!(windowHours > 0)) throw propError(this, `windowHours (${windowHours}) must be above 0, e.g. 24`);
    if (!(thresholds.watch > 0 && thresholds.act >= thresholds.watch)) {
      throw propError(
        this,
        `thresholds (watch ${thresholds.watch}, act ${thresholds.act}) must be above 0 with act at least watch, e.g. 0.1 and 0.2`,
      );
    }
    if (props.models.length === 0) {
      throw propError(this, 'models is empty: give at least one model version with a baseline, or create no DriftJob');
    }

    const built = supportFunction(this, {
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
      entry: DRIFT_JOB_ENTRY,
      description: 'Compares recent captured requests of each captured model with its training baseline',
      roleDescription: 'Drift job: reads its models captures and descriptors, puts drift events',
      // A day of captures of a busy model is tens of thousands of rows held in memory at once, and the CPU that
      // 1,024 MiB buys (0.6 vCPU) decodes them in seconds.
      memorySize: 1024,
      timeout: Duration.minutes(10),
      environment: {
        [DriftJobEnvironment.captureBucket]: props.captureBucket.bucketName,
        [DriftJobEnvironment.models]: Stack.of(this).toJsonString(
          props.models.map((model) => ({
            model: model.modelName,
            version: model.modelVersion,
            bucket: props.modelBucket.bucketName,
            descriptorKey: model.descriptorKey,
            descriptorSha256: model.descriptorSha256,
          })),
        ),
        [DriftJobEnvironment.windowHours]: String(windowHours),
        [DriftJobEnvironment.watchThreshold]: String(thresholds.watch),
        [DriftJobEnvironment.actThreshold]: String(thresholds.act),
        [DriftJobEnvironment.minimumRows]: String(minimumRows),
        [DriftJobEnvironment.featureMetricsLimit]: String(featureMetricsLimit),
        ...(props.eventBus === undefined ? {} : { [DriftJobEnvironment.eventBusName]: props.eventBus.eventBusName }),
      },
      serviceName,
      logRetention: props.logRetention,
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    const prefixes = props.models.flatMap((model) => [
      `captures/model=${model.modelName}/version=${model.modelVersion}/`,
      `feedback/model=${model.modelName}/`,
    ]);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.captureBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((prefix) => props.captureBucket.arnForObjects(`${prefix}*`)),
      }),
    );
    // A bucket of this stack is named by its logical id in cdk-nag's findings; an imported one by its own ARN, which
    // whoever imports it acknowledges.
    const bucket = props.captureBucket.node.defaultChild;
    if (bucket instanceof CfnElement) {
      const bucketId = Stack.of(bucket).getLogicalId(bucket);
      for (const prefix of prefixes) {
        acknowledge(this.role, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, [
          `s3:GetObject on ${prefix} of the capture bucket: the objects of one model (version) under its`,
          'date and hour partitions, whose keys the capture writer derives as records arrive, so they cannot be listed',
          "in advance. s3:ListBucket is conditioned on the same prefixes: the job sees no other model's captures.",
        ]);
      }
    }
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.captureKey.keyArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: props.models.map((model) => props.modelBucket.arnForObjects(model.descriptorKey)),
      }),
    );
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.eventBus.grantPutEventsTo(this.role);

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Runs the drift job every ${scheduleHours} h`,
      schedule: events.Schedule.rate(Duration.hours(scheduleHours)),
      // No retry: a run that failed is logged and counted in Errors, and the next run covers the same window.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });

    const monitoring = new Map<
      string,
      { readonly alarms: readonly cloudwatch.IAlarm[]; readonly dashboardWidgets: readonly cloudwatch.IWidget[] }
    >();
    for (const model of props.models) {
      const monitored = {
        modelName: model.modelName,
        modelVersion: model.modelVersion,
        serviceName,
        scheduleHours,
        thresholds,
        accuracyAlarmMargin,
        ...(model.trainedAccuracy === undefined ? {} : { trainedAccuracy: model.trainedAccuracy }),
      };
      monitoring.set(`${model.modelName}/${model.modelVersion}`, {
        alarms: driftAlarms(new Construct(this, `${model.modelName}-${model.modelVersion}`), monitored),
        dashboardWidgets: driftDashboardRow(monitored),
      });
    }
    this.monitoring = monitoring;
  }
}
