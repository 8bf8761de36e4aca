import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ShadowComparatorEnvironment } from '../../contract/environment';
import { supportFunction } from './support-function';

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
    const built = supportFunction(this, {
      ids: { logGroup: 'Logs', role: 'Role', function: 'Function' },
      entry: SHADOW_COMPARATOR_ENTRY,
      description: `Compares model ${props.modelName}'s sampled live answers with candidate version ${props.candidateVersion}`,
      roleDescription: `Shadow comparator of model ${props.modelName}: invokes candidate version ${props.candidateVersion}`,
      // Samples of up to 256 KiB are decoded and compared in memory; 512 MiB is ample and buys a third of a vCPU.
      memorySize: 512,
      // Samples run one after another, each up to the candidate's own 20 s timeout; a batch rarely holds many.
      timeout: Duration.minutes(5),
      environment: {
        [ShadowComparatorEnvironment.candidateFunction]: props.candidate.functionArn,
        [ShadowComparatorEnvironment.modelName]: props.modelName,
        [ShadowComparatorEnvironment.candidateVersion]: props.candidateVersion,
      },
      serviceName: props.serviceName,
      logRetention: props.logRetention,
    });
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    props.candidate.grantInvoke(this.role);
  }
}
