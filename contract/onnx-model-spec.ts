import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { DATATYPES, type Datatype } from './datatypes';

/**
 * What an ONNX model looks like through the Open Inference Protocol, derived from an ONNX Runtime session. The runtime
 * serves exactly this spec and synth derives the same one to refuse a model before it deploys, so both live here and
 * say the same thing about the same file.
 */

/** An input or output as the model declares it; `-1` marks a dynamic dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

export interface ModelSpec {
  readonly name: string;
  readonly version: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** Open Inference Protocol datatype for each ONNX Runtime tensor type we can serve, and no other. */
const DATATYPE_BY_ONNX_TYPE: Readonly<Record<string, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

/** The protocol datatype for an ONNX Runtime type, or undefined for types the protocol cannot carry (int4 ...). */
export function datatypeOfOnnxType(onnxType: string): Datatype | undefined {
  return DATATYPE_BY_ONNX_TYPE[onnxType];
}

const ONNX_TYPE_BY_DATATYPE = Object.fromEntries(
  Object.entries(DATATYPE_BY_ONNX_TYPE).map(([onnxType, datatype]) => [datatype, onnxType]),
) as Readonly<Record<Datatype, OrtTensor.Type>>;

/** The ONNX Runtime tensor type that holds a protocol datatype, e.g. `float32` for FP32. */
export function onnxTypeOfDatatype(datatype: Datatype): OrtTensor.Type {
  return ONNX_TYPE_BY_DATATYPE[datatype];
}

/**
 * ONNX element types (TensorProto.DataType) that onnxruntime-node cannot hand to JavaScript: session creation fails
 * with "Unsupported data type: <number>" before any metadata exists, so the number is all there is to name the type.
 */
const UNSUPPORTED_ELEMENT_TYPES: Readonly<Record<string, string>> = {
  '14': 'COMPLEX64',
  '15': 'COMPLEX128',
  '16': 'BFLOAT16',
  '17': 'FLOAT8E4M3FN',
  '18': 'FLOAT8E4M3FNUZ',
  '19': 'FLOAT8E5M2',
  '20': 'FLOAT8E5M2FNUZ',
  '21': 'UINT4',
  '22': 'INT4',
  '23': 'FLOAT4E2M1',
};

const REEXPORT_WITH_SUPPORTED_TYPES =
  `re-export the model with inputs and outputs of a supported datatype (${DATATYPES.join(', ')}), ` +
  'casting inside the graph where it needs another type';

/**
 * The protocol spec of an open session. Throws an Error naming the model, the input or output and the fix when one
 * of them is not a tensor of a datatype the protocol carries.
 */
export function modelSpecOfSession(
  name: string,
  version: string,
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
): ModelSpec {
  const tensorSpec = (role: string, metadata: InferenceSession.ValueMetadata): TensorSpec => {
    const datatype = metadata.isTensor ? datatypeOfOnnxType(metadata.type) : undefined;
    if (!metadata.isTensor) {
      throw new Error(
        `model ${name} version ${version} ${role} "${metadata.name}" is a non-tensor value (sequence or map), which is not supported: ` +
          'the Open Inference Protocol carries tensors only; re-export the model with tensor inputs and outputs (for scikit-learn classifiers: zipmap=False)',
      );
    }
    if (datatype === undefined) {
      throw new Error(
        `model ${name} version ${version} ${role} "${metadata.name}" has tensor type ${metadata.type}, which is not supported: ` +
          `the Open Inference Protocol has no such datatype; ${REEXPORT_WITH_SUPPORTED_TYPES}`,
      );
    }
    // Symbolic dims (strings such as "batch") and unknown dims are dynamic: -1 in the protocol.
    const shape = metadata.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
    return { name: metadata.name, datatype, shape };
  };
  return {
    name,
    version,
    inputs: session.inputMetadata.map((metadata) => tensorSpec('input', metadata)),
    outputs: session.outputMetadata.map((metadata) => tensorSpec('output', metadata)),
  };
}

/**
 * Turns ONNX Runtime's error from `InferenceSession.create` into one that says which model failed, why in words a
 * user can act on, and what to do: a file that is not ONNX at all, a valid model with a datatype the protocol cannot
 * carry ("not supported", never "not a valid ONNX model"), or anything else the runtime refuses.
 */
export function sessionCreateError(name: string, version: string, error: unknown): Error {
  const detail = error instanceof Error ? error.message : String(error);
  const model = `model ${name} version ${version}`;
  const unsupportedType = /Unsupported data type: (\d+)/.exec(detail)?.[1];
  if (unsupportedType !== undefined) {
    const type = UNSUPPORTED_ELEMENT_TYPES[unsupportedType] ?? `number ${unsupportedType}`;
    return new Error(
      `${model} has an input or output of tensor type ${type}, which is not supported: the Open Inference Protocol ` +
        `has no such datatype; ${REEXPORT_WITH_SUPPORTED_TYPES} (ONNX Runtime: ${detail})`,
    );
  }
  // A type ONNX Runtime itself has no kernel for, e.g. "MLDataType for: tensor(complex64) is not currently registered".
  const unregisteredType = /tensor\((\w+)\) is not currently registered or supported/.exec(detail)?.[1];
  if (unregisteredType !== undefined) {
    return new Error(
      `${model} uses tensor type ${unregisteredType.toUpperCase()}, which is not supported by ONNX Runtime; ` +
        `${REEXPORT_WITH_SUPPORTED_TYPES} (ONNX Runtime: ${detail})`,
    );
  }
  // "protobuf parsing failed" for any file that is not an ONNX protobuf, "data pointer is null" for an empty one.
  if (/protobuf parsing failed|data pointer is null|No graph was found/i.test(detail)) {
    return new Error(
      `${model} is not a valid ONNX model (ONNX Runtime: ${detail}): export the model to ONNX again and save the ` +
        'exported file as model.onnx',
    );
  }
  return new Error(
    `${model} cannot be opened by ONNX Runtime (${detail}): it may use an operator, opset or type this ONNX Runtime ` +
      'does not support; re-export it with a released opset and standard operators',
  );
}
