import * as path from 'node:path';
import { ModelEnvironment } from '../../../contract/environment';
import { modelBackendsFromEnvironment } from '../../../lambda/model/backends-from-environment';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { SageMakerForwarderBackend } from '../../../lambda/model/sagemaker-forwarder';
import { writeRepository } from '../../fixtures/test-models';

const backends = (env: NodeJS.ProcessEnv) => modelBackendsFromEnvironment(loadOnnxModel, env);

const s3Environment = {
  [ModelEnvironment.name]: 'penguins',
  [ModelEnvironment.version]: '3',
  [ModelEnvironment.bucket]: 'model-bucket',
  [ModelEnvironment.key]: `models/penguins/3/${'a'.repeat(64)}.onnx`,
  [ModelEnvironment.sha256]: 'a'.repeat(64),
};

it('serves one pinned S3 artifact when the stack set the bucket', () => {
  const sources = backends(s3Environment);
  expect(sources.map(({ name, version, location }) => ({ name, version, location }))).toEqual([
    { name: 'penguins', version: '3', location: `s3://model-bucket/models/penguins/3/${'a'.repeat(64)}.onnx` },
  ]);
});

it.each([ModelEnvironment.name, ModelEnvironment.version, ModelEnvironment.key, ModelEnvironment.sha256])(
  'rejects an S3 configuration without %s',
  (variable) => {
    expect(() => backends({ ...s3Environment, [variable]: '' })).toThrow(
      `${variable} is not set but ${ModelEnvironment.bucket} is`,
    );
  },
);

it('serves every version of the local repository folder otherwise', () => {
  const root = writeRepository({ 'b/1': 'x', 'b/2': 'x', 'a/1': 'x' });
  const sources = backends({ [ModelEnvironment.modelsDir]: root });
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
  expect(() => backends(env)).toThrow(message);
});

const forwarderEnvironment = {
  [ModelEnvironment.name]: 'penguins',
  [ModelEnvironment.version]: '3',
  [ModelEnvironment.bucket]: 'model-bucket',
  [ModelEnvironment.descriptorKey]: `models/penguins/3/${'b'.repeat(64)}.json`,
  [ModelEnvironment.descriptorSha256]: 'b'.repeat(64),
  [ModelEnvironment.sagemakerEndpoint]: 'penguins-endpoint',
};

it('forwards to the SageMaker endpoint when the stack set its name', () => {
  const [backend, ...rest] = backends(forwarderEnvironment);
  expect(rest).toEqual([]);
  expect(backend).toBeInstanceOf(SageMakerForwarderBackend);
  expect(backend?.location).toBe('SageMaker endpoint penguins-endpoint');
});

it.each([ModelEnvironment.descriptorKey, ModelEnvironment.descriptorSha256, ModelEnvironment.bucket])(
  'rejects a forwarder configuration without %s',
  (variable) => {
    expect(() => backends({ ...forwarderEnvironment, [variable]: '' })).toThrow(
      `${variable} is not set but ${ModelEnvironment.sagemakerEndpoint} is`,
    );
  },
);

it('serves the model file inside an image when the stack set its path', () => {
  const backend = backends({
    [ModelEnvironment.name]: 'penguins',
    [ModelEnvironment.version]: '3',
    [ModelEnvironment.modelPath]: '/opt/model/model.onnx',
    [ModelEnvironment.sha256]: 'a'.repeat(64),
  });
  expect(backend.map(({ name, version, location }) => [name, version, location])).toEqual([
    ['penguins', '3', '/opt/model/model.onnx'],
  ]);
});

it('rejects an image configuration without the pinned sha256', () => {
  expect(() =>
    backends({
      [ModelEnvironment.name]: 'penguins',
      [ModelEnvironment.version]: '3',
      [ModelEnvironment.modelPath]: '/opt/model/model.onnx',
    }),
  ).toThrow(`${ModelEnvironment.sha256} is not set but ${ModelEnvironment.modelPath} is`);
});

it('rejects a pinned S3 descriptor key without its sha256', () => {
  expect(() =>
    backends({ ...s3Environment, [ModelEnvironment.descriptorKey]: `models/penguins/3/${'b'.repeat(64)}.json` }),
  ).toThrow(`${ModelEnvironment.descriptorSha256} is not set but ${ModelEnvironment.descriptorKey} is`);
});
