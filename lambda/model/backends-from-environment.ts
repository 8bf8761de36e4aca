import * as path from 'node:path';
import { ModelEnvironment } from '../../contract/environment';
import { DESCRIPTOR_FILE } from '../../contract/model-descriptor';
import { logger } from '../observability';
import { FileDescriptorSource, S3DescriptorSource } from './descriptor-source';
import type { ModelBackend, PlaceModel } from './model-backend';
import { FileModelSource, localModels } from './model-source';
import { OnnxRuntimeBackend } from './onnx-backend';
import { S3ModelSource } from './s3-model-source';
import { SageMakerForwarderBackend } from './sagemaker-forwarder';
import { type SignedS3Get, signedS3GetFromEnvironment } from './signed-s3-get';

/**
 * The models this process serves, from the variables the deployment sets (contract/environment.ts):
 * - SAGEMAKER_ENDPOINT_NAME: a forwarder to that endpoint, its contract read from the pinned descriptor in S3;
 * - MODEL_PATH: the model file inside an image, pinned by MODEL_SHA256, with descriptor.json beside it;
 * - MODEL_BUCKET: the pinned artifact in S3, and its pinned descriptor where MODEL_DESCRIPTOR_KEY is set;
 * - none of these: every model version of the local repository folder (MODELS_DIR, default `models`).
 * `place` says where ONNX Runtime sessions run; the entry point chooses it.
 */
export function modelBackendsFromEnvironment(place: PlaceModel, env: NodeJS.ProcessEnv = process.env): ModelBackend[] {
  const set = (variable: string) => (env[variable] ?? '') !== '';
  const required = (variable: string, because: string): string => {
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new Error(`${variable} is not set but ${because} is; deploy with the stack, which sets both`);
    }
    return value;
  };
  if (set(ModelEnvironment.sagemakerEndpoint)) {
    // Required here only: the SageMaker client takes 50-130 ms to import, which every ONNX function would pay at init.
    const { SageMakerRuntimeClient } =
      require('@aws-sdk/client-sagemaker-runtime') as typeof import('@aws-sdk/client-sagemaker-runtime');
    const because = ModelEnvironment.sagemakerEndpoint;
    return [
      new SageMakerForwarderBackend(new SageMakerRuntimeClient({}), {
        name: required(ModelEnvironment.name, because),
        version: required(ModelEnvironment.version, because),
        endpointName: required(ModelEnvironment.sagemakerEndpoint, because),
        descriptor: new S3DescriptorSource(s3Client(), {
          bucket: required(ModelEnvironment.bucket, because),
          key: required(ModelEnvironment.descriptorKey, because),
          sha256: required(ModelEnvironment.descriptorSha256, because),
        }),
      }),
    ];
  }
  if (set(ModelEnvironment.modelPath)) {
    const because = ModelEnvironment.modelPath;
    const modelPath = required(ModelEnvironment.modelPath, because);
    const descriptorSha256 = env[ModelEnvironment.descriptorSha256] || undefined;
    return [
      new OnnxRuntimeBackend(
        new FileModelSource(
          required(ModelEnvironment.name, because),
          required(ModelEnvironment.version, because),
          modelPath,
          required(ModelEnvironment.sha256, because),
        ),
        place,
        new FileDescriptorSource(path.join(path.dirname(modelPath), DESCRIPTOR_FILE), descriptorSha256),
      ),
    ];
  }
  if (set(ModelEnvironment.bucket)) {
    const because = ModelEnvironment.bucket;
    const bucket = required(ModelEnvironment.bucket, because);
    return [
      new OnnxRuntimeBackend(
        new S3ModelSource(s3Client(), {
          name: required(ModelEnvironment.name, because),
          version: required(ModelEnvironment.version, because),
          bucket,
          key: required(ModelEnvironment.key, because),
          sha256: required(ModelEnvironment.sha256, because),
        }),
        place,
        set(ModelEnvironment.descriptorKey)
          ? new S3DescriptorSource(s3Client(), {
              bucket,
              key: required(ModelEnvironment.descriptorKey, because),
              sha256: required(ModelEnvironment.descriptorSha256, ModelEnvironment.descriptorKey),
            })
          : undefined,
      ),
    ];
  }
  const local = localModels(env[ModelEnvironment.modelsDir] || 'models');
  for (const warning of local.warnings) logger.warn('model repository entry ignored', { warning });
  return local.sources.map((source) => new OnnxRuntimeBackend(source, place));
}

/**
 * Resolves once the model bucket's requests started so far are written to their sockets (see
 * SignedS3Get.requestsWritten); at once when this process reads nothing from S3.
 */
export function bucketRequestsWritten(): Promise<void> {
  return client?.requestsWritten() ?? Promise.resolve();
}

// A signed GET of its own rather than the S3 client, which took ~140 ms of init to import. A download retried inside
// a request gets its subsegment from readPinnedS3Object; during init no trace exists.
let client: SignedS3Get | undefined;
function s3Client(): SignedS3Get {
  client ??= signedS3GetFromEnvironment();
  return client;
}
