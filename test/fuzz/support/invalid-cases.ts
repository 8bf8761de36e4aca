/**
 * Invalid inference requests: a valid case with one thing broken, described as data (so a counterexample reads as
 * what was broken), with the status and the words the error must contain.
 */
import fc from 'fast-check';
import { DATATYPES } from '../../../contract/datatypes';
import type { InferCase } from './infer-cases';
import { requestJson } from './infer-cases';
import { BIGINT_RANGES } from './tensor-values';

export type Mutation =
  | { readonly kind: 'body'; readonly text: string }
  | { readonly kind: 'truncate'; readonly keep: number }
  | {
      readonly kind: 'field';
      readonly field: 'id' | 'parameters' | 'binary_data_output' | 'inputs' | 'outputs';
      readonly value: unknown;
    }
  | {
      readonly kind: 'input';
      readonly field: 'name' | 'datatype' | 'shape' | 'data' | 'parameters' | 'binary_data_size';
      readonly value: unknown;
    }
  | { readonly kind: 'remove'; readonly field: 'name' | 'datatype' | 'shape' | 'data' }
  | { readonly kind: 'element'; readonly value: unknown }
  | { readonly kind: 'data-length'; readonly delta: 1 | -1 }
  | { readonly kind: 'shape-nested'; readonly depth: number }
  | { readonly kind: 'shape-long'; readonly length: number }
  | { readonly kind: 'input-name-long'; readonly length: number }
  | { readonly kind: 'duplicate-input' }
  | { readonly kind: 'drop-input' }
  | { readonly kind: 'output'; readonly value: unknown };

const WRONG_TYPES = [1, 0, -1, 1.5, true, false, null, 'x', '', [], {}, [1], { a: 1 }];
const NOT_OBJECT_BODIES = ['NaN', '[]', '"x"', '1', 'null', 'true', '[{"inputs": []}]', '-0', '"{}"'];

/** Element values no datatype's rules accept for it (a string for a number, a fraction for an integer, ...). */
function badElements(datatype: string): unknown[] {
  const common = [null, [], {}, [1]];
  switch (datatype) {
    case 'BOOL':
      return [...common, 0, 1, 'true', 'false', 'NaN'];
    case 'BYTES':
      return [...common, 1, true, 0.5];
    case 'FP16':
    case 'FP32':
    case 'FP64':
      return [...common, true, '1', '1.0', 'nan', 'inf', '', '0x1'];
    case 'INT64':
    case 'UINT64': {
      const [min, max] = BIGINT_RANGES[datatype] ?? [0n, 0n];
      return [
        ...common,
        true,
        1.5,
        2 ** 53,
        -(2 ** 60),
        '1e3',
        '0x10',
        '1.0',
        ' 1',
        '',
        (max + 1n).toString(),
        (min - 1n).toString(),
        '9'.repeat(40),
      ];
    }
    default:
      return [...common, true, 1.5, '1', 'NaN', 2 ** 32, -(2 ** 31) - 1, 1e300];
  }
}

export function mutation(datatype: string): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('body' as const), text: fc.constantFrom(...NOT_OBJECT_BODIES) }),
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat({ max: 60 }) }),
    fc.record({
      kind: fc.constant('field' as const),
      field: fc.constantFrom('id' as const),
      value: fc.constantFrom(...WRONG_TYPES.filter((value) => typeof value !== 'string')),
    }),
    fc.record({
      kind: fc.constant('field' as const),
      field: fc.constantFrom('parameters' as const),
      value: fc.constantFrom(
        ...WRONG_TYPES.filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)),
      ),
    }),
    fc.record({
      kind: fc.constant('field' as const),
      field: fc.constantFrom('binary_data_output' as const),
      value: fc.constantFrom(1, 0, 'true', null, [], {}),
    }),
    fc.record({
      kind: fc.constant('field' as const),
      field: fc.constantFrom('inputs' as const),
      value: fc.constantFrom(undefined, 1, 'x', null, {}, [], [1], [null], [[]]),
    }),
    fc.record({
      kind: fc.constant('field' as const),
      field: fc.constantFrom('outputs' as const),
      value: fc.constantFrom(1, 'x', null, {}, [1], [null], [{}], [{ name: 1 }]),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('name' as const),
      value: fc.oneof(
        fc.constantFrom(1, null, [], {}, true),
        fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'X', 'x ', ''),
        fc
          .string({ minLength: 1, maxLength: 10 })
          .filter((name) => !['x', 'a', 'b', 'features', 'pixels'].includes(name)),
      ),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('datatype' as const),
      value: fc.constantFrom(
        ...DATATYPES.filter((other) => other !== datatype),
        'FLOAT',
        'fp32',
        'float32',
        'STRING',
        '',
        1,
        null,
        [],
        {},
      ),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('shape' as const),
      value: fc.constantFrom(
        -1,
        'x',
        null,
        {},
        [-1, 3],
        [1.5, 3],
        ['1', 3],
        [null, 3],
        [1, 3, 1],
        [[1], 3],
        [2 ** 53, 3],
        [1e300, 3],
        [1, 4],
        [1, 2],
        [1, 0],
        [0, 4],
        ['', 3],
      ),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('data' as const),
      value: fc.constantFrom(1, 'x', null, {}, true, { data: [] }),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('parameters' as const),
      value: fc.constantFrom(1, 'x', null, [], true),
    }),
    fc.record({
      kind: fc.constant('input' as const),
      field: fc.constant('binary_data_size' as const),
      value: fc.constantFrom(0, 4, 12, -1, 'x', null),
    }),
    fc.record({
      kind: fc.constant('remove' as const),
      field: fc.constantFrom('name' as const, 'datatype' as const, 'shape' as const, 'data' as const),
    }),
    fc.record({ kind: fc.constant('element' as const), value: fc.constantFrom(...badElements(datatype)) }),
    fc.record({ kind: fc.constant('data-length' as const), delta: fc.constantFrom(1 as const, -1 as const) }),
    fc.record({ kind: fc.constant('shape-nested' as const), depth: fc.constantFrom(2, 20, 1_000, 5_000, 20_000) }),
    fc.record({ kind: fc.constant('shape-long' as const), length: fc.constantFrom(3, 100, 10_000, 100_000) }),
    fc.record({
      kind: fc.constant('input-name-long' as const),
      length: fc.constantFrom(50, 1_000, 100_000, 1_000_000),
    }),
    fc.constant({ kind: 'duplicate-input' as const }),
    fc.constant({ kind: 'drop-input' as const }),
    fc.record({
      kind: fc.constant('output' as const),
      value: fc.constantFrom(
        1,
        null,
        'y',
        [],
        { name: 'nope' },
        { name: '__proto__' },
        { name: 1 },
        { name: 'y', parameters: 1 },
        { name: 'y', parameters: { binary_data: 'yes' } },
        { name: 'y', parameters: { binary_data: 1 } },
        { name: 'y', parameters: { binary_data: null } },
        { name: 'y', parameters: [] },
      ),
    }),
  );
}

export interface InvalidRequest {
  readonly body: string;
  /** Statuses the answer may have (4xx) and the words its error must contain. */
  readonly statuses: readonly number[];
  readonly mentions: readonly RegExp[];
}

const DEEP = '<deeply nested shape>';

/** The valid case's body with the mutation applied, and what the answer must be. */
export function applyMutation(request: InferCase, change: Mutation): InvalidRequest {
  const body = requestJson(request);
  const inputs = body.inputs as Record<string, unknown>[];
  const first = inputs[0] ?? {};
  const text = () => JSON.stringify(body);
  const bad = (mentions: RegExp[]) => ({ body: text(), statuses: [400], mentions });
  switch (change.kind) {
    case 'body':
      return { body: change.text, statuses: [400], mentions: [/JSON object/i, /inputs/] };
    case 'truncate': {
      const full = text();
      return { body: full.slice(0, Math.min(change.keep, full.length - 1)), statuses: [400], mentions: [/JSON|body/i] };
    }
    case 'field': {
      if (change.field === 'binary_data_output') {
        body.parameters = { binary_data_output: change.value };
        return bad([/binary_data_output/]);
      }
      body[change.field] = change.value;
      return bad([change.field === 'outputs' ? /output/ : new RegExp(change.field)]);
    }
    case 'input': {
      if (change.field === 'binary_data_size') {
        first.parameters = { binary_data_size: change.value };
        return bad([/binary_data_size|binary/]);
      }
      first[change.field] = change.value;
      return bad([change.field === 'name' ? /input|name/ : new RegExp(change.field)]);
    }
    case 'remove':
      delete first[change.field];
      return bad([change.field === 'name' ? /name/ : new RegExp(change.field)]);
    case 'element': {
      first.data = [
        change.value,
        ...(Array.isArray(first.data) ? first.data.flat(Number.POSITIVE_INFINITY).slice(1) : []),
      ];
      return bad([/data|element/]);
    }
    case 'data-length': {
      const flat = Array.isArray(first.data) ? first.data.flat(Number.POSITIVE_INFINITY) : [];
      first.data = change.delta === 1 || flat.length === 0 ? [...flat, flat[0] ?? 0] : flat.slice(1);
      return bad([/data|element|shape/]);
    }
    case 'shape-nested': {
      // Written as text: JSON.stringify itself runs out of stack on arrays a few thousand deep.
      first.shape = DEEP;
      const deep = `${'['.repeat(change.depth)}1${']'.repeat(change.depth)}`;
      return { body: text().replace(JSON.stringify(DEEP), deep), statuses: [400], mentions: [/shape/] };
    }
    case 'shape-long':
      first.shape = Array.from({ length: change.length }, () => 1);
      return bad([/shape|rank/]);
    case 'input-name-long':
      first.name = 'n'.repeat(change.length);
      return bad([/input/]);
    case 'duplicate-input':
      body.inputs = [first, ...inputs];
      return bad([/once|more than|duplicate/i]);
    case 'drop-input':
      body.inputs = inputs.slice(1);
      return bad([/input/]);
    case 'output':
      body.outputs = [change.value];
      return bad([/output/]);
  }
}
