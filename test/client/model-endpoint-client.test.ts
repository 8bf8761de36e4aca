import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ModelEndpointClient, ModelEndpointError } from '../../client';
import { type GoldenSet, parseGoldenSet } from '../../contract/golden-set';
import { type Operation, ROUTES } from '../../contract/http-api';
import { MAX_BINARY_BODY_BYTES } from '../../contract/limits';
import { openApiDocument } from '../../contract/openapi';
import { DEMO_MODELS } from '../support/demo-models';
import { startDemoTwin } from './local-twin';

// The client against the local twin, which runs the same handler as the deployed API: every route, JSON and binary
// tensor data, and the errors a caller meets.

interface DemoModels {
  penguins: { inputs: { features: 'FP32' }; outputs: { label: 'BYTES'; probabilities: 'FP32' } };
  mnist: { inputs: { pixels: 'FP32' }; outputs: { probabilities: 'FP32'; label: 'INT64' } };
}

function golden(model: string): GoldenSet {
  const file = path.join(DEMO_MODELS, model, '1', 'golden.json');
  return parseGoldenSet(readFileSync(file, 'utf8'), file);
}

let twin: Awaited<ReturnType<typeof startDemoTwin>>;
let client: ModelEndpointClient<DemoModels>;

beforeAll(async () => {
  twin = await startDemoTwin();
  client = new ModelEndpointClient<DemoModels>({ url: `${twin.url}/` });
});
afterAll(() => twin.stop());

describe('ModelEndpointClient against the local twin', () => {
  it('has a method for every route of the contract, each answering what the route declares', async () => {
    // A Record over Operation: a route added to the contract without a client method fails to compile here.
    const calls: Record<Operation, () => Promise<unknown>> = {
      live: () => client.live(),
      ready: () => client.ready(),
      server: () => client.serverMetadata(),
      openapi: () => client.openapi(),
      modelMetadata: () => client.modelMetadata('penguins'),
      modelReady: () => client.modelReady('penguins', '1'),
      infer: () =>
        client.infer('penguins', {
          inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [39.1, 18.7, 181, 3750] }],
        }),
      predict: () => client.predict('penguins', [[39.1, 18.7, 181, 3750]]),
      feedback: () => client.feedback('penguins', { id: 'client-test-1', label: 'Adelie' }),
    };
    expect(Object.keys(calls).sort()).toEqual(ROUTES.map((route) => route.operation).sort());
    expect(await calls.live()).toBe(true);
    expect(await calls.ready()).toBe(true);
    expect(await calls.server()).toEqual({
      name: 'model-endpoint',
      version: expect.any(String),
      extensions: ['binary_tensor_data'],
    });
    expect(await calls.openapi()).toEqual(openApiDocument());
    expect(await calls.modelMetadata()).toMatchObject({
      name: 'penguins',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    });
    expect(await calls.modelReady()).toBe(true);
    expect(await calls.predict()).toEqual([{ label: 'Adelie', probabilities: expect.any(Array) }]);
    expect(await calls.feedback()).toBe(true);
  });

  it("refuses feedback without a truth with the server's message, and for an unknown model with 404", async () => {
    await expect(client.feedback('penguins', { id: 'x' })).rejects.toMatchObject({
      status: 400,
      serverMessage: expect.stringMatching(/label|value/),
    });
    await expect(client.feedback('nope' as 'penguins', { id: 'x', label: 'Adelie' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it.each([false, true])('answers every held-out penguin row as the golden set says (binary %s)', async (binary) => {
    for (const goldenCase of golden('penguins').cases) {
      const [features] = goldenCase.request.inputs;
      const result = await client.infer(
        'penguins',
        {
          inputs: [
            {
              name: 'features',
              datatype: 'FP32',
              shape: features.shape,
              data: Float32Array.from(features.data as number[]),
            },
          ],
        },
        { binary },
      );
      expect(result).toMatchObject({ model_name: 'penguins', model_version: '1' });
      expect(result.output('label').data).toEqual(goldenCase.expected.find((t) => t.name === 'label')?.data);
      const probabilities = result.output('probabilities');
      expect(probabilities.data).toBeInstanceOf(Float32Array);
      const expected = goldenCase.expected.find((t) => t.name === 'probabilities');
      expect(probabilities.shape).toEqual(expected?.shape);
      for (const [i, p] of probabilities.data.entries()) expect(p).toBeCloseTo(Number(expected?.data[i]), 5);
    }
  });

  it.each([false, true])('labels the held-out digits and returns typed outputs (binary %s)', async (binary) => {
    const cases = golden('mnist').cases.filter((c) => c.request.inputs[0].shape[0] === 1);
    const pixels = new Float32Array(cases.length * 784);
    for (const [row, goldenCase] of cases.entries())
      pixels.set(goldenCase.request.inputs[0].data as number[], row * 784);
    const result = await client.infer(
      'mnist',
      {
        id: 'digits',
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [cases.length, 784], data: pixels }],
        outputs: ['label'],
      },
      { binary, version: '1' },
    );
    expect(result.id).toBe('digits');
    expect(result.outputs.map((output) => output.name)).toEqual(['label']);
    const labels = result.output('label').data;
    expect(labels).toBeInstanceOf(BigInt64Array);
    expect([...labels].map(Number)).toEqual(cases.map((c) => c.expected.find((t) => t.name === 'label')?.data[0]));
  });

  it('sends plain nested arrays as JSON inside a binary request and reads the binary BYTES output', async () => {
    const result = await client.infer(
      'penguins',
      {
        inputs: [
          {
            name: 'features',
            datatype: 'FP32',
            shape: [2, 4],
            data: [
              [39.1, 18.7, 181, 3750],
              [46.1, 13.2, 211, 4500],
            ],
          },
        ],
      },
      { binary: true },
    );
    expect(result.output('label').data).toEqual(['Adelie', 'Gentoo']);
  });

  it('rejects an unknown model with a ModelEndpointError carrying 404 and the server message', async () => {
    const error = await client.modelMetadata('nope' as 'penguins').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelEndpointError);
    expect(error).toMatchObject({ status: 404, serverMessage: expect.stringContaining('nope') });
    expect((error as Error).message).toMatch(/^GET \/v2\/models\/nope answered 404: /);
  });

  it('rejects a request that does not match the model with 400 and says what the model expects', async () => {
    const error = await client
      .infer('penguins', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, serverMessage: expect.stringContaining('features') });
  });

  it('rejects an unknown version with 404, and an oversized binary body with 413, without retrying', async () => {
    await expect(client.modelReady('penguins', '9')).rejects.toMatchObject({ status: 404, attempts: 1 });
    const rows = Math.ceil(MAX_BINARY_BODY_BYTES / (784 * 4)) + 1;
    const error = await client
      .infer(
        'mnist',
        { inputs: [{ name: 'pixels', datatype: 'FP32', shape: [rows, 784], data: new Float32Array(rows * 784) }] },
        { binary: true },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 413, attempts: 1, serverMessage: expect.any(String) });
  });

  it('fails with a ModelEndpointError without a status when nothing answers', async () => {
    const closed = await startDemoTwin();
    await closed.stop();
    const error = await new ModelEndpointClient({ url: closed.url }).live().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelEndpointError);
    expect(error).toMatchObject({
      status: undefined,
      message: expect.stringMatching(/^GET \/v2\/health\/live failed: /),
    });
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => new ModelEndpointClient({ url: 'abc123.execute-api.eu-west-1.amazonaws.com/prod' })).toThrow(
      /url must be an http\(s\) URL/,
    );
  });
});
