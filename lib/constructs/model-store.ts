import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';

/** One model file to upload. */
export interface ModelStoreModel {
  readonly name: string;
  readonly version: string;
  /** Path of the local `model.onnx`. */
  readonly modelPath: string;
}

/** Where a model landed in the store, and the checksum the runtime must verify. */
export interface ModelArtifact {
  readonly name: string;
  readonly version: string;
  /** Content-addressed key: `models/<name>/<version>/<sha256>.onnx`. */
  readonly key: string;
  /** Lowercase hex sha256 of the file. */
  readonly sha256: string;
  readonly sizeBytes: number;
}

export interface ModelStoreProps {
  /** Model files to upload at deploy time. @default - none: an empty store that other stacks or tools fill */
  readonly models?: readonly ModelStoreModel[];
  /** Retention of the upload handler's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The model bucket: versioned, S3-managed encryption, SSL-only, private, access-logged, retained on `cdk destroy`.
 * Models go in content-addressed (`models/<name>/<version>/<sha256>.onnx`) and are never pruned, so every
 * artifact a function version was ever pinned to stays available for a rollback.
 *
 * The bucket's construct id (`Bucket`, under this construct's id) is part of the public contract: changing it would
 * make CloudFormation replace the bucket, and the retained old one would be orphaned.
 */
export class ModelStore extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly artifacts: readonly ModelArtifact[];
  /** The upload; absent when no models were given. */
  public readonly deployment?: s3deploy.BucketDeployment;
  /** Role of the upload handler; absent when no models were given. */
  public readonly uploadRole?: iam.Role;

  constructor(scope: Construct, id: string, props: ModelStoreProps = {}) {
    super(scope, id);
    const models = props.models ?? [];
    validateModels(models);

    // Server access logs support SSE-S3 only as the target bucket's encryption, not SSE-KMS.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Object ownership left to CDK: with the serverAccessLogsUseBucketPolicy feature flag (cdk.json) the log
      // delivery is granted by bucket policy and ACLs stay disabled; without it CDK needs the log-delivery ACL.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // SSE-S3 rather than a customer key: the artifacts are not secret beyond the account, SSE-S3 costs nothing per
    // request, and it keeps cold-start downloads free of a KMS Decrypt call and its quota.
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'model-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.artifacts = models.map(describeArtifact);
    if (models.length === 0) return;

    // An own role and log group for the upload handler: the default role carries AWSLambdaBasicExecutionRole
    // (logs on every log group) and the default log group never expires.
    const uploadLogs = new logs.LogGroup(this, 'UploadLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.uploadRole = new iam.Role(this, 'UploadRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies content-addressed model artifacts into the model bucket',
    });
    uploadLogs.grantWrite(this.uploadRole);
    const totalBytes = this.artifacts.reduce((sum, artifact) => sum + artifact.sizeBytes, 0);
    this.deployment = new s3deploy.BucketDeployment(this, 'Upload', {
      destinationBucket: this.bucket,
      sources: models.map((model, index) => modelSource(model, this.artifacts[index] as ModelArtifact)),
      // prune: false keeps every earlier artifact, so an older function version (or a rollback) still finds its key.
      prune: false,
      retainOnDelete: true,
      // The upload handler holds the zipped and the extracted copy in /tmp: twice the models plus headroom.
      ephemeralStorageSize: Size.mebibytes(
        Math.min(10_240, Math.max(512, Math.ceil((2 * totalBytes) / 1024 / 1024) + 256)),
      ),
      memoryLimit: 1024,
      role: this.uploadRole,
      logGroup: uploadLogs,
    });
  }
}

function validateModels(models: readonly ModelStoreModel[]): void {
  const seen = new Set<string>();
  for (const model of models) {
    if (!MODEL_NAME_PATTERN.test(model.name)) {
      throw new Error(
        `models[].name ("${model.name}") is not a valid model name: use lowercase letters, digits, "-", "_"`,
      );
    }
    if (!MODEL_VERSION_PATTERN.test(model.version)) {
      throw new Error(`models[].version ("${model.version}") of ${model.name} is not a positive integer: use e.g. "1"`);
    }
    if (!fs.existsSync(model.modelPath)) {
      throw new Error(
        `models[].modelPath (${model.modelPath}) of ${model.name} does not exist: export the model to ONNX there`,
      );
    }
    const id = `${model.name}/${model.version}`;
    if (seen.has(id)) throw new Error(`models lists ${id} twice: keep one entry per model version`);
    seen.add(id);
  }
}

function describeArtifact(model: ModelStoreModel): ModelArtifact {
  const bytes = fs.readFileSync(model.modelPath);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  return {
    name: model.name,
    version: model.version,
    key: `models/${model.name}/${model.version}/${sha256}.onnx`,
    sha256,
    sizeBytes: bytes.length,
  };
}

/**
 * A zip holding just `models/<name>/<version>/<sha256>.onnx`. Built by a local copy (no Docker), and hashed by the
 * content's sha256, so an unchanged model is neither re-zipped nor re-uploaded.
 */
function modelSource(model: ModelStoreModel, artifact: ModelArtifact): s3deploy.ISource {
  return s3deploy.Source.asset(path.dirname(model.modelPath), {
    assetHash: artifact.sha256,
    assetHashType: AssetHashType.CUSTOM,
    bundling: {
      // Never pulled: the local copy below always succeeds. The image is only required by the type.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      local: {
        tryBundle(outputDir: string): boolean {
          const target = path.join(outputDir, artifact.key);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(model.modelPath, target);
          return true;
        },
      },
    },
  });
}
