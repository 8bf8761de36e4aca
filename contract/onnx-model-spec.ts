import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { DATATYPES, type Datatype } from './datatypes';
import { type GraphSignature, type GraphTensor, readGraphSignature } from './onnx-graph-signature';

/**
 * What an ONNX model looks like through the Open Inference Protocol, derived from an ONNX Runtime session. The runtime
 * serves exactly this spec and synth derives the same one to refuse a model before it deploys, so both live here and
 * say the same thing about the same file.
 */

/** An input or output as the model declares it; `-1` marks a dynamic dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  /** The declared dimensions; `[-1]` when the rank is unknown (`anyRank`), since the protocol's shape is a list. */
  readonly shape: readonly number[];
  /**
   * Set when the graph declares no shape at all for the tensor: any rank is accepted, and `shape` is only how the
   * metadata shows it. Absent (never false) otherwise, so that descriptors of other models keep their bytes.
   */
  readonly anyRank?: true;
}

/** The shape the metadata shows for a tensor of unknown rank: one dynamic dimension, the closest a list can say. */
export const ANY_RANK_SHAPE: readonly number[] = [-1];

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
 * with "Unsupported data type: <number>" before any metadata exists, so the number names the type and the graph itself
 * (readGraphSignature) names the inputs and outputs of that type.
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
 * The protocol spec of an open session, with each tensor's rank taken from the graph the session was opened from
 * (ONNX Runtime reports an unknown rank as `[]`, like a scalar). Throws an Error naming the model, the input or
 * output and the fix when one of them is not a tensor of a datatype the protocol carries.
 */
function modelSpecOfSession(
  name: string,
  version: string,
  session: Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>,
  graph: GraphSignature,
): ModelSpec {
  const declared = (list: readonly GraphTensor[], tensorName: string) => list.find((t) => t.name === tensorName);
  const tensorSpec = (role: 'input' | 'output', metadata: InferenceSession.ValueMetadata): TensorSpec => {
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
    if (role === 'output' && metadata.name === '__proto__') {
      // onnxruntime-node stores results with plain property assignment, which for this one name sets the result
      // object's prototype instead of a key: the output can never be read back (inputs of that name work).
      throw new Error(
        `model ${name} version ${version} output "__proto__" cannot be returned: ONNX Runtime for Node.js hands ` +
          'outputs back as properties of an object, where "__proto__" is not a property name; rename the output in the graph',
      );
    }
    const graphTensor = declared(role === 'input' ? graph.inputs : graph.outputs, metadata.name);
    if (graphTensor === undefined) {
      throw new Error(
        `model ${name} version ${version} ${role} "${metadata.name}" is not among the graph's declared ${role}s, so ` +
          'its rank cannot be known: re-export the model with ONNX tooling that declares every graph input and output',
      );
    }
    if (graphTensor.rank === undefined) {
      return { name: metadata.name, datatype, shape: [...ANY_RANK_SHAPE], anyRank: true };
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
 * Opens a session on model bytes and derives its spec, the one way the runtime and synth do it, so that both refuse
 * a model with the same message. `create` is ONNX Runtime's `InferenceSession.create` with the caller's options (the
 * runtime loads ONNX Runtime lazily, synth imports it). The session is released when the model cannot serve.
 */
export async function openModelSession(
  name: string,
  version: string,
  bytes: Uint8Array,
  create: (bytes: Uint8Array) => Promise<InferenceSession>,
): Promise<{ readonly session: InferenceSession; readonly spec: ModelSpec }> {
  let graph: GraphSignature | undefined;
  let graphError: Error | undefined;
  try {
    graph = readGraphSignature(bytes);
  } catch (error) {
    // Bytes that are not an ONNX protobuf: ONNX Runtime refuses them next, with its own words.
    graphError = error as Error;
  }
  let session: InferenceSession;
  try {
    session = await create(bytes);
  } catch (error) {
    throw sessionCreateError(name, version, error, graph);
  }
  try {
    if (graph === undefined) {
      throw new Error(
        `model ${name} version ${version} opened in ONNX Runtime, but its graph's inputs and outputs cannot be read ` +
          `(${graphError?.message}): re-export the model with standard ONNX tooling`,
      );
    }
    return { session, spec: modelSpecOfSession(name, version, session, graph) };
  } catch (error) {
    // A model the protocol cannot carry is never served; its session would otherwise hold its memory until exit.
    await session.release();
    throw error;
  }
}

/** ONNX element type numbers (TensorProto.DataType) with their names, for naming a tensor's type in an error. */
const ELEMENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  '1': 'FLOAT',
  '2': 'UINT8',
  '3': 'INT8',
  '4': 'UINT16',
  '5': 'INT16',
  '6': 'INT32',
  '7': 'INT64',
  '8': 'STRING',
  '9': 'BOOL',
  '10': 'FLOAT16',
  '11': 'DOUBLE',
  '12': 'UINT32',
  '13': 'UINT64',
  ...UNSUPPORTED_ELEMENT_TYPES,
};

/** `input "x", output "y"`: the graph's inputs and outputs of one element type, or undefined when there are none. */
function tensorsOfElementType(graph: GraphSignature | undefined, elemType: number): string | undefined {
  if (graph === undefined) return undefined;
  const named = [
    ...graph.inputs.filter((t) => t.elemType === elemType).map((t) => `input "${t.name}"`),
    ...graph.outputs.filter((t) => t.elemType === elemType).map((t) => `output "${t.name}"`),
  ];
  return named.length > 0 ? named.join(', ') : undefined;
}

/**
 * Turns ONNX Runtime's error from `InferenceSession.create` into one that says which model failed, why in words a
 * user can act on, and what to do: a file that is not ONNX at all, a valid model with a datatype the protocol cannot
 * carry ("not supported", never "not a valid ONNX model"), or anything else the runtime refuses.
 */
function sessionCreateError(name: string, version: string, error: unknown, graph?: GraphSignature): Error {
  const detail = error instanceof Error ? error.message : String(error);
  const model = `model ${name} version ${version}`;
  const unsupportedType = /Unsupported data type: (\d+)/.exec(detail)?.[1];
  if (unsupportedType !== undefined) {
    const type = ELEMENT_TYPE_NAMES[unsupportedType] ?? `number ${unsupportedType}`;
    const tensors = tensorsOfElementType(graph, Number(unsupportedType)) ?? 'an input or output';
    return new Error(
      `${model} has ${tensors} of tensor type ${type}, which is not supported: the Open Inference Protocol ` +
        `has no such datatype; ${REEXPORT_WITH_SUPPORTED_TYPES} (ONNX Runtime: ${detail})`,
    );
  }
  // A type ONNX Runtime itself has no kernel for, e.g. "MLDataType for: tensor(complex64) is not currently registered".
  const unregisteredType = /tensor\((\w+)\) is not currently registered or supported/.exec(detail)?.[1];
  if (unregisteredType !== undefined) {
    const type = unregisteredType.toUpperCase();
    const elemType = Object.entries(ELEMENT_TYPE_NAMES).find(([, typeName]) => typeName === type)?.[0];
    const tensors = elemType === undefined ? undefined : tensorsOfElementType(graph, Number(elemType));
    return new Error(
      `${model} uses tensor type ${type}${tensors === undefined ? '' : ` (${tensors})`}, which is not supported by ONNX Runtime; ` +
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
