import { S3Client } from '@aws-sdk/client-s3';
import { ModelEnvironment } from '../../contract/environment';
import { logger } from '../observability';
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
  // Not wrapped in the X-Ray client capture: the download runs during Lambda's init, where no trace exists, and the
  // capture would then log "Missing AWS Lambda trace data" on every cold start. A download retried inside a request
  // is timed by the registry's `## load` subsegment.
  const client = new S3Client({});
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
