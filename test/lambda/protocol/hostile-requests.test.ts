/**
 * Hostile and malformed requests against the handler, with real ONNX Runtime on real models: each is a 4xx with a
 * short `{"error"}` that names the problem, never a 5xx, an echo of megabytes or an answer on altered data.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { onnx } from 'onnx-proto';
import { MAX_TENSOR_RANK } from '../../../contract/limits';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { encodeModel, ONNX_OPSET } from '../../../scripts/train/onnx-graph';
import { writeRepository } from '../../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { binaryRequest, bytesElements, readBinaryResponse } from '../../support/binary-tensor-data';
import { DEMO_MODELS } from '../../support/demo-models';
import { onnxBackendsOf } from '../../support/model-backends';

const { DataType } = onnx.TensorProto;

/** The longest error message these requests may get back: a few sentences, whatever the request's size. */
const SHORT = 600;

function stringTensor(name: string, dims: readonly (number | string)[] | undefined): onnx.IValueInfoProto {
  const shape =
    dims === undefined
      ? {}
      : { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } };
  return { name, type: { tensorType: { elemType: DataType.STRING, ...shape } } };
}

/**
 * `text` comes back unchanged as `same`; `stored` is a constant whose first element is the bytes 61 FF, which are not
 * UTF-8, so the answer path's handling of a model's invalid UTF-8 can be seen.
 */
function stringsModel(): Uint8Array {
  return encodeModel({
    name: 'strings',
    docString: 'test fixture: string identity and a constant holding bytes that are not UTF-8',
    opsets: [ONNX_OPSET],
    nodes: [
      { opType: 'Identity', input: ['text'], output: ['same'] },
      {
        opType: 'Constant',
        output: ['stored'],
        attribute: [
          {
            name: 'value',
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: {
              dims: [2],
              dataType: DataType.STRING,
              stringData: [new Uint8Array([0x61, 0xff]), new Uint8Array([0x62])],
            },
          },
        ],
      },
    ],
    inputs: [stringTensor('text', ['n'])],
    outputs: [stringTensor('same', ['n']), stringTensor('stored', [2])],
  });
}

/** An FP32 identity whose input has no shape in the graph at all (unknown rank). */
function unknownRankModel(): Uint8Array {
  return encodeModel({
    name: 'unknown_rank',
    docString: 'test fixture: identity over an input of unknown rank',
    opsets: [ONNX_OPSET],
    nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
    inputs: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT } } }],
    outputs: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT } } }],
  });
}

const registry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
const fixtureRegistry = new ModelRegistry(
  onnxBackendsOf(writeRepository({ 'strings/1': stringsModel(), 'unknown_rank/1': unknownRankModel() })),
);
const demo = createApiGatewayHandler(registry);
const fixtures = createApiGatewayHandler(fixtureRegistry);
afterAll(() => Promise.all([registry.release(), fixtureRegistry.release()]));

type Handler = typeof demo;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

async function call(
  handler: Handler,
  method: string,
  path: string,
  body?: string | Buffer | object,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const result: APIGatewayProxyResult = await handler(
    apiGatewayEvent({ method, path, body, headers, base64: Buffer.isBuffer(body) }),
    lambdaContext,
  );
  return { status: result.statusCode, headers: result.headers ?? {}, body: result.body };
}

/** The answer is `status` with only `{"error"}`, a short message holding every fragment. */
function expectError(answer: Answer, status: number, ...fragments: (string | RegExp)[]): string {
  expect(answer.status).toBe(status);
  const json = JSON.parse(answer.body) as Record<string, unknown>;
  expect(Object.keys(json)).toEqual(['error']);
  const message = json.error as string;
  expect(typeof message).toBe('string');
  expect(message.length).toBeLessThan(SHORT);
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(message).toContain(fragment);
    else expect(message).toMatch(fragment);
  }
  return message;
}

const FEATURES = { name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] };

/** A penguins request body with `features` replaced by `input`, as JSON text (some values JSON.stringify cannot nest). */
function penguinsBody(input: string): string {
  return `{"inputs": [${input}]}`;
}

function nested(depth: number, inner: string): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

describe('defect 3: nesting without bound is a 400, never a stack overflow', () => {
  it('returns 400 for a shape nested 5,000 deep (a 10 KB body)', async () => {
    const body = penguinsBody(
      `{"name": "features", "shape": ${nested(5_000, '')}, "datatype": "FP32", "data": [1, 2, 3, 4]}`,
    );
    expect(body.length).toBeLessThan(11_000);
    expectError(
      await call(demo, 'POST', '/v2/models/penguins/infer', body),
      400,
      'input "features": "shape" must be an array of non-negative integers',
      '"shape"[0] is an array of length 1',
    );
  });

  it('returns 400 for a shape with more dimensions than any tensor may have', async () => {
    const shape = JSON.stringify(new Array(MAX_TENSOR_RANK + 1).fill(1));
    expectError(
      await call(
        demo,
        'POST',
        '/v2/models/penguins/infer',
        penguinsBody(`{"name": "features", "shape": ${shape}, "datatype": "FP32", "data": [1]}`),
      ),
      400,
      `"shape" has ${MAX_TENSOR_RANK + 1} dimensions, but this server accepts at most ${MAX_TENSOR_RANK}`,
    );
  });

  it('returns 400 for data nested 100,000 deep', async () => {
    const body = penguinsBody(
      `{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": ${nested(100_000, '1')}}`,
    );
    expectError(await call(demo, 'POST', '/v2/models/penguins/infer', body), 400, 'input "features": data[0]');
  });

  it('returns 400 for data and shape 100,000 deep on an input of unknown rank', async () => {
    const shape = JSON.stringify(new Array(100_000).fill(1));
    const body = penguinsBody(`{"name": "x", "shape": ${shape}, "datatype": "FP32", "data": ${nested(100_000, '1')}}`);
    expectError(await call(fixtures, 'POST', '/v2/models/unknown_rank/infer', body), 400, 'input "x"');
  });

  it('returns 400 for v1 instances nested 100,000 deep', async () => {
    const body = `{"instances": ${nested(100_000, '1')}}`;
    expectError(
      await call(demo, 'POST', '/v1/models/penguins:predict', body),
      400,
      `"instances" nest deeper than ${MAX_TENSOR_RANK} levels`,
    );
  });

  it('returns 400 for parameters nested 100,000 deep', async () => {
    const body = `{"parameters": {"deep": ${nested(100_000, '')}}, "inputs": [${JSON.stringify(FEATURES)}]}`;
    expectError(
      await call(demo, 'POST', '/v2/models/penguins/infer', body),
      400,
      'the request: parameter "deep" must be a string, a number or a boolean',
    );
  });
});

describe('defect 4: BYTES elements reach the model unchanged, or are refused', () => {
  const infer = (body: string | object) => call(fixtures, 'POST', '/v2/models/strings/infer', body);
  const textInput = (data: unknown[]) => ({ name: 'text', shape: [data.length], datatype: 'BYTES', data });

  it('returns 400 for a JSON element with an embedded NUL, which ONNX Runtime would cut', async () => {
    expectError(
      await infer({ inputs: [textInput(['ok', 'a\u0000b'])] }),
      400,
      'input "text": data[1] holds a NUL character (U+0000) at character 1',
      'ONNX Runtime string tensors cannot carry',
    );
  });

  it.each([
    ['a lone high surrogate', '"\\ud800"', '\\ud800', 0],
    ['a lone low surrogate', '"x\\udc00"', '\\udc00', 1],
    ['a high surrogate before another high one', '"\\ud83d\\ud83d\\ude00"', '\\ud83d', 0],
  ])('returns 400 for a JSON element with %s, which has no UTF-8 form', async (_, element, code, at) => {
    expectError(
      await infer(`{"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["ok", ${element}]}]}`),
      400,
      `input "text": data[1] holds a lone UTF-16 surrogate (${code}) at character ${at}`,
    );
  });

  it('answers well-formed text exactly as sent: pairs, a leading U+FEFF, every plane', async () => {
    const data = ['😀 grinning', '\ufeffbom', 'héllo', '', '\u{10ffff}'];
    const answer = await infer({ inputs: [textInput(data)], outputs: [{ name: 'same' }] });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).outputs[0]).toEqual({ name: 'same', datatype: 'BYTES', shape: [5], data });
  });

  const binaryInfer = (elements: Buffer, count: number) => {
    const { body, headerLength } = binaryRequest(
      {
        inputs: [
          { name: 'text', shape: [count], datatype: 'BYTES', parameters: { binary_data_size: elements.byteLength } },
        ],
        outputs: [{ name: 'same', parameters: { binary_data: true } }],
      },
      [elements],
    );
    return call(fixtures, 'POST', '/v2/models/strings/infer', body, {
      'Content-Type': 'application/octet-stream',
      Accept: 'application/octet-stream',
      'Inference-Header-Content-Length': String(headerLength),
    });
  };

  /** One binary BYTES element of raw bytes. */
  const rawElement = (bytes: readonly number[]) => {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return Buffer.concat([length, Buffer.from(bytes)]);
  };

  it('returns 400 for a binary element with a NUL byte', async () => {
    expectError(
      await binaryInfer(Buffer.concat([bytesElements(['ok']), rawElement([0x61, 0x00, 0x62])]), 2),
      400,
      'input "text": BYTES element 1 holds a NUL byte at byte 1, which ONNX Runtime string tensors cannot carry',
    );
  });

  it('returns 400 for a binary element that is not UTF-8', async () => {
    expectError(
      await binaryInfer(Buffer.concat([bytesElements(['ok']), rawElement([0x61, 0xff])]), 2),
      400,
      'input "text": BYTES element 1 is not valid UTF-8',
    );
  });

  it('answers binary elements byte for byte, a leading EF BB BF included', async () => {
    const elements = [[0xef, 0xbb, 0xbf, 0x61], [0xf0, 0x9f, 0x98, 0x80], []];
    const sent = Buffer.concat(elements.map(rawElement));
    const answer = await binaryInfer(sent, elements.length);
    expect(answer.status).toBe(200);
    const body = Buffer.from(answer.body, 'base64');
    const { binary } = readBinaryResponse(body, Number(answer.headers['Inference-Header-Content-Length']));
    expect(binary.same).toEqual(sent);
  });

  // ONNX Runtime's Node.js binding decodes each output string as UTF-8 before the runtime sees it, so bytes a model
  // produces that are not UTF-8 arrive as U+FFFD already; the runtime cannot tell them from a real U+FFFD.
  it('answers a model output that is not UTF-8 with U+FFFD in place of each invalid byte', async () => {
    const answer = await infer({ inputs: [textInput(['x'])], outputs: [{ name: 'stored' }] });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).outputs[0].data).toEqual(['a\ufffd', 'b']);
  });
});

describe('defect 5: a model name or version that cannot exist is a 404 naming the rule', () => {
  it.each([
    ['/v2/models/..', '".."', '"." (character 0)'],
    ['/v2/models/.', '"."', '"." (character 0)'],
    ['/v2/models/%2e%2e', '"%2e%2e"', '"%" (character 0)'],
    ['/v2/models/%2E%2E/ready', '"%2E%2E"', '"%" (character 0)'],
    ['/v2/models/a%2Fb', '"a%2Fb"', '"%" (character 1)'],
    ['/v2/models/..%2F..%2Fv2', '"..%2F..%2Fv2"', '"." (character 0)'],
    ['/v2/models/Penguins', '"Penguins"', '"P" (character 0)'],
    ['/v2/models/_penguins', '"_penguins"', 'starting with a letter or digit, not "_" first'],
  ])('returns 404 for GET %s', async (path, name, rule) => {
    expectError(
      await call(demo, 'GET', path),
      404,
      `no model named ${name}: model names are lowercase letters, digits, "-" and "_", starting with a letter or digit`,
      rule,
    );
  });

  it.each([
    ['/v2/models/penguins/versions/..', '".."'],
    ['/v2/models/penguins/versions/%2e%2e/ready', '"%2e%2e"'],
    ['/v2/models/penguins/versions/0', '"0"'],
    ['/v2/models/penguins/versions/01', '"01"'],
  ])('returns 404 for GET %s', async (path, version) => {
    expectError(
      await call(demo, 'GET', path),
      404,
      `model "penguins" has no version ${version}: versions are positive integers without leading zeros`,
    );
  });

  it('returns 404 for POST /v2/models/../infer, not a 405 or the server metadata', async () => {
    expectError(
      await call(demo, 'POST', '/v2/models/../infer', JSON.stringify({ inputs: [FEATURES] })),
      404,
      'no model named ".."',
    );
  });
});

describe('defect 6: a body that is not a JSON object says what the body must be', () => {
  it.each(['NaN', '[]', '"x"', '1', 'null', 'true', '[{"inputs": []}]'])(
    'returns 400 for the infer body %s',
    async (body) => {
      expectError(
        await call(demo, 'POST', '/v2/models/penguins/infer', body),
        400,
        'the body must be a JSON object with an "inputs" array',
      );
    },
  );

  it('returns 400 for a binary JSON header that is not an object', async () => {
    const header = '[1]';
    expectError(
      await call(demo, 'POST', '/v2/models/penguins/infer', Buffer.from(header), {
        'Content-Type': 'application/octet-stream',
        'Inference-Header-Content-Length': String(header.length),
      }),
      400,
      'the body must be a JSON object with an "inputs" array',
    );
  });

  it.each(['NaN', '[]', '"x"', '1', 'null', '{}', '{"inputs": [[1, 2, 3, 4]]}'])(
    'returns 400 for the :predict body %s',
    async (body) => {
      expectError(
        await call(demo, 'POST', '/v1/models/penguins:predict', body),
        400,
        'the body must be a JSON object with an "instances" array',
      );
    },
  );

  it('returns 400 for an empty body, saying what it must be', async () => {
    expectError(
      await call(demo, 'POST', '/v2/models/penguins/infer', ''),
      400,
      'the request has no body; the body must be a JSON object with an "inputs" array',
    );
  });
});

describe('defect 7: fields of the wrong type are refused by name', () => {
  const infer = (fields: Record<string, unknown>, input: Record<string, unknown> = {}) =>
    call(demo, 'POST', '/v2/models/penguins/infer', { inputs: [{ ...FEATURES, ...input }], ...fields });

  it.each<[string, Record<string, unknown>, string]>([
    ['a numeric id', { id: 42 }, '"id" must be a string when present, got number 42'],
    ['a null id', { id: null }, '"id" must be a string when present, got null'],
    ['an object id', { id: { x: 1 } }, '"id" must be a string when present, got an object'],
    ['parameters that are an array', { parameters: [] }, 'the request: "parameters" must be an object'],
    ['parameters that are a string', { parameters: 'x' }, 'the request: "parameters" must be an object'],
    [
      'a parameter that is an array',
      { parameters: { a: [1] } },
      'the request: parameter "a" must be a string, a number or a boolean',
    ],
    [
      'a parameter that is an object',
      { parameters: { a: {} } },
      'parameter "a" must be a string, a number or a boolean, got an object',
    ],
    [
      'a parameter that is null',
      { parameters: { a: null } },
      'parameter "a" must be a string, a number or a boolean, got null',
    ],
    [
      'binary_data_output that is a string',
      { parameters: { binary_data_output: 'yes' } },
      '"binary_data_output" must be true or false',
    ],
    ['"outputs" that is an object', { outputs: { name: 'label' } }, '"outputs" must be an array'],
    ['an output that is a string', { outputs: ['label'] }, 'outputs[0] must be an object with a string "name"'],
    ['an output with a numeric name', { outputs: [{ name: 5 }] }, 'outputs[0] must have a string "name", got number 5'],
    [
      'output parameters that are an array',
      { outputs: [{ name: 'label', parameters: [] }] },
      'output "label": "parameters" must be an object',
    ],
    [
      'an output parameter that is null',
      { outputs: [{ name: 'label', parameters: { x: null } }] },
      'output "label": parameter "x" must be',
    ],
    [
      'binary_data that is a number',
      { outputs: [{ name: 'label', parameters: { binary_data: 1 } }] },
      'output "label": "binary_data" must be true or false',
    ],
  ])('returns 400 for %s', async (_, fields, message) => {
    expectError(await infer(fields), 400, message);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['input parameters that are an array', { parameters: [] }, 'input "features": "parameters" must be an object'],
    [
      'an input parameter that is an array',
      { parameters: { a: [1] } },
      'input "features": parameter "a" must be a string, a number or a boolean',
    ],
    [
      'binary_data_size that is a string',
      { parameters: { binary_data_size: '16' } },
      'input "features": "binary_data_size" must be',
    ],
    [
      'binary_data_size that is negative',
      { parameters: { binary_data_size: -1 } },
      'a non-negative integer, got number -1',
    ],
    [
      'binary_data_size that is a fraction',
      { parameters: { binary_data_size: 1.5 } },
      'a non-negative integer, got number 1.5',
    ],
    ['a name that is a number', { name: 7 }, 'inputs[0] must have a string "name", got number 7'],
    ['a datatype that is a number', { datatype: 32 }, 'input "features": "datatype" must be one of'],
  ])('returns 400 for %s', async (_, input, message) => {
    expectError(await infer({}, input), 400, message);
  });

  it('answers 200 for parameters of every protocol type, which it accepts and ignores', async () => {
    const answer = await infer(
      {
        id: 'r1',
        parameters: { s: 'x', n: 1.5, b: true },
        outputs: [{ name: 'label', parameters: { binary_data: false, k: 3 } }],
      },
      { parameters: { note: 'x' } },
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ id: 'r1', outputs: [{ name: 'label', data: ['Adelie'] }] });
  });
});

describe('defect 12: errors quote at most a short prefix of what the client sent', () => {
  const MB5 = 5 * 1024 * 1024;
  const infer = (input: Record<string, unknown>, fields: Record<string, unknown> = {}) =>
    call(demo, 'POST', '/v2/models/penguins/infer', { inputs: [{ ...FEATURES, ...input }], ...fields });

  it('returns a short 400 for a 5 MB input name', async () => {
    expectError(
      await infer({ name: 'x'.repeat(MB5) }),
      400,
      `unknown input "${'x'.repeat(64)}..." (${MB5} characters)`,
      'model "penguins" expects "features"',
    );
  });

  it('returns a short 400 for a 100,000-element shape', async () => {
    expectError(await infer({ shape: new Array(100_000).fill(1) }), 400, '"shape" has 100000 dimensions');
  });

  it('returns a short 400 for a 100,000-element shape of negative dimensions', async () => {
    expectError(await infer({ shape: new Array(100_000).fill(-1) }), 400, '"shape" has 100000 dimensions');
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ['a 5 MB datatype', { datatype: 'F'.repeat(MB5) }, {}, `got the string "${'F'.repeat(64)}..." (${MB5} characters)`],
    ['a 5 MB string element', { data: ['9'.repeat(MB5), 1, 2, 3] }, {}, `data[0] must be a number`],
    ['a 5 MB output name', {}, { outputs: [{ name: 'o'.repeat(MB5) }] }, `unknown output "${'o'.repeat(64)}..."`],
    [
      'a 5 MB parameter name',
      {},
      { parameters: { ['p'.repeat(MB5)]: [] } },
      `parameter "${'p'.repeat(64)}..." (${MB5} characters)`,
    ],
    ['a 5 MB id', {}, { id: ['i'.repeat(MB5)] }, '"id" must be a string when present, got an array of length 1'],
  ])('returns a short 400 for %s', async (_, input, fields, message) => {
    expectError(await infer(input, fields), 400, message);
  });

  it('returns a short 404 for an unknown model name of 100,000 characters', async () => {
    const name = 'a'.repeat(100_000);
    expectError(
      await call(demo, 'GET', `/v2/models/${name}`),
      404,
      `unknown model "${'a'.repeat(64)}..." (100000 characters)`,
      'penguins',
    );
  });

  it('returns a short 404 for an impossible model name of 100,000 characters', async () => {
    expectError(
      await call(demo, 'GET', `/v2/models/${'A'.repeat(100_000)}/ready`),
      404,
      '(100000 characters)',
      '"A" (character 0)',
    );
  });

  it('returns a short 404 for a version of 100,000 digits', async () => {
    expectError(
      await call(demo, 'GET', `/v2/models/penguins/versions/${'9'.repeat(100_000)}`),
      404,
      `has no version ${'9'.repeat(64)}... (100000 characters)`,
    );
  });

  it('returns a short 404 for a path of 100,000 characters', async () => {
    expectError(await call(demo, 'GET', `/v3/${'z'.repeat(100_000)}`), 404, 'no such path', '(100004 characters)');
  });

  it('returns a short 405 for a wrong verb on a long model path', async () => {
    expectError(
      await call(demo, 'GET', `/v2/models/${'b'.repeat(100_000)}/infer`),
      405,
      'GET is not allowed on',
      'use POST',
    );
  });

  it('returns a short 400 for a 100 KB Inference-Header-Content-Length', async () => {
    expectError(
      await call(demo, 'POST', '/v2/models/penguins/infer', Buffer.from('{}'), {
        'Content-Type': 'application/octet-stream',
        'Inference-Header-Content-Length': 'x'.repeat(100_000),
      }),
      400,
      'Inference-Header-Content-Length must be',
      '(100000 characters)',
    );
  });

  it('returns a short 400 for a 100 KB Accept header with binary outputs', async () => {
    expectError(
      await call(
        demo,
        'POST',
        '/v2/models/penguins/infer',
        { inputs: [FEATURES], parameters: { binary_data_output: true } },
        { Accept: 't'.repeat(100_000) },
      ),
      400,
      'the Accept header is',
      '(100000 characters)',
    );
  });
});
