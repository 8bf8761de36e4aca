import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ShadowComparatorEnvironment } from '../../contract/environment';
import { runtimeEnvironment } from './model-function-options';

export const SHADOW_COMPARATOR_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'shadow', 'shadow-comparator.ts');

export interface ShadowComparatorFunctionProps {
  readonly modelName: string;
  readonly candidateVersion: string;
  /** What the comparator invokes: the candidate's alias; it may invoke nothing else. */
  readonly candidate: lambda.IFunction;
  /** Retention of the comparator's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The runtime's service name, the `service` dimension of the shadow metrics. @default 'model-endpoint' */
  readonly serviceName?: string;
}

/**
 * The function that replays a model's shadow samples against its candidate (lambda/shadow/shadow-comparator.ts):
 * Node.js 24 on arm64 like the model functions. Its role may invoke the candidate's alias and write its own log
 * group, nothing else; its metrics travel in that log group as embedded metric format lines.
 */
export class ShadowComparatorFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ShadowComparatorFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Shadow comparator of model ${props.modelName}: invokes candidate version ${props.candidateVersion}`,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: SHADOW_COMPARATOR_ENTRY,
      handler: 'handler',
      description: `Compares model ${props.modelName}'s sampled live answers with candidate version ${props.candidateVersion}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // Samples of up to 256 KiB are decoded and compared in memory; 512 MiB is ample and buys a third of a vCPU.
      memorySize: 512,
      // Samples run one after another, each up to the candidate's own 20 s timeout; a batch rarely holds many.
      timeout: Duration.minutes(5),
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [ShadowComparatorEnvironment.candidateFunction]: props.candidate.functionArn,
        [ShadowComparatorEnvironment.modelName]: props.modelName,
        [ShadowComparatorEnvironment.candidateVersion]: props.candidateVersion,
        ...runtimeEnvironment(props.serviceName),
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node24',
        // The Node.js 24 runtime ships AWS SDK v3, the Lambda client included.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.WARNING,
      },
    });
    props.candidate.grantInvoke(this.role);
  }
}
