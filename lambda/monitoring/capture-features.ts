import type { DescriptorSource } from '../model/descriptor-source';
import { logger } from '../observability';
import type { CaptureSettings } from './capture-sampling';

/**
 * The served model's feature names (model.json "features", carried by its pinned descriptor), which capture fields
 * may name; read only when capture drops or hashes fields, from the descriptor the model's backend verifies (the
 * read it made at load is kept, so this costs no second GET). Undefined when there is no descriptor or it cannot be
 * read: the capture then refuses records in which a field cannot be located, rather than guess.
 */
export async function captureFeatureNames(
  settings: CaptureSettings | undefined,
  source: DescriptorSource | undefined,
): Promise<readonly string[] | undefined> {
  if (settings === undefined || settings.dropFields.length + settings.hashFields.length === 0) return undefined;
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
