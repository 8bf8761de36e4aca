import type { APIGatewayProxyResult } from 'aws-lambda';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { onnxBackends } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';
import { SAGEMAKER_BINARY_MEDIA_TYPE } from '../../lambda/protocol/sagemaker-content-type';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { binaryRequest, rawBytes } from '../support/binary-tensor-data';
import { DEMO_MODELS } from '../support/demo-models';
import {
  containerModel,
  demoDescriptor,
  type RunningContainer,
  startContainer,
  waitForOutput,
  waitUntilReady,
} from './support/sagemaker-container';

// The SageMaker container entry point as SageMaker starts it (`serve`, SAGEMAKER_BIND_TO_PORT), in a child process,
// against the zip Lambda handler on the same models in this process: the same requests must get the same answers.
const zip = createApiGatewayHandler(
  new ModelRegistry(onnxBackends(modelSourcesFromFolder(DEMO_MODELS), loadOnnxModel)),
);

const PENGUIN_REQUEST = {
  id: 'p-1',
  inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750, 46.5, 13.5, 210, 4550] }],
};
const MNIST_REQUEST = {
  inputs: [
    { name: 'pixels', shape: [1, 784], datatype: 'FP32', data: Array.from({ length: 784 }, (_, i) => (i % 7) / 7) },
  ],
};

const containers: Record<string, RunningContainer> = {};
beforeAll(async () => {
  const [penguins, mnist] = await Promise.all([
    startContainer(await containerModel('penguins')),
    startContainer(await containerModel('mnist')),
  ]);
  containers.penguins = penguins;
  containers.mnist = mnist;
  await Promise.all([waitUntilReady(penguins.url), waitUntilReady(mnist.url)]);
}, 60_000);
afterAll(async () => {
  await Promise.all(Object.values(containers).map((container) => container.stop()));
});

function container(name: string): RunningContainer {
  const running = containers[name];
  if (running === undefined) throw new Error(`no container for ${name}`);
  return running;
}

async function invoke(name: string, body: Buffer | string, contentType = 'application/json') {
  const response = await fetch(`${container(name).url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

async function zipInfer(name: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const result: APIGatewayProxyResult = await zip(
    apiGatewayEvent({
      method: 'POST',
      path: `/v2/models/${name}/infer`,
      body,
      base64: Buffer.isBuffer(body),
      headers,
    }),
    lambdaContext,
  );
  return { ...result, bytes: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') };
}

it('answers /ping with 200 once the model is loaded', async () => {
  for (const name of ['penguins', 'mnist']) {
    const response = await fetch(`${container(name).url}/ping`);
    expect(response.status).toBe(200);
  }
});

it.each([
  ['penguins', PENGUIN_REQUEST],
  ['mnist', MNIST_REQUEST],
])('answers a JSON /invocations for %s as the zip handler answers its infer', async (name, request) => {
  const answer = await invoke(name, JSON.stringify(request));
  const expected = await zipInfer(name, JSON.stringify(request));
  expect(answer.status).toBe(200);
  expect(answer.contentType).toBe('application/json');
  expect(JSON.parse(answer.body.toString())).toEqual(JSON.parse(expected.body));
});

it('answers a binary /invocations with the JSON header size in the content type, as Triton on SageMaker does', async () => {
  const header = {
    inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
    outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
  };
  const { body, headerLength } = binaryRequest(header, [
    rawBytes(new Float32Array([39.1, 18.7, 181, 3750, 46.5, 13.5, 210, 4550])),
  ]);
  const answer = await invoke('penguins', body, `${SAGEMAKER_BINARY_MEDIA_TYPE};json-header-size=${headerLength}`);
  const expected = await zipInfer('penguins', body, {
    'Inference-Header-Content-Length': String(headerLength),
    'Content-Type': 'application/octet-stream',
    Accept: 'application/octet-stream',
  });
  expect(answer.status).toBe(200);
  const expectedLength = expected.headers?.['Inference-Header-Content-Length'];
  expect(answer.contentType).toBe(`${SAGEMAKER_BINARY_MEDIA_TYPE};json-header-size=${expectedLength}`);
  expect(answer.body.equals(expected.bytes)).toBe(true);
});

it('returns 4xx with the handler message for a request that does not match the model', async () => {
  const request = JSON.stringify({ inputs: [{ name: 'pixels', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
  const answer = await invoke('penguins', request);
  const expected = await zipInfer('penguins', request);
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.body.toString())).toEqual(JSON.parse(expected.body));
});

it('returns 404 for any other path, naming the two it serves', async () => {
  const response = await fetch(`${container('penguins').url}/v2/models/penguins`);
  expect(response.status).toBe(404);
  expect(((await response.json()) as { error: string }).error).toMatch(/GET \/ping and POST \/invocations/);
});

it('refuses to serve a model whose session does not match its descriptor: 503 on /ping and /invocations, reason logged', async () => {
  const { descriptor } = await demoDescriptor('penguins');
  const wrong = { ...descriptor, inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 5] }] };
  const refused = await startContainer(
    await containerModel('penguins', { descriptorText: `${JSON.stringify(wrong, null, 2)}\n` }),
  );
  containers.refused = refused;
  const ping = await fetch(`${refused.url}/ping`);
  expect(ping.status).toBe(503);
  const answer = await invoke('refused', JSON.stringify(PENGUIN_REQUEST));
  expect(answer.status).toBe(503);
  expect(answer.retryAfter).toMatch(/^\d+$/);
  expect(JSON.parse(answer.body.toString()).error).toMatch(/model penguins version 1 cannot be loaded right now/);
  await waitForOutput(
    refused,
    /model penguins version 1 inputs are features FP32 \[-1, 4\], but its descriptor says features FP32 \[-1, 5\]/,
  );
  expect((await fetch(`${refused.url}/ping`)).status).toBe(503);
});

it('refuses to serve a model file whose sha256 is not the pinned one', async () => {
  const refused = await startContainer(await containerModel('penguins', { sha256: 'f'.repeat(64) }));
  containers.wrongSha = refused;
  await waitForOutput(refused, /model\.onnx has sha256 [0-9a-f]{64} but the deployment pinned f{64}/);
  expect((await fetch(`${refused.url}/ping`)).status).toBe(503);
});
