import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';

// The dashboard and alarms find the runtime's metrics by namespace, name and exact dimension set: this checks the
// embedded metric format lines the runtime prints carry exactly what contract/environment.ts promises.
it('emits per-model-version metrics in the contract namespace with service, model and version dimensions', () => {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(chunk.toString());
    return true;
  });
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    jest.isolateModules(() => {
      const { recordModelTiming, recordModelMetric } =
        require('../../lambda/observability') as typeof import('../../lambda/observability');
      recordModelTiming(RuntimeMetric.inferenceLatency, { model: 'penguins', version: '1' }, 1.5);
      recordModelTiming(RuntimeMetric.modelLoadTime, { model: 'mnist', version: '3' }, 80);
      recordModelMetric(RuntimeMetric.inferenceErrors, { model: 'penguins', version: '1' }, 'Count', 1);
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
      [VERSION_DIMENSION]: '1',
      InferenceLatency: 1.5,
      _aws: expect.objectContaining({
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['service', MODEL_DIMENSION, VERSION_DIMENSION]],
            Metrics: [{ Name: 'InferenceLatency', Unit: 'Milliseconds' }],
          },
        ],
      }),
    }),
    expect.objectContaining({ [MODEL_DIMENSION]: 'mnist', [VERSION_DIMENSION]: '3', ModelLoadTime: 80 }),
    expect.objectContaining({
      [MODEL_DIMENSION]: 'penguins',
      [VERSION_DIMENSION]: '1',
      InferenceErrors: 1,
      _aws: expect.objectContaining({
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['service', MODEL_DIMENSION, VERSION_DIMENSION]],
            Metrics: [{ Name: 'InferenceErrors', Unit: 'Count' }],
          },
        ],
      }),
    }),
  ]);
});
