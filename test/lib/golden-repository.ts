import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEFAULT_GOLDEN_TOLERANCE,
  GOLDEN_SET_FORMAT,
  type GoldenSet,
  serializeGoldenSet,
} from '../../contract/golden-set';
import { sha256Hex } from '../../contract/model-descriptor';
import { FIXTURE_REPOSITORY } from './synth';

/** Three cases in the fixture models' shape; synth only pins and uploads it, nothing runs it here. */
export const FIXTURE_GOLDEN_SET: GoldenSet = {
  format: GOLDEN_SET_FORMAT,
  tolerance: DEFAULT_GOLDEN_TOLERANCE,
  cases: [1, 2, 3].map((row) => ({
    name: `held-out row ${row}`,
    request: { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [row, 2, 3, 4] }] },
    expected: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.7] }],
  })),
};
export const FIXTURE_GOLDEN_JSON = serializeGoldenSet(FIXTURE_GOLDEN_SET);
export const FIXTURE_GOLDEN_SHA256 = sha256Hex(FIXTURE_GOLDEN_JSON);

/**
 * A copy of the fixture repository with a golden set beside alpha version 2 (the version that deploys by default)
 * only, so one model gets a pre-traffic hook and the other does not. The caller removes it.
 */
export function repositoryWithGoldenSet(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-repository-'));
  fs.cpSync(FIXTURE_REPOSITORY, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'alpha', '2', 'golden.json'), FIXTURE_GOLDEN_JSON);
  return dir;
}
