import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import S3rver from 's3rver';
import { CaptureWriterEnvironment, DRIFT_EVENT, DriftJobEnvironment } from '../../contract/environment';
import { captureSettings } from '../../lambda/monitoring/capture-sampling';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { loadPenguinsSplit } from '../../scripts/train/penguins-data';
import { type EventBridgeServer, startEventBridgeServer } from '../lambda/monitoring/support/eventbridge-server';
import { PenguinTraffic } from '../lambda/monitoring/support/penguin-traffic';
import { cloudWatchLogsEvent } from '../lambda/shadow/shadow-fixtures';
import { DEMO_MODELS } from '../support/demo-models';
import { putObjectAndWait } from '../support/s3-put';
import { bundleDir, deployedEnvironment, externalModules, jsonLines, REGION, runBundle } from './bundle-runtime';
import { buildCheckedStack } from './synth';

// The capture writer and the drift job as `cdk deploy` ships them (test/lib/bundle-runtime.ts): their bundles run in
// fresh Node.js processes with the environment the template gives them, against s3rver and a loopback EventBridge.
// The captured lines come from the real runtime handler with the capture settings the template gives the penguins
// function, so this covers the whole path: lib/ sets what each runtime part reads, and each part reads what the one
// before it wrote.
const MODEL_BUCKET = 'deployed-model-bucket';
const CAPTURE_BUCKET = 'deployed-capture-bucket';
const SYNTH_TIMEOUT_MS = 180_000;

const { train, heldOut } = loadPenguinsSplit();
const shifted = heldOut.features.map((row) => [row[0], row[1], row[2], (row[3] ?? 0) * 1.3]);

let app: App;
let stack: ModelEndpointStack;
let template: Template;
let repository: string;
let s3: S3rver;
let s3Endpoint: string;
let events: EventBridgeServer;

/** Resolves the references a template value holds: `Ref`s by logical id, and `Fn::Join` over them. */
function resolve(value: unknown, refs: Readonly<Record<string, string>>): string {
  if (typeof value === 'string') return value;
  const object = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (object.Ref !== undefined) {
    const literal = refs[object.Ref];
    if (literal === undefined) throw new Error(`no literal for Ref ${object.Ref}`);
    return literal;
  }
  if (object['Fn::Join'] !== undefined) {
    const [separator, parts] = object['Fn::Join'];
    return parts.map((part) => resolve(part, refs)).join(separator);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const logicalId = (fn: { node: { defaultChild?: unknown } }) =>
  Stack.of(stack).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);

function functionVariables(fn: lambda.IFunction): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalId(fn)] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

beforeAll(async () => {
  // The demo penguins with a training baseline in model.json, as npm run train writes it.
  repository = fs.mkdtempSync(path.join(tmpdir(), 'monitored-models-'));
  fs.cpSync(path.join(DEMO_MODELS, 'penguins'), path.join(repository, 'penguins'), { recursive: true });
  const baselineTraffic = new PenguinTraffic();
  const manifest = await baselineTraffic.manifestWithBaseline(train.features);
  await baselineTraffic.release();
  fs.writeFileSync(path.join(repository, 'penguins', '1', 'model.json'), `${JSON.stringify(manifest)}\n`);
  ({ app, stack } = await buildCheckedStack(
    {
      modelsDir: repository,
      models: { penguins: { capture: { sampleRate: 1 } } },
      // The 86 held-out penguins are fewer than the default minimum of 100 rows.
      monitoring: { minimumRows: 50 },
    },
    { bundling: true },
  ));
  app.synth();
  template = Template.fromStack(stack);

  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: fs.mkdtempSync(path.join(tmpdir(), 's3rver-')),
    configureBuckets: [{ name: MODEL_BUCKET }, { name: CAPTURE_BUCKET }],
  });
  const { port } = await s3.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint: s3Endpoint,
    forcePathStyle: true,
    region: REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  // The descriptor as the model store uploads it: these bytes under the key the template pins.
  const artifact = stack.modelStore.artifactOf('penguins', '1');
  await putObjectAndWait(client, MODEL_BUCKET, artifact.descriptorKey, artifact.descriptorJson);
  client.destroy();
  events = await startEventBridgeServer();
}, SYNTH_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all([events?.close(), s3?.close()]);
  if (app !== undefined) fs.rmSync(app.outdir, { recursive: true, force: true });
  if (repository !== undefined) fs.rmSync(repository, { recursive: true, force: true });
});

const refs = () => ({
  [Stack.of(stack).getLogicalId(stack.modelStore.bucket.node.defaultChild as lambda.CfnFunction)]: MODEL_BUCKET,
});

describe('the capture writer and the drift job as deployed', () => {
  it('store the penguins function’s captures, then flag the 30 % heavier penguins and send the drift event', async () => {
    const capture = stack.capture;
    const job = stack.driftJob;
    const [penguins] = stack.models;
    if (capture === undefined || job === undefined || penguins === undefined) {
      throw new Error('penguins is captured and has a baseline: the stack must have capture and a drift job');
    }
    // The function's capture settings, from its environment as the template sets it.
    const modelVariables = Object.fromEntries(
      Object.entries(functionVariables(penguins.function)).filter(([, value]) => typeof value === 'string'),
    ) as Record<string, string>;
    const settings = captureSettings(modelVariables);
    expect(settings).toMatchObject({ sampleRate: 1, dropFields: [], hashFields: [] });
    const traffic = new PenguinTraffic(settings);
    try {
      await traffic.infer(shifted, 'shifted');
      await traffic.feedback(heldOut.species, 'shifted');
    } finally {
      await traffic.release();
    }

    const writerBundle = bundleDir(app, capture.writer);
    expect(fs.readdirSync(writerBundle).sort()).toEqual(['index.js', 'index.js.map']);
    expect(externalModules(path.join(writerBundle, 'index.js'))).toEqual(['@aws-sdk/client-s3']);
    const writerRun = await runBundle(
      writerBundle,
      deployedEnvironment(template, capture.writer, { [CaptureWriterEnvironment.bucket]: CAPTURE_BUCKET }),
      { S3: s3Endpoint },
      [cloudWatchLogsEvent(traffic.takeLines())],
    );
    expect(writerRun.initOutput).toBe('');
    expect(writerRun.stderr).toBe('');
    const [written] = writerRun.results as { objects: { key: string; records: number }[]; skipped: number }[];
    expect(written?.skipped).toBe(0);
    expect(written?.objects.reduce((sum, object) => sum + object.records, 0)).toBe(2 * heldOut.features.length);

    const jobBundle = bundleDir(app, job.function);
    expect(externalModules(path.join(jobBundle, 'index.js'))).toEqual([
      '@aws-sdk/client-eventbridge',
      '@aws-sdk/client-s3',
    ]);
    const jobVariables = functionVariables(job.function);
    const jobRun = await runBundle(
      jobBundle,
      deployedEnvironment(template, job.function, {
        [DriftJobEnvironment.captureBucket]: CAPTURE_BUCKET,
        [DriftJobEnvironment.models]: resolve(jobVariables[DriftJobEnvironment.models], refs()),
      }),
      { S3: s3Endpoint, EVENTBRIDGE: events.endpoint },
      [{ time: new Date(Date.now() + 60_000).toISOString() }],
    );
    expect(jobRun.initOutput).toBe('');
    const [outcomes] = jobRun.results as { model: string; verdict: string; rows: number; accuracy?: number }[][];
    expect(outcomes).toEqual([
      expect.objectContaining({ model: 'penguins', version: '1', verdict: 'act', rows: 86, eventSent: true }),
    ]);
    expect(events.entries).toEqual([
      expect.objectContaining({ Source: DRIFT_EVENT.source, DetailType: DRIFT_EVENT.detailType }),
    ]);
    const detail = JSON.parse(events.entries[0]?.Detail ?? '{}') as { features: { name: string }[] };
    expect(detail.features[0]?.name).toBe('body_mass_g');
    // The metrics as CloudWatch extracts them from the log: EMF lines in the runtime's namespace.
    const metricLines = jsonLines(jobRun.invocationStdout).filter((line) => line._aws !== undefined);
    expect(metricLines).toContainEqual(
      expect.objectContaining({ service: 'model-endpoint', model: 'penguins', version: '1', CapturedRows: 86 }),
    );
    expect(metricLines).toContainEqual(
      expect.objectContaining({ feature: 'body_mass_g', FeatureDrift: expect.any(Number) }),
    );
  });
});
