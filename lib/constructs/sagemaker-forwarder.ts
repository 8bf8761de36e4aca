import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ModelEnvironment } from '../../contract/environment';
import { acknowledge } from '../compliance';
import { HANDLER_BUNDLING, handlerEntry, LIVE_ALIAS } from './inference-function';
import { runtimeEnvironment } from './model-function-options';
import { propError } from './prop-error';

export interface SageMakerForwarderProps {
  /** Model name as served in URLs. */
  readonly modelName: string;
  /** Model version as served in URLs. */
  readonly modelVersion: string;
  /** Name of the SageMaker endpoint that serves the model. */
  readonly endpointName: string;
  /** ARN of that endpoint; the function may invoke this one endpoint and nothing else. */
  readonly endpointArn: string;
  /** Bucket holding the model's descriptor. */
  readonly descriptorBucket: s3.IBucket;
  /** Content-addressed key of the descriptor; the function may read this key and nothing else. */
  readonly descriptorKey: string;
  /** Lowercase hex sha256 of the descriptor, verified by the runtime before it validates requests against it. */
  readonly descriptorSha256: string;
  /** Handler entry file (exports `handler`), bundled as an ES module. @default - lambda/handler.mts of this project */
  readonly entry?: string;
  /** Memory; the forwarder parses and validates requests but runs no model. @default 512 */
  readonly memorySizeMiB?: number;
  /**
   * Function timeout, below the API's 29 s integration timeout. A serverless endpoint's cold start (image pull
   * and model load) is inside it. @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The runtime's service name (logs' `service`, metrics' `service` dimension). @default 'model-endpoint' */
  readonly serviceName?: string;
}

/**
 * The function API Gateway invokes for a `sagemaker` model: the project's handler with SAGEMAKER_ENDPOINT_NAME set,
 * so it validates requests against the model's descriptor and forwards them to the endpoint (InvokeEndpoint)
 * instead of running ONNX Runtime. No ONNX Runtime layer; arm64, since it only moves bytes.
 */
export class SageMakerForwarder extends Construct {
  public readonly function: nodejs.NodejsFunction;
  /** The `live` alias: what the API invokes. */
  public readonly alias: lambda.Alias;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SageMakerForwarderProps) {
    super(scope, id);
    const entry = handlerEntry(this, props.entry);
    if (!/^[0-9a-f]{64}$/.test(props.descriptorSha256)) {
      throw propError(
        this,
        `descriptorSha256 ("${props.descriptorSha256}") is not a lowercase hex sha256: pass the descriptor's digest`,
      );
    }
    const memory = props.memorySizeMiB ?? 512;
    if (!(Number.isInteger(memory) && memory >= 128 && memory <= 10_240)) {
      throw propError(this, `memorySizeMiB (${memory}) must be a whole number from 128 to 10240: Lambda's limits`);
    }
    const timeout = props.timeout ?? Duration.seconds(25);
    if (timeout.toSeconds() >= 29) {
      throw propError(
        this,
        `timeout (${timeout.toSeconds()} s) must be below 29 s, API Gateway's integration timeout: lower it`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An own role: the default one attaches AWSLambdaBasicExecutionRole (logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Forwarder of model ${props.modelName} to its SageMaker endpoint`,
    });
    this.logGroup.grantWrite(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [props.endpointArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.descriptorBucket.arnForObjects(props.descriptorKey)],
      }),
    );
    props.descriptorBucket.encryptionKey?.grantDecrypt(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: `Forwards model ${props.modelName} version ${props.modelVersion} to its SageMaker endpoint`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: memory,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        [ModelEnvironment.name]: props.modelName,
        [ModelEnvironment.version]: props.modelVersion,
        [ModelEnvironment.sagemakerEndpoint]: props.endpointName,
        [ModelEnvironment.bucket]: props.descriptorBucket.bucketName,
        [ModelEnvironment.descriptorKey]: props.descriptorKey,
        [ModelEnvironment.descriptorSha256]: props.descriptorSha256,
        ...runtimeEnvironment(props.serviceName),
      },
      bundling: {
        // The same bundle as the model functions': the runtime picks the forwarder from SAGEMAKER_ENDPOINT_NAME.
        ...HANDLER_BUNDLING,
        // The Node.js 24 runtime ships the SDK v3, @aws-sdk/client-sagemaker-runtime included. onnxruntime-node is
        // never loaded on the forwarding path and this function has no layer that provides it.
        externalModules: ['onnxruntime-node', '@aws-sdk/*'],
      },
    });

    this.alias = new lambda.Alias(this, 'Live', { aliasName: LIVE_ALIAS, version: this.function.currentVersion });

    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]', [
      'The only statement on Resource "*" is xray:PutTraceSegments + xray:PutTelemetryRecords, added by tracing:',
      'ACTIVE; X-Ray defines no resource types for these actions. The function may otherwise invoke its one',
      "endpoint (sagemaker:InvokeEndpoint on the endpoint's ARN) and read its one descriptor key.",
    ]);
  }
}
