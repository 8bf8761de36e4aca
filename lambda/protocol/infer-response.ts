/** Encodes model outputs as an Open Inference Protocol inference response. */
import { encodeBinaryTensorData } from './binary-tensor-data';
import type { InferRequest } from './infer-request';
import type { ModelSpec, Tensor } from './tensor';
import { type JsonElement, toJsonData } from './tensor-json';

export interface InferResponseOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  /** Flat, row-major; absent when the output travels as binary tensor data. */
  readonly data?: JsonElement[];
  /** Present on binary outputs: their bytes follow the JSON header, in output order. */
  readonly parameters?: { readonly binary_data_size: number };
}

export interface InferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id?: string;
  readonly outputs: InferResponseOutput[];
}

/**
 * Returns the outputs the request asked for, in the request's output order. `outputs` may hold more tensors than were
 * asked for; a requested one missing from it is a server bug, so that is a plain Error (a 500), not a client error.
 *
 * With `binaryChunks`, the request's binary outputs are appended to it as raw bytes (in output order) and carry
 * `binary_data_size` instead of `data`; without it every output is JSON, for callers that can only send JSON.
 */
export function encodeInferResponse(
  model: ModelSpec,
  request: InferRequest,
  outputs: readonly Tensor[],
  binaryChunks?: Uint8Array[],
): InferResponse {
  const binaryOutputs = binaryChunks === undefined ? [] : (request.binaryOutputs ?? []);
  // Literals written out rather than built with spreads: V8 allocates an object that starts with a spread so that it
  // outlives the young generation, and several per request filled the old one (a server's full GCs, measured). The
  // key order is the answer's.
  const encoded = request.outputs.map((name): InferResponseOutput => {
    const tensor = outputs.find((output) => output.name === name);
    if (tensor === undefined) {
      throw new Error(`model "${model.name}" produced no output "${name}"`);
    }
    const shape = [...tensor.shape];
    if (binaryChunks === undefined || !binaryOutputs.includes(name)) {
      return { name, datatype: tensor.datatype, shape, data: toJsonData(tensor) };
    }
    const bytes = encodeBinaryTensorData(tensor);
    binaryChunks.push(bytes);
    return { name, datatype: tensor.datatype, shape, parameters: { binary_data_size: bytes.byteLength } };
  });
  return request.id === undefined
    ? { model_name: model.name, model_version: model.version, outputs: encoded }
    : { model_name: model.name, model_version: model.version, id: request.id, outputs: encoded };
}
