import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, MODEL_FILE, type ModelManifest } from '../../contract/model-repository';
import { manifestText } from '../baseline/manifest-text';

export interface TrainingResult {
  readonly folder: string;
  readonly accuracy: number;
  readonly heldOutRows: number;
  readonly bytes: number;
  /** Cases of the golden set written beside the model (see held-out-golden-set.ts). */
  readonly goldenCases: number;
}

/** The user's model repository, which ships with the demo models and is theirs to replace. */
export const MODELS_ROOT = join(__dirname, '..', '..', 'models');

/**
 * The demo models as tests and benchmarks use them: a byte copy of what training writes to MODELS_ROOT, so that
 * `npm test` and `npm run bench` keep working when a user replaces or deletes the demos in models/.
 */
export const DEMO_MODEL_FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'demo-models');

/**
 * Writes version 1 of a model to the model repository and to the test fixtures: the demo models are retrained in
 * place, not rolled forward. Returns the model repository's folder.
 */
export function writeModel(name: string, onnxBytes: Uint8Array, manifest: ModelManifest): string {
  const text = manifestText(manifest);
  const folder = join(MODELS_ROOT, name, '1');
  for (const target of [folder, join(DEMO_MODEL_FIXTURES, name, '1')]) {
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, MODEL_FILE), onnxBytes);
    writeFileSync(join(target, MANIFEST_FILE), text);
  }
  return folder;
}
