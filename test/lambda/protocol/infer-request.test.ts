import { DATATYPES } from '../../../contract/datatypes';
import { MAX_TENSOR_RANK } from '../../../contract/limits';
import { BadRequestError } from '../../../lambda/protocol/errors';
import { decodeInferRequest } from '../../../lambda/protocol/infer-request';
import type { Datatype } from '../../../lambda/protocol/tensor';
import { decodeTensorData } from '../../../lambda/protocol/tensor-data';
import { classifier, singleInputModel, thrownBy } from './models';

/** A valid request for `classifier`, with `overrides` merged into the body. */
function classifierBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inputs: [
      { name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
      { name: 'ids', shape: [2], datatype: 'INT64', data: [7, 8] },
    ],
    ...overrides,
  };
}

/** The classifier body with the "features" input's fields replaced. */
function withFeatures(fields: Record<string, unknown>): Record<string, unknown> {
  return classifierBody({
    inputs: [
      { name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6], ...fields },
      { name: 'ids', shape: [2], datatype: 'INT64', data: [7, 8] },
    ],
  });
}

function singleInput(datatype: Datatype, data: unknown[], shape: number[] = [data.length]) {
  return decodeInferRequest({ inputs: [{ name: 'x', shape, datatype, data }] }, singleInputModel(datatype));
}

function expectBadRequest(action: () => unknown, ...fragments: string[]): void {
  const error = thrownBy(action);
  expect(error).toBeInstanceOf(BadRequestError);
  expect((error as BadRequestError).statusCode).toBe(400);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe('decodeInferRequest', () => {
  it('decodes every input to a typed tensor in model input order', () => {
    const body = classifierBody();
    const request = decodeInferRequest({ inputs: [...(body.inputs as unknown[])].reverse() }, classifier);
    expect(request.inputs).toEqual([
      { name: 'features', datatype: 'FP32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: 'ids', datatype: 'INT64', shape: [2], data: new BigInt64Array([7n, 8n]) },
    ]);
  });

  it.each<[Datatype, unknown[], ArrayLike<unknown>]>([
    ['BOOL', [true, false, true], new Uint8Array([1, 0, 1])],
    ['UINT8', [0, 255, 7], new Uint8Array([0, 255, 7])],
    ['UINT16', [0, 65535, 7], new Uint16Array([0, 65535, 7])],
    ['UINT32', [0, 4294967295, 7], new Uint32Array([0, 4294967295, 7])],
    ['UINT64', [0, '18446744073709551615', 7], new BigUint64Array([0n, 18446744073709551615n, 7n])],
    ['INT8', [-128, 127, 0], new Int8Array([-128, 127, 0])],
    ['INT16', [-32768, 32767, 0], new Int16Array([-32768, 32767, 0])],
    ['INT32', [-2147483648, 2147483647, 0], new Int32Array([-2147483648, 2147483647, 0])],
    [
      'INT64',
      ['-9223372036854775808', '9223372036854775807', -3],
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, -3n]),
    ],
    ['FP16', [1, -2, 'Infinity'], new Uint16Array([0x3c00, 0xc000, 0x7c00])],
    ['FP32', [0.5, 'NaN', '-Infinity'], new Float32Array([0.5, Number.NaN, Number.NEGATIVE_INFINITY])],
    ['FP64', [0.1, 1e300, 'Infinity'], new Float64Array([0.1, 1e300, Number.POSITIVE_INFINITY])],
    ['BYTES', ['a', '', 'héllo'], ['a', '', 'héllo']],
  ])('decodes %s data into its typed array', (datatype, data, expected) => {
    expect(singleInput(datatype, data).inputs[0]?.data).toEqual(expected);
  });

  describe('nested data', () => {
    it.each([
      [
        '2-D nested',
        [2, 3],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [1, 2, 3, 4, 5, 6],
      ],
      [
        '3-D nested',
        [2, 2, 1],
        [
          [[1], [2]],
          [[3], [4]],
        ],
        [1, 2, 3, 4],
      ],
      ['nested with a zero-size inner dimension', [2, 0], [[], []], []],
      ['flat with a zero-size dimension', [0, 3], [], []],
      ['flat for a rank-3 shape', [2, 1, 2], [1, 2, 3, 4], [1, 2, 3, 4]],
    ])('accepts %s data row-major', (_, shape, data, flat) => {
      const request = decodeInferRequest(
        { inputs: [{ name: 'x', shape, datatype: 'FP64', data }] },
        singleInputModel(
          'FP64',
          shape.map(() => -1),
        ),
      );
      expect(request.inputs[0]).toEqual({ name: 'x', datatype: 'FP64', shape, data: new Float64Array(flat) });
    });
  });

  describe('64-bit integers', () => {
    it.each<[Datatype, unknown, bigint]>([
      ['INT64', Number.MAX_SAFE_INTEGER, 2n ** 53n - 1n],
      ['INT64', Number.MIN_SAFE_INTEGER, -(2n ** 53n - 1n)],
      ['INT64', '9007199254740993', 2n ** 53n + 1n],
      ['INT64', '-5', -5n],
      ['INT64', '007', 7n],
      ['UINT64', '18446744073709551615', 2n ** 64n - 1n],
      ['UINT64', Number.MAX_SAFE_INTEGER, 2n ** 53n - 1n],
    ])('accepts %s value %p exactly', (datatype, value, expected) => {
      expect(singleInput(datatype, [value]).inputs[0]?.data).toEqual(
        datatype === 'INT64' ? new BigInt64Array([expected]) : new BigUint64Array([expected]),
      );
    });

    it.each<[Datatype, number]>([
      ['INT64', 2 ** 53],
      ['INT64', -(2 ** 53)],
      ['UINT64', 2 ** 60],
    ])('rejects %s number %p beyond 2^53-1 and says to send a decimal string', (datatype, value) => {
      expectBadRequest(() => singleInput(datatype, [value]), 'input "x"', 'data[0]', 'decimal string');
    });

    it.each<[Datatype, unknown, string]>([
      ['INT64', '9223372036854775808', '[-9223372036854775808, 9223372036854775807]'],
      ['INT64', '-9223372036854775809', '[-9223372036854775808, 9223372036854775807]'],
      ['INT64', '1'.repeat(400), '[-9223372036854775808, 9223372036854775807]'],
      ['UINT64', '18446744073709551616', '[0, 18446744073709551615]'],
      ['UINT64', '-1', '[0, 18446744073709551615]'],
      ['UINT64', -1, '[0, 18446744073709551615]'],
      ['INT64', '1e3', 'decimal string'],
      ['INT64', '0x10', 'decimal string'],
      ['INT64', ' 1', 'decimal string'],
      ['INT64', '', 'decimal string'],
      ['INT64', 1.5, '[-9223372036854775808'],
      ['INT64', true, '[-9223372036854775808'],
    ])('rejects %s value %p and states the range', (datatype, value, expected) => {
      expectBadRequest(() => singleInput(datatype, [value]), 'input "x"', `for ${datatype}`, expected);
    });
  });

  describe('element types', () => {
    it.each<[Datatype, unknown, string]>([
      ['BOOL', 1, 'true or false'],
      ['BOOL', 'true', 'true or false'],
      ['UINT8', 256, 'an integer in [0, 255]'],
      ['UINT8', -1, 'an integer in [0, 255]'],
      ['UINT8', 1.5, 'an integer in [0, 255]'],
      ['UINT16', 65536, 'an integer in [0, 65535]'],
      ['UINT32', 4294967296, 'an integer in [0, 4294967295]'],
      ['INT8', 128, 'an integer in [-128, 127]'],
      ['INT16', -32769, 'an integer in [-32768, 32767]'],
      ['INT32', 2147483648, 'an integer in [-2147483648, 2147483647]'],
      ['INT32', '5', 'an integer in [-2147483648, 2147483647]'],
      ['FP16', 'nan', 'a number (or "NaN", "Infinity", "-Infinity")'],
      ['FP32', 'a', 'a number (or "NaN", "Infinity", "-Infinity")'],
      ['FP32', null, 'a number'],
      ['FP32', true, 'a number'],
      ['FP64', {}, 'a number'],
      ['BYTES', 5, 'a string'],
    ])('rejects a %s element %p and says what it expects', (datatype, value, expected) => {
      expectBadRequest(
        () => singleInput(datatype, [0, value].slice(datatype === 'BYTES' || datatype === 'BOOL' ? 1 : 0)),
        'input "x"',
        expected,
        `for ${datatype}`,
      );
    });

    // Every datatype family against every kind of JSON value it must refuse, flat and nested: a client's wrong type is
    // always a 400 that names the input, the datatype and what was found, never something ONNX Runtime gets to see.
    const WRONG_KINDS: ReadonlyArray<[string, unknown, string]> = [
      ['a word', 'abc', 'the string "abc"'],
      ['a numeric string', '1.5', 'the string "1.5"'],
      ['an empty string', '', 'the string ""'],
      ['a number', 1, 'number 1'],
      ['a boolean', true, 'boolean true'],
      ['null', null, 'null'],
      ['an object', { value: 1 }, 'an object'],
      ['a nested array', [1], 'an array'],
    ];
    /** What each datatype accepts besides its own JSON type: these are not wrong for it. */
    const accepts = (datatype: Datatype, value: unknown): boolean => {
      if (datatype === 'BYTES') return typeof value === 'string';
      if (datatype === 'BOOL') return typeof value === 'boolean';
      return typeof value === 'number';
    };
    const wrongTypeCases = DATATYPES.flatMap((datatype) =>
      WRONG_KINDS.filter(([, value]) => !accepts(datatype, value)).flatMap(([kind, value, found]) => [
        [datatype, kind, 'flat', value, found] as const,
        [datatype, kind, 'nested', value, found] as const,
      ]),
    );

    it.each(wrongTypeCases)(
      'rejects %s data holding %s (%s) with a 400 naming the input, datatype and value',
      (datatype, _kind, layout, value, found) => {
        const valid = datatype === 'BYTES' ? 'a' : datatype === 'BOOL' ? false : 0;
        const flat = [valid, valid, valid, value];
        const data = layout === 'flat' ? flat : [flat.slice(0, 2), flat.slice(2)];
        const where = layout === 'flat' ? 'data[3]' : 'data[1][1]';
        const error = thrownBy(() =>
          decodeInferRequest(
            { inputs: [{ name: 'x', shape: [2, 2], datatype, data }] },
            singleInputModel(datatype, [-1, 2]),
          ),
        );
        expect(error).toBeInstanceOf(BadRequestError);
        const message = (error as Error).message;
        expect(message).toContain(`input "x": ${where}`);
        expect(message).toContain(
          Array.isArray(value) ? `puts a ${datatype} value there` : `for ${datatype}, got ${found}`,
        );
      },
    );

    it('rejects data sent to the wrong datatype as a whole: a string tensor to an FP32 input', () => {
      expectBadRequest(
        () => decodeInferRequest(withFeatures({ datatype: 'BYTES', data: ['a', 'b', 'c', 'd', 'e', 'f'] }), classifier),
        'input "features" has datatype BYTES, but the model expects FP32',
      );
    });

    it('rejects a bad element by its position in nested data', () => {
      expectBadRequest(
        () =>
          decodeInferRequest(
            withFeatures({
              data: [
                [1, 2, 3],
                [4, 'five', 6],
              ],
            }),
            classifier,
          ),
        'input "features": data[1][1] must be a number',
        'got the string "five"',
      );
    });
  });

  describe('rejects malformed requests', () => {
    it.each<[string, unknown, ...string[]]>([
      ['a body that is not an object', [], 'must be a JSON object'],
      ['a null body', null, 'must be a JSON object'],
      ['a body without "inputs"', {}, '"inputs" must be a non-empty array', '"features" (FP32 [-1, 3])', '"ids"'],
      ['"inputs" that is not an array', { inputs: {} }, '"inputs" must be a non-empty array', 'got an object'],
      ['empty "inputs"', { inputs: [] }, '"inputs" must be a non-empty array', '"features"'],
      ['an input that is not an object', { inputs: [5] }, 'inputs[0] must be an object', 'got number 5'],
      [
        'an input without a name',
        { inputs: [{ shape: [1], datatype: 'FP32', data: [1] }] },
        'inputs[0] must have a string "name"',
      ],
      ['a non-string "id"', classifierBody({ id: 42 }), '"id" must be a string', 'got number 42'],
      ['non-object "parameters"', classifierBody({ parameters: [] }), '"parameters" must be an object'],
    ])('rejects %s', (_, body, ...fragments) => {
      expectBadRequest(() => decodeInferRequest(body, classifier), ...fragments);
    });

    it.each(['shape', 'datatype', 'data'])('rejects an input without "%s"', (field) => {
      expectBadRequest(
        () => decodeInferRequest(withFeatures({ [field]: undefined }), classifier),
        `input "features" is missing "${field}"`,
        'FP32 [-1, 3]',
      );
    });

    it('rejects an unknown input name and lists the expected ones', () => {
      const body = classifierBody();
      const inputs = [...(body.inputs as unknown[]), { name: 'extra', shape: [1], datatype: 'FP32', data: [1] }];
      expectBadRequest(
        () => decodeInferRequest({ inputs }, classifier),
        'unknown input "extra"',
        '"features"',
        '"ids"',
      );
    });

    it('rejects an input given twice', () => {
      const body = classifierBody();
      const inputs = [...(body.inputs as unknown[]), ...(body.inputs as unknown[])];
      expectBadRequest(() => decodeInferRequest({ inputs }, classifier), 'input "features" is given more than once');
    });

    it('rejects a request missing a model input and lists them all', () => {
      const body = classifierBody();
      const inputs = (body.inputs as unknown[]).slice(0, 1);
      expectBadRequest(
        () => decodeInferRequest({ inputs }, classifier),
        'missing input "ids"',
        '"features"',
        '"ids" (INT64 [-1])',
      );
    });
  });

  describe('rejects inputs that do not match the model', () => {
    it.each<[string, Record<string, unknown>, ...string[]]>([
      [
        'a datatype the protocol does not have',
        { datatype: 'FLOAT32' },
        '"datatype" must be one of BOOL,',
        'got the string "FLOAT32"',
      ],
      [
        "a datatype other than the model's",
        { datatype: 'FP64' },
        'input "features" has datatype FP64, but the model expects FP32',
      ],
      [
        'a shape that is not an array',
        { shape: '2x3' },
        '"shape" must be an array of non-negative integers',
        '[-1, 3]',
      ],
      [
        'a negative dimension',
        { shape: [-1, 3] },
        'input "features": "shape" must be an array of non-negative integers',
        '"shape"[0] is number -1',
      ],
      ['a fractional dimension', { shape: [1.5, 3] }, '"shape" must be an array of non-negative integers'],
      ['a string dimension', { shape: ['2', 3] }, '"shape" must be an array of non-negative integers'],
      [
        "a rank other than the model's",
        { shape: [6], data: [1, 2, 3, 4, 5, 6] },
        'input "features" has shape [6] of rank 1',
        'expects rank 2',
        '[-1, 3]',
      ],
      [
        "a fixed dimension other than the model's",
        { shape: [3, 2] },
        'input "features" has shape [3, 2]: dimension 1 is 2',
        'expects 3',
      ],
      [
        'data that is not an array',
        { data: 'abc' },
        'input "features": "data" must be an array',
        'got the string "abc"',
      ],
      [
        'flat data shorter than the shape',
        { data: [1, 2, 3, 4, 5] },
        'input "features": data has 5 elements, but shape [2, 3] needs 6',
      ],
      ['flat data longer than the shape', { data: [1, 2, 3, 4, 5, 6, 7] }, 'data has 7 elements', 'needs 6'],
      [
        'nested rows of the wrong length',
        {
          data: [
            [1, 2, 3],
            [4, 5],
          ],
        },
        'input "features": data[1] has length 2, but shape [2, 3] needs 3',
      ],
      ['nested data with too few rows', { data: [[1, 2, 3]] }, 'data has length 1, but shape [2, 3] needs 2'],
      ['nesting mixed with scalars', { data: [[1, 2, 3], 4] }, 'data[1] is number 4', 'an array of length 3'],
      [
        'nesting deeper than the shape',
        {
          data: [
            [[1], [2], [3]],
            [[4], [5], [6]],
          ],
        },
        'data[0][0] is an array',
        'shape [2, 3]',
      ],
      [
        'flat data holding an array',
        { data: [1, [2], 3, 4, 5, 6] },
        'data[1] is an array',
        'nest data exactly as the shape',
      ],
    ])('rejects %s', (_, fields, ...fragments) => {
      expectBadRequest(() => decodeInferRequest(withFeatures(fields), classifier), ...fragments);
    });

    it('rejects nested data for a rank-1 input', () => {
      const body = { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [[1], [2]] }] };
      expectBadRequest(
        () => decodeInferRequest(body, singleInputModel('FP32')),
        'input "x": data nests arrays',
        'rank 1',
      );
    });

    it('accepts any size in a dynamic dimension', () => {
      const data = Array.from({ length: 30 }, (_, i) => i);
      const request = decodeInferRequest(withFeatures({ shape: [10, 3], data }), classifier);
      expect(request.inputs[0]?.shape).toEqual([10, 3]);
    });
  });

  describe('id, parameters and outputs', () => {
    it('keeps the id and parameters and requests every output when none are named', () => {
      const request = decodeInferRequest(classifierBody({ id: 'req-1', parameters: { priority: 1 } }), classifier);
      expect(request).toMatchObject({ id: 'req-1', parameters: { priority: 1 }, outputs: ['label', 'probabilities'] });
    });

    it('omits id and parameters when the request has none', () => {
      const request = decodeInferRequest(classifierBody(), classifier);
      expect(request).not.toHaveProperty('id');
      expect(request).not.toHaveProperty('parameters');
    });

    it('accepts parameters on inputs and outputs without acting on them', () => {
      const body = classifierBody({ outputs: [{ name: 'label', parameters: { binary_data: false } }] });
      (body.inputs as Record<string, unknown>[])[0] = {
        ...(body.inputs as Record<string, unknown>[])[0],
        parameters: { content_type: 'np' },
      };
      expect(decodeInferRequest(body, classifier).outputs).toEqual(['label']);
    });

    it.each([
      ['one output', [{ name: 'probabilities' }], ['probabilities']],
      [
        'outputs in another order, in model order',
        [{ name: 'probabilities' }, { name: 'label' }],
        ['label', 'probabilities'],
      ],
      ['an empty list as every output', [], ['label', 'probabilities']],
    ])('requests %s', (_, outputs, expected) => {
      expect(decodeInferRequest(classifierBody({ outputs }), classifier).outputs).toEqual(expected);
    });

    it.each<[string, unknown, ...string[]]>([
      ['"outputs" that is not an array', { name: 'label' }, '"outputs" must be an array', '"label"', '"probabilities"'],
      [
        'an output that is not an object',
        ['label'],
        'outputs[0] must be an object with a string "name"',
        'got the string "label"',
      ],
      ['an output without a name', [{}], 'outputs[0] must have a string "name", got nothing'],
      [
        'an unknown output',
        [{ name: 'scores' }],
        'unknown output "scores"',
        '"label" (INT64 [-1]), "probabilities" (FP32 [-1, 2])',
      ],
      [
        'an output requested twice',
        [{ name: 'label' }, { name: 'label' }],
        'output "label" is requested more than once',
      ],
    ])('rejects %s', (_, outputs, ...fragments) => {
      expectBadRequest(() => decodeInferRequest(classifierBody({ outputs }), classifier), ...fragments);
    });
  });

  describe('parameters', () => {
    it('keeps request parameters of every protocol type', () => {
      const parameters = { text: 'x', count: 3, ratio: 0.5, flag: false };
      expect(decodeInferRequest(classifierBody({ parameters }), classifier).parameters).toEqual(parameters);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a request parameter that is an array', { parameters: { a: [] } }, 'the request: parameter "a"'],
      [
        'an input parameter that is null',
        {
          inputs: [
            { name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3], parameters: { b: null } },
            { name: 'ids', shape: [1], datatype: 'INT64', data: [7] },
          ],
        },
        'input "features": parameter "b"',
      ],
      [
        'an output parameter that is an object',
        { outputs: [{ name: 'label', parameters: { c: { d: 1 } } }] },
        'output "label": parameter "c"',
      ],
    ])('rejects %s, naming its owner and the parameter', (_, overrides, where) => {
      expectBadRequest(
        () => decodeInferRequest(classifierBody(overrides), classifier),
        where,
        'must be a string, a number or a boolean',
      );
    });
  });

  describe('bounded nesting', () => {
    it('rejects a shape of more than MAX_TENSOR_RANK dimensions before looking at its elements', () => {
      const shape = new Array(MAX_TENSOR_RANK + 1).fill([]);
      expectBadRequest(
        () => decodeInferRequest(withFeatures({ shape }), classifier),
        `"shape" has ${MAX_TENSOR_RANK + 1} dimensions, but this server accepts at most ${MAX_TENSOR_RANK}`,
      );
    });

    it('accepts a shape of exactly MAX_TENSOR_RANK dimensions as far as the rank check', () => {
      const shape = new Array(MAX_TENSOR_RANK).fill(1);
      const spec = singleInputModel('FP32', shape);
      const data = [JSON.parse(`${'['.repeat(MAX_TENSOR_RANK - 1)}1${']'.repeat(MAX_TENSOR_RANK - 1)}`)];
      const request = decodeInferRequest({ inputs: [{ name: 'x', shape, datatype: 'FP32', data }] }, spec);
      expect(request.inputs[0]?.data).toEqual(new Float32Array([1]));
    });

    it('rejects nested data walked with a shape deeper than MAX_TENSOR_RANK, whoever checked the shape', () => {
      const depth = 100_000;
      const data = JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`);
      expectBadRequest(
        () => decodeTensorData('x', 'FP32', new Array(depth).fill(1), data),
        `input "x": shape has ${depth} dimensions, but this server accepts at most ${MAX_TENSOR_RANK}`,
      );
    });
  });
});
