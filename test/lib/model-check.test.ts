import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { onnx } from 'onnx-proto';
import { DESCRIPTOR_FILE, descriptorMismatch, parseModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { FileDescriptorSource } from '../../lambda/model/descriptor-source';
import { FileModelSource, localModels } from '../../lambda/model/model-source';
import { OnnxRuntimeBackend } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { checkModelsToDeploy } from '../../lib/model-check';
import { describeModel } from '../../lib/model-description';
import { encodeModel, ONNX_OPSET } from '../../scripts/train/onnx-graph';
import { anyRankModel, constantModel, scalarModel } from '../fixtures/fault-models';
import { allDatatypesModel, writeRepository } from '../fixtures/test-models';
import { identityModelOf } from '../fixtures/unsupported-models';

const { DataType } = onnx.TensorProto;

/** A valid model whose output is a sequence of tensors: ONNX Runtime opens it, the protocol cannot answer it. */
function sequenceOutputModel(): Uint8Array {
  return encodeModel({
    name: 'sequence_output',
    docString: 'test fixture: a sequence output',
    opsets: [ONNX_OPSET],
    nodes: [{ opType: 'SequenceConstruct', input: ['x'], output: ['y'] }],
    inputs: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } }],
    outputs: [{ name: 'y', type: { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT } } } } }],
  });
}

/** The one model `broken/1` of a fresh repository, as config hands it to the check. */
function brokenModel(bytes: Uint8Array | string, manifest?: string) {
  const root = writeRepository({ 'broken/1': bytes });
  const modelPath = path.join(root, 'broken', '1', 'model.onnx');
  if (manifest !== undefined) writeFileSync(path.join(root, 'broken', '1', 'model.json'), manifest);
  return { root, model: { name: 'broken', version: '1', modelPath } };
}

const MODEL_FILES: Array<[string, Uint8Array | string, RegExp]> = [
  [
    'a text file named model.onnx',
    'this is not a model',
    /model broken version 1 is not a valid ONNX model \(ONNX Runtime: .*protobuf parsing failed.*\): export the model to ONNX again and save the exported file as model\.onnx/,
  ],
  [
    'an empty model.onnx',
    '',
    /model broken version 1 is not a valid ONNX model \(ONNX Runtime: .*\): export the model to ONNX again/,
  ],
  [
    'a BFLOAT16 model',
    identityModelOf(DataType.BFLOAT16),
    /model broken version 1 has input "x", output "y" of tensor type BFLOAT16, which is not supported: the Open Inference Protocol has no such datatype; re-export the model with inputs and outputs of a supported datatype \(BOOL, .*FP32.*\)/,
  ],
  [
    'a COMPLEX64 model',
    identityModelOf(DataType.COMPLEX64),
    /model broken version 1 uses tensor type COMPLEX64 \(input "x", output "y"\), which is not supported by ONNX Runtime; re-export the model/,
  ],
  [
    'a model with a sequence output',
    sequenceOutputModel(),
    /model broken version 1 output "y" is a non-tensor value \(sequence or map\), which is not supported: .*re-export the model with tensor inputs and outputs/,
  ],
];

describe('checkModelsToDeploy', () => {
  it('passes valid models, with or without a manifest, and returns the spec each session reported', async () => {
    const root = writeRepository({ 'all/1': allDatatypesModel(), 'all/2': allDatatypesModel() });
    writeFileSync(path.join(root, 'all', '2', 'model.json'), JSON.stringify({ labels: ['a', 'b'] }));
    const checked = await checkModelsToDeploy(
      ['1', '2'].map((version) => ({
        name: 'all',
        version,
        modelPath: path.join(root, 'all', version, 'model.onnx'),
      })),
    );
    expect(checked.map((model) => [model.name, model.version, model.spec.name, model.spec.version])).toEqual([
      ['all', '1', 'all', '1'],
      ['all', '2', 'all', '2'],
    ]);
    for (const model of checked) {
      expect(model.spec.inputs.length).toBeGreaterThan(0);
      expect(model.spec.outputs.length).toBeGreaterThan(0);
    }
  });

  it.each(MODEL_FILES)('fails synth for %s, naming the file, the model and the fix', async (_case, bytes, message) => {
    const { model } = brokenModel(bytes);
    const failure = checkModelsToDeploy([model]);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toThrow(
      `cannot deploy 1 model file(s):\n  ${model.modelPath}: model broken version 1`,
    );
  });

  it('says "not supported", never "not a valid ONNX model", for a valid model with an unsupported datatype', async () => {
    const { model } = brokenModel(identityModelOf(DataType.BFLOAT16));
    await expect(checkModelsToDeploy([model])).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('not a valid ONNX model') }),
    );
  });

  it.each([
    ['a broken model.json', '{"labels": [', /broken\/1\/model\.json is not valid JSON \(.*\); fix or delete it/],
    [
      'a model.json with a wrong field',
      '{"labels": "adelie"}',
      /broken\/1\/model\.json: "labels" must be an array of strings/,
    ],
  ])('fails synth for %s beside a valid model', async (_case, manifest, message) => {
    const { model } = brokenModel(allDatatypesModel(), manifest);
    await expect(checkModelsToDeploy([model])).rejects.toThrow(message);
  });

  it('lists every model that cannot serve, not only the first', async () => {
    const text = brokenModel('not a model').model;
    const bfloat = brokenModel(identityModelOf(DataType.BFLOAT16)).model;
    await expect(checkModelsToDeploy([text, bfloat])).rejects.toThrow(
      new RegExp(`cannot deploy 2 model file\\(s\\):\\n  ${text.modelPath}: .*\\n  ${bfloat.modelPath}: `),
    );
  });
});

describe('the local server refuses the same models with the same message', () => {
  it.each(MODEL_FILES)('for %s', async (_case, bytes) => {
    const { model } = brokenModel(bytes);
    // The bytes as the local server reads them: ONNX Runtime's own message differs for an empty Buffer and Uint8Array.
    const read = await new FileModelSource(model.name, model.version, model.modelPath).readBytes();
    const runtimeMessage = await loadOnnxModel(model.name, model.version, read).then(
      () => 'loaded',
      (error: Error) => error.message,
    );
    await expect(checkModelsToDeploy([model])).rejects.toThrow(`  ${model.modelPath}: ${runtimeMessage}`);
  });

  it('for a broken model.json', async () => {
    const { root, model } = brokenModel(allDatatypesModel(), '{"labels": [');
    let localMessage = 'started';
    try {
      localModels(root);
    } catch (error) {
      localMessage = (error as Error).message;
    }
    await expect(checkModelsToDeploy([model])).rejects.toThrow(`  ${model.modelPath}: ${localMessage}`);
  });
});

it('cdk synth (bin/) exits with the message before building the stack', async () => {
  const { root } = brokenModel(identityModelOf(DataType.BFLOAT16));
  const repositoryRoot = path.join(__dirname, '..', '..');
  const run = promisify(execFile)(
    process.execPath,
    [path.join(repositoryRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/model-endpoint.ts'],
    {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ modelsDir: root }),
        CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'cdk-out-')),
      },
    },
  );
  await expect(run).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(
      /^model-endpoint: cannot deploy 1 model file\(s\):\n {2}\S+broken\/1\/model\.onnx: model broken version 1 has input "x", output "y" of tensor type BFLOAT16, which is not supported/m,
    ),
  });
});

describe('the descriptor synth pins for an input of unknown rank', () => {
  /** The model and the descriptor synth builds for it, laid out as in an image (model.onnx, descriptor.json). */
  async function imageOf(bytes: Uint8Array) {
    const described = brokenModel(bytes).model;
    const [checked] = await checkModelsToDeploy([described]);
    if (checked === undefined) throw new Error('checkModelsToDeploy returned no model');
    const description = describeModel(checked);
    const dir = mkdtempSync(path.join(tmpdir(), 'image-model-'));
    writeFileSync(path.join(dir, 'model.onnx'), bytes);
    writeFileSync(path.join(dir, DESCRIPTOR_FILE), description.descriptorJson);
    const backend = new OnnxRuntimeBackend(
      new FileModelSource('broken', '1', path.join(dir, 'model.onnx'), sha256Hex(bytes)),
      loadOnnxModel,
      new FileDescriptorSource(path.join(dir, DESCRIPTOR_FILE), description.descriptorSha256),
    );
    return { description, backend };
  }

  it('marks it anyRank, and the runtime session it loads with matches it and runs any rank', async () => {
    const { description, backend } = await imageOf(anyRankModel());
    expect(description.descriptor.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1], anyRank: true }]);
    expect(parseModelDescriptor(description.descriptorJson, 'descriptor.json')).toEqual(description.descriptor);
    const model = await backend.load();
    try {
      expect(model.spec.inputs).toEqual(description.descriptor.inputs);
      const [output] = await model.run(
        [{ name: 'x', datatype: 'FP32', shape: [2, 1, 2], data: Float32Array.from([1, 2, 3, 4]) }],
        ['y'],
      );
      expect(output).toEqual({
        name: 'y',
        datatype: 'FP32',
        shape: [2, 1, 2],
        data: Float32Array.from([-1, -2, -3, -4]),
      });
    } finally {
      await model.release();
    }
  });

  it('keeps a scalar a scalar, and the two never pass for each other', async () => {
    const { description } = await imageOf(scalarModel());
    expect(description.descriptorJson).not.toContain('anyRank');
    expect(description.descriptor.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [] }]);
    const anyRank = (await imageOf(anyRankModel())).description.descriptor;
    expect(descriptorMismatch(description.descriptor, anyRank)).toBe(
      'model broken version 1 inputs are x FP32 any rank, but its descriptor says x FP32 []: the model file and its descriptor do not belong together; redeploy',
    );
    expect(descriptorMismatch(anyRank, description.descriptor)).toMatch(
      /^model broken version 1 inputs are x FP32 \[\], but its descriptor says x FP32 any rank:/,
    );
  });

  it('passes a model without inputs', async () => {
    const { description } = await imageOf(constantModel());
    expect(description.descriptor.inputs).toEqual([]);
  });
});
