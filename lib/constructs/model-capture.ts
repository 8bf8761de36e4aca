import * as path from 'node:path';
import { Aws, type CfnElement, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { CapturePolicy } from '../../contract/capture';
import { CAPTURE_MARKER, CaptureEnvironment, CaptureWriterEnvironment } from '../../contract/environment';
import { acknowledge } from '../compliance';
import { propError } from './prop-error';
import { supportFunction } from './support-function';

export const CAPTURE_WRITER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'monitoring', 'capture-writer.ts');

/** The key prefixes of the layout (contract/capture.ts): the writer may write these and nothing else. */
export const CAPTURE_KEY_PREFIXES = ['captures/', 'feedback/'] as const;

/** One model whose requests are captured. */
export interface CapturedModel {
  readonly modelName: string;
  /** The function that serves the model; its environment gets the capture policy. */
  readonly function: lambda.IFunction;
  /** Its log group, where the capture and feedback records land. */
  readonly logGroup: logs.ILogGroup;
  readonly policy: CapturePolicy;
}

export interface ModelCaptureProps {
  readonly models: readonly CapturedModel[];
  /** Days S3 keeps a captured object before deleting it. @default 90 */
  readonly retentionDays?: number;
  /** Bucket that receives the capture bucket's server access logs. @default - a new SSE-S3 bucket */
  readonly accessLogsBucket?: s3.IBucket;
  /** Retention of the writer's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** The runtime's service name, for the writer's logs. @default 'model-endpoint' */
  readonly serviceName?: string;
}

/**
 * Data capture of the models that opted in: each model's function logs a sampled share of its requests and answers
 * (and the feedback it receives) as marked records; a subscription filter per log group hands exactly those to one
 * writer function, which stores them as JSON lines in the capture bucket, in the layout of contract/capture.ts.
 * The bucket holds what callers sent, possibly personal data: its own KMS key (rotated), SSL only, private,
 * access-logged, and every object expires after the retention period. Nothing of it is on the caller's path but
 * the log line, written after the answer.
 */
export class ModelCapture extends Construct {
  public readonly key: kms.Key;
  public readonly bucket: s3.Bucket;
  public readonly writer: nodejs.NodejsFunction;
  public readonly writerRole: iam.Role;
  public readonly writerLogGroup: logs.LogGroup;
  public readonly subscriptions: readonly logs.SubscriptionFilter[];

  constructor(scope: Construct, id: string, props: ModelCaptureProps) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 90;
    if (!(Number.isInteger(retentionDays) && retentionDays >= 1)) {
      throw propError(this, `retentionDays (${retentionDays}) must be a whole number of days, at least 1, e.g. 90`);
    }
    if (props.models.length === 0) {
      throw propError(this, 'models is empty: give at least one captured model, or create no ModelCapture');
    }
    const accessLogs =
      props.accessLogsBucket ??
      new s3.Bucket(this, 'AccessLogs', {
        // Server access logs support SSE-S3 only as the target bucket's encryption, not SSE-KMS.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts captured inference requests and answers',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      // A customer key rather than SSE-S3: captures may hold personal data, and a key policy says who may read them.
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of a KMS call per object: the writer puts many small objects.
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Not versioned: an expired capture must be gone, not kept as a noncurrent version.
      lifecycleRules: [
        { id: 'ExpireCaptures', expiration: Duration.days(retentionDays) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'capture-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const writer = supportFunction(this, {
      ids: { logGroup: 'WriterLogs', role: 'WriterRole', function: 'Writer' },
      entry: CAPTURE_WRITER_ENTRY,
      description: 'Stores the captured requests and feedback of the captured models in the capture bucket',
      roleDescription: 'Capture writer: puts captured records under captures/ and feedback/ of the capture bucket',
      // A batch is at most 1 MB of log events: parsed, regrouped and sent, it fits in 256 MiB with room to spare.
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: { [CaptureWriterEnvironment.bucket]: this.bucket.bucketName },
      serviceName: props.serviceName,
      logRetention: props.logRetention,
    });
    this.writer = writer.function;
    this.writerRole = writer.role;
    this.writerLogGroup = writer.logGroup;
    // PutObject under the two prefixes only: with no s3:GetObject, the writer can never read a capture back.
    this.writerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: CAPTURE_KEY_PREFIXES.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    for (const prefix of CAPTURE_KEY_PREFIXES) {
      acknowledge(this.writerRole, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`, [
        `s3:PutObject on the capture bucket's ${prefix} prefix, where the writer creates one object per hour`,
        'partition and batch under keys it derives from each record (contract/capture.ts): the keys cannot be',
        'listed in advance. The writer has no s3:GetObject, so it cannot read any capture back.',
      ]);
    }
    // What S3 asks of the caller for an SSE-KMS put, on this key only: a data key (Decrypt serves the bucket key
    // and multipart uploads; without s3:GetObject it decrypts no object).
    this.writerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );

    // One salt per stack: the random part of the stack id. Hashes join equal values within this deployment and
    // differ from any other's; like every pseudonym, they are not secret from whoever can read the stack.
    const hashSalt = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    this.subscriptions = props.models.map((model) => {
      if (!(model.function instanceof lambda.Function)) {
        throw propError(this, `model ${model.modelName}: capture needs the model's function to be a lambda.Function`);
      }
      model.function.addEnvironment(CaptureEnvironment.sampleRate, String(model.policy.sampleRate));
      if (model.policy.dropFields.length > 0) {
        model.function.addEnvironment(CaptureEnvironment.dropFields, model.policy.dropFields.join(','));
      }
      if (model.policy.hashFields.length > 0) {
        model.function.addEnvironment(CaptureEnvironment.hashFields, model.policy.hashFields.join(','));
        model.function.addEnvironment(CaptureEnvironment.hashSalt, hashSalt);
      }
      return new logs.SubscriptionFilter(this, `${model.modelName}Records`, {
        logGroup: model.logGroup,
        destination: new LambdaDestination(this.writer),
        // The marker field only capture and feedback records carry.
        filterPattern: logs.FilterPattern.numberValue(`$.${CAPTURE_MARKER}`, '=', 1),
      });
    });
  }
}
