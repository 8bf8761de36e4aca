import * as path from 'node:path';
import { ModelEnvironment } from '../../contract/environment';
import { DESCRIPTOR_FILE } from '../../contract/model-descriptor';
import { type DescriptorSource, FileDescriptorSource, S3DescriptorSource } from '../model/descriptor-source';
import { signedS3GetFromEnvironment } from '../model/signed-s3-get';
import { logger } from '../observability';
import type { CaptureSettings } from './capture-sampling';

/**
 * The served model's feature names (model.json "features", carried by its pinned descriptor), which capture fields
 * may name; read only when capture drops or hashes fields. Undefined when there is no descriptor or it cannot be
 * read: the capture then refuses records in which a field cannot be located, rather than guess.
 */
export async function captureFeatureNames(
  settings: CaptureSettings | undefined,
  environment: NodeJS.ProcessEnv,
): Promise<readonly string[] | undefined> {
  if (settings === undefined || settings.dropFields.length + settings.hashFields.length === 0) return undefined;
  const source = descriptorSource(environment);
  if (source === undefined) return undefined;
  try {
    return (await source.read()).manifest.features;
  } catch (error) {
    logger.warn('capture cannot read the feature names; records naming a feature are skipped', {
      location: source.location,
      error,
    });
    return undefined;
  }
}

/** The same descriptor the model's backend verifies (see backends-from-environment.ts). */
function descriptorSource(environment: NodeJS.ProcessEnv): DescriptorSource | undefined {
  const bucket = environment[ModelEnvironment.bucket];
  const key = environment[ModelEnvironment.descriptorKey];
  const sha256 = environment[ModelEnvironment.descriptorSha256];
  const modelPath = environment[ModelEnvironment.modelPath];
  if (modelPath) {
    return new FileDescriptorSource(path.join(path.dirname(modelPath), DESCRIPTOR_FILE), sha256 || undefined);
  }
  if (bucket && key && sha256)
    return new S3DescriptorSource(signedS3GetFromEnvironment(environment), { bucket, key, sha256 });
  return undefined;
}
