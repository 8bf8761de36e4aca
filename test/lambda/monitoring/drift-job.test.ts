import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { DRIFT_EVENT, DriftJobEnvironment } from '../../../contract/environment';
import { createDriftJob, type DriftEventDetail } from '../../../lambda/monitoring/drift-job';
import { loadPenguinsSplit } from '../../../scripts/train/penguins-data';
import { type EventBridgeServer, startEventBridgeServer } from './support/eventbridge-server';
import { PenguinTraffic } from './support/penguin-traffic';

// Every peer is real or speaks the real protocol on loopback: s3rver holds the descriptor and the captures, which
// the real runtime handler (capture on) logged and the real capture writer stored; EventBridge's PutEvents records
// the drift events.
const MODEL_BUCKET = 'model-bucket';
const BUCKETS = { heldOut: 'held-out', shifted: 'shifted' } as const;

const { train, heldOut } = loadPenguinsSplit();
const BODY_MASS = 3;
const shifted = heldOut.features.map((row) => row.map((value, column) => (column === BODY_MASS ? value * 1.3 : value)));

let server: S3rver;
let s3: S3Client;
let events: EventBridgeServer;
let eventBridge: EventBridgeClient;
let traffic: PenguinTraffic;
let descriptor: { key: string; sha256: string };

beforeAll(async () => {
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(tmpdir(), 's3rver-')),
    configureBuckets: [MODEL_BUCKET, ...Object.values(BUCKETS)].map((name) => ({ name })),
  });
  const { port } = await server.run();
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'eu-west-1', credentials });
  events = await startEventBridgeServer();
  eventBridge = new EventBridgeClient({ endpoint: events.endpoint, region: 'eu-west-1', credentials, maxAttempts: 1 });
  traffic = new PenguinTraffic();
  descriptor = await traffic.putDescriptor(s3, MODEL_BUCKET, train.features);
  // The held-out penguins as they are, with the truth fed back for each; then the same penguins 30 % heavier.
  await traffic.infer(heldOut.features, 'held-out');
  await traffic.feedback(heldOut.species, 'held-out');
  await traffic.deliver(s3, BUCKETS.heldOut);
  await traffic.infer(shifted, 'shifted');
  await traffic.deliver(s3, BUCKETS.shifted);
});
afterAll(async () => {
  await traffic.release();
  s3.destroy();
  eventBridge.destroy();
  await events.close();
  await server.close();
});

function environment(bucket: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    [DriftJobEnvironment.captureBucket]: bucket,
    [DriftJobEnvironment.models]: JSON.stringify([
      {
        model: 'penguins',
        version: '1',
        bucket: MODEL_BUCKET,
        descriptorKey: descriptor.key,
        descriptorSha256: descriptor.sha256,
      },
    ]),
    [DriftJobEnvironment.windowHours]: '24',
    // 86 held-out penguins: the default minimum of 100 rows would withhold the verdict.
    [DriftJobEnvironment.minimumRows]: '50',
    POWERTOOLS_SERVICE_NAME: 'model-endpoint-test',
    ...overrides,
  };
}

/** Runs the job once, a minute from now (the window ends then), collecting its metric lines. */
async function runJob(env: NodeJS.ProcessEnv) {
  const metricLines: Record<string, unknown>[] = [];
  const job = createDriftJob({
    s3,
    eventBridge,
    environment: env,
    writeMetric: (line) => metricLines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const eventsBefore = events.entries.length;
  const outcomes = await job({ time: new Date(Date.now() + 60_000).toISOString() });
  return { outcomes, metricLines, events: events.entries.slice(eventsBefore) };
}

/** The metric values of the job's EMF lines by name (and feature), as CloudWatch would extract them. */
function metricValues(lines: readonly Record<string, unknown>[]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of lines) {
    const aws = line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[]; Dimensions: string[][] }[] };
    for (const { Metrics, Dimensions } of aws.CloudWatchMetrics) {
      expect(Dimensions[0]).toEqual(expect.arrayContaining(['service', 'model', 'version']));
      for (const { Name } of Metrics) {
        values[line.feature === undefined ? Name : `${Name}/${String(line.feature)}`] = line[Name] as number;
      }
    }
    expect(line).toMatchObject({ service: 'model-endpoint-test', model: 'penguins', version: '1' });
  }
  return values;
}

describe('drift job', () => {
  it('finds no drift in the held-out penguins and publishes their drift and the fed-back accuracy', async () => {
    const { outcomes, metricLines, events: sent } = await runJob(environment(BUCKETS.heldOut));
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(outcome).toMatchObject({ model: 'penguins', version: '1', rows: heldOut.features.length, eventSent: false });
    if (outcome === undefined || !('features' in outcome)) throw new Error(`no verdict: ${JSON.stringify(outcome)}`);
    for (const feature of outcome.features) expect(feature.status).not.toBe('act');
    expect(sent).toEqual([]);
    const values = metricValues(metricLines);
    expect(values.CapturedRows).toBe(86);
    expect(values.MaxFeatureDrift).toBeLessThan(0.2);
    expect(Object.keys(values).filter((name) => name.startsWith('FeatureDrift/'))).toEqual([
      'FeatureDrift/bill_length_mm',
      'FeatureDrift/bill_depth_mm',
      'FeatureDrift/flipper_length_mm',
      'FeatureDrift/body_mass_g',
    ]);
    // The held-out penguins are the rows model.json's accuracy was measured on: the fed-back accuracy is the same.
    expect(values.ModelAccuracy).toBeCloseTo(0.9767441860465116, 10);
    expect(outcome).toMatchObject({ accuracy: values.ModelAccuracy });
  });

  it('flags body_mass_g, and no other feature, when the same penguins weigh 30 % more, and sends the drift event', async () => {
    const { outcomes, metricLines, events: sent } = await runJob(environment(BUCKETS.shifted));
    const [outcome] = outcomes;
    if (outcome === undefined || !('features' in outcome)) throw new Error(`no verdict: ${JSON.stringify(outcome)}`);
    const statuses = Object.fromEntries(outcome.features.map((feature) => [feature.name, feature.status]));
    expect(statuses.body_mass_g).toBe('act');
    for (const name of ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm']) expect(statuses[name]).not.toBe('act');
    expect(outcome).toMatchObject({ verdict: 'act', eventSent: true });
    expect(sent).toHaveLength(1);
    const [event] = sent;
    expect(event).toMatchObject({ Source: DRIFT_EVENT.source, DetailType: DRIFT_EVENT.detailType });
    expect(event?.EventBusName).toBeUndefined();
    const detail = JSON.parse(event?.Detail ?? '{}') as DriftEventDetail;
    expect(detail).toMatchObject({ model: 'penguins', version: '1', rows: 86 });
    expect(detail.features[0]).toMatchObject({ name: 'body_mass_g', status: 'act' });
    expect(detail.outputs.map((output) => output.name)).toEqual(['label', 'probabilities']);
    expect(Date.parse(detail.window.end) - Date.parse(detail.window.start)).toBe(24 * 3_600_000);
    const values = metricValues(metricLines);
    expect(values.MaxFeatureDrift).toBe(values['FeatureDrift/body_mass_g']);
    expect(values.MaxFeatureDrift).toBeGreaterThanOrEqual(0.2);
    // No feedback for these requests: no accuracy.
    expect(values.ModelAccuracy).toBeUndefined();
  });

  it('publishes only CapturedRows when the window holds fewer rows than the minimum', async () => {
    const {
      outcomes,
      metricLines,
      events: sent,
    } = await runJob(environment(BUCKETS.shifted, { [DriftJobEnvironment.minimumRows]: '1000' }));
    expect(outcomes).toEqual([{ model: 'penguins', version: '1', verdict: 'too few rows', rows: 86 }]);
    expect(metricValues(metricLines)).toEqual({ CapturedRows: 86 });
    expect(sent).toEqual([]);
  });

  it('publishes FeatureDrift for the first features up to the limit, and MaxFeatureDrift over all', async () => {
    const { metricLines } = await runJob(
      environment(BUCKETS.shifted, { [DriftJobEnvironment.featureMetricsLimit]: '2' }),
    );
    const values = metricValues(metricLines);
    expect(Object.keys(values).filter((name) => name.startsWith('FeatureDrift/'))).toEqual([
      'FeatureDrift/bill_length_mm',
      'FeatureDrift/bill_depth_mm',
    ]);
    expect(values.MaxFeatureDrift).toBeGreaterThanOrEqual(0.2);
  });

  it('sees nothing outside the window: captures older than the window are not compared', async () => {
    const job = createDriftJob({ s3, eventBridge, environment: environment(BUCKETS.shifted), writeMetric: () => {} });
    const dayAfter = new Date(Date.now() + 25 * 3_600_000).toISOString();
    expect(await job({ time: dayAfter })).toEqual([
      { model: 'penguins', version: '1', verdict: 'too few rows', rows: 0 },
    ]);
  });

  it('sends the event to the configured bus', async () => {
    const { events: sent } = await runJob(
      environment(BUCKETS.shifted, { [DriftJobEnvironment.eventBusName]: 'retraining' }),
    );
    expect(sent.map((event) => event.EventBusName)).toEqual(['retraining']);
  });

  it('fails naming the model when EventBridge refuses the event', async () => {
    events.failNext();
    const job = createDriftJob({ s3, eventBridge, environment: environment(BUCKETS.shifted), writeMetric: () => {} });
    await expect(job({})).rejects.toThrow(
      'the drift check failed for penguins version 1: EventBridge refused the drift event of model penguins version 1: ThrottlingException Rate exceeded',
    );
  });

  it('fails, without comparing anything, when the descriptor in S3 is not the one the deployment pinned', async () => {
    const pinned = 'a'.repeat(64);
    const job = createDriftJob({
      s3,
      eventBridge,
      environment: environment(BUCKETS.shifted, {
        [DriftJobEnvironment.models]: JSON.stringify([
          {
            model: 'penguins',
            version: '1',
            bucket: MODEL_BUCKET,
            descriptorKey: descriptor.key,
            descriptorSha256: pinned,
          },
        ]),
      }),
      writeMetric: () => {},
    });
    await expect(job({})).rejects.toThrow(`but the deployment pinned ${pinned}`);
  });

  it.each([
    [DriftJobEnvironment.captureBucket, '', 'CAPTURE_BUCKET is not set'],
    [DriftJobEnvironment.models, '{"model": "penguins"}', 'DRIFT_MODELS must be an array of {model, version, bucket'],
    [
      DriftJobEnvironment.actThreshold,
      '0.05',
      'DRIFT_ACT_THRESHOLD (0.05) must not be below the watch threshold (0.1)',
    ],
    [DriftJobEnvironment.minimumRows, 'ten', 'DRIFT_MINIMUM_ROWS ("ten") must be a whole number'],
  ])('fails at creation when %s is %j, naming it', (name, value, message) => {
    expect(() => createDriftJob({ s3, eventBridge, environment: environment('x', { [name]: value }) })).toThrow(
      message,
    );
  });
});
