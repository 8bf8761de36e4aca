import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { GOLDEN_SET_FILE, parseGoldenSet } from '../../contract/golden-set';
import { type ModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';
import type { ModelSpec } from '../../contract/onnx-model-spec';
import { readRegularFileSync } from '../../contract/regular-file';
import { describeModel, type ModelDescription } from '../model-description';
import { propError } from './prop-error';

/** One model file to upload, with what ONNX Runtime reported about it. */
export interface ModelStoreModel {
  readonly name: string;
  readonly version: string;
  /** Path of the local `model.onnx`; its `model.json`, if any, sits beside it and goes into the descriptor. */
  readonly modelPath: string;
  /**
   * Inputs and outputs as an ONNX Runtime session reports them (checkModelsToDeploy in lib/model-check.ts returns
   * it). Required rather than derived here: opening a session is asynchronous and a constructor is not, and a spec
   * read any other way could differ from the session the runtime opens, which would then refuse to serve.
   */
  readonly spec: ModelSpec;
}

/** Where a model and its descriptor landed in the store, and the checksums the runtime must verify. */
export interface ModelArtifact {
  readonly name: string;
  readonly version: string;
  /** Path of the local `model.onnx` the artifact was read from (an image backend copies it into its image). */
  readonly modelPath: string;
  /** Content-addressed key: `models/<name>/<version>/<sha256>.onnx`. */
  readonly key: string;
  /** Lowercase hex sha256 of the file. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** The descriptor built at synth: the session's spec, the manifest and this artifact's sha256 and size. */
  readonly descriptor: ModelDescriptor;
  /** The descriptor's canonical bytes, as uploaded. */
  readonly descriptorJson: string;
  /** Content-addressed key of the descriptor: `models/<name>/<version>/<sha256 of the descriptor>.json`. */
  readonly descriptorKey: string;
  /** Lowercase hex sha256 of descriptorJson. */
  readonly descriptorSha256: string;
  /** The version's golden set (`golden.json` beside the model), uploaded beside it; absent when it has none. */
  readonly golden?: GoldenSetArtifact;
}

/** A golden set as uploaded: content-addressed like the model, so a rollout checks exactly the bytes reviewed. */
export interface GoldenSetArtifact {
  /** Path of the local `golden.json`. */
  readonly path: string;
  /** Content-addressed key: `models/<name>/<version>/<sha256>.golden.json`. */
  readonly key: string;
  /** Lowercase hex sha256 of the file's bytes, which the pre-traffic check verifies before trusting them. */
  readonly sha256: string;
  /** Number of cases, which sizes the check's timeout. */
  readonly caseCount: number;
}

export interface ModelStoreProps {
  /**
   * Model files to upload at deploy time, each with its descriptor beside it.
   * @default - none: an empty store that other stacks or tools fill
   */
  readonly models?: readonly ModelStoreModel[];
  /** Retention of the upload handler's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The model bucket: versioned, S3-managed encryption, SSL-only, private, access-logged, retained on `cdk destroy`.
 * Models go in content-addressed (`models/<name>/<version>/<sha256>.onnx`), each with its descriptor beside it
 * (`models/<name>/<version>/<sha256>.json`, addressed by the descriptor's own sha256), and are never pruned, so
 * every artifact a function version was ever pinned to stays available for a rollback. A version's golden set
 * (`golden.json` beside the model) goes in the same way, as `models/<name>/<version>/<sha256>.golden.json`.
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
    validateModels(this, models);

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

    this.artifacts = models.map((model) => describeArtifact(this, model));
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
      sources: this.artifacts.map(modelSource),
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

  /** The artifact of one uploaded model version; fails when it was not given to this store. */
  public artifactOf(name: string, version: string): ModelArtifact {
    const found = this.artifacts.find((artifact) => artifact.name === name && artifact.version === version);
    if (found === undefined) {
      throw propError(this, `model ${name} version ${version} is not in this store: add it to models`);
    }
    return found;
  }
}

function validateModels(scope: Construct, models: readonly ModelStoreModel[]): void {
  const seen = new Set<string>();
  for (const model of models) {
    if (!MODEL_NAME_PATTERN.test(model.name)) {
      throw propError(
        scope,
        `models[].name ("${model.name}") is not a valid model name: use lowercase letters, digits, "-", "_"`,
      );
    }
    if (!MODEL_VERSION_PATTERN.test(model.version)) {
      throw propError(
        scope,
        `models[].version ("${model.version}") of ${model.name} is not a positive integer: use e.g. "1"`,
      );
    }
    if (!fs.existsSync(model.modelPath)) {
      throw propError(
        scope,
        `models[].modelPath (${model.modelPath}) of ${model.name} does not exist: export the model to ONNX there`,
      );
    }
    const id = `${model.name}/${model.version}`;
    if (seen.has(id)) throw propError(scope, `models lists ${id} twice: keep one entry per model version`);
    if (model.spec.name !== model.name || model.spec.version !== model.version) {
      throw propError(
        scope,
        `models[].spec of ${id} describes ${model.spec.name}/${model.spec.version}: pass the spec checkModelsToDeploy returned for this model`,
      );
    }
    seen.add(id);
  }
}

function describeArtifact(scope: Construct, model: ModelStoreModel): ModelArtifact {
  let description: ModelDescription;
  try {
    description = describeModel(model);
  } catch (error) {
    throw propError(scope, (error as Error).message);
  }
  const prefix = `models/${model.name}/${model.version}`;
  const golden = describeGoldenSet(scope, model.modelPath, prefix);
  return {
    ...description,
    name: model.name,
    version: model.version,
    modelPath: model.modelPath,
    key: `${prefix}/${description.sha256}.onnx`,
    descriptorKey: `${prefix}/${description.descriptorSha256}.json`,
    ...(golden === undefined ? {} : { golden }),
  };
}

/**
 * The golden set beside the model, checked at synth: a file the pre-traffic check could not read would fail every
 * deployment of the version, so it fails `cdk synth` instead, with the parser's message.
 */
function describeGoldenSet(scope: Construct, modelPath: string, prefix: string): GoldenSetArtifact | undefined {
  const goldenPath = path.join(path.dirname(modelPath), GOLDEN_SET_FILE);
  if (!fs.existsSync(goldenPath)) return undefined;
  let bytes: Buffer;
  let caseCount: number;
  try {
    // Never blocks on a FIFO or the like, as no reader of the repository does.
    bytes = readRegularFileSync(goldenPath);
    caseCount = parseGoldenSet(bytes.toString('utf8'), goldenPath).cases.length;
  } catch (error) {
    throw propError(scope, (error as Error).message);
  }
  const sha256 = sha256Hex(bytes);
  return { path: goldenPath, key: `${prefix}/${sha256}.golden.json`, sha256, caseCount };
}

/**
 * A zip holding `models/<name>/<version>/<sha256>.onnx`, its descriptor and its golden set, if any. Built by a local
 * copy (no Docker), and hashed by the contents' sha256, so an unchanged model is neither re-zipped nor re-uploaded.
 */
function modelSource(artifact: ModelArtifact): s3deploy.ISource {
  return s3deploy.Source.asset(path.dirname(artifact.modelPath), {
    // A version without a golden set keeps the hash it had before golden sets existed: no needless re-upload.
    assetHash: [
      artifact.sha256,
      artifact.descriptorSha256,
      ...(artifact.golden === undefined ? [] : [artifact.golden.sha256]),
    ].join('-'),
    assetHashType: AssetHashType.CUSTOM,
    bundling: {
      // Never pulled: the local copy below always succeeds. The image is only required by the type.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      local: {
        tryBundle(outputDir: string): boolean {
          const target = path.join(outputDir, artifact.key);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(artifact.modelPath, target);
          fs.writeFileSync(path.join(outputDir, artifact.descriptorKey), artifact.descriptorJson);
          if (artifact.golden !== undefined) {
            fs.copyFileSync(artifact.golden.path, path.join(outputDir, artifact.golden.key));
          }
          return true;
        },
      },
    },
  });
}
