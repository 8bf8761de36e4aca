import * as path from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { logger } from '../../lambda/observability';
import { batchTensor, DataType, encodeModel, ONNX_OPSET } from '../../scripts/train/onnx-graph';
import { allDatatypesModel, ELEMENT_TYPES, failsAtRuntimeModel, writeRepository } from '../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS } from '../support/demo-models';
import { onnxBackendsOf } from '../support/model-backends';

const demoRegistry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
const demo = createApiGatewayHandler(demoRegistry);
const fixtureRepository = writeRepository({
  'all_datatypes/1': allDatatypesModel(),
  'fails_at_runtime/1': failsAtRuntimeModel(),
});
const fixtureRegistry = new ModelRegistry(onnxBackendsOf(fixtureRepository));
const fixtures = createApiGatewayHandler(fixtureRegistry);
afterAll(() => Promise.all([demoRegistry.release(), fixtureRegistry.release()]));

type Handler = typeof demo;

async function call(handler: Handler, method: string, urlPath: string, body?: object | string, base64 = false) {
  const result: APIGatewayProxyResult = await handler(
    apiGatewayEvent({ method, path: urlPath, body, base64 }),
    lambdaContext,
  );
  return { status: result.statusCode, headers: result.headers ?? {}, json: JSON.parse(result.body) };
}

const PENGUIN_ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
  [49.3, 19.9, 203, 4050],
];

describe('health and metadata', () => {
  it('answers live, ready and the server metadata', async () => {
    expect(await call(demo, 'GET', '/v2/health/live')).toMatchObject({ status: 200, json: { live: true } });
    expect(await call(demo, 'GET', '/v2/health/ready')).toMatchObject({ status: 200, json: { ready: true } });
    expect(await call(demo, 'GET', '/v2')).toMatchObject({
      status: 200,
      json: { name: 'model-endpoint', version: expect.any(String), extensions: expect.any(Array) },
    });
  });

  it.each([
    ['/v2/models/penguins', 'penguins', [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]],
    ['/v2/models/penguins/versions/1', 'penguins', [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]],
    ['/v2/models/mnist', 'mnist', [{ name: 'pixels', datatype: 'FP32', shape: [-1, 784] }]],
  ])('describes %s from the ONNX session', async (urlPath, name, inputs) => {
    const { status, json } = await call(demo, 'GET', urlPath);
    expect(status).toBe(200);
    expect(json).toMatchObject({ name, versions: ['1'], platform: 'onnxruntime_onnx', inputs });
  });

  it('reports a loaded model version as ready', async () => {
    expect(await call(demo, 'GET', '/v2/models/mnist/versions/1/ready')).toMatchObject({
      status: 200,
      json: { name: 'mnist', ready: true },
    });
  });
});

describe('inference on the demo models', () => {
  let penguins: InferenceSession;
  beforeAll(async () => {
    penguins = await InferenceSession.create(path.join(DEMO_MODELS, 'penguins', '1', 'model.onnx'));
  });
  afterAll(() => penguins.release());

  it('answers penguins exactly as ONNX Runtime does, echoing the id', async () => {
    const direct = await penguins.run({
      features: new OrtTensor('float32', Float32Array.from(PENGUIN_ROWS.flat()), [PENGUIN_ROWS.length, 4]),
    });
    const { status, json } = await call(demo, 'POST', '/v2/models/penguins/infer', {
      id: 'request-42',
      inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', data: PENGUIN_ROWS }],
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      model_name: 'penguins',
      model_version: '1',
      id: 'request-42',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [3], data: Array.from(direct.label.data as string[]) },
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [3, 3],
          data: Array.from(direct.probabilities.data as Float32Array),
        },
      ],
    });
    expect(json.outputs[0].data).toEqual(['Adelie', 'Gentoo', 'Chinstrap']);
  });

  it('returns only the requested outputs', async () => {
    const { json } = await call(demo, 'POST', '/v2/models/penguins/versions/1/infer', {
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: PENGUIN_ROWS[0] }],
      outputs: [{ name: 'label' }],
    });
    expect(json.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [1], data: ['Adelie'] }]);
  });

  it('decodes a base64-encoded body as API Gateway sends binary media types', async () => {
    const { status, json } = await call(
      demo,
      'POST',
      '/v2/models/penguins/infer',
      { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: PENGUIN_ROWS[1] }] },
      true,
    );
    expect(status).toBe(200);
    expect(json.outputs[0].data).toEqual(['Gentoo']);
  });

  it('classifies a batch of 8 MNIST digits with one label and 10 probabilities each', async () => {
    const pixels = Array.from({ length: 8 * 784 }, (_, index) => ((index * 7919) % 255) / 255);
    const { status, json } = await call(demo, 'POST', '/v2/models/mnist/infer', {
      inputs: [{ name: 'pixels', shape: [8, 784], datatype: 'FP32', data: pixels }],
    });
    expect(status).toBe(200);
    const byName = Object.fromEntries(json.outputs.map((output: { name: string }) => [output.name, output]));
    expect(byName.label).toMatchObject({ datatype: 'INT64', shape: [8] });
    expect(byName.probabilities).toMatchObject({ datatype: 'FP32', shape: [8, 10] });
  });

  it('answers the v1 predict convenience with one prediction per instance', async () => {
    const { status, json } = await call(demo, 'POST', '/v1/models/penguins:predict', { instances: PENGUIN_ROWS });
    expect(status).toBe(200);
    expect(json.predictions.map((prediction: { label: string }) => prediction.label)).toEqual([
      'Adelie',
      'Gentoo',
      'Chinstrap',
    ]);
  });
});

describe('any model with standard tensor types', () => {
  const samples: Record<string, unknown[]> = {
    BOOL: [true, false, false, true],
    UINT8: [0, 1, 254, 255],
    UINT16: [0, 1, 65534, 65535],
    UINT32: [0, 1, 4294967294, 4294967295],
    UINT64: [0, 1, 9007199254740991, '18446744073709551615'],
    INT8: [-128, -1, 0, 127],
    INT16: [-32768, -1, 0, 32767],
    INT32: [-2147483648, -1, 0, 2147483647],
    INT64: [-9007199254740991, 0, 1, '-9223372036854775808'],
    FP16: [0, -2, 0.5, 65504],
    FP32: [0, -1.5, 3.25, 2 ** 100],
    FP64: [0, -1.5, Math.PI, 1e300],
    BYTES: ['', 'a', 'héllo', '日本'],
  };

  it.each(ELEMENT_TYPES.map(([datatype]) => datatype))(
    'round-trips %s through ONNX Runtime unchanged',
    async (datatype) => {
      const { status, json } = await call(fixtures, 'POST', '/v2/models/all_datatypes/infer', {
        inputs: [
          ...ELEMENT_TYPES.map(([type]) => ({ name: `x_${type}`, shape: [2, 2], datatype: type, data: samples[type] })),
          { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
          { name: 'b', shape: [2, 3], datatype: 'FP32', data: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] },
        ],
        outputs: [{ name: `y_${datatype}` }, { name: 'sum' }],
      });
      expect(status).toBe(200);
      expect(json.outputs).toEqual([
        { name: `y_${datatype}`, datatype, shape: [2, 2], data: samples[datatype] },
        { name: 'sum', datatype: 'FP32', shape: [2, 3], data: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5] },
      ]);
    },
  );

  it('reports fixed and dynamic dims from the session, -1 for dynamic', async () => {
    const { json } = await call(fixtures, 'GET', '/v2/models/all_datatypes');
    expect(json.inputs).toContainEqual({ name: 'x_INT64', datatype: 'INT64', shape: [-1, 2] });
    expect(json.inputs).toContainEqual({ name: 'a', datatype: 'FP32', shape: [2, 3] });
  });
});

describe('errors', () => {
  const penguinsInput = (data: unknown, shape = [1, 4], datatype = 'FP32', name = 'features') => ({
    inputs: [{ name, shape, datatype, data }],
  });

  it.each([
    ['malformed JSON', 'POST', '/v2/models/penguins/infer', '{"inputs": [', 400, /not valid JSON/],
    ['no body', 'POST', '/v2/models/penguins/infer', undefined, 400, /no body/],
    [
      'a wrong input name',
      'POST',
      '/v2/models/penguins/infer',
      penguinsInput([1, 2, 3, 4], [1, 4], 'FP32', 'x'),
      400,
      /unknown input "x".*features/,
    ],
    [
      'a wrong datatype',
      'POST',
      '/v2/models/penguins/infer',
      penguinsInput([1, 2, 3, 4], [1, 4], 'FP64'),
      400,
      /FP64.*FP32|FP32.*FP64/,
    ],
    [
      'a shape that does not match the data',
      'POST',
      '/v2/models/penguins/infer',
      penguinsInput([1, 2, 3]),
      400,
      /features/,
    ],
    ['a wrong feature count', 'POST', '/v2/models/penguins/infer', penguinsInput([1, 2, 3], [1, 3]), 400, /features/],
    ['an unknown model', 'GET', '/v2/models/nope', undefined, 404, /unknown model "nope".*penguins/],
    ['an unknown version', 'GET', '/v2/models/penguins/versions/7', undefined, 404, /no version 7.*1/],
    ['an unknown path', 'GET', '/v3/anything', undefined, 404, /.+/],
  ])('returns 4xx for %s', async (_case, method, urlPath, body, status, message) => {
    const response = await call(demo, method, urlPath, body);
    expect(response.status).toBe(status);
    expect(Object.keys(response.json)).toEqual(['error']);
    expect(response.json.error).toMatch(message);
  });

  it.each([
    [
      'strings',
      ['39.1', '18.7', '181', '3750'],
      /input "features": data\[0\] must be a number .* for FP32, got the string "39\.1"/,
    ],
    [
      'a word in nested data',
      [[39.1, 18.7, 'big', 3750]],
      /input "features": data\[0\]\[2\] .* for FP32, got the string "big"/,
    ],
    ['null', [39.1, null, 181, 3750], /data\[1\] .* for FP32, got null/],
  ])('returns 400, not 500, for %s sent to an FP32 input, and logs no error', async (_case, data, message) => {
    const logged = jest.spyOn(logger, 'error');
    const response = await call(demo, 'POST', '/v2/models/penguins/infer', penguinsInput(data));
    expect(response.status).toBe(400);
    expect(response.json.error).toMatch(message);
    expect(logged).not.toHaveBeenCalled();
    logged.mockRestore();
  });

  it('returns 405 with the allowed verbs for a wrong verb', async () => {
    const response = await call(demo, 'GET', '/v2/models/penguins/infer');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.json.error).toMatch(/POST/);
  });

  it('returns a generic 500 without internals when ONNX Runtime fails, and logs the cause', async () => {
    const logged = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    const response = await call(fixtures, 'POST', '/v2/models/fails_at_runtime/infer', {
      inputs: [{ name: 'x', shape: [3], datatype: 'FP32', data: [1, 2, 3] }],
    });
    expect(response.status).toBe(500);
    expect(response.json).toEqual({ error: expect.stringContaining(lambdaContext.awsRequestId) });
    expect(response.json.error).not.toMatch(/reshape|onnx|\.ts|at /i);
    expect(logged).toHaveBeenCalledWith(
      'request failed',
      expect.objectContaining({
        path: '/v2/models/fails_at_runtime/infer',
        error: expect.objectContaining({ message: expect.stringMatching(/Reshape/) }),
      }),
    );
    logged.mockRestore();
  });

  it('still serves after errors', async () => {
    const { status } = await call(demo, 'POST', '/v2/models/penguins/infer', penguinsInput(PENGUIN_ROWS[2]));
    expect(status).toBe(200);
  });
});

describe('hostile HTTP input, as API Gateway passes it', () => {
  /** An event as the Lambda runtime hands it over: parsed from JSON, so "__proto__" is an own key like any other. */
  const parsedEvent = (method: string, path: string, extra: string) => {
    const event = apiGatewayEvent({ method, path });
    return JSON.parse(JSON.stringify(event).replace(/^\{/, `{${extra}`).replace('"headers":{', `"headers":{${extra}`));
  };

  it.each(['"__proto__":"x",', '"toString":"x","constructor":"y","hasOwnProperty":"z",'])(
    'answers a request with headers %s as any other',
    async (headers) => {
      const event = parsedEvent('GET', '/v2/models/penguins', headers);
      event.queryStringParameters = JSON.parse(`{${headers.slice(0, -1)}}`);
      const result = await demo(event, lambdaContext);
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ name: 'penguins' });
    },
  );

  it('answers HEAD as GET wherever GET is, and allows HEAD there', async () => {
    expect(await call(demo, 'HEAD', '/v2/models/penguins')).toMatchObject({ status: 200, json: { name: 'penguins' } });
    const post = await call(demo, 'POST', '/v2/models/penguins');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
    const head = await call(demo, 'HEAD', '/v2/models/penguins/infer');
    expect([head.status, head.headers.allow, head.json.error]).toEqual([405, 'POST', expect.stringMatching(/^HEAD /)]);
  });

  it("returns 400 for an answer over Lambda's 6 MB response limit, saying how to get a smaller one", async () => {
    // 400,000 FP32 values: a 1.6 MB request whose JSON answer (0.10000000149011612 each) is about 8 MB.
    const count = 400_000;
    const registry = new ModelRegistry(onnxBackendsOf(writeRepository({ 'identity/1': identityModel() })));
    const warned = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const response = await call(createApiGatewayHandler(registry), 'POST', '/v2/models/identity/infer', {
        inputs: [{ name: 'x', shape: [count], datatype: 'FP32', data: new Array(count).fill(0.1) }],
      });
      expect(response.status).toBe(400);
      expect(response.json.error).toMatch(
        /^the answer is \d{7} bytes as a Lambda response, over the 6291556 bytes Lambda can return; send a smaller batch or ask for fewer outputs .* or ask \/infer for binary outputs \("parameters": \{"binary_data_output": true\} with Accept: application\/octet-stream\)/,
      );
      expect(warned).toHaveBeenCalledWith(
        'answer over the lambda response limit',
        expect.objectContaining({ bytes: expect.any(Number) }),
      );
    } finally {
      warned.mockRestore();
      await registry.release();
    }
  });
});

/** FP32 in, the same FP32 out: an answer in JSON numbers about five times the size of the request's. */
function identityModel(): Uint8Array {
  return encodeModel({
    name: 'identity',
    docString: 'test fixture: FP32 identity',
    opsets: [ONNX_OPSET],
    nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
    inputs: [batchTensor('x', DataType.FLOAT)],
    outputs: [batchTensor('y', DataType.FLOAT)],
  });
}
