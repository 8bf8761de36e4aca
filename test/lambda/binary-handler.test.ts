import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { allDatatypesModel, ELEMENT_TYPES, writeRepository } from '../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { binaryRequest, bytesElements, rawBytes, readBinaryResponse } from '../support/binary-tensor-data';
import { DEMO_MODELS } from '../support/demo-models';
import { onnxBackendsOf } from '../support/model-backends';

// The binary tensor data extension through the real API Gateway handler, real events and real ONNX Runtime models.
const demoRegistry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
const fixtureRegistry = new ModelRegistry(onnxBackendsOf(writeRepository({ 'all_datatypes/1': allDatatypesModel() })));
const demo = createApiGatewayHandler(demoRegistry);
const fixtures = createApiGatewayHandler(fixtureRegistry);
afterAll(() => Promise.all([demoRegistry.release(), fixtureRegistry.release()]));
type Handler = typeof demo;

/** What a client must send to receive binary outputs as bytes through API Gateway. */
const ACCEPT_BINARY = { Accept: 'application/octet-stream' };

/** Sends a binary body as API Gateway delivers a binary media type: base64, isBase64Encoded. */
async function callBinary(handler: Handler, urlPath: string, header: object, chunks: Uint8Array[], padding = 0) {
  const { body, headerLength } = binaryRequest(header, chunks, padding);
  return send(handler, urlPath, body, { 'Inference-Header-Content-Length': String(headerLength), ...ACCEPT_BINARY });
}

/** `Accept: null` sends no Accept header at all. */
async function send(
  handler: Handler,
  urlPath: string,
  body: Buffer | object,
  headers: Record<string, string> | { Accept: null },
) {
  const { Accept: accept, ...others } = headers;
  const event = apiGatewayEvent({
    method: 'POST',
    path: urlPath,
    body,
    base64: Buffer.isBuffer(body),
    headers: {
      ...(Buffer.isBuffer(body) && { 'Content-Type': 'application/octet-stream' }),
      ...(typeof accept === 'string' && { Accept: accept }),
      ...(others as Record<string, string>),
    },
  });
  if (accept === null) delete event.headers.Accept;
  const result = await handler(event, lambdaContext);
  const raw = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode, headers: result.headers ?? {}, isBase64Encoded: result.isBase64Encoded, raw };
}

function json(raw: Buffer): { outputs: { name: string; data?: unknown[] }[]; [key: string]: unknown } {
  return JSON.parse(raw.toString('utf8'));
}

const PENGUIN_ROWS = new Float32Array([39.1, 18.7, 181, 3750, 46.5, 13.5, 210, 4550, 49.3, 19.9, 203, 4050]);
const PIXELS = Float32Array.from({ length: 4 * 784 }, (_, index) => ((index * 7919) % 255) / 255);

describe('binary inputs', () => {
  it('answers a binary penguins request exactly as the same request in JSON', async () => {
    const binary = await callBinary(
      demo,
      '/v2/models/penguins/infer',
      {
        id: 'b-1',
        inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', parameters: { binary_data_size: 48 } }],
      },
      [rawBytes(PENGUIN_ROWS)],
    );
    const viaJson = await send(
      demo,
      '/v2/models/penguins/infer',
      { id: 'b-1', inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', data: [...PENGUIN_ROWS] }] },
      {},
    );
    expect(binary.status).toBe(200);
    expect(binary.headers['content-type']).toBe('application/json');
    expect(json(binary.raw)).toEqual(json(viaJson.raw));
    expect(json(binary.raw).outputs[0]?.data).toEqual(['Adelie', 'Gentoo', 'Chinstrap']);
  });

  it.each([0, 1, 2, 3])(
    'decodes the binary data wherever the JSON header ends (header padded by %d bytes)',
    async (padding) => {
      const { status, raw } = await callBinary(
        demo,
        '/v2/models/mnist/infer',
        {
          inputs: [
            { name: 'pixels', shape: [4, 784], datatype: 'FP32', parameters: { binary_data_size: 4 * 784 * 4 } },
          ],
          outputs: [{ name: 'label' }],
        },
        [rawBytes(PIXELS)],
        padding,
      );
      const viaJson = await send(
        demo,
        '/v2/models/mnist/infer',
        {
          inputs: [{ name: 'pixels', shape: [4, 784], datatype: 'FP32', data: [...PIXELS] }],
          outputs: [{ name: 'label' }],
        },
        {},
      );
      expect(status).toBe(200);
      expect(json(raw)).toEqual(json(viaJson.raw));
    },
  );

  it('reads the header name in any case, as API Gateway passes headers as sent', async () => {
    const { body, headerLength } = binaryRequest(
      { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
      [rawBytes(PENGUIN_ROWS.subarray(0, 4))],
    );
    const { status, raw } = await send(demo, '/v2/models/penguins/infer', body, {
      'INFERENCE-HEADER-CONTENT-LENGTH': String(headerLength),
    });
    expect(status).toBe(200);
    expect(json(raw).outputs[0]?.data).toEqual(['Adelie']);
  });
});

describe('binary outputs', () => {
  it('returns mnist outputs as binary data that decode to the JSON answer, with the binary headers', async () => {
    const header = {
      inputs: [{ name: 'pixels', shape: [4, 784], datatype: 'FP32', parameters: { binary_data_size: 4 * 784 * 4 } }],
      parameters: { binary_data_output: true },
    };
    const response = await callBinary(demo, '/v2/models/mnist/infer', header, [rawBytes(PIXELS)]);
    expect(response.status).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    const headerLength = Number(response.headers['Inference-Header-Content-Length']);
    const { json: head, binary } = readBinaryResponse(response.raw, headerLength);

    const viaJson = json(
      (
        await send(
          demo,
          '/v2/models/mnist/infer',
          { inputs: [{ name: 'pixels', shape: [4, 784], datatype: 'FP32', data: [...PIXELS] }] },
          {},
        )
      ).raw,
    );
    const jsonData = (name: string) => viaJson.outputs.find((output) => output.name === name)?.data;
    expect(head.outputs.map((output) => [output.name, output.parameters])).toEqual(
      expect.arrayContaining([
        ['label', { binary_data_size: 4 * 8 }],
        ['probabilities', { binary_data_size: 4 * 10 * 4 }],
      ]),
    );
    const label = binary.label ?? Buffer.alloc(0);
    const probabilities = binary.probabilities ?? Buffer.alloc(0);
    expect([...new BigInt64Array(Uint8Array.from(label).buffer)].map(Number)).toEqual(jsonData('label'));
    expect([...new Float32Array(Uint8Array.from(probabilities).buffer)]).toEqual(jsonData('probabilities'));
  });

  it('answers binary outputs to a JSON-only request that asks for them, as Triton does', async () => {
    const response = await send(
      demo,
      '/v2/models/penguins/infer',
      {
        inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [...PENGUIN_ROWS.subarray(0, 4)] }],
        outputs: [{ name: 'label', parameters: { binary_data: true } }, { name: 'probabilities' }],
      },
      ACCEPT_BINARY,
    );
    const { json: head, binary } = readBinaryResponse(
      response.raw,
      Number(response.headers['Inference-Header-Content-Length']),
    );
    expect(head.outputs[0]).toEqual({
      name: 'label',
      datatype: 'BYTES',
      shape: [1],
      parameters: { binary_data_size: 10 },
    });
    expect(binary.label).toEqual(bytesElements(['Adelie']));
    expect(head.outputs[1]?.data).toHaveLength(3);
  });
});

describe('binary outputs and the Accept header', () => {
  // API Gateway turns a binary answer into bytes only when the first media type of Accept is a binary media type;
  // otherwise the client receives base64 text. The handler refuses such requests instead of answering unreadably.
  const asksForBinary = {
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [...PENGUIN_ROWS.subarray(0, 4)] }],
    outputs: [{ name: 'label', parameters: { binary_data: true } }],
  };
  const asksForAllBinary = {
    inputs: asksForBinary.inputs,
    parameters: { binary_data_output: true },
  };

  it.each<[string, object, Record<string, string> | { Accept: null }]>([
    ['a binary_data output with Accept */*', asksForBinary, { Accept: '*/*' }],
    ["binary_data_output without an Accept header (tritonclient's default)", asksForAllBinary, { Accept: null }],
    ['Accept application/json', asksForBinary, { Accept: 'application/json' }],
    [
      'application/octet-stream not first in Accept',
      asksForBinary,
      { Accept: 'application/json, application/octet-stream' },
    ],
  ])('returns 400 naming the header to send for %s', async (_case, body, headers) => {
    const response = await send(demo, '/v2/models/penguins/infer', body, headers);
    expect(response.status).toBe(400);
    expect(response.isBase64Encoded).toBeFalsy();
    expect(json(response.raw).error).toMatch(
      /requested as binary data, but the Accept header is .*send "Accept: application\/octet-stream"/,
    );
  });

  it.each([
    'application/octet-stream',
    'Application/Octet-Stream',
    'application/octet-stream, application/json',
    'application/octet-stream;q=1.0',
  ])('answers binary outputs as bytes with Accept %s', async (accept) => {
    const response = await send(demo, '/v2/models/penguins/infer', asksForBinary, { Accept: accept });
    expect(response.status).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers JSON outputs whatever the Accept header', async () => {
    const { outputs: _binary, ...jsonOnly } = asksForBinary;
    for (const headers of [{ Accept: '*/*' }, { Accept: null }, { Accept: 'text/html' }] as const) {
      const response = await send(demo, '/v2/models/penguins/infer', jsonOnly, headers);
      expect([response.status, response.headers['content-type']]).toEqual([200, 'application/json']);
    }
  });
});

describe('every datatype through ONNX Runtime', () => {
  // Identity per datatype: each binary input must come back byte for byte as its binary output.
  const samples: Record<string, Buffer> = {
    BOOL: Buffer.from([1, 0, 0, 1]),
    UINT8: rawBytes(new Uint8Array([0, 1, 254, 255])),
    UINT16: rawBytes(new Uint16Array([0, 1, 65534, 65535])),
    UINT32: rawBytes(new Uint32Array([0, 1, 4294967294, 4294967295])),
    UINT64: rawBytes(new BigUint64Array([0n, 1n, 2n ** 63n, 2n ** 64n - 1n])),
    INT8: rawBytes(new Int8Array([-128, -1, 0, 127])),
    INT16: rawBytes(new Int16Array([-32768, -1, 0, 32767])),
    INT32: rawBytes(new Int32Array([-2147483648, -1, 0, 2147483647])),
    INT64: rawBytes(new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n])),
    FP16: rawBytes(new Uint16Array([0x0000, 0x3c00, 0xc000, 0x7bff])),
    FP32: rawBytes(new Float32Array([0, -1.5, 3.25, 2 ** 100])),
    FP64: rawBytes(new Float64Array([0, -1.5, Math.PI, 1e300])),
    BYTES: bytesElements(['', 'a', 'héllo', '日本']),
  };
  const datatypes = ELEMENT_TYPES.map(([datatype]) => datatype);

  it.each([0, 1])(
    'round-trips every datatype as binary input and output byte for byte (header padded by %d)',
    async (padding) => {
      const inputs = datatypes.map((datatype) => ({
        name: `x_${datatype}`,
        shape: [2, 2],
        datatype,
        parameters: { binary_data_size: samples[datatype]?.byteLength },
      }));
      const response = await callBinary(
        fixtures,
        '/v2/models/all_datatypes/infer',
        {
          inputs: [
            ...inputs,
            { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
            { name: 'b', shape: [2, 3], datatype: 'FP32', parameters: { binary_data_size: 24 } },
          ],
          parameters: { binary_data_output: true },
          outputs: [
            ...datatypes.map((datatype) => ({ name: `y_${datatype}` })),
            { name: 'sum', parameters: { binary_data: false } },
          ],
        },
        [...datatypes.map((datatype) => samples[datatype] ?? Buffer.alloc(0)), rawBytes(new Float32Array(6).fill(0.5))],
        padding,
      );
      expect(response.status).toBe(200);
      const { json: head, binary } = readBinaryResponse(
        response.raw,
        Number(response.headers['Inference-Header-Content-Length']),
      );
      for (const datatype of datatypes)
        expect([datatype, binary[`y_${datatype}`]]).toEqual([datatype, samples[datatype]]);
      expect(head.outputs.find((output) => output.name === 'sum')?.data).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    },
  );

  it('answers binary inputs of every datatype with the JSON values a JSON request gets', async () => {
    const jsonBody = {
      inputs: [
        ...datatypes.map((datatype) => ({
          name: `x_${datatype}`,
          shape: [2, 2],
          datatype,
          parameters: { binary_data_size: samples[datatype]?.byteLength },
        })),
        { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
        { name: 'b', shape: [2, 3], datatype: 'FP32', data: [0, 0, 0, 0, 0, 0] },
      ],
    };
    const chunks = datatypes.map((datatype) => samples[datatype] ?? Buffer.alloc(0));
    const { raw } = await callBinary(fixtures, '/v2/models/all_datatypes/infer', jsonBody, chunks);
    const outputs = json(raw).outputs;
    expect(outputs.find((output) => output.name === 'y_BOOL')?.data).toEqual([true, false, false, true]);
    expect(outputs.find((output) => output.name === 'y_FP16')?.data).toEqual([0, 1, -2, 65504]);
    expect(outputs.find((output) => output.name === 'y_UINT64')?.data).toEqual([
      0,
      1,
      '9223372036854775808',
      '18446744073709551615',
    ]);
    expect(outputs.find((output) => output.name === 'y_BYTES')?.data).toEqual(['', 'a', 'héllo', '日本']);
  });
});

describe('binary errors', () => {
  const features = (size: number) => ({
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: size } }],
  });

  it.each<[string, () => ReturnType<typeof send>, RegExp]>([
    [
      'a header length beyond the body',
      () =>
        send(demo, '/v2/models/penguins/infer', Buffer.from('{"inputs":[]}'), {
          'Inference-Header-Content-Length': '500',
        }),
      /Inference-Header-Content-Length is 500, but the body has only 13 bytes/,
    ],
    [
      'a binary_data_size that does not fit the shape',
      () => callBinary(demo, '/v2/models/penguins/infer', features(12), [Buffer.alloc(12)]),
      /input "features": binary_data_size is 12 bytes, but shape \[1, 4\] of FP32 needs 16/,
    ],
    [
      'a header length that cuts the JSON short',
      () =>
        send(demo, '/v2/models/penguins/infer', Buffer.from('{"inputs":[]}'), {
          'Inference-Header-Content-Length': '5',
        }),
      /the JSON header \(the first Inference-Header-Content-Length bytes\) is not valid JSON/,
    ],
    [
      'binary inputs without the header',
      () => send(demo, '/v2/models/penguins/infer', features(16), {}),
      /no Inference-Header-Content-Length header/,
    ],
  ])('returns 400 for %s, as a JSON error', async (_case, request, message) => {
    const response = await request();
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/json');
    expect(Object.keys(json(response.raw))).toEqual(['error']);
    expect(json(response.raw).error).toMatch(message);
  });
});
