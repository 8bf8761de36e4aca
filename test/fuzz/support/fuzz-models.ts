import { cpSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { onnx } from 'onnx-proto';
import type { Datatype } from '../../../contract/datatypes';
import { MODEL_FILE } from '../../../contract/model-repository';
import { encodeModel, ONNX_OPSET } from '../../../scripts/train/onnx-graph';
import { ELEMENT_TYPES, writeRepository } from '../../fixtures/test-models';
import { DEMO_MODELS } from '../../support/demo-models';

/** A dimension of a model tensor: a size, or -1 for any size. */
export type Dimension = number;

export interface FuzzTensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  /** The model's dims, or 'any' for an input whose graph gives no shape at all (unknown rank). */
  readonly shape: readonly Dimension[] | 'any';
}

/**
 * A model the fuzzer sends requests to, described independently of the server's own metadata code, so that the
 * oracle does not check the server against itself.
 */
export interface FuzzModel {
  readonly name: string;
  readonly inputs: readonly FuzzTensorSpec[];
  readonly outputs: readonly FuzzTensorSpec[];
  /** For Identity models: which input each output copies, so that an answer can be compared with what was sent. */
  readonly identityOf?: Readonly<Record<string, string>>;
  readonly file: string;
}

const { DataType } = onnx.TensorProto;

function valueInfo(name: string, elemType: onnx.TensorProto.DataType, dims?: readonly (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        // No shape at all is how an exporter says "unknown rank"; an empty dim list would mean a scalar.
        ...(dims !== undefined && {
          shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
        }),
      },
    },
  };
}

function identityModel(
  name: string,
  pairs: readonly { input: string; output: string; elemType: onnx.TensorProto.DataType; dims?: (number | string)[] }[],
): Uint8Array {
  return encodeModel({
    name,
    docString: 'fuzz fixture: Identity, so an answer must equal what was sent',
    opsets: [ONNX_OPSET],
    nodes: pairs.map((pair) => ({ opType: 'Identity', input: [pair.input], output: [pair.output] })),
    inputs: pairs.map((pair) => valueInfo(pair.input, pair.elemType, pair.dims)),
    outputs: pairs.map((pair) => valueInfo(pair.output, pair.elemType, pair.dims)),
  });
}

/** The model name of the Identity model for one datatype: `id_fp32`, `id_bytes`, ... */
export function identityModelName(datatype: Datatype): string {
  return `id_${datatype.toLowerCase()}`;
}

/**
 * The fuzzer's model repository: the demo models (copied from their test fixtures), an Identity model per datatype
 * (input `x` of shape [n, 3]: one dynamic and one fixed dimension), a two-input model (missing inputs and output
 * selection), and an Identity whose input has no shape in the graph (unknown rank: any rank is valid).
 */
export function writeFuzzRepository(): { root: string; models: FuzzModel[] } {
  const files: Record<string, Uint8Array> = {};
  const models: Omit<FuzzModel, 'file'>[] = [];
  for (const [datatype, elemType] of ELEMENT_TYPES) {
    const name = identityModelName(datatype);
    files[`${name}/1`] = identityModel(name, [{ input: 'x', output: 'y', elemType, dims: ['n', 3] }]);
    models.push({
      name,
      inputs: [{ name: 'x', datatype, shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype, shape: [-1, 3] }],
      identityOf: { y: 'x' },
    });
  }
  files['pair/1'] = identityModel('pair', [
    { input: 'a', output: 'ya', elemType: DataType.INT32, dims: ['n', 2] },
    { input: 'b', output: 'yb', elemType: DataType.STRING, dims: ['n'] },
  ]);
  models.push({
    name: 'pair',
    inputs: [
      { name: 'a', datatype: 'INT32', shape: [-1, 2] },
      { name: 'b', datatype: 'BYTES', shape: [-1] },
    ],
    outputs: [
      { name: 'ya', datatype: 'INT32', shape: [-1, 2] },
      { name: 'yb', datatype: 'BYTES', shape: [-1] },
    ],
    identityOf: { ya: 'a', yb: 'b' },
  });
  files['anyrank/1'] = identityModel('anyrank', [{ input: 'x', output: 'y', elemType: DataType.FLOAT }]);
  models.push({
    name: 'anyrank',
    inputs: [{ name: 'x', datatype: 'FP32', shape: 'any' }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: 'any' }],
    identityOf: { y: 'x' },
  });
  const root = writeRepository(files);
  for (const demo of ['penguins', 'mnist']) {
    cpSync(join(DEMO_MODELS, demo), join(root, demo), { recursive: true });
  }
  models.push(
    {
      name: 'penguins',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    },
    {
      name: 'mnist',
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 784] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 10] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
    },
  );
  // A counterexample names the model rather than printing its whole description.
  const described = models.map((model) => ({
    ...model,
    file: join(root, model.name, '1', MODEL_FILE),
    [fc.toStringMethod]: () => `model ${model.name}`,
  }));
  return { root, models: described };
}
