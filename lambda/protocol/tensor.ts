/**
 * The protocol's view of tensors and models, independent of ONNX Runtime and AWS so that request parsing and
 * response encoding stay pure and testable in milliseconds.
 */

import type { Datatype } from '../../contract/datatypes';

export { DATATYPES, type Datatype } from '../../contract/datatypes';
export type { ModelSpec, TensorSpec } from '../../contract/onnx-model-spec';

/**
 * Flat, row-major tensor contents. BOOL is a Uint8Array of 0/1, FP16 a Uint16Array of IEEE half-precision bit
 * patterns (what ONNX Runtime takes and returns), BYTES an array of strings.
 */
export type TensorData =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | readonly string[];

export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/**
 * The typed array that holds each fixed-size datatype, as ONNX Runtime takes and returns it: BOOL as bytes of 0/1 and
 * FP16 as half-precision bit patterns. JSON decoding allocates these and binary decoding views bytes through them.
 */
export const ARRAY_TYPES = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
} as const satisfies Record<Exclude<Datatype, 'BYTES'>, unknown>;
