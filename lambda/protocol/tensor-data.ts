// String.prototype.isWellFormed (ES2024) is in every Node.js this runs on (20 and later).
/// <reference lib="es2024.string" />
/**
 * Turns a request tensor's JSON `data` (flat or nested, row-major) into the typed array ONNX Runtime takes. This is
 * the hot path of every inference: each element is checked and written in one tight loop per datatype, with no
 * intermediate arrays and no per-element closures; everything slow happens only once an element is known to be bad.
 */
import { MAX_TENSOR_RANK } from '../../contract/limits';
import { BadRequestError } from './errors';
import { toHalfBits } from './fp16';
import { describe } from './json';
import { stringElementProblem } from './string-elements';
import { ARRAY_TYPES, type Datatype, type TensorData } from './tensor';

/** Inclusive ranges of the integer datatypes that fit in a JavaScript number exactly. */
export const INTEGER_RANGES = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
} as const;

export const BIGINT_RANGES = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
} as const;

// Longest decimal string any 64-bit value needs ("-9223372036854775808"); longer strings are out of range without
// paying for BigInt parsing of arbitrarily long client input.
const MAX_BIGINT_DIGITS = 20;
const DECIMAL_INTEGER = /^-?[0-9]+$/;

type Sink =
  | { readonly kind: 'bool'; readonly array: Uint8Array }
  | {
      readonly kind: 'int';
      readonly array: Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array;
      readonly min: number;
      readonly max: number;
    }
  | {
      readonly kind: 'bigint';
      readonly array: BigInt64Array | BigUint64Array;
      readonly min: bigint;
      readonly max: bigint;
    }
  | { readonly kind: 'half'; readonly array: Uint16Array }
  | { readonly kind: 'float'; readonly array: Float32Array | Float64Array }
  | { readonly kind: 'bytes'; readonly array: string[] };

/** Where an element came from, for error messages only. */
interface Site {
  readonly input: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly nested: boolean;
}

/**
 * Checks `data` against `shape` (already validated as non-negative integers) and the datatype's element rules, and
 * returns the flat typed contents. Throws BadRequestError naming the input, the offending position, what was received
 * and what was expected.
 */
export function decodeTensorData(
  input: string,
  datatype: Datatype,
  shape: readonly number[],
  data: readonly unknown[],
): TensorData {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  const nested = data.length > 0 && Array.isArray(data[0]);
  const site: Site = { input, datatype, shape, nested };

  if (!nested) {
    if (data.length !== size) {
      throw new BadRequestError(
        `input "${input}": data has ${data.length} elements, but shape ${formatShape(shape)} needs ${size}`,
      );
    }
    const sink = createSink(datatype, size);
    fillRow(sink, data, 0, site);
    return sink.array;
  }

  // Check the nesting first, touching only arrays, so that a shape that promises more elements than the body holds is
  // rejected before anything of that size is allocated. The walk recurses once per dimension, so the rank is bounded
  // here too, whatever the caller checked: nested data may be arbitrarily deep, the walk never is.
  if (shape.length > MAX_TENSOR_RANK) {
    throw new BadRequestError(
      `input "${input}": shape has ${shape.length} dimensions, but this server accepts at most ${MAX_TENSOR_RANK}`,
    );
  }
  if (shape.length < 2) {
    throw new BadRequestError(
      `input "${input}": data nests arrays, but shape ${formatShape(shape)} has rank ${shape.length}; ` +
        'send nesting that matches the shape exactly, or flat data',
    );
  }
  const rows: (readonly unknown[])[] = [];
  collectRows(data, 0, 'data', rows, site);
  const sink = createSink(datatype, size);
  let offset = 0;
  for (const row of rows) {
    fillRow(sink, row, offset, site);
    offset += row.length;
  }
  return sink.array;
}

function collectRows(value: readonly unknown[], depth: number, path: string, rows: (readonly unknown[])[], site: Site) {
  const expected = site.shape[depth];
  if (value.length !== expected) {
    throw new BadRequestError(
      `input "${site.input}": ${path} has length ${value.length}, but shape ${formatShape(site.shape)} needs ${expected} there`,
    );
  }
  if (depth === site.shape.length - 1) {
    rows.push(value);
    return;
  }
  for (let i = 0; i < value.length; i++) {
    const child = value[i];
    if (!Array.isArray(child)) {
      throw new BadRequestError(
        `input "${site.input}": ${path}[${i}] is ${describe(child)}, but shape ${formatShape(site.shape)} needs an ` +
          `array of length ${site.shape[depth + 1]} there; nest every element to the same depth, or send flat data`,
      );
    }
    collectRows(child, depth + 1, `${path}[${i}]`, rows, site);
  }
}

function createSink(datatype: Datatype, size: number): Sink {
  switch (datatype) {
    case 'BOOL':
      return { kind: 'bool', array: new Uint8Array(size) };
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
    case 'INT8':
    case 'INT16':
    case 'INT32': {
      const [min, max] = INTEGER_RANGES[datatype];
      return { kind: 'int', array: new ARRAY_TYPES[datatype](size), min, max };
    }
    case 'INT64':
    case 'UINT64': {
      const [min, max] = BIGINT_RANGES[datatype];
      return { kind: 'bigint', array: new ARRAY_TYPES[datatype](size), min, max };
    }
    case 'FP16':
      return { kind: 'half', array: new Uint16Array(size) };
    case 'FP32':
      return { kind: 'float', array: new Float32Array(size) };
    case 'FP64':
      return { kind: 'float', array: new Float64Array(size) };
    case 'BYTES':
      // Filled strictly in order from empty, which keeps it a packed array; `new Array(size)` would be holey.
      return { kind: 'bytes', array: [] };
  }
}

function fillRow(sink: Sink, row: readonly unknown[], offset: number, site: Site): void {
  const n = row.length;
  switch (sink.kind) {
    case 'float': {
      const array = sink.array;
      for (let i = 0; i < n; i++) {
        const value = row[i];
        array[offset + i] = typeof value === 'number' ? value : nonFinite(value, offset + i, site);
      }
      return;
    }
    case 'int': {
      const { array, min, max } = sink;
      for (let i = 0; i < n; i++) {
        const value = row[i];
        if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
          throw elementError(site, offset + i, value, `an integer in [${min}, ${max}]`);
        }
        array[offset + i] = value;
      }
      return;
    }
    case 'bool': {
      const array = sink.array;
      for (let i = 0; i < n; i++) {
        const value = row[i];
        if (value === true) array[offset + i] = 1;
        else if (value !== false) throw elementError(site, offset + i, value, 'true or false');
      }
      return;
    }
    case 'bigint': {
      const array = sink.array;
      for (let i = 0; i < n; i++) array[offset + i] = toBigInt(row[i], sink.min, sink.max, offset + i, site);
      return;
    }
    case 'half': {
      const array = sink.array;
      for (let i = 0; i < n; i++) {
        const value = row[i];
        array[offset + i] = toHalfBits(typeof value === 'number' ? value : nonFinite(value, offset + i, site));
      }
      return;
    }
    case 'bytes': {
      const array = sink.array;
      for (let i = 0; i < n; i++) {
        const value = row[i];
        if (typeof value !== 'string') throw elementError(site, offset + i, value, 'a string');
        // Two native scans per element keep ordinary text fast; only a bad element is looked at closely.
        if (value.indexOf('\u0000') !== -1 || !value.isWellFormed()) {
          const problem = stringElementProblem(value) ?? 'is not text ONNX Runtime can carry';
          throw new BadRequestError(`input "${site.input}": ${elementPath(offset + i, site)} ${problem}`);
        }
        array[offset + i] = value;
      }
      return;
    }
  }
}

/** JSON has no NaN or infinities, so floats may carry them as these strings (the same ones responses use). */
function nonFinite(value: unknown, index: number, site: Site): number {
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw elementError(site, index, value, 'a number (or "NaN", "Infinity", "-Infinity")');
}

/**
 * 64-bit integers: JSON.parse has already rounded numbers beyond 2^53-1 before we see them, so such numbers are
 * rejected rather than silently changed; decimal strings carry any 64-bit value exactly.
 */
function toBigInt(value: unknown, min: bigint, max: bigint, index: number, site: Site): bigint {
  const range = `an integer in [${min}, ${max}]`;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && (min < 0n || value >= 0)) return BigInt(value);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new BadRequestError(
        `input "${site.input}": ${elementPath(index, site)} is ${describe(value)}, beyond ±(2^53-1) where JSON ` +
          `numbers lose precision; send ${site.datatype} values this large as decimal strings (e.g. "9007199254740993") to carry them exactly`,
      );
    }
    throw elementError(site, index, value, range);
  }
  if (typeof value === 'string' && value.length <= MAX_BIGINT_DIGITS + 1 && DECIMAL_INTEGER.test(value)) {
    const parsed = BigInt(value);
    if (parsed >= min && parsed <= max) return parsed;
  }
  throw elementError(site, index, value, `${range}, as a number or a decimal string`);
}

function elementError(site: Site, index: number, value: unknown, expected: string): BadRequestError {
  const where = elementPath(index, site);
  if (Array.isArray(value)) {
    return new BadRequestError(
      `input "${site.input}": ${where} is an array, but shape ${formatShape(site.shape)} puts a ${site.datatype} ` +
        'value there; nest data exactly as the shape, or send it flat',
    );
  }
  return new BadRequestError(
    `input "${site.input}": ${where} must be ${expected} for ${site.datatype}, got ${describe(value)}`,
  );
}

/** The element's position as the client wrote it: `data[7]` for flat data, `data[1][3]` for nested. */
function elementPath(index: number, site: Site): string {
  if (!site.nested) return `data[${index}]`;
  const indices: number[] = [];
  let rest = index;
  for (let d = site.shape.length - 1; d >= 0; d--) {
    const dimension = site.shape[d] ?? 1;
    indices.unshift(rest % dimension);
    rest = Math.floor(rest / dimension);
  }
  return `data${indices.map((i) => `[${i}]`).join('')}`;
}

// Enough dimensions to recognise a shape by; a longer one is cut so that a message never grows with the request.
const SHAPE_DIMENSIONS_SHOWN = 16;

export function formatShape(shape: readonly number[]): string {
  if (shape.length <= SHAPE_DIMENSIONS_SHOWN) return `[${shape.join(', ')}]`;
  return `[${shape.slice(0, SHAPE_DIMENSIONS_SHOWN).join(', ')}, ... (${shape.length} dimensions)]`;
}
