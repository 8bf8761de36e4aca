import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { resolveDeploymentConfig } from '../../lib/config';
import { buildStack } from './synth';

/** `repo/penguins` links to a model kept elsewhere, as Triton repositories often do; `repo/notes.txt` is stray. */
function linkedRepository(): { repo: string; store: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'linked-repository-'));
  const store = path.join(root, 'store', 'penguins');
  mkdirSync(path.join(store, '1'), { recursive: true });
  writeFileSync(path.join(store, '1', 'model.onnx'), 'penguins v1');
  const repo = path.join(root, 'repo');
  mkdirSync(repo);
  symlinkSync(store, path.join(repo, 'penguins'));
  writeFileSync(path.join(repo, 'notes.txt'), 'not a model');
  return { repo, store };
}

it('deploys a model whose folder is a symbolic link', () => {
  const { repo } = linkedRepository();
  const config = resolveDeploymentConfig({ modelsDir: repo }, process.cwd());
  expect(config.models.map(({ name, version, modelPath }) => [name, version, modelPath])).toEqual([
    ['penguins', '1', path.join(repo, 'penguins', '1', 'model.onnx')],
  ]);
});

it('shows what the repository holds that cannot be a model as a synth warning on the stack', () => {
  const { repo } = linkedRepository();
  const warning = `${path.join(repo, 'notes.txt')} is ignored: the repository root holds only model folders`;
  // Synth prints its validation report, warnings included, on stderr: that report is what `cdk synth` shows.
  const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const { stack } = buildStack({ modelsDir: repo });
  Annotations.fromStack(stack).hasWarning(`/${stack.stackName}`, Match.stringLikeRegexp(warning));
  expect(report.mock.calls.flat().join('\n')).toContain(warning);
  report.mockRestore();
});
