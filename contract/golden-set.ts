import { DATATYPES, type Datatype } from './datatypes';

/**
 * A model version's golden set: requests with the answers the model must give, within a tolerance. It lives beside
 * the model (`models/<name>/<version>/golden.json`), is pinned and uploaded with it, and gates a rollout: the
 * pre-traffic check replays it against the new version before any traffic shifts, and `npm run verify` replays it
 * against the local twin first. The requests and answers are the API's own JSON (v2 inference request bodies and
 * response outputs), so a golden set is exactly what a client would send and receive.
 */
export interface GoldenSet {
  /** Format of this document; a reader refuses a format it does not know instead of misreading it. */
  readonly format: typeof GOLDEN_SET_FORMAT;
  /** How far a floating-point element (FP16, FP32, FP64) may be from its expected value; every other datatype is exact. */
  readonly tolerance: GoldenTolerance;
  readonly cases: readonly GoldenCase[];
}

/** An element passes when |actual - expected| <= absolute + relative * |expected|, as numpy's `isclose`. */
export interface GoldenTolerance {
  readonly absolute: number;
  readonly relative: number;
}

export interface GoldenCase {
  /** What the case is, quoted when it fails (`held-out row 17`, `inputs.json line 3`). */
  readonly name: string;
  /** A v2 inference request body, sent as it is (JSON tensor data only). */
  readonly request: GoldenRequest;
  /** The outputs the answer must hold; an answer may hold more, which are not compared. */
  readonly expected: readonly WireTensor[];
}

export interface GoldenRequest {
  readonly inputs: readonly WireTensor[];
  readonly outputs?: readonly { readonly name: string }[];
}

/** A tensor as the API's JSON carries it: data flat, row-major. */
export interface WireTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: readonly (number | string | boolean)[];
}

export const GOLDEN_SET_FORMAT = 1;

/** File name of a golden set beside its `model.onnx`. */
export const GOLDEN_SET_FILE = 'golden.json';

/** A tolerance for models whose float outputs come from the same ONNX Runtime build: rounding noise only. */
export const DEFAULT_GOLDEN_TOLERANCE: GoldenTolerance = { absolute: 1e-5, relative: 1e-4 };

/** The datatypes compared within a tolerance; every other one is compared exactly. */
export const FLOAT_DATATYPES: ReadonlySet<Datatype> = new Set(['FP16', 'FP32', 'FP64']);

/**
 * The golden set as bytes: two-space JSON with a trailing newline, keys in a fixed order, so recording the same
 * answers twice gives the same file and the same sha256.
 */
export function serializeGoldenSet(golden: GoldenSet): string {
  const tensor = (t: WireTensor): WireTensor => ({
    name: t.name,
    datatype: t.datatype,
    shape: [...t.shape],
    data: [...t.data],
  });
  const ordered: GoldenSet = {
    format: GOLDEN_SET_FORMAT,
    tolerance: { absolute: golden.tolerance.absolute, relative: golden.tolerance.relative },
    cases: golden.cases.map((c) => ({
      name: c.name,
      request: {
        inputs: c.request.inputs.map(tensor),
        ...(c.request.outputs === undefined ? {} : { outputs: c.request.outputs.map((o) => ({ name: o.name })) }),
      },
      expected: c.expected.map(tensor),
    })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Parses and checks a golden set; throws an Error naming the source, the place and what was expected. */
export function parseGoldenSet(text: string, source: string): GoldenSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message}): record it again with npm run golden`);
  }
  const fail = (where: string, what: string): never => {
    throw new Error(`${source} is not a golden set: ${where} ${what}; record it again with npm run golden`);
  };
  const object = (item: unknown, where: string): Record<string, unknown> =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? (item as Record<string, unknown>)
      : fail(where, 'must be a JSON object');
  const root = object(value, 'the file');
  if (root.format !== GOLDEN_SET_FORMAT) {
    fail('"format"', `is ${JSON.stringify(root.format)}, this version reads format ${GOLDEN_SET_FORMAT}`);
  }
  const tolerance = object(root.tolerance, '"tolerance"');
  for (const field of ['absolute', 'relative'] as const) {
    const bound = tolerance[field];
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound < 0) {
      fail(`"tolerance.${field}"`, 'must be a number >= 0');
    }
  }
  const tensors = (list: unknown, where: string): WireTensor[] =>
    (Array.isArray(list) ? list : fail(where, 'must be an array')).map((item, index) => {
      const at = `${where}[${index}]`;
      const t = object(item, at);
      if (typeof t.name !== 'string') fail(`${at}.name`, 'must be a string');
      if (!DATATYPES.includes(t.datatype as Datatype)) fail(`${at}.datatype`, `must be one of ${DATATYPES.join(', ')}`);
      const shape = t.shape;
      if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
        fail(`${at}.shape`, 'must be an array of integers >= 0');
      }
      const data = Array.isArray(t.data) ? t.data : fail(`${at}.data`, 'must be a flat array');
      const elements = (shape as number[]).reduce((n, dim) => n * dim, 1);
      if (data.length !== elements) fail(`${at}.data`, `has ${data.length} elements, its shape holds ${elements}`);
      if (!data.every((e) => typeof e === 'number' || typeof e === 'string' || typeof e === 'boolean')) {
        fail(`${at}.data`, 'must hold numbers, strings or booleans only');
      }
      return { name: t.name as string, datatype: t.datatype as Datatype, shape: shape as number[], data };
    });
  const cases = (Array.isArray(root.cases) ? root.cases : fail('"cases"', 'must be an array')).map((item, index) => {
    const at = `cases[${index}]`;
    const c = object(item, at);
    if (typeof c.name !== 'string' || c.name === '') fail(`${at}.name`, 'must be a non-empty string');
    const request = object(c.request, `${at}.request`);
    const outputs = request.outputs;
    if (outputs !== undefined && !(Array.isArray(outputs) && outputs.every((o) => typeof o?.name === 'string'))) {
      fail(`${at}.request.outputs`, 'must be an array of {"name"}');
    }
    return {
      name: c.name as string,
      request: {
        inputs: tensors(request.inputs, `${at}.request.inputs`),
        ...(outputs === undefined ? {} : { outputs: (outputs as { name: string }[]).map((o) => ({ name: o.name })) }),
      },
      expected: tensors(c.expected, `${at}.expected`),
    };
  });
  if (cases.length === 0) fail('"cases"', 'is empty: a golden set must hold at least one case');
  return {
    format: GOLDEN_SET_FORMAT,
    tolerance: { absolute: tolerance.absolute as number, relative: tolerance.relative as number },
    cases,
  };
}

/**
 * Why an answer's outputs differ from the expected ones beyond the tolerance, or undefined when they agree. The
 * message names the output, the first differing element (flat index and row-major index), both values and the
 * difference, so a failed gate says exactly what changed. `actual` is the response's `outputs` as received.
 */
export function goldenMismatch(
  expected: readonly WireTensor[],
  actual: unknown,
  tolerance: GoldenTolerance,
): string | undefined {
  if (!Array.isArray(actual)) return `the answer has no "outputs" array (got ${preview(actual)})`;
  for (const want of expected) {
    const got = actual.find((o) => (o as { name?: unknown })?.name === want.name) as Partial<WireTensor> | undefined;
    if (got === undefined) return `output "${want.name}" is missing from the answer`;
    if (got.datatype !== want.datatype) {
      return `output "${want.name}" is ${String(got.datatype)}, expected ${want.datatype}`;
    }
    if (!Array.isArray(got.shape) || got.shape.join(',') !== want.shape.join(',')) {
      return `output "${want.name}" has shape ${Array.isArray(got.shape) ? `[${got.shape.join(', ')}]` : preview(got.shape)}, expected [${want.shape.join(', ')}]`;
    }
    if (!Array.isArray(got.data)) return `output "${want.name}" has no JSON "data" (binary outputs are not compared)`;
    const float = FLOAT_DATATYPES.has(want.datatype);
    for (let i = 0; i < want.data.length; i++) {
      const e = want.data[i];
      const a = got.data[i];
      if (float ? withinTolerance(a, e, tolerance) : a === e) continue;
      const where = `element ${i}${want.shape.length > 1 ? ` (index [${rowMajorIndex(i, want.shape).join(', ')}])` : ''}`;
      const difference =
        float && typeof a === 'number' && typeof e === 'number'
          ? ` (difference ${formatNumber(Math.abs(a - e))}, tolerance ${formatNumber(tolerance.absolute + tolerance.relative * Math.abs(e))})`
          : '';
      return `output "${want.name}" ${where} is ${preview(a)}, expected ${preview(e)}${difference}`;
    }
  }
  return undefined;
}

/** How two answers to the same request agree, output by output: the measure shadow testing publishes. */
export interface OutputAgreement {
  readonly name: string;
  /** Same datatype, shape and every element identical. */
  readonly exact: boolean;
  /** Largest |a - b| over numeric elements; undefined for BYTES and BOOL, Infinity when shapes or types differ. */
  readonly maxAbsoluteDifference: number | undefined;
}

/** Compares the candidate's outputs with the reference's, for every output the reference holds. */
export function outputAgreement(reference: readonly WireTensor[], candidate: readonly WireTensor[]): OutputAgreement[] {
  return reference.map((ref) => {
    const other = candidate.find((o) => o.name === ref.name);
    const numeric = ref.datatype !== 'BYTES' && ref.datatype !== 'BOOL';
    if (
      other === undefined ||
      other.datatype !== ref.datatype ||
      other.shape.join(',') !== ref.shape.join(',') ||
      other.data.length !== ref.data.length
    ) {
      return { name: ref.name, exact: false, maxAbsoluteDifference: numeric ? Number.POSITIVE_INFINITY : undefined };
    }
    let exact = true;
    let max = 0;
    for (let i = 0; i < ref.data.length; i++) {
      const a = ref.data[i];
      const b = other.data[i];
      // NaN matches NaN (Object.is); 0 matches -0 (===).
      if (a !== b && !Object.is(a, b)) exact = false;
      if (numeric && typeof a === 'number' && typeof b === 'number') {
        const d = Number.isNaN(a) && Number.isNaN(b) ? 0 : Math.abs(a - b);
        max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(max, d);
      }
    }
    return { name: ref.name, exact, maxAbsoluteDifference: numeric ? max : undefined };
  });
}

function withinTolerance(actual: unknown, expected: number | string | boolean, tolerance: GoldenTolerance): boolean {
  if (typeof actual !== 'number' || typeof expected !== 'number') return actual === expected;
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tolerance.absolute + tolerance.relative * Math.abs(expected);
}

function rowMajorIndex(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return index;
}

function formatNumber(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** A short rendering of a value from an answer, which may be anything: never echo more than a line. */
function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
