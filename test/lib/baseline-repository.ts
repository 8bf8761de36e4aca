import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASELINE_FORMAT, type Baseline } from '../../contract/baseline';
import { FIXTURE_REPOSITORY } from './synth';

/** A baseline in the fixture models' shape (features [-1, 4], probabilities [-1, 3]); synth only pins it. */
export const FIXTURE_BASELINE: Baseline = {
  format: BASELINE_FORMAT,
  rows: 40,
  source: 'fixture',
  inputs: ['f0', 'f1', 'f2', 'f3'].map((name, index) => ({
    name,
    tensor: 'features',
    index,
    kind: 'numeric' as const,
    edges: [1, 2, 3],
    counts: [10, 10, 10, 10],
  })),
  outputs: [{ name: 'probabilities', tensor: 'probabilities', kind: 'numeric', edges: [0.5], counts: [80, 40] }],
};

/** The trained accuracy alpha 2's model.json reports in the baseline repository. */
export const FIXTURE_ACCURACY = 0.9;

/**
 * A copy of the fixture repository whose alpha version 2 (the version that deploys by default) has a model.json with
 * named features, a trained accuracy and a baseline, and whose beta has none. The caller removes it.
 */
export function repositoryWithBaseline(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-repository-'));
  fs.cpSync(FIXTURE_REPOSITORY, dir, { recursive: true });
  const manifest = {
    features: ['f0', 'f1', 'f2', 'f3'],
    metrics: { accuracy: FIXTURE_ACCURACY },
    baseline: FIXTURE_BASELINE,
  };
  fs.writeFileSync(path.join(dir, 'alpha', '2', 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}
