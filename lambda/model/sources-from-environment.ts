import { S3Client } from '@aws-sdk/client-s3';
import { ModelEnvironment } from '../../contract/environment';
import { logger, tracer } from '../observability';
import { localModels, type ModelSource } from './model-source';
import { S3ModelSource } from './s3-model-source';

/**
 * Where this process's models come from. In Lambda the stack sets the bucket variables and each function serves one
 * pinned artifact; anywhere else every model version of the local repository folder is served.
 */
export function modelSourcesFromEnvironment(env: NodeJS.ProcessEnv = process.env): ModelSource[] {
  const bucket = env[ModelEnvironment.bucket];
  if (bucket === undefined || bucket === '') {
    const local = localModels(env[ModelEnvironment.modelsDir] || 'models');
    for (const warning of local.warnings) logger.warn('model repository entry ignored', { warning });
    return local.sources;
  }
  const required = (variable: string): string => {
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new Error(
        `${variable} is not set but ${ModelEnvironment.bucket} is; deploy the function with the stack, which sets both`,
      );
    }
    return value;
  };
  const s3 = new S3Client({});
  const client = tracer === undefined ? s3 : tracer.captureAWSv3Client(s3);
  return [
    new S3ModelSource(client, {
      name: required(ModelEnvironment.name),
      version: required(ModelEnvironment.version),
      bucket,
      key: required(ModelEnvironment.key),
      sha256: required(ModelEnvironment.sha256),
    }),
  ];
}
