import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_EVENT_BODY_BYTES } from '../../../contract/limits';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { isBinaryBody, localLambdaContext } from '../../../lambda/local/api-gateway-event';
import { type LocalServer, serveModels } from '../../../lambda/local-server';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { proxyEvent } from '../../../lambda/proxy-event';
import { binaryRequest, rawBytes } from '../../support/binary-tensor-data';
import { DEMO_MODELS } from '../../support/demo-models';

// The twin's answer over HTTP is the handler's proxy result, byte for byte: the same status, the handler's headers
// in its order and spelling followed by the body's length, and the same body bytes (decoded when base64). Each
// request goes through the twin over loopback and, as the event API Gateway would build, straight to the handler.

interface WireAnswer {
  readonly status: number;
  /** Name and value pairs as written, without the three Node adds to every answer (Date, Connection, Keep-Alive). */
  readonly headers: [string, string][];
  readonly body: Buffer;
}

interface TwinRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

const NODE_HEADERS = new Set(['date', 'connection', 'keep-alive']);

function exchange(port: number, sent: TwinRequest): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, method: sent.method, path: sent.path, headers: sent.headers, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: [string, string][] = [];
          for (let index = 0; index < response.rawHeaders.length; index += 2) {
            const name = response.rawHeaders[index];
            if (!NODE_HEADERS.has(name.toLowerCase())) headers.push([name, response.rawHeaders[index + 1]]);
          }
          resolve({ status: response.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 10 s')));
    outgoing.on('error', reject);
    outgoing.end(sent.body);
  });
}

/** What the handler answers to the event API Gateway would build for this request, as the twin should write it. */
async function handlerAnswer(handler: ReturnType<typeof createApiGatewayHandler>, sent: TwinRequest) {
  const binary = isBinaryBody(sent.headers['Content-Type']);
  const event = proxyEvent({
    method: sent.method,
    path: sent.path,
    headers: sent.headers,
    body: sent.body === undefined ? null : sent.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: sent.body !== undefined && binary,
    stage: 'local',
    requestId: 'parity',
  });
  const result = await handler(event, localLambdaContext('parity'));
  const body = Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers = Object.entries(result.headers ?? {}).map(([name, value]): [string, string] => [name, String(value)]);
  headers.push(['content-length', String(body.byteLength)]);
  return { status: result.statusCode, headers, body: sent.method === 'HEAD' ? Buffer.alloc(0) : body };
}

const PENGUIN = [39.1, 18.7, 181, 3750];

function json(path: string, body: unknown, contentType = 'application/json'): TwinRequest {
  return { method: 'POST', path, headers: { 'Content-Type': contentType }, body: Buffer.from(JSON.stringify(body)) };
}

const binaryPenguin = binaryRequest(
  {
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
    parameters: { binary_data_output: true },
  },
  [rawBytes(new Float32Array(PENGUIN))],
);

const REQUESTS: Record<string, TwinRequest> = {
  'an inference': json('/v2/models/penguins/infer', {
    id: 'a',
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: PENGUIN }],
  }),
  'an inference whose Content-Type is not spelled exactly application/json': json(
    '/v2/models/penguins/infer',
    { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: PENGUIN }] },
    'Application/JSON; charset=utf-8',
  ),
  'an inference of one version, asking for one output': json('/v2/models/penguins/versions/1/infer', {
    inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: PENGUIN }],
    outputs: [{ name: 'probabilities' }],
  }),
  'binary inputs and outputs': {
    method: 'POST',
    path: '/v2/models/penguins/infer',
    headers: {
      'Content-Type': 'application/octet-stream',
      Accept: 'application/octet-stream',
      'Inference-Header-Content-Length': String(binaryPenguin.headerLength),
    },
    body: binaryPenguin.body,
  },
  'a body that is not JSON': {
    method: 'POST',
    path: '/v2/models/penguins/infer',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from('{"inputs": ['),
  },
  'a body of the wrong shape': json('/v2/models/penguins/infer', { inputs: { features: PENGUIN } }),
  'an input of the wrong shape': json('/v2/models/penguins/infer', {
    inputs: [{ name: 'features', shape: [4], datatype: 'FP32', data: PENGUIN }],
  }),
  'an unknown model': json('/v2/models/unknown/infer', { inputs: [] }),
  'an unknown path': { method: 'GET', path: '/v2/nothing/here', headers: {} },
  'a method the path does not allow': { method: 'DELETE', path: '/v2/models/penguins', headers: {} },
  'model metadata': { method: 'GET', path: '/v2/models/penguins', headers: {} },
  'model metadata, HEAD': { method: 'HEAD', path: '/v2/models/penguins', headers: {} },
  readiness: { method: 'GET', path: '/v2/health/ready', headers: {} },
};

describe('the local twin answers what the handler answers', () => {
  let twin: LocalServer;
  let port: number;
  let handler: ReturnType<typeof createApiGatewayHandler>;
  beforeAll(async () => {
    twin = await serveModels(
      modelSourcesFromFolder(DEMO_MODELS),
      { port: 0, host: '127.0.0.1', logRequests: false },
      () => {},
    );
    port = (twin.server.address() as AddressInfo).port;
    handler = createApiGatewayHandler(twin.registry);
  });
  afterAll(async () => {
    twin.server.closeAllConnections();
    await new Promise((resolve) => twin.server.close(resolve));
    await twin.registry.release();
  });

  it.each(Object.keys(REQUESTS))('for %s: status, headers in order, and body bytes', async (label) => {
    const sent = REQUESTS[label];
    const [overHttp, direct] = await Promise.all([exchange(port, sent), handlerAnswer(handler, sent)]);
    expect(overHttp.status).toBe(direct.status);
    expect(overHttp.headers).toEqual(direct.headers);
    expect(overHttp.body.equals(direct.body)).toBe(true);
  });

  it('refuses a body over the Lambda event limit with the same JSON error shape and an exact length', async () => {
    const sent = json('/v2/models/penguins/infer', { padding: 'x'.repeat(MAX_EVENT_BODY_BYTES) });
    const answer = await exchange(port, sent).catch((error: Error) => error);
    // The twin answers before reading the body and closes; a client still sending may see the reset instead.
    if (answer instanceof Error) return expect(answer.message).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    expect(answer.status).toBe(413);
    expect(answer.headers.find(([name]) => name === 'content-length')?.[1]).toBe(String(answer.body.byteLength));
    expect(JSON.parse(answer.body.toString())).toEqual({ error: expect.stringContaining('send a smaller batch') });
  });
});

describe('isBinaryBody', () => {
  // The general rule, as API Gateway applies binaryMediaTypes: the media type before any parameters, any case.
  const generalRule = (contentType: string | undefined) =>
    contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/octet-stream';

  it.each([
    undefined,
    '',
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    ' application/json',
    'application/octet-stream',
    'Application/Octet-Stream',
    'application/octet-stream; x=1',
    ' application/octet-stream ',
    'application/octet-streams',
    'text/plain',
  ])('decides %p as the general rule does', (contentType) => {
    expect(isBinaryBody(contentType)).toBe(generalRule(contentType));
  });
});
