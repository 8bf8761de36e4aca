/**
 * The declared inputs and outputs of an ONNX graph, read straight from the model's protobuf bytes: name, element type
 * and rank. ONNX Runtime's session metadata reports a graph input without a shape (unknown rank: any rank is accepted)
 * exactly like a scalar (`shape: []`), so the rank has to come from the graph itself. `onnx-proto` could decode the
 * whole model, but it is a development dependency, decodes every weight into memory, and would ship protobufjs in the
 * function; these few fields of the wire format need a walk of at most a few thousand tags, skipping the weights by
 * their length.
 */

export interface GraphTensor {
  readonly name: string;
  /** ONNX TensorProto.DataType number (1 FLOAT, 16 BFLOAT16 ...); undefined for a sequence, map or optional value. */
  readonly elemType?: number;
  /** Number of dimensions; undefined when the graph gives the tensor no shape at all (unknown rank). */
  readonly rank?: number;
}

export interface GraphSignature {
  readonly inputs: readonly GraphTensor[];
  readonly outputs: readonly GraphTensor[];
}

// Field numbers from onnx/onnx.proto: ModelProto.graph, GraphProto.input/output, ValueInfoProto.name/type,
// TypeProto.tensor_type, TypeProto.Tensor.elem_type/shape, TensorShapeProto.dim.
const MODEL_GRAPH = 7;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_ELEM_TYPE = 1;
const TENSOR_SHAPE = 2;
const SHAPE_DIM = 1;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** A tag's field number and its value: a number for varints, the bytes for length-delimited fields. */
interface Field {
  readonly number: number;
  readonly value: number | Uint8Array;
}

/** The fields of one protobuf message in order; throws on bytes that are not the protobuf wire format. */
function* fieldsOf(bytes: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (offset >= bytes.length) throw new Error('a varint runs past the end of its message');
      const byte = bytes[offset++] ?? 0;
      // Multiplication, not <<: lengths and element types fit in a double, and << wraps at 32 bits.
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error('a varint is longer than 10 bytes');
  };
  while (offset < bytes.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === WIRE_VARINT) {
      yield { number, value: varint() };
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = varint();
      if (offset + length > bytes.length) throw new Error(`field ${number} runs past the end of its message`);
      yield { number, value: bytes.subarray(offset, offset + length) };
      offset += length;
    } else if (wireType === WIRE_FIXED64 || wireType === WIRE_FIXED32) {
      offset += wireType === WIRE_FIXED64 ? 8 : 4;
      if (offset > bytes.length) throw new Error(`field ${number} runs past the end of its message`);
    } else {
      // Groups (3, 4) are deprecated and ONNX has none; 6 and 7 do not exist.
      throw new Error(`field ${number} has wire type ${wireType}, which ONNX models do not use`);
    }
  }
}

function messages(bytes: Uint8Array, number: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (const field of fieldsOf(bytes)) {
    if (field.number === number && field.value instanceof Uint8Array) found.push(field.value);
  }
  return found;
}

function graphTensor(valueInfo: Uint8Array): GraphTensor {
  let name = '';
  let elemType: number | undefined;
  let rank: number | undefined;
  for (const field of fieldsOf(valueInfo)) {
    if (field.number === VALUE_INFO_NAME && field.value instanceof Uint8Array) {
      name = new TextDecoder().decode(field.value);
    }
    if (field.number !== VALUE_INFO_TYPE || !(field.value instanceof Uint8Array)) continue;
    for (const tensorType of messages(field.value, TYPE_TENSOR)) {
      for (const tensorField of fieldsOf(tensorType)) {
        if (tensorField.number === TENSOR_ELEM_TYPE && typeof tensorField.value === 'number') {
          elemType = tensorField.value;
        }
        // A present shape, even an empty one, fixes the rank (empty: a scalar); an absent shape leaves it unknown.
        if (tensorField.number === TENSOR_SHAPE && tensorField.value instanceof Uint8Array) {
          rank = (rank ?? 0) + messages(tensorField.value, SHAPE_DIM).length;
        }
      }
    }
  }
  return { name, ...(elemType !== undefined && { elemType }), ...(rank !== undefined && { rank }) };
}

/**
 * The graph's declared inputs and outputs. Throws when the bytes are not an ONNX model's protobuf; ONNX Runtime
 * refuses such bytes first with its own message, so a caller that opened a session never sees that.
 */
export function readGraphSignature(model: Uint8Array): GraphSignature {
  // Repeated occurrences of a message field merge, and repeated fields concatenate: several graph fields are legal.
  const graphs = messages(model, MODEL_GRAPH);
  if (graphs.length === 0) throw new Error('the model has no graph');
  return {
    inputs: graphs.flatMap((graph) => messages(graph, GRAPH_INPUT).map(graphTensor)),
    outputs: graphs.flatMap((graph) => messages(graph, GRAPH_OUTPUT).map(graphTensor)),
  };
}
