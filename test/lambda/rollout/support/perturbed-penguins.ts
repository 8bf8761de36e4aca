import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { MODEL_FILE } from '../../../../contract/model-repository';
import { demoModelFile } from '../../../support/demo-models';

/**
 * A model repository holding a wrong penguins model, as a bad retrain would give: the demo forest with the leaves of
 * its first tree voting for the next species over (Adelie's votes go to Chinstrap, ...). Every row still gets an
 * answer, only the probabilities move by up to 1/25, which is what a golden set must catch.
 */
export function perturbedPenguinsRepository(): string {
  const model = onnx.ModelProto.decode(readFileSync(demoModelFile('penguins')));
  const forest = model.graph?.node?.find((node) => node.opType === 'TreeEnsembleClassifier');
  const attribute = (name: string) => {
    const found = forest?.attribute?.find((a) => a.name === name);
    if (found?.ints == null) throw new Error(`the demo penguins model has no ${name} attribute`);
    return found;
  };
  const treeIds = attribute('class_treeids').ints ?? [];
  const classIds = attribute('class_ids');
  classIds.ints = (classIds.ints ?? []).map((classId, entry) =>
    Number(treeIds[entry]) === 0 ? (Number(classId) + 1) % 3 : Number(classId),
  );
  const root = mkdtempSync(path.join(tmpdir(), 'perturbed-'));
  mkdirSync(path.join(root, 'penguins', '1'), { recursive: true });
  writeFileSync(path.join(root, 'penguins', '1', MODEL_FILE), onnx.ModelProto.encode(model).finish());
  return root;
}
