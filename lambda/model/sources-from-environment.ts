import { S3Client } from '@aws-sdk/client-s3';
import { ModelEnvironment } from '../../contract/environment';
import { scanModelRepository } from '../../contract/model-repository';
import { tracer } from '../observability';
import { FileModelSource, type ModelSource } from './model-source';
import { S3ModelSource } from './s3-model-source';

/**
 * Where this process's models come from. In Lambda the stack sets the bucket variables and each function serves one
 * pinned artifact; anywhere else every model version of the local repository folder is served.
 */
export function modelSourcesFromEnvironment(env: NodeJS.ProcessEnv = process.env): ModelSource[] {
  const bucket = env[ModelEnvironment.bucket];
  if (bucket === undefined || bucket === '') {
    return modelSourcesFromFolder(env[ModelEnvironment.modelsDir] || 'models');
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
  const client = tracer.captureAWSv3Client(new S3Client({}));
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

export function modelSourcesFromFolder(folder: string): ModelSource[] {
  return scanModelRepository(folder).flatMap((model) =>
    model.versions.map((version) => new FileModelSource(model.name, version.version, version.modelPath)),
  );
}
