import * as path from 'node:path';
import { ModelEnvironment } from '../../../contract/environment';
import { modelSourcesFromEnvironment } from '../../../lambda/model/sources-from-environment';
import { writeRepository } from '../../fixtures/test-models';

const s3Environment = {
  [ModelEnvironment.name]: 'penguins',
  [ModelEnvironment.version]: '3',
  [ModelEnvironment.bucket]: 'model-bucket',
  [ModelEnvironment.key]: `models/penguins/3/${'a'.repeat(64)}.onnx`,
  [ModelEnvironment.sha256]: 'a'.repeat(64),
};

it('serves one pinned S3 artifact when the stack set the bucket', () => {
  const sources = modelSourcesFromEnvironment(s3Environment);
  expect(sources.map(({ name, version, location }) => ({ name, version, location }))).toEqual([
    { name: 'penguins', version: '3', location: `s3://model-bucket/models/penguins/3/${'a'.repeat(64)}.onnx` },
  ]);
});

it.each([ModelEnvironment.name, ModelEnvironment.version, ModelEnvironment.key, ModelEnvironment.sha256])(
  'rejects an S3 configuration without %s',
  (variable) => {
    expect(() => modelSourcesFromEnvironment({ ...s3Environment, [variable]: '' })).toThrow(
      `${variable} is not set but ${ModelEnvironment.bucket} is`,
    );
  },
);

it('serves every version of the local repository folder otherwise', () => {
  const root = writeRepository({ 'b/1': 'x', 'b/2': 'x', 'a/1': 'x' });
  const sources = modelSourcesFromEnvironment({ [ModelEnvironment.modelsDir]: root });
  expect(sources.map(({ name, version, location }) => [name, version, location])).toEqual([
    ['a', '1', path.join(root, 'a', '1', 'model.onnx')],
    ['b', '1', path.join(root, 'b', '1', 'model.onnx')],
    ['b', '2', path.join(root, 'b', '2', 'model.onnx')],
  ]);
});

it.each([
  ['a missing folder', { [ModelEnvironment.modelsDir]: '/nonexistent/models' }, /cannot read the model repository/],
  [
    'a bad model name',
    { [ModelEnvironment.modelsDir]: writeRepository({ 'Bad Name/1': 'x' }) },
    /not a valid model name/,
  ],
  ['a bad version', { [ModelEnvironment.modelsDir]: writeRepository({ 'a/v1': 'x' }) }, /not a positive integer/],
])('rejects %s with a message that says what to fix', (_case, env, message) => {
  expect(() => modelSourcesFromEnvironment(env)).toThrow(message);
});
