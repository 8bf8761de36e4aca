import { METRICS_NAMESPACE, MODEL_DIMENSION, RuntimeMetric, SERVICE_NAME } from '../../contract/environment';

// The dashboard and alarms find the runtime's metrics by namespace, name and exact dimension set: this checks the
// embedded metric format lines the runtime prints carry exactly what contract/environment.ts promises.
it('emits per-model timings in the contract namespace with service and model dimensions', () => {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(chunk.toString());
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    jest.isolateModules(() => {
      const { recordModelTiming } =
        require('../../lambda/observability') as typeof import('../../lambda/observability');
      recordModelTiming(RuntimeMetric.inferenceLatency, 'penguins', 1.5);
      recordModelTiming(RuntimeMetric.modelLoadTime, 'mnist', 80);
    });
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = previous;
    write.mockRestore();
  }
  const records = lines.map((line) => JSON.parse(line));
  expect(records).toEqual([
    expect.objectContaining({
      service: SERVICE_NAME,
      [MODEL_DIMENSION]: 'penguins',
      InferenceLatency: 1.5,
      _aws: expect.objectContaining({
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['service', MODEL_DIMENSION]],
            Metrics: [{ Name: 'InferenceLatency', Unit: 'Milliseconds' }],
          },
        ],
      }),
    }),
    expect.objectContaining({ [MODEL_DIMENSION]: 'mnist', ModelLoadTime: 80 }),
  ]);
});
