/** Typed tensor contents back to JSON values, for v2 responses (flat) and v1 predictions (nested rows). */
import { fromHalfBits } from './fp16';
import type { Tensor } from './tensor';

export type JsonElement = number | string | boolean;
export type JsonNested = JsonElement | JsonNested[];

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Flat, row-major JSON values of a tensor:
 * - BOOL as true/false, FP16 as the number its bits encode.
 * - INT64/UINT64 as numbers while they are safe integers, beyond that as exact decimal strings: a JSON number there
 *   would be rounded by most clients' parsers (JavaScript's included), and requests accept the same strings.
 * - NaN and ±infinity as the strings "NaN", "Infinity", "-Infinity". JSON has no literal for them, the protocol is
 *   silent, and Triton writes bare NaN tokens that strict parsers reject; null would lose which one it was. Requests
 *   accept the same strings, and numpy parses them (`np.asarray(data, dtype=np.float32)`).
 */
export function toJsonData(tensor: Tensor): JsonElement[] {
  const data = tensor.data;
  const n = data.length;
  // Grown by push rather than preallocated: V8 keeps large `new Array(n)` arrays in slow dictionary mode.
  const out: JsonElement[] = [];
  if (tensor.datatype === 'BOOL') {
    for (let i = 0; i < n; i++) out.push(data[i] !== 0);
  } else if (tensor.datatype === 'FP16') {
    for (let i = 0; i < n; i++) out.push(finiteOrString(fromHalfBits(Number(data[i]))));
  } else if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < n; i++) {
      const value = data[i];
      out.push(Number.isFinite(value) ? value : String(value));
    }
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const value = data[i];
      out.push(value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString());
    }
  } else {
    for (let i = 0; i < n; i++) out.push(data[i]);
  }
  return out;
}

function finiteOrString(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/**
 * Splits flat row-major values into `shape[0]` rows, each nested to the rest of the shape (a bare value when the
 * tensor has rank 1).
 */
export function toRows(values: readonly JsonElement[], shape: readonly number[]): JsonNested[] {
  const [rows = 1, ...rowShape] = shape;
  const rowSize = values.length / Math.max(rows, 1);
  const result: JsonNested[] = [];
  for (let row = 0; row < rows; row++) result.push(nest(values, row * rowSize, rowShape));
  return result;
}

function nest(values: readonly JsonElement[], offset: number, shape: readonly number[]): JsonNested {
  const [length, ...inner] = shape;
  if (length === undefined) return values[offset];
  let innerSize = 1;
  for (const dimension of inner) innerSize *= dimension;
  const result: JsonNested[] = [];
  for (let i = 0; i < length; i++) result.push(nest(values, offset + i * innerSize, inner));
  return result;
}
