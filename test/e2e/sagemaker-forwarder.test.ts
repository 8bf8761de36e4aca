import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { FileDescriptorSource } from '../../lambda/model/descriptor-source';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { onnxBackends } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { SageMakerForwarderBackend } from '../../lambda/model/sagemaker-forwarder';
import { logger } from '../../lambda/observability';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { binaryRequest, rawBytes } from '../support/binary-tensor-data';
import { DEMO_MODELS, type DemoModelName } from '../support/demo-models';
import {
  containerModel,
  demoDescriptor,
  type RunningContainer,
  startContainer,
  waitUntilReady,
} from './support/sagemaker-container';
import {
  type SageMakerRuntimeServer,
  sageMakerRuntimeClient,
  startSageMakerRuntime,
} from './support/sagemaker-runtime-server';

// The forwarder (a sagemaker model's function) calling InvokeEndpoint through the real SDK, against a loopback
// SageMaker runtime that passes requests to the container entry point in a child process. Its answers must be the
// zip handler's for the same requests.
const zip = createApiGatewayHandler(
  new ModelRegistry(onnxBackends(modelSourcesFromFolder(DEMO_MODELS), loadOnnxModel)),
);

const PENGUIN_ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
];
const PENGUIN_REQUEST = {
  id: 'p-1',
  inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: PENGUIN_ROWS }],
};
const MNIST_REQUEST = {
  inputs: [
    { name: 'pixels', shape: [1, 784], datatype: 'FP32', data: Array.from({ length: 784 }, (_, i) => (i % 7) / 7) },
  ],
};

let containers: RunningContainer[] = [];
let runtime: SageMakerRuntimeServer;
let forwarded: ReturnType<typeof createApiGatewayHandler>;
let forwardedRegistry: ModelRegistry;

/** The descriptor as the forwarder reads it (here from a file; in AWS from the pinned S3 object). */
async function descriptorFile(name: DemoModelName): Promise<FileDescriptorSource> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'descriptor-')), 'descriptor.json');
  writeFileSync(file, (await demoDescriptor(name)).text);
  return new FileDescriptorSource(file);
}

function forwarder(name: DemoModelName, endpointName: string, url: string, descriptor: FileDescriptorSource) {
  return new SageMakerForwarderBackend(sageMakerRuntimeClient(url), { name, version: '1', endpointName, descriptor });
}

beforeAll(async () => {
  containers = await Promise.all([
    startContainer(await containerModel('penguins')),
    startContainer(await containerModel('mnist')),
  ]);
  const [penguins, mnist] = containers as [RunningContainer, RunningContainer];
  await Promise.all(containers.map((container) => waitUntilReady(container.url)));
  runtime = await startSageMakerRuntime({
    'penguins-endpoint': penguins.url,
    'mnist-endpoint': mnist.url,
    // An endpoint that runs another model than the descriptor says: its container refuses the request (400).
    'mixed-up-endpoint': mnist.url,
  });
  forwardedRegistry = new ModelRegistry([
    forwarder('penguins', 'penguins-endpoint', runtime.url, await descriptorFile('penguins')),
    forwarder('mnist', 'mnist-endpoint', runtime.url, await descriptorFile('mnist')),
  ]);
  forwarded = createApiGatewayHandler(forwardedRegistry);
}, 60_000);
afterAll(async () => {
  await runtime.close();
  await Promise.all(containers.map((container) => container.stop()));
});
beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

type Handler = ReturnType<typeof createApiGatewayHandler>;

async function call(
  handler: Handler,
  request: { method?: string; path: string; body?: string | Buffer; headers?: Record<string, string> },
) {
  const result: APIGatewayProxyResult = await handler(
    apiGatewayEvent({ ...request, base64: Buffer.isBuffer(request.body) }),
    lambdaContext,
  );
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'),
  };
}

async function sameAnswer(request: Parameters<typeof call>[1]) {
  const [actual, expected] = await Promise.all([call(forwarded, request), call(zip, request)]);
  expect(actual.status).toBe(expected.status);
  expect(actual.headers['content-type']).toBe(expected.headers['content-type']);
  expect(actual.headers['Inference-Header-Content-Length']).toBe(expected.headers['Inference-Header-Content-Length']);
  if (expected.headers['content-type'] === 'application/json') {
    expect(JSON.parse(actual.body.toString())).toEqual(JSON.parse(expected.body.toString()));
  } else {
    expect(actual.body.equals(expected.body)).toBe(true);
  }
  return actual;
}

it.each([
  ['penguins', PENGUIN_REQUEST],
  ['mnist', MNIST_REQUEST],
])('answers a JSON infer for %s through the endpoint as the zip handler does', async (name, request) => {
  const answer = await sameAnswer({ method: 'POST', path: `/v2/models/${name}/infer`, body: JSON.stringify(request) });
  expect(answer.status).toBe(200);
});

it('passes a binary infer through both ways (Inference-Header-Content-Length <-> json-header-size)', async () => {
  const header = {
    inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
    outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
  };
  const { body, headerLength } = binaryRequest(header, [rawBytes(new Float32Array(PENGUIN_ROWS.flat()))]);
  const answer = await sameAnswer({
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body,
    headers: {
      'Content-Type': 'application/octet-stream',
      Accept: 'application/octet-stream',
      'Inference-Header-Content-Length': String(headerLength),
    },
  });
  expect(answer.status).toBe(200);
});

it('answers a v1 predict through a v2 JSON infer to the endpoint', async () => {
  const answer = await sameAnswer({
    method: 'POST',
    path: '/v1/models/penguins:predict',
    body: JSON.stringify({ instances: PENGUIN_ROWS }),
  });
  expect(JSON.parse(answer.body.toString()).predictions).toHaveLength(2);
});

it('answers metadata and readiness from the descriptor', async () => {
  await sameAnswer({ path: '/v2/models/penguins' });
  await sameAnswer({ path: '/v2/models/mnist/versions/1' });
  await sameAnswer({ path: '/v2/models/penguins/ready' });
});

it('returns 4xx for a request that does not match the descriptor without invoking the endpoint', async () => {
  const body = JSON.stringify({ inputs: [{ name: 'pixels', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
  const answer = await sameAnswer({ method: 'POST', path: '/v2/models/penguins/infer', body });
  expect(answer.status).toBe(400);
});

it("returns the container's 400 and message as they are", async () => {
  const registry = new ModelRegistry([
    forwarder('penguins', 'mixed-up-endpoint', runtime.url, await descriptorFile('penguins')),
  ]);
  const body = JSON.stringify(PENGUIN_REQUEST);
  const answer = await call(createApiGatewayHandler(registry), {
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body,
  });
  const direct = await fetch(`${containers[1]?.url}/invocations`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  expect(direct.status).toBe(400);
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.body.toString())).toEqual(await direct.json());
});

it('returns 503 with Retry-After and a clear message for an endpoint that does not exist', async () => {
  const registry = new ModelRegistry([
    forwarder('penguins', 'deleted-endpoint', runtime.url, await descriptorFile('penguins')),
  ]);
  const answer = await call(createApiGatewayHandler(registry), {
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body: JSON.stringify(PENGUIN_REQUEST),
  });
  expect(answer.status).toBe(503);
  expect(answer.headers['retry-after']).toBe('5');
  expect(JSON.parse(answer.body.toString()).error).toMatch(
    /^the SageMaker endpoint deleted-endpoint does not exist \(not created yet, or deleted\); retry in 5 s/,
  );
});

it('returns 503 with Retry-After when the endpoint cannot be reached', async () => {
  const down = await startSageMakerRuntime({});
  await down.close();
  const registry = new ModelRegistry([
    forwarder('penguins', 'penguins-endpoint', down.url, await descriptorFile('penguins')),
  ]);
  const answer = await call(createApiGatewayHandler(registry), {
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body: JSON.stringify(PENGUIN_REQUEST),
  });
  expect(answer.status).toBe(503);
  expect(answer.headers['retry-after']).toBe('5');
  expect(JSON.parse(answer.body.toString()).error).toMatch(
    /^the SageMaker endpoint penguins-endpoint cannot be reached \(ECONNREFUSED\)/,
  );
});

it('returns 429 with Retry-After while the endpoint throttles', async () => {
  runtime.throttle = true;
  try {
    const answer = await call(forwarded, {
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body: JSON.stringify(PENGUIN_REQUEST),
    });
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
    expect(JSON.parse(answer.body.toString()).error).toMatch(/penguins-endpoint is throttling requests/);
  } finally {
    runtime.throttle = false;
  }
});
