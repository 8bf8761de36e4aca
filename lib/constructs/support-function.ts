import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { runtimeEnvironment } from './model-function-options';

export interface SupportFunctionProps {
  /**
   * Construct ids of the log group, the role and the function, created directly in the scope: each construct keeps
   * the ids (and so the logical ids) it had before it used this builder.
   */
  readonly ids: { readonly logGroup: string; readonly role: string; readonly function: string };
  /** The handler's TypeScript file (it exports `handler`). */
  readonly entry: string;
  readonly description: string;
  /** What the role is for, in the words of its least-privilege policy; the caller adds those statements. */
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The function's own variables; the runtime's Powertools variables are added. */
  readonly environment: Readonly<Record<string, string>>;
  /** The `service` dimension of its metrics. @default 'model-endpoint' */
  readonly serviceName?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

export interface SupportFunction {
  readonly function: nodejs.NodejsFunction;
  /** May write its own log group and nothing else until the caller grants what the function needs. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * A function that serves the models rather than answering callers (shadow comparator, capture writer, drift job):
 * Node.js 24 on arm64 like the model functions, JSON logs in its own retained log group (its metrics travel there
 * as embedded metric format lines, so it needs no CloudWatch permission), a role of its own, and a minified bundle
 * that leaves out the AWS SDK v3 the runtime ships.
 */
export function supportFunction(scope: Construct, props: SupportFunctionProps): SupportFunction {
  const logGroup = new logs.LogGroup(scope, props.ids.logGroup, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, props.ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, props.ids.function, {
    entry: props.entry,
    handler: 'handler',
    description: props.description,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    loggingFormat: lambda.LoggingFormat.JSON,
    role,
    logGroup,
    // Node maps these bundles' stack traces itself; only the inference handler maps its own, lazily.
    environment: {
      ...props.environment,
      ...runtimeEnvironment(props.serviceName),
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      target: 'node24',
      externalModules: ['@aws-sdk/*'],
      forceDockerBundling: false,
      logLevel: nodejs.LogLevel.WARNING,
    },
  });
  return { function: fn, role, logGroup };
}
