import * as path from 'node:path';
import { DEMO_MODEL_FIXTURES } from '../../scripts/train/model-files';

/**
 * The demo models as tests use them: test/fixtures/demo-models, a byte copy that `npm run train` writes beside
 * models/. Tests never read models/, which belongs to the user: replacing the demos there must not break them.
 */
export const DEMO_MODELS = DEMO_MODEL_FIXTURES;

export type DemoModelName = 'penguins' | 'mnist';

/** The ONNX file of a demo model's only version. */
export function demoModelFile(name: DemoModelName): string {
  return path.join(DEMO_MODELS, name, '1', 'model.onnx');
}
