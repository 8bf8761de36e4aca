import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../contract/environment';
import { LAMBDA_MAX_MEMORY_MIB, requiredMemoryMiB } from '../backend-choice';
import { propError } from './prop-error';

/** The name of the alias the API calls; moving it is how a model version is rolled forward or back. */
export const LIVE_ALIAS = 'live';

/**
 * What a model's function (zip or image) lets its user tune: a subset of the CDK's own function options, plus the
 * memory in MiB and the `live` alias's provisioned concurrency.
 */
export interface ModelFunctionOptions extends Pick<lambda.FunctionOptions, 'timeout' | 'reservedConcurrentExecutions'> {
  /**
   * Memory, which also buys CPU (1 vCPU per 1,769 MiB).
   * @default - 3x the model plus 512 MiB, at least 1,769 MiB; synth fails when that is over 10,240 MiB
   */
  readonly memorySizeMiB?: number;
  /** Function timeout; keep it below the API's 29 s integration timeout. @default Duration.seconds(20) */
  readonly timeout?: Duration;
  /** Concurrency reserved for this function, which also caps it. @default - none: shares the account's pool */
  readonly reservedConcurrentExecutions?: number;
  /** Provisioned concurrency kept warm on the `live` alias. @default - none: on-demand environments only */
  readonly minProvisionedConcurrency?: number;
  /** Upper bound of target-tracking autoscaling of provisioned concurrency. @default - minProvisionedConcurrency (no autoscaling) */
  readonly maxProvisionedConcurrency?: number;
  /** Provisioned concurrency utilisation the autoscaling aims at, between 0.1 and 0.9. @default 0.7 */
  readonly provisionedUtilizationTarget?: number;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The runtime's service name: its logs' `service` and its metrics' `service` dimension. Give each deployment that
   * shares an account and region its own (serviceNameForStage).
   * @default 'model-endpoint'
   */
  readonly serviceName?: string;
}

/** Fails with the prop, the value and the fix when the options cannot deploy. */
export function validateFunctionOptions(scope: Construct, props: ModelFunctionOptions): void {
  if (props.memorySizeMiB !== undefined && (props.memorySizeMiB < 128 || props.memorySizeMiB > LAMBDA_MAX_MEMORY_MIB)) {
    throw propError(
      scope,
      `memorySizeMiB (${props.memorySizeMiB}) must be between 128 and ${LAMBDA_MAX_MEMORY_MIB}: Lambda's limits`,
    );
  }
  if (props.timeout !== undefined && props.timeout.toSeconds() >= 29) {
    throw propError(
      scope,
      `timeout (${props.timeout.toSeconds()} s) must be below 29 s, API Gateway's integration timeout: lower it`,
    );
  }
  const min = props.minProvisionedConcurrency;
  const max = props.maxProvisionedConcurrency;
  if (min !== undefined && (!Number.isInteger(min) || min < 1)) {
    throw propError(
      scope,
      `minProvisionedConcurrency (${min}) must be a whole number of at least 1: or leave it unset`,
    );
  }
  if (max !== undefined && min === undefined) {
    throw propError(
      scope,
      `maxProvisionedConcurrency (${max}) needs minProvisionedConcurrency: set the minimum, e.g. 1`,
    );
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw propError(scope, `minProvisionedConcurrency (${min}) must not exceed maxProvisionedConcurrency (${max})`);
  }
  const target = props.provisionedUtilizationTarget;
  if (target !== undefined && (target < 0.1 || target > 0.9)) {
    throw propError(scope, `provisionedUtilizationTarget (${target}) must be between 0.1 and 0.9, e.g. 0.7`);
  }
  const reserved = props.reservedConcurrentExecutions;
  const ceiling = max ?? min;
  if (reserved !== undefined && ceiling !== undefined && ceiling > reserved) {
    throw propError(
      scope,
      `reservedConcurrentExecutions (${reserved}) is below the provisioned concurrency (${ceiling}): raise reservedConcurrentExecutions`,
    );
  }
}

/**
 * The memory of a model's function: as set, or 3x the model plus 512 MiB. Never clamped: a model that needs more
 * than Lambda's 10,240 MiB fails synth with the way out.
 */
export function functionMemoryMiB(
  scope: Construct,
  modelName: string,
  modelSizeBytes: number,
  memorySizeMiB?: number,
): number {
  if (memorySizeMiB !== undefined) return memorySizeMiB;
  const needed = requiredMemoryMiB(modelSizeBytes);
  if (needed > LAMBDA_MAX_MEMORY_MIB) {
    throw propError(
      scope,
      `model ${modelName} (${(modelSizeBytes / 1024 / 1024).toFixed(1)} MiB) needs ${needed} MiB of memory (3x the model + 512 MiB), over Lambda's ${LAMBDA_MAX_MEMORY_MIB} MiB: use backend sagemaker for this model`,
    );
  }
  return needed;
}

/** The function's own log group and a role that may write to it only (not AWSLambdaBasicExecutionRole's logs:*). */
export function functionRoleAndLogs(
  scope: Construct,
  modelName: string,
  logRetention?: logs.RetentionDays,
): { role: iam.Role; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Inference function of model ${modelName}`,
  });
  logGroup.grantWrite(role);
  return { role, logGroup };
}

/** Function settings every model function shares, whatever its packaging. */
export function functionSettings(props: ModelFunctionOptions) {
  return {
    // 20 s: a cold start loads the model (seconds for hundreds of MB) before the first answer; below the API's 29 s
    // so that a stuck invocation ends as a logged Lambda timeout, not an anonymous gateway 504.
    timeout: props.timeout ?? Duration.seconds(20),
    loggingFormat: lambda.LoggingFormat.JSON,
    tracing: lambda.Tracing.ACTIVE,
    ...(props.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
  } as const;
}

/**
 * The variables every function running lambda/handler.mts gets beside its model's: Powertools'. No
 * NODE_OPTIONS=--enable-source-maps: the handler maps its stack traces itself, reading the source map only when a
 * stack is formatted (lambda/source-mapped-stacks.ts), where Node's flag read every module's map at init (11 ms).
 */
export function runtimeEnvironment(serviceName: string = SERVICE_NAME): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  };
}

/** The `live` alias the API calls, with provisioned concurrency and its target-tracking autoscaling when asked. */
export function liveAlias(
  scope: Construct,
  fn: lambda.Function,
  props: ModelFunctionOptions,
): { alias: lambda.Alias; scaling?: lambda.IScalableFunctionAttribute; provisioned: boolean } {
  const min = props.minProvisionedConcurrency;
  const alias = new lambda.Alias(scope, 'Live', {
    aliasName: LIVE_ALIAS,
    version: fn.currentVersion,
    ...(min === undefined ? {} : { provisionedConcurrentExecutions: min }),
  });
  const max = props.maxProvisionedConcurrency ?? min;
  if (min === undefined || max === undefined || max <= min) return { alias, provisioned: min !== undefined };
  const scaling = alias.addAutoScaling({ minCapacity: min, maxCapacity: max });
  scaling.scaleOnUtilization({ utilizationTarget: props.provisionedUtilizationTarget ?? 0.7 });
  return { alias, scaling, provisioned: true };
}
