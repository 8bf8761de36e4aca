import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { readGraphSignature } from '../../contract/onnx-graph-signature';
import { anyRankModel, constantModel, prototypeNamesModel, scalarModel } from '../fixtures/fault-models';
import { allDatatypesModel, failsAtRuntimeModel } from '../fixtures/test-models';
import { demoModelFile } from '../support/demo-models';

const { DataType } = onnx.TensorProto;

describe('readGraphSignature', () => {
  it('tells a tensor of unknown rank (no shape) from a scalar (an empty shape)', () => {
    expect(readGraphSignature(anyRankModel())).toEqual({
      inputs: [{ name: 'x', elemType: DataType.FLOAT }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT }],
    });
    expect(readGraphSignature(scalarModel())).toEqual({
      inputs: [{ name: 'x', elemType: DataType.FLOAT, rank: 0 }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, rank: 0 }],
    });
  });

  it('reads every input and output with its element type and rank, names as they are', () => {
    expect(readGraphSignature(prototypeNamesModel()).inputs).toEqual([
      { name: '__proto__', elemType: DataType.FLOAT, rank: 1 },
      { name: 'toString', elemType: DataType.FLOAT, rank: 1 },
    ]);
    expect(readGraphSignature(constantModel())).toEqual({
      inputs: [],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, rank: 1 }],
    });
    const all = readGraphSignature(allDatatypesModel());
    expect(all.inputs).toContainEqual({ name: 'x_BYTES', elemType: DataType.STRING, rank: 2 });
    expect(all.outputs).toContainEqual({ name: 'sum', elemType: DataType.FLOAT, rank: 2 });
    expect(readGraphSignature(failsAtRuntimeModel()).inputs).toEqual([
      { name: 'x', elemType: DataType.FLOAT, rank: 1 },
    ]);
  });

  it('reads the demo models, weights and all', () => {
    expect(readGraphSignature(readFileSync(demoModelFile('mnist')))).toEqual({
      inputs: [{ name: 'pixels', elemType: DataType.FLOAT, rank: 2 }],
      outputs: [
        { name: 'probabilities', elemType: DataType.FLOAT, rank: 2 },
        { name: 'label', elemType: DataType.INT64, rank: 1 },
      ],
    });
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['text', new TextEncoder().encode('this is not a model'), /./],
    ['no bytes', new Uint8Array(), /the model has no graph/],
    ['a truncated model', anyRankModel().subarray(0, 20), /runs past the end/],
  ])('fails on %s', (_case, bytes, message) => {
    expect(() => readGraphSignature(bytes)).toThrow(message);
  });
});
