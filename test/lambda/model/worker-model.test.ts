import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModelInWorker } from '../../../lambda/model/worker-model';
import { allDatatypesModel, slowMatMulModel, writeRepository } from '../../fixtures/test-models';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';

const repository = writeRepository({ 'slow/1': slowMatMulModel(), 'all_datatypes/1': allDatatypesModel() });
const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(repository), loadOnnxModelInWorker));
const handler = createApiGatewayHandler(registry);
afterAll(() => registry.release());

it('answers a health check while a long inference runs in the worker thread', async () => {
  expect(await registry.loadAll()).toEqual([]);
  const model = await registry.get('slow');
  const order: string[] = [];
  const rows = 1024;
  // Run the model directly, so the request is in the worker before run() returns (through the handler, decoding a
  // 4 MB JSON body first made the outcome depend on the machine's speed). onnxruntime-node runs a session one
  // macrotask later (setImmediate), then blocks its thread until done: waiting one macrotask before asking for health
  // is what tells a worker (health answers first) from the main thread (the inference blocks it first).
  const inference = model
    .run([{ name: 'x', datatype: 'FP32', shape: [rows, 1024], data: new Float32Array(rows * 1024).fill(1) }], ['y'])
    .then((outputs) => {
      order.push('inference');
      return outputs;
    });
  await new Promise((resolve) => setImmediate(resolve));
  const live = await handler(apiGatewayEvent({ path: '/v2/health/live' }), lambdaContext);
  order.push('live');
  expect(live.statusCode).toBe(200);
  const [output] = await inference;
  expect(order).toEqual(['live', 'inference']);
  expect(output.shape).toEqual([rows, 1024]);
  // All-ones times a matrix of 1/n stays all ones (within float32 rounding) through every round.
  expect(Math.abs(Number(output.data[0]) - 1)).toBeLessThan(1e-3);
});

it('carries every datatype across the thread boundary unchanged', async () => {
  const result = await handler(
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/all_datatypes/infer',
      body: {
        inputs: [
          { name: 'x_BYTES', shape: [1, 2], datatype: 'BYTES', data: ['a', 'ü'] },
          { name: 'x_INT64', shape: [1, 2], datatype: 'INT64', data: ['-9223372036854775808', 7] },
          { name: 'x_BOOL', shape: [1, 2], datatype: 'BOOL', data: [true, false] },
          ...['UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'FP16', 'FP32', 'FP64'].map((type) => ({
            name: `x_${type}`,
            shape: [1, 2],
            datatype: type,
            data: [1, 2],
          })),
          { name: 'a', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
          { name: 'b', shape: [2, 3], datatype: 'FP32', data: [1, 1, 1, 1, 1, 1] },
        ],
        outputs: [{ name: 'y_BYTES' }, { name: 'y_INT64' }, { name: 'y_BOOL' }, { name: 'sum' }],
      },
    }),
    lambdaContext,
  );
  // Outputs come back in the model's order, whatever order the request named them in.
  expect(JSON.parse(result.body).outputs.map((output: { data: unknown }) => output.data)).toEqual([
    [true, false],
    ['-9223372036854775808', 7],
    ['a', 'ü'],
    [2, 3, 4, 5, 6, 7],
  ]);
});

it('reloads a model whose worker thread died instead of failing every request after', async () => {
  const model = await registry.get('all_datatypes');
  await model.release();
  expect(model.isAlive).toBe(false);
  expect(registry.allLoaded).toBe(false);
  const reloaded = await registry.get('all_datatypes');
  expect(reloaded).not.toBe(model);
  expect(reloaded.isAlive).toBe(true);
});
