/**
 * Tensors as the client takes and returns them. Inputs take the protocol's typed arrays (the form ONNX Runtime and
 * the server use: BOOL as 0/1 bytes, FP16 as half-precision bit patterns, INT64 as BigInt64Array) or plain JSON
 * arrays, flat or nested. Outputs always come back typed, whether they travelled as JSON or as binary tensor data,
 * so code reading them does not depend on the wire format.
 */
import type { Datatype } from '../contract/datatypes';
import type { TensorData } from '../lambda/protocol/tensor';
import { decodeTensorData } from '../lambda/protocol/tensor-data';
import { type JsonElement, type JsonNested, toJsonData } from '../lambda/protocol/tensor-json';

export type { Datatype } from '../contract/datatypes';
export type { TensorData } from '../lambda/protocol/tensor';
export type { JsonElement, JsonNested } from '../lambda/protocol/tensor-json';

/** The typed array (or string list) that holds each datatype, as outputs return it. */
export interface TypedData {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: readonly string[];
}

export interface InputTensor<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  /** Typed (sent as binary tensor data when the call asks for binary) or JSON values, flat or nested, row-major. */
  readonly data: TypedData[D] | readonly JsonNested[];
}

export interface OutputTensor<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  readonly data: TypedData[D];
}

/** Whether an input's data is already in the binary form (a typed array, or strings for BYTES). */
export function isTypedData(input: InputTensor): boolean {
  return (
    ArrayBuffer.isView(input.data) || (input.datatype === 'BYTES' && input.data.every((e) => typeof e === 'string'))
  );
}

/** An input's data as the JSON the API reads: typed arrays flattened to numbers, strings and booleans. */
export function jsonDataOf(input: InputTensor): readonly JsonNested[] {
  const data = input.data;
  if (!ArrayBuffer.isView(data)) return data as readonly JsonNested[];
  return toJsonData({ name: input.name, datatype: input.datatype, shape: input.shape, data: data as TensorData });
}

/** An output that arrived as JSON, typed the way a binary one is. */
export function typedOutput(name: string, datatype: Datatype, shape: readonly number[], data: readonly JsonElement[]) {
  try {
    return decodeTensorData(name, datatype, shape, data);
  } catch (error) {
    throw new Error(
      `the server's output "${name}" does not match its own datatype and shape: ${(error as Error).message}`,
    );
  }
}
