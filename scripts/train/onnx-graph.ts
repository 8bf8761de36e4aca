import { onnx } from 'onnx-proto';

const { AttributeType } = onnx.AttributeProto;
export const { DataType } = onnx.TensorProto;

/** 13+ gives Softmax its per-row (last axis) meaning; 17 is old enough for any recent ONNX Runtime. */
export const ONNX_OPSET: onnx.IOperatorSetIdProto = { domain: '', version: 17 };
/** Version 3 still has TreeEnsembleClassifier; version 5 deprecates it for TreeEnsemble, which fewer runtimes have. */
export const ONNX_ML_OPSET: onnx.IOperatorSetIdProto = { domain: 'ai.onnx.ml', version: 3 };

/** A tensor whose first dimension is the symbolic "batch", so callers may send any number of rows. */
export function batchTensor(
  name: string,
  elemType: onnx.TensorProto.DataType,
  ...dims: number[]
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: [{ dimParam: 'batch' }, ...dims.map((dimValue) => ({ dimValue }))] },
      },
    },
  };
}

export function floatInitializer(name: string, dims: readonly number[], values: Float32Array): onnx.ITensorProto {
  // raw_data must be little-endian; copying the Float32Array's bytes is only right because x64 and arm64 are too.
  return {
    name,
    dims: [...dims],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

const utf8 = (text: string) => new TextEncoder().encode(text);

// One helper per attribute type: JS cannot tell the integer 1 from the float 1.0, so the caller must say which.
export const attributes = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i }),
  string: (name: string, s: string): onnx.IAttributeProto => ({ name, type: AttributeType.STRING, s: utf8(s) }),
  ints: (name: string, ints: readonly number[]): onnx.IAttributeProto => ({
    name,
    type: AttributeType.INTS,
    ints: [...ints],
  }),
  floats: (name: string, floats: readonly number[]): onnx.IAttributeProto => ({
    name,
    type: AttributeType.FLOATS,
    floats: [...floats],
  }),
  strings: (name: string, strings: readonly string[]): onnx.IAttributeProto => ({
    name,
    type: AttributeType.STRINGS,
    strings: strings.map(utf8),
  }),
};

export interface ModelParts {
  readonly name: string;
  readonly docString: string;
  readonly opsets: onnx.IOperatorSetIdProto[];
  readonly nodes: onnx.INodeProto[];
  readonly inputs: onnx.IValueInfoProto[];
  readonly outputs: onnx.IValueInfoProto[];
  readonly initializers?: onnx.ITensorProto[];
}

/** No timestamps or versions of the tools inside, so that retraining gives byte-identical files. */
export function encodeModel(parts: ModelParts): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: parts.opsets,
    producerName: 'model-endpoint scripts/train',
    docString: parts.docString,
    graph: {
      name: parts.name,
      node: parts.nodes,
      input: parts.inputs,
      output: parts.outputs,
      initializer: parts.initializers ?? [],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
