import type { APIGatewayProxyResult } from 'aws-lambda';
import { RuntimeMetric } from '../../contract/environment';
import { failsAtRuntimeModel, writeRepository } from '../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';

// A 5xx the handler answers itself is a successful Lambda invocation, so only the runtime's own InferenceErrors
// metric can tell a model that fails every request: this checks it counts exactly the 5xx answers, per version.
const repository = writeRepository({
  'fails_at_runtime/1': failsAtRuntimeModel(),
  'fails_at_runtime/2': failsAtRuntimeModel(),
  'broken/1': 'not an onnx model',
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
}

interface RuntimeModules {
  readonly handlerModule: typeof import('../../lambda/api-gateway-handler');
  readonly registryModule: typeof import('../../lambda/model/model-registry');
  readonly sourceModule: typeof import('../../lambda/model/model-source');
  readonly backendModule: typeof import('../../lambda/model/onnx-backend');
  readonly onnxModule: typeof import('../../lambda/model/onnx-model');
  readonly observability: typeof import('../../lambda/observability');
}

/** The runtime's modules loaded afresh, so Powertools reads the metrics switch set by the caller. */
function freshRuntime(): RuntimeModules {
  const holder: { modules?: RuntimeModules } = {};
  jest.isolateModules(() => {
    holder.modules = {
      handlerModule: require('../../lambda/api-gateway-handler'),
      registryModule: require('../../lambda/model/model-registry'),
      sourceModule: require('../../lambda/model/model-source'),
      backendModule: require('../../lambda/model/onnx-backend'),
      onnxModule: require('../../lambda/model/onnx-model'),
      observability: require('../../lambda/observability'),
    };
  });
  if (holder.modules === undefined) throw new Error('the runtime modules did not load');
  return holder.modules;
}

/** Runs requests through a fresh handler with metrics on, returning the answers and the EMF records printed. */
async function serve(requests: Array<{ method?: string; path: string; body?: object }>) {
  const printed: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(chunk.toString());
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const answers: Answer[] = [];
  try {
    const { handlerModule, registryModule, sourceModule, backendModule, onnxModule, observability } = freshRuntime();
    jest.spyOn(observability.logger, 'error').mockImplementation(() => undefined);
    const registry = new registryModule.ModelRegistry(
      backendModule.onnxBackends(sourceModule.modelSourcesFromFolder(repository), onnxModule.loadOnnxModel),
    );
    const handler = handlerModule.createApiGatewayHandler(registry);
    for (const request of requests) {
      const result: APIGatewayProxyResult = await handler(apiGatewayEvent(request), lambdaContext);
      answers.push({ status: result.statusCode, headers: result.headers ?? {} });
    }
    await registry.release();
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = previous;
    write.mockRestore();
  }
  const errors = printed
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes(`"${RuntimeMetric.inferenceErrors}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { answers, errors };
}

const infer = (path: string, data: number[]) => ({
  method: 'POST',
  path,
  body: { inputs: [{ name: 'x', shape: [data.length], datatype: 'FP32', data }] },
});

it('counts a 500 from running the model, per model and version', async () => {
  const { answers, errors } = await serve([
    infer('/v2/models/fails_at_runtime/infer', [1, 2, 3]),
    infer('/v2/models/fails_at_runtime/versions/1/infer', [1, 2, 3]),
  ]);
  expect(answers.map((answer) => answer.status)).toEqual([500, 500]);
  expect(errors).toEqual([
    expect.objectContaining({ model: 'fails_at_runtime', version: '2', InferenceErrors: 1 }),
    expect.objectContaining({ model: 'fails_at_runtime', version: '1', InferenceErrors: 1 }),
  ]);
});

it('counts a 503 for a model that cannot be loaded, which says when to retry', async () => {
  const { answers, errors } = await serve([
    infer('/v2/models/broken/infer', [1]),
    { path: '/v2/models/broken/ready' },
    { path: '/v2/models/broken' },
  ]);
  expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503]);
  expect(answers[0].headers['retry-after']).toBe('1');
  expect(errors).toHaveLength(3);
  expect(errors).toEqual(Array(3).fill(expect.objectContaining({ model: 'broken', version: '1', InferenceErrors: 1 })));
});

it('does not count client mistakes (4xx) or answers that succeed', async () => {
  const { answers, errors } = await serve([
    infer('/v2/models/fails_at_runtime/infer', [1, 2, 3, 4]),
    infer('/v2/models/fails_at_runtime/versions/9/infer', [1, 2, 3, 4]),
    infer('/v2/models/unknown/infer', [1]),
    {
      method: 'POST',
      path: '/v2/models/fails_at_runtime/infer',
      body: { inputs: [{ name: 'wrong', shape: [1], datatype: 'FP32', data: [1] }] },
    },
    { method: 'DELETE', path: '/v2/models/fails_at_runtime/infer' },
  ]);
  expect(answers.map((answer) => answer.status)).toEqual([200, 404, 404, 400, 405]);
  expect(errors).toEqual([]);
});
