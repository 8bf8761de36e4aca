import { LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  SERVICE_NAME,
  ShadowComparatorEnvironment,
  ShadowEnvironment,
  VERSION_DIMENSION,
} from '../../../contract/environment';
import type { ModelRegistry } from '../../../lambda/model/model-registry';
import { createShadowComparator } from '../../../lambda/shadow/shadow-comparator';
import { withShadowSampling } from '../../../lambda/shadow/shadow-sampling';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import {
  type Candidate,
  cloudWatchLogsEvent,
  emfRecords,
  lambdaInvokeServer,
  shadowRepository,
  versionHandler,
} from './shadow-fixtures';

const CANDIDATE_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:ModelEndpoint-PenguinsCandidate:7';
const ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
  [49.3, 19.9, 203, 4050],
  [50.0, 15.2, 218, 5700],
];

const registries: ModelRegistry[] = [];
afterAll(() => Promise.all(registries.map((registry) => registry.release())));

/** A JSON request, and a binary one asking for binary outputs: both layouts the comparator must read. */
function liveRequests(): APIGatewayProxyEvent[] {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
      outputs: [
        { name: 'label', parameters: { binary_data: true } },
        { name: 'probabilities', parameters: { binary_data: true } },
      ],
    }),
  );
  const features = Buffer.from(new Float32Array(ROWS.slice(2).flat()).buffer);
  return [
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body: { inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: ROWS.slice(0, 2) }] },
    }),
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/versions/1/infer',
      body: Buffer.concat([header, features]),
      base64: true,
      headers: {
        'Content-Type': 'application/octet-stream',
        Accept: 'application/octet-stream',
        'Inference-Header-Content-Length': String(header.byteLength),
      },
    }),
  ];
}

/** Serves the live requests with version 1 sampling every request, and returns the sample log lines. */
async function sampleLiveTraffic(repository: string): Promise<string[]> {
  const live = versionHandler(repository, '1');
  registries.push(live.registry);
  const lines: string[] = [];
  const sampled = withShadowSampling(
    live.handler,
    { [ShadowEnvironment.sampleRate]: '1' },
    { write: (line) => lines.push(line) },
  );
  for (const event of liveRequests()) expect((await sampled(event, lambdaContext)).statusCode).toBe(200);
  // Sample lines are written once the answers are out, in the next turn of the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  return lines;
}

/** Replays the sample lines through the comparator against version 2 behind a loopback Lambda Invoke API. */
async function compare(candidate: Candidate, failWith?: string) {
  const repository = shadowRepository(candidate);
  const lines = await sampleLiveTraffic(repository);
  const target = versionHandler(repository, '2');
  registries.push(target.registry);
  const lambda = await lambdaInvokeServer(target.handler, failWith);
  try {
    const records = await emfRecords(async () => {
      const comparator = createShadowComparator({
        lambda: lambda.client,
        environment: {
          [ShadowComparatorEnvironment.candidateFunction]: CANDIDATE_ARN,
          [ShadowComparatorEnvironment.modelName]: 'penguins',
          [ShadowComparatorEnvironment.candidateVersion]: '2',
        },
      });
      await comparator(cloudWatchLogsEvent(lines));
    });
    const shadow = records.filter((record) => 'ShadowErrors' in record);
    return { records: shadow, invoked: lambda.invoked };
  } finally {
    await lambda.close();
  }
}

function values(records: readonly Record<string, unknown>[], metric: string): number[] {
  return records.flatMap((record) => (record[metric] === undefined ? [] : ([record[metric]].flat() as number[])));
}

describe('shadow comparator', () => {
  it('publishes exact match 1 and difference 0 per output when the candidate is the live model', async () => {
    const { records, invoked } = await compare('same');
    expect(invoked).toEqual([CANDIDATE_ARN, CANDIDATE_ARN]);
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({
        service: SERVICE_NAME,
        [MODEL_DIMENSION]: 'penguins',
        [VERSION_DIMENSION]: '2',
        _aws: {
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: METRICS_NAMESPACE,
              Dimensions: [['service', MODEL_DIMENSION, VERSION_DIMENSION]],
            }),
          ],
        },
      });
    }
    // One label output (BYTES) and one numeric output (FP32) per sample, for the JSON and the binary sample.
    expect(values(records, 'ShadowExactMatch')).toEqual([1, 1]);
    expect(values(records, 'ShadowMaxAbsDifference')).toEqual([0, 0]);
    expect(values(records, 'ShadowErrors')).toEqual([0, 0]);
    expect(values(records, 'ShadowLatency').every((ms) => ms > 0)).toBe(true);
  });

  it('publishes the disagreement of a candidate that is another model', async () => {
    const { records } = await compare('perturbed');
    expect(values(records, 'ShadowExactMatch')).toEqual([0, 0]);
    const differences = values(records, 'ShadowMaxAbsDifference');
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference).toBeGreaterThan(0.01);
    expect(values(records, 'ShadowErrors')).toEqual([0, 0]);
  });

  it('counts a candidate that answers 5xx as an error, with no agreement values', async () => {
    const { records } = await compare('broken');
    expect(values(records, 'ShadowErrors')).toEqual([1, 1]);
    expect(values(records, 'ShadowExactMatch')).toEqual([]);
    expect(values(records, 'ShadowLatency')).toEqual([]);
  });

  it('counts a failed invocation of the candidate function as an error', async () => {
    const { records } = await compare('same', 'Runtime.ExitError');
    expect(values(records, 'ShadowErrors')).toEqual([1, 1]);
  });

  it('skips log events that are no shadow samples and the control message', async () => {
    const lambda = await lambdaInvokeServer(async () => ({ statusCode: 500, body: '' }));
    try {
      const comparator = createShadowComparator({
        lambda: lambda.client,
        environment: {
          [ShadowComparatorEnvironment.candidateFunction]: CANDIDATE_ARN,
          [ShadowComparatorEnvironment.modelName]: 'penguins',
          [ShadowComparatorEnvironment.candidateVersion]: '2',
        },
      });
      const records = await emfRecords(async () => {
        await comparator(cloudWatchLogsEvent(['START RequestId: 1', '{"level":"INFO","message":"model loaded"}']));
      });
      expect(records).toEqual([]);
      expect(lambda.invoked).toEqual([]);
    } finally {
      await lambda.close();
    }
  });

  it('fails with the variable to set when its environment lacks the candidate', () => {
    expect(() =>
      createShadowComparator({ lambda: new LambdaClient({ region: 'eu-west-1' }), environment: {} }),
    ).toThrow(/SHADOW_CANDIDATE_FUNCTION is not set/);
  });
});
