import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, MODEL_FILE, type ModelManifest } from '../../contract/model-repository';

export interface TrainingResult {
  readonly folder: string;
  readonly accuracy: number;
  readonly heldOutRows: number;
  readonly bytes: number;
}

export const MODELS_ROOT = join(__dirname, '..', '..', 'models');

/** Writes version 1 of a model: the demo models are retrained in place, not rolled forward. */
export function writeModel(name: string, onnxBytes: Uint8Array, manifest: ModelManifest): string {
  const folder = join(MODELS_ROOT, name, '1');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, MODEL_FILE), onnxBytes);
  writeFileSync(join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return folder;
}
