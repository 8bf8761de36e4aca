import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  buildModelDescriptor,
  DESCRIPTOR_FILE,
  type ModelDescriptor,
  serializeModelDescriptor,
  sha256Hex,
} from '../../../contract/model-descriptor';
import { FileDescriptorSource } from '../../../lambda/model/descriptor-source';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { FileModelSource } from '../../../lambda/model/model-source';
import { OnnxRuntimeBackend } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { logger } from '../../../lambda/observability';
import { demoModelFile } from '../../support/demo-models';

// A model inside an image: model.onnx pinned by its sha256, descriptor.json beside it, pinned by its own.
const BYTES = readFileSync(demoModelFile('penguins'));
const SHA256 = sha256Hex(BYTES);
const INPUTS = [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }] as const;
const OUTPUTS = [
  { name: 'label', datatype: 'BYTES', shape: [-1] },
  { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
] as const;
const RIGHT = buildModelDescriptor(
  { name: 'penguins', version: '1', inputs: [...INPUTS], outputs: [...OUTPUTS] },
  { sha256: SHA256, sizeBytes: BYTES.byteLength },
);

beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

function imageLayout(descriptor: ModelDescriptor | string): {
  modelPath: string;
  descriptorPath: string;
  text: string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-model-'));
  const modelPath = path.join(dir, 'model.onnx');
  copyFileSync(demoModelFile('penguins'), modelPath);
  const text = typeof descriptor === 'string' ? descriptor : serializeModelDescriptor(descriptor);
  const descriptorPath = path.join(dir, DESCRIPTOR_FILE);
  writeFileSync(descriptorPath, text);
  return { modelPath, descriptorPath, text };
}

function backend(
  descriptor: ModelDescriptor | string,
  pins: { sha256?: string; descriptorSha256?: (text: string) => string } = {},
): OnnxRuntimeBackend {
  const { modelPath, descriptorPath, text } = imageLayout(descriptor);
  return new OnnxRuntimeBackend(
    new FileModelSource('penguins', '1', modelPath, pins.sha256 ?? SHA256),
    loadOnnxModel,
    new FileDescriptorSource(descriptorPath, (pins.descriptorSha256 ?? sha256Hex)(text)),
  );
}

it('serves a model whose session matches its pinned descriptor', async () => {
  const model = await backend(RIGHT).load();
  expect(model.spec.inputs).toEqual(INPUTS);
  await model.release();
});

it.each<[string, Partial<ModelDescriptor>, RegExp]>([
  [
    'inputs',
    { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }] },
    /^model penguins version 1 inputs are features FP32 \[-1, 4\], but its descriptor says features FP32 \[-1, 5\]: the model file and its descriptor do not belong together; redeploy$/,
  ],
  [
    'outputs',
    { outputs: [{ name: 'label', datatype: 'BYTES', shape: [-1] }] },
    /outputs are label BYTES \[-1\]; probabilities FP32 \[-1, 3\], but its descriptor says label BYTES \[-1\]:/,
  ],
  [
    'artifact',
    { artifact: { sha256: 'e'.repeat(64), sizeBytes: 1 } },
    /descriptor\.json describes the model file with sha256 e{64}, but .*model\.onnx has sha256 [0-9a-f]{64}: the model file and its descriptor do not belong together/,
  ],
  [
    'model',
    { name: 'mnist' },
    /descriptor\.json describes model mnist version 1, but this function serves penguins version 1: the deployment mixed up two models/,
  ],
])('refuses a session whose descriptor differs in its %s', async (_case, change, message) => {
  await expect(backend({ ...RIGHT, ...change }).load()).rejects.toThrow(message);
});

it('refuses a descriptor whose sha256 is not the pinned one', async () => {
  await expect(backend(RIGHT, { descriptorSha256: () => 'd'.repeat(64) }).load()).rejects.toThrow(
    /descriptor\.json has sha256 [0-9a-f]{64} but the deployment pinned d{64}: the artifact changed after deploy/,
  );
});

it('refuses a model file whose sha256 is not the pinned one', async () => {
  await expect(backend(RIGHT, { sha256: 'c'.repeat(64) }).load()).rejects.toThrow(
    /model\.onnx has sha256 [0-9a-f]{64} but the deployment pinned c{64}/,
  );
});

it('refuses an image without descriptor.json beside the model, saying what the image must hold', async () => {
  const { modelPath } = imageLayout(RIGHT);
  const missing = new OnnxRuntimeBackend(
    new FileModelSource('penguins', '1', modelPath, SHA256),
    loadOnnxModel,
    new FileDescriptorSource(path.join(path.dirname(modelPath), 'missing.json')),
  );
  await expect(missing.load()).rejects.toThrow(/the image must hold descriptor\.json beside the model file/);
});

it('answers 503 with Retry-After for a refused model and logs the reason', async () => {
  const registry = new ModelRegistry([backend({ ...RIGHT, inputs: [] })]);
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
  expect(logger.error).toHaveBeenCalledWith(
    'model load failed',
    expect.objectContaining({
      model: 'penguins',
      error: expect.objectContaining({ message: expect.stringMatching(/but its descriptor says none/) }),
    }),
  );
});
