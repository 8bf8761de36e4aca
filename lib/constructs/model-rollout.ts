import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  PreTrafficHookEnvironment,
  RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';
import { acknowledge } from '../compliance';
import { defaultRollout, type Rollout } from '../rollout-setting';
import { HANDLER_BUNDLING } from './inference-function';
import type { GoldenSetArtifact } from './model-store';
import { propError } from './prop-error';

export const DEFAULT_HOOK_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'rollout', 'pre-traffic-hook.ts');

/** Construct id of the one CodeDeploy application per stack that holds every model's deployment group. */
const APPLICATION_ID = 'ModelRollouts';

/** The longest a Lambda function may run; the hook must answer CodeDeploy within its own timeout. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

export interface ModelRolloutProps {
  /** Model name as served in URLs; the runtime's metrics carry it as the `model` dimension. */
  readonly modelName: string;
  /** Model version as served in URLs; the runtime's metrics carry it as the `version` dimension. */
  readonly modelVersion: string;
  /**
   * The model's function; every deploy that changes it publishes a new version. A concrete Function, not IFunction:
   * the alarms and the hook need its `currentVersion` and its timeout.
   */
  readonly function: lambda.Function;
  /** The `live` alias API Gateway invokes; CodeDeploy moves it from now on, not CloudFormation. */
  readonly alias: lambda.Alias;
  /** The function's log group, which the alarm descriptions name as the place to look first. */
  readonly logGroup: logs.ILogGroup;
  /** How the new version takes the traffic. @default - Canary10Percent5Minutes */
  readonly rollout?: Rollout;
  /**
   * The version's golden set in the model bucket: a pre-traffic hook replays it against the new version before any
   * traffic shifts. @default - no hook: the rollout relies on the alarms alone
   */
  readonly goldenSet?: GoldenSetArtifact;
  /** The bucket holding the golden set. Required with `goldenSet`. @default - none */
  readonly goldenSetBucket?: s3.IBucket;
  /** CodeDeploy application of the deployment group. @default - one application per stack, shared by every model */
  readonly application?: codedeploy.ILambdaApplication;
  /**
   * p99 duration of the new version that rolls it back when sustained for 2 of 3 minutes.
   * @default - half the function's timeout: far above a healthy inference, reached by a version that hangs
   */
  readonly latencyP99Threshold?: Duration;
  /** The runtime's service name (its metrics' `service` dimension). @default 'model-endpoint' */
  readonly serviceName?: string;
  /** Entry of the pre-traffic hook (exports `handler`). @default - lambda/rollout/pre-traffic-hook.ts of this project */
  readonly hookEntry?: string;
  /** Retention of the hook's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Safe updates of one model's function: a CodeDeploy deployment group on its `live` alias shifts traffic to each new
 * version by the rollout setting, after an optional pre-traffic hook replayed the golden set against the new
 * version, and rolls the alias back when an alarm on the NEW version fires (its Lambda errors, the runtime's 5xx
 * answers for the model version, its p99 duration), when the deployment fails, or when someone stops it.
 */
export class ModelRollout extends Construct {
  public readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  public readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** The alarms that roll a deployment back; scoped to the version being deployed. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** A graph of what those alarms watch, for the model's dashboard row. */
  public readonly dashboardWidget: cloudwatch.IWidget;
  /** The pre-traffic hook; absent without a golden set. */
  public readonly preTrafficHook?: nodejs.NodejsFunction;
  public readonly hookRole?: iam.Role;
  public readonly rollout: Rollout;

  constructor(scope: Construct, id: string, props: ModelRolloutProps) {
    super(scope, id);
    this.rollout = props.rollout ?? defaultRollout();
    this.deploymentConfig = this.lambdaDeploymentConfig(this.rollout);
    const alarms = this.newVersionAlarms(props);
    this.alarms = [alarms.errors, alarms.inferenceErrors, alarms.latencyP99];
    this.dashboardWidget = new cloudwatch.GraphWidget({
      title: `${props.modelName}: version being deployed (rollback alarms)`,
      left: [alarms.errors.metric, alarms.inferenceErrors.metric],
      right: [alarms.latencyP99.metric],
      width: 6,
      height: 6,
    });

    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: props.application ?? stackRolloutApplication(this),
      alias: props.alias,
      deploymentConfig: this.deploymentConfig,
      alarms: [...this.alarms],
      // Failed (e.g. the hook reported Failed), stopped by an operator, or an alarm: the alias goes back.
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    acknowledge(
      this.deploymentGroup,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      [
        "CodeDeploy's service role for Lambda deployments, as aws-codedeploy LambdaDeploymentGroup creates it: the",
        'AWS-maintained "Limited" policy reads alarms, updates aliases and invokes only functions named',
        'CodeDeployHook_*; this stack names none so.',
      ],
    );

    // The alias update starts the deployment: the alarms must watch the new version by then.
    props.alias.node.addDependency(...this.alarms);

    if (props.goldenSet !== undefined) {
      if (props.goldenSetBucket === undefined) {
        throw propError(
          this,
          `goldenSet of model ${props.modelName} needs goldenSetBucket: pass the bucket it was uploaded to`,
        );
      }
      const hook = this.createPreTrafficHook(props, props.goldenSet, props.goldenSetBucket);
      this.preTrafficHook = hook.function;
      this.hookRole = hook.role;
      this.deploymentGroup.addPreHook(hook.function);
      acknowledge(this.deploymentGroup, `AwsSolutions-IAM5[Resource::<${logicalIdOf(hook.function)}.Arn>:*]`, [
        "LambdaDeploymentGroup.addPreHook grants CodeDeploy's role lambda:InvokeFunction on the hook function and",
        'its versions (ARN and ARN:*); CodeDeploy invokes only the function itself.',
      ]);
      // CodeDeploy invokes the hook's unqualified function: its environment must name the new version before the
      // alias update starts the deployment.
      props.alias.node.addDependency(hook.function, hook.role);
    }
  }

  private lambdaDeploymentConfig(rollout: Rollout): codedeploy.ILambdaDeploymentConfig {
    if (rollout.predefined !== undefined) {
      return codedeploy.LambdaDeploymentConfig.fromLambdaDeploymentConfigName(
        this,
        'Config',
        `CodeDeployDefault.Lambda${rollout.predefined}`,
      );
    }
    if (rollout.type === 'all-at-once') return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
    const step = { interval: Duration.minutes(rollout.intervalMinutes), percentage: rollout.percent };
    return new codedeploy.LambdaDeploymentConfig(this, 'Config', {
      trafficRouting:
        rollout.type === 'canary'
          ? codedeploy.TrafficRouting.timeBasedCanary(step)
          : codedeploy.TrafficRouting.timeBasedLinear(step),
    });
  }

  /**
   * Alarms on the version being deployed only, so that an earlier version's errors neither block nor roll back a
   * good one. Lambda publishes a metric series per executed version of an alias (dimensions FunctionName, Resource
   * `<function>:<alias>`, ExecutedVersion); the runtime's InferenceErrors carry the model version. One datapoint
   * suffices for errors: a canary sees few requests, and one 5xx answer of a new model is already a finding.
   */
  private newVersionAlarms(
    props: ModelRolloutProps,
  ): Record<'errors' | 'inferenceErrors' | 'latencyP99', cloudwatch.Alarm> {
    const fn = props.function;
    const version = fn.currentVersion.version;
    const who = `Model ${props.modelName} version ${props.modelVersion} (function version being deployed)`;
    const lambdaMetric = (metricName: string, statistic: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: {
          FunctionName: fn.functionName,
          Resource: `${fn.functionName}:${props.alias.aliasName}`,
          ExecutedVersion: version,
        },
        statistic,
        period: Duration.minutes(1),
      });
    const latency =
      props.latencyP99Threshold ?? Duration.millis((fn.timeout ?? Duration.seconds(3)).toMilliseconds() / 2);
    const rollback =
      'While a deployment runs, CodeDeploy rolls the live alias back to the previous version. Check first: ' +
      '`aws deploy list-deployments` and `aws deploy get-deployment` for the rollback, then the log group ' +
      `${props.logGroup.logGroupName}`;
    return {
      errors: new cloudwatch.Alarm(this, 'NewVersionErrors', {
        metric: lambdaMetric('Errors', 'Sum'),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${who}: its invocations through the live alias failed (crash, timeout, out of memory). ${rollback} for "Task timed out", "Runtime exited" or "level": "ERROR".`,
      }),
      inferenceErrors: new cloudwatch.Alarm(this, 'NewVersionInferenceErrors', {
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: RuntimeMetric.inferenceErrors,
          dimensionsMap: {
            service: props.serviceName ?? SERVICE_NAME,
            [MODEL_DIMENSION]: props.modelName,
            [VERSION_DIMENSION]: props.modelVersion,
          },
          statistic: 'Sum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${who}: the runtime answered 5xx (the model did not load, or running it failed). ${rollback} for "model load failed" or "request failed".`,
      }),
      latencyP99: new cloudwatch.Alarm(this, 'NewVersionLatencyP99', {
        metric: lambdaMetric('Duration', 'p99'),
        threshold: latency.toMilliseconds(),
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${who}: p99 duration above ${latency.toMilliseconds()} ms in 2 of 3 minutes. ${rollback} for the REPORT lines' durations, and the InferenceLatency graph.`,
      }),
    };
  }

  /**
   * The pre-traffic hook: replays the golden set against the new version and reports to CodeDeploy. Its role may
   * invoke this function's versions, read the golden set's one key, report this deployment group's lifecycle
   * events (granted by addPreHook) and write its own log group; nothing else (no X-Ray: its actions take no
   * resource, and the hook's trace would add nothing to its log).
   */
  private createPreTrafficHook(
    props: ModelRolloutProps,
    golden: GoldenSetArtifact,
    bucket: s3.IBucket,
  ): { function: nodejs.NodejsFunction; role: iam.Role } {
    const fn = props.function;
    const logGroup = new logs.LogGroup(this, 'HookLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'HookRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Pre-traffic check of model ${props.modelName}: replays its golden set against a new version`,
    });
    logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        // The function's versions only (`<arn>:<version>`), not the unqualified function.
        resources: [`${fn.functionArn}:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(golden.key)] }),
    );
    bucket.encryptionKey?.grantDecrypt(role);

    const hook = new nodejs.NodejsFunction(this, 'PreTrafficHook', {
      entry: props.hookEntry ?? DEFAULT_HOOK_ENTRY,
      handler: 'handler',
      description: `Pre-traffic check of model ${props.modelName} version ${props.modelVersion}: golden set of ${golden.caseCount} case${golden.caseCount === 1 ? '' : 's'}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: hookTimeout(golden.caseCount, fn.timeout ?? Duration.seconds(3)),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        [PreTrafficHookEnvironment.targetFunction]: fn.currentVersion.functionArn,
        [PreTrafficHookEnvironment.modelName]: props.modelName,
        [PreTrafficHookEnvironment.modelVersion]: props.modelVersion,
        [PreTrafficHookEnvironment.goldenBucket]: bucket.bucketName,
        [PreTrafficHookEnvironment.goldenKey]: golden.key,
        [PreTrafficHookEnvironment.goldenSha256]: golden.sha256,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        ...HANDLER_BUNDLING,
        // The Node.js 24 runtime ships SDK v3, with the Lambda, S3 and CodeDeploy clients.
        externalModules: ['@aws-sdk/*'],
      },
    });
    acknowledge(role, `AwsSolutions-IAM5[Resource::<${logicalIdOf(fn)}.Arn>:*]`, [
      `The pre-traffic hook of model ${props.modelName} invokes the function version being deployed, whose number`,
      'CloudFormation assigns during the deploy: lambda:InvokeFunction is scoped to the versions of this one',
      'function (<function ARN>:*).',
    ]);
    return { function: hook, role };
  }
}

/**
 * The hook's timeout: the cases run one after another, each within the target's own timeout (the first one also
 * waits for the new version's cold start, bounded by Lambda's 10 s init), plus a minute for reading the golden set
 * and reporting. A healthy run takes seconds; this only bounds how long CodeDeploy waits on a stuck one.
 */
export function hookTimeout(caseCount: number, targetTimeout: Duration): Duration {
  return Duration.seconds(Math.min(LAMBDA_MAX_TIMEOUT_SECONDS, 60 + 10 + caseCount * targetTimeout.toSeconds()));
}

/** The stack's CodeDeploy application for model rollouts, created by the first model that needs it. */
export function stackRolloutApplication(scope: Construct): codedeploy.ILambdaApplication {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(APPLICATION_ID);
  if (existing instanceof codedeploy.LambdaApplication) return existing;
  return new codedeploy.LambdaApplication(stack, APPLICATION_ID);
}

function logicalIdOf(fn: lambda.Function): string {
  return Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
}
