/**
 * Tensor values as a client writes them in JSON ("wire" values) and as ONNX Runtime takes them, plus one canonical
 * text per element so that an answer, ONNX Runtime's own output and what the client sent can be compared exactly.
 * Written from the protocol's description, not from the server's code.
 */
import fc from 'fast-check';
import type { Datatype } from '../../../contract/datatypes';

export type WireValue = number | string | boolean;

/** One element: how the client sends it, and the value ONNX Runtime is fed. */
export interface Element {
  readonly wire: WireValue;
  readonly feed: number | bigint | string;
}

const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};

export const BIGINT_RANGES: Partial<Record<Datatype, readonly [bigint, bigint]>> = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
};

/** The exact value of an IEEE half-precision bit pattern. */
export function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** JSON has no NaN or infinities: the protocol's answers (and this server's requests) spell them as strings. */
function floatWire(value: number): WireValue {
  return Number.isFinite(value) ? value : String(value);
}

/** Strings as BYTES elements: ordinary text, any code points but NUL and lone surrogates. */
export const plainString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).filter((text) => stringVerdict(text) === 'valid') },
);

/** Strings with what the issue names: an embedded NUL, a lone UTF-16 surrogate. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(plainString, fc.constantFrom('\u0000', '\ud800', '\udfff', '\udbff'), plainString)
    .map((parts) => parts.join('')),
  fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'x\udfff'),
);

/** Any element of a datatype, including NaN, infinities, -0 and the extremes of each integer range. */
export function elementOf(datatype: Datatype, strings = plainString): fc.Arbitrary<Element> {
  switch (datatype) {
    case 'BOOL':
      return fc.boolean().map((value) => ({ wire: value, feed: value ? 1 : 0 }));
    case 'FP16':
      return fc.integer({ min: 0, max: 0xffff }).map((bits) => ({ wire: floatWire(halfToNumber(bits)), feed: bits }));
    case 'FP32':
      return fc.float().map((value) => ({ wire: floatWire(value), feed: value }));
    case 'FP64':
      return fc.double().map((value) => ({ wire: floatWire(value), feed: value }));
    case 'BYTES':
      return strings.map((value) => ({ wire: value, feed: value }));
    case 'INT64':
    case 'UINT64': {
      const [min, max] = BIGINT_RANGES[datatype] ?? [0n, 0n];
      // Safe integers may travel as JSON numbers; any 64-bit value may travel as a decimal string.
      return fc.tuple(fc.bigInt({ min, max }), fc.boolean()).map(([value, asNumber]) => ({
        wire:
          asNumber && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(value)
            : value.toString(),
        feed: value,
      }));
    }
    default: {
      const [min, max] = INTEGER_RANGES[datatype] ?? [0, 0];
      return fc.integer({ min, max }).map((value) => ({ wire: value, feed: value }));
    }
  }
}

/** The typed array ONNX Runtime takes for a datatype (BOOL as 0/1 bytes, FP16 as bit patterns). */
export function feedArray(datatype: Datatype, elements: readonly Element[]) {
  const feeds = elements.map((element) => element.feed);
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return Uint8Array.from(feeds as number[]);
    case 'UINT16':
    case 'FP16':
      return Uint16Array.from(feeds as number[]);
    case 'UINT32':
      return Uint32Array.from(feeds as number[]);
    case 'INT8':
      return Int8Array.from(feeds as number[]);
    case 'INT16':
      return Int16Array.from(feeds as number[]);
    case 'INT32':
      return Int32Array.from(feeds as number[]);
    case 'INT64':
      return BigInt64Array.from(feeds as bigint[]);
    case 'UINT64':
      return BigUint64Array.from(feeds as bigint[]);
    case 'FP32':
      return Float32Array.from(feeds as number[]);
    case 'FP64':
      return Float64Array.from(feeds as number[]);
    case 'BYTES':
      return feeds as string[];
  }
}

export const ORT_TYPES = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<Datatype, string>;

function numberText(value: number): string {
  return Number.isFinite(value) ? JSON.stringify(value) : String(value);
}

/**
 * One canonical text per element of a datatype, from any of its three forms: a wire value (request or answer), or
 * an element of ONNX Runtime's output array (`fromOnnx`, where FP16 is a bit pattern and BOOL a byte). A JSON
 * round trip turns -0 into 0, and either spelling of a 64-bit integer is the same value.
 */
export function canonical(datatype: Datatype, value: unknown, fromOnnx = false): string {
  if (datatype === 'BYTES') return JSON.stringify(value);
  if (datatype === 'BOOL') return fromOnnx ? String(value !== 0 && value !== false) : JSON.stringify(value);
  if (datatype === 'INT64' || datatype === 'UINT64') {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    return typeof value === 'string' && /^-?[0-9]+$/.test(value) ? BigInt(value).toString() : `invalid ${value}`;
  }
  if (datatype === 'FP16' && fromOnnx) return numberText(halfToNumber(Number(value)));
  if (typeof value === 'number') return numberText(value);
  return typeof value === 'string' && ['NaN', 'Infinity', '-Infinity'].includes(value)
    ? value
    : `invalid ${JSON.stringify(value)}`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** How one string element must be answered: the rules for NUL and for lone surrogates. */
export function stringVerdict(text: string): 'valid' | 'nul' | 'lone-surrogate' {
  if (text.includes('\u0000')) return 'nul';
  return hasLoneSurrogate(text) ? 'lone-surrogate' : 'valid';
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}
