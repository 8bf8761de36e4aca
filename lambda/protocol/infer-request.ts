/** Parses and validates an Open Inference Protocol inference request body against the model it is sent to. */
import { MAX_TENSOR_RANK } from '../../contract/limits';
import { decodeBinaryTensorData } from './binary-tensor-data';
import { BadRequestError } from './errors';
import { describe, isJsonObject, type JsonObject, quote } from './json';
import { decodeParameters } from './parameters';
import { DATATYPES, type Datatype, type ModelSpec, type Tensor, type TensorSpec } from './tensor';
import { decodeTensorData, formatShape } from './tensor-data';

export interface InferRequest {
  readonly id?: string;
  /** Accepted as the protocol allows, but no parameter changes how this server runs a model. */
  readonly parameters?: Record<string, string | number | boolean>;
  /** One tensor per model input, in the model's input order. */
  readonly inputs: Tensor[];
  /** The output names to return, in the model's output order; every output when the request names none. */
  readonly outputs: string[];
  /**
   * The outputs to return as binary tensor data (`"binary_data": true` on the output, or `"binary_data_output": true`
   * in the request's parameters), in output order; absent when every output is to be JSON.
   */
  readonly binaryOutputs?: string[];
}

export interface DecodeInferRequestOptions {
  /**
   * The binary tensor data after the JSON header, when the request came with `Inference-Header-Content-Length`.
   * Inputs with `"parameters": {"binary_data_size": n}` take their next n bytes from it, in the order the request
   * lists them.
   */
  readonly binaryData?: Uint8Array;
}

/** What an inference request body is, for messages about a body that is not one. */
export const INFER_REQUEST_BODY = 'a JSON object with an "inputs" array';

export function decodeInferRequest(
  body: unknown,
  model: ModelSpec,
  options: DecodeInferRequestOptions = {},
): InferRequest {
  if (!isJsonObject(body)) {
    throw new BadRequestError(
      `the body must be ${INFER_REQUEST_BODY} (the Open Inference Protocol inference request), got ${describe(body)}`,
    );
  }
  const id = body.id;
  if (id !== undefined && typeof id !== 'string') {
    throw new BadRequestError(`"id" must be a string when present, got ${describe(id)}`);
  }
  const parameters = decodeParameters(body.parameters, 'the request');
  const binaryOutput = parameters?.binary_data_output ?? false;
  if (typeof binaryOutput !== 'boolean') {
    throw new BadRequestError(
      `"parameters"."binary_data_output" must be true or false when present, got ${describe(binaryOutput)}`,
    );
  }
  const inputs = decodeInputs(body.inputs, model, options.binaryData);
  const { outputs, binaryOutputs } = decodeRequestedOutputs(body.outputs, model, binaryOutput);
  // Optional parts assigned, not spread into the literal: V8 allocates an object that starts with a spread so that it
  // outlives the young generation, and one per request filled the old one (a server's full GCs, measured).
  const decoded: Mutable<InferRequest> = { inputs, outputs };
  if (id !== undefined) decoded.id = id;
  if (parameters !== undefined) decoded.parameters = parameters;
  if (binaryOutputs.length > 0) decoded.binaryOutputs = binaryOutputs;
  return decoded;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function decodeInputs(inputs: unknown, model: ModelSpec, binaryData: Uint8Array | undefined): Tensor[] {
  // Only for messages: built when one is thrown, since formatting every input's shape cost each request a microsecond.
  const expectedNames = () => listNames(model.inputs) || 'no inputs (send "inputs": [])';
  // A model without inputs (a constant's output) is called with "inputs": [].
  if (!Array.isArray(inputs) || (inputs.length === 0 && model.inputs.length > 0)) {
    throw new BadRequestError(
      `"inputs" must be a non-empty array of tensors, got ${describe(inputs)}; model "${model.name}" expects ${expectedNames()}`,
    );
  }
  const received = new Map<string, JsonObject>();
  const binaryParts = new Map<string, Uint8Array>();
  let binaryOffset = 0;
  inputs.forEach((input: unknown, index) => {
    if (!isJsonObject(input)) {
      throw new BadRequestError(
        `inputs[${index}] must be an object with "name", "shape", "datatype" and "data", got ${describe(input)}`,
      );
    }
    const name = input.name;
    if (typeof name !== 'string') {
      throw new BadRequestError(`inputs[${index}] must have a string "name", got ${describe(name)}`);
    }
    if (!model.inputs.some((spec) => spec.name === name)) {
      throw new BadRequestError(`unknown input ${quote(name)}: model "${model.name}" expects ${expectedNames()}`);
    }
    if (received.has(name)) {
      throw new BadRequestError(`input "${name}" is given more than once; send each input once`);
    }
    received.set(name, input);
    const size = binaryDataSize(input, name, binaryData);
    if (size !== undefined && binaryData !== undefined) {
      if (binaryOffset + size > binaryData.byteLength) {
        throw new BadRequestError(
          `input "${name}": binary_data_size ${size} needs bytes ${binaryOffset} to ${binaryOffset + size} of the ` +
            `binary data, but only ${binaryData.byteLength} bytes follow the JSON header`,
        );
      }
      binaryParts.set(name, binaryData.subarray(binaryOffset, binaryOffset + size));
      binaryOffset += size;
    }
  });
  if (binaryData !== undefined && binaryOffset !== binaryData.byteLength) {
    throw new BadRequestError(
      `${binaryData.byteLength} bytes follow the JSON header, but the inputs' binary_data_size add up to ` +
        `${binaryOffset}; check Inference-Header-Content-Length (the JSON header's length in bytes) and each ` +
        'binary_data_size, and send the body as Content-Type: application/octet-stream so that no proxy re-encodes it',
    );
  }
  return model.inputs.map((spec) => {
    const input = received.get(spec.name);
    if (input === undefined) {
      throw new BadRequestError(
        `missing input "${spec.name}": model "${model.name}" needs every one of ${expectedNames()}`,
      );
    }
    return decodeInput(input, spec, binaryParts.get(spec.name));
  });
}

/** The input's `binary_data_size` parameter, or undefined when its data is JSON. */
function binaryDataSize(input: JsonObject, name: string, binaryData: Uint8Array | undefined): number | undefined {
  const parameters = decodeParameters(input.parameters, `input "${name}"`);
  const size = parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new BadRequestError(
      `input "${name}": "binary_data_size" must be the byte length of its binary data, a non-negative integer, got ${describe(size)}`,
    );
  }
  if (input.data !== undefined) {
    throw new BadRequestError(
      `input "${name}" has both "data" and "binary_data_size"; send its values either as JSON "data" or as binary data`,
    );
  }
  if (binaryData === undefined) {
    throw new BadRequestError(
      `input "${name}" has binary_data_size ${size}, but the request has no Inference-Header-Content-Length header; ` +
        'binary data must follow the JSON header in the body, with that header giving the JSON length in bytes',
    );
  }
  return size;
}

function decodeInput(input: JsonObject, spec: TensorSpec, binary: Uint8Array | undefined): Tensor {
  const { name } = spec;
  // Binary inputs carry their values after the JSON header instead of in "data".
  const required = binary === undefined ? (['shape', 'datatype', 'data'] as const) : (['shape', 'datatype'] as const);
  for (const field of required) {
    if (input[field] === undefined) {
      throw new BadRequestError(
        `input "${name}" is missing "${field}": every input needs "name", "shape", "datatype" and "data" ` +
          `(the model expects ${spec.datatype} ${formatShape(spec.shape)})`,
      );
    }
  }
  const datatype = decodeDatatype(input.datatype, spec);
  const shape = decodeShape(input.shape, spec);
  if (binary !== undefined) {
    return { name, datatype, shape, data: decodeBinaryTensorData(name, datatype, shape, binary) };
  }
  if (!Array.isArray(input.data)) {
    throw new BadRequestError(
      `input "${name}": "data" must be an array (flat or nested, row-major), got ${describe(input.data)}`,
    );
  }
  return { name, datatype, shape, data: decodeTensorData(name, datatype, shape, input.data) };
}

function decodeDatatype(datatype: unknown, spec: TensorSpec): Datatype {
  if (!isDatatype(datatype)) {
    throw new BadRequestError(
      `input "${spec.name}": "datatype" must be one of ${DATATYPES.join(', ')}, got ${describe(datatype)}`,
    );
  }
  if (datatype !== spec.datatype) {
    throw new BadRequestError(`input "${spec.name}" has datatype ${datatype}, but the model expects ${spec.datatype}`);
  }
  return datatype;
}

function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

function decodeShape(shape: unknown, spec: TensorSpec): number[] {
  // Only for messages, so built when one is thrown.
  const expected = () => `the model's shape ${formatShape(spec.shape)}, where -1 accepts any size`;
  const dimensions = checkShapeElements(shape, spec.name, expected);
  // The graph declares no shape for this input: any rank and any size is the model's to judge.
  if (spec.anyRank === true) return dimensions;
  if (dimensions.length !== spec.shape.length) {
    throw new BadRequestError(
      `input "${spec.name}" has shape ${formatShape(dimensions)} of rank ${dimensions.length}, but the model expects ` +
        `rank ${spec.shape.length}: ${expected()}`,
    );
  }
  for (let axis = 0; axis < spec.shape.length; axis++) {
    const modelDimension = spec.shape[axis];
    if (modelDimension !== -1 && modelDimension !== dimensions[axis]) {
      throw new BadRequestError(
        `input "${spec.name}" has shape ${formatShape(dimensions)}: dimension ${axis} is ${dimensions[axis]}, but ` +
          `the model expects ${modelDimension} (${expected()})`,
      );
    }
  }
  return dimensions;
}

/**
 * The shape as an array of non-negative integers, checked without walking into anything it holds: the message names
 * the first bad dimension rather than printing the value, which may nest thousands of arrays deep.
 */
function checkShapeElements(shape: unknown, name: string, expected: () => string): number[] {
  const rule = () => `"shape" must be an array of non-negative integers matching ${expected()}`;
  if (!Array.isArray(shape)) throw new BadRequestError(`input "${name}": ${rule()}, got ${describe(shape)}`);
  if (shape.length > MAX_TENSOR_RANK) {
    throw new BadRequestError(
      `input "${name}": "shape" has ${shape.length} dimensions, but this server accepts at most ${MAX_TENSOR_RANK}; ${rule()}`,
    );
  }
  const bad = shape.findIndex((dimension) => !Number.isSafeInteger(dimension) || dimension < 0);
  if (bad !== -1) {
    throw new BadRequestError(`input "${name}": ${rule()}, but "shape"[${bad}] is ${describe(shape[bad])}`);
  }
  return shape;
}

interface RequestedOutputs {
  readonly outputs: string[];
  readonly binaryOutputs: string[];
}

function decodeRequestedOutputs(outputs: unknown, model: ModelSpec, binaryByDefault: boolean): RequestedOutputs {
  const allNames = model.outputs.map((spec) => spec.name);
  // An empty list is read like an absent one: clients such as tritonclient send [] when nothing was picked.
  if (outputs === undefined || (Array.isArray(outputs) && outputs.length === 0)) {
    return { outputs: allNames, binaryOutputs: binaryByDefault ? allNames : [] };
  }
  const expected = `model "${model.name}" has outputs ${listNames(model.outputs)}`;
  if (!Array.isArray(outputs)) {
    throw new BadRequestError(
      `"outputs" must be an array of {"name": ...} when present, got ${describe(outputs)}; ${expected}`,
    );
  }
  const requested = new Set<string>();
  const binary = new Set<string>();
  outputs.forEach((output: unknown, index) => {
    if (!isJsonObject(output)) {
      throw new BadRequestError(`outputs[${index}] must be an object with a string "name", got ${describe(output)}`);
    }
    const name = output.name;
    if (typeof name !== 'string') {
      throw new BadRequestError(`outputs[${index}] must have a string "name", got ${describe(name)}`);
    }
    if (!allNames.includes(name)) {
      throw new BadRequestError(`unknown output ${quote(name)}: ${expected}`);
    }
    if (requested.has(name)) {
      throw new BadRequestError(`output "${name}" is requested more than once; request each output once`);
    }
    requested.add(name);
    if (isBinaryOutput(output, name, binaryByDefault)) binary.add(name);
  });
  return {
    outputs: allNames.filter((name) => requested.has(name)),
    binaryOutputs: allNames.filter((name) => binary.has(name)),
  };
}

/** An output's own `binary_data` parameter overrides the request's `binary_data_output`, as in Triton. */
function isBinaryOutput(output: JsonObject, name: string, binaryByDefault: boolean): boolean {
  const binary = decodeParameters(output.parameters, `output "${name}"`)?.binary_data ?? binaryByDefault;
  if (typeof binary !== 'boolean') {
    throw new BadRequestError(`output "${name}": "binary_data" must be true or false, got ${describe(binary)}`);
  }
  return binary;
}

function listNames(specs: readonly TensorSpec[]): string {
  return specs.map((spec) => `"${spec.name}" (${spec.datatype} ${formatShape(spec.shape)})`).join(', ');
}
