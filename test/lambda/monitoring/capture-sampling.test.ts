import type { CaptureRecord } from '../../../contract/capture';
import {
  CAPTURE_MARKER,
  CaptureEnvironment,
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  VERSION_DIMENSION,
} from '../../../contract/environment';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import {
  CAPTURE_RECORDS_SKIPPED_METRIC,
  type CaptureSamplingOptions,
  type CaptureSettings,
  captureLogWriter,
  captureSettings,
  withCapture,
} from '../../../lambda/monitoring/capture-sampling';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { binaryRequest, rawBytes } from '../../support/binary-tensor-data';
import { DEMO_MODELS } from '../../support/demo-models';
import { emfRecords } from '../shadow/shadow-fixtures';

const registry = new ModelRegistry(
  onnxBackends(
    modelSourcesFromFolder(DEMO_MODELS).filter((source) => source.name === 'penguins'),
    loadOnnxModel,
  ),
);
const live = createApiGatewayHandler(registry);
afterAll(() => registry.release());

const FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
const ROW = [39.1, 18.7, 181, 3757];
const ALL: CaptureSettings = { sampleRate: 1, dropFields: [], hashFields: [], hashSalt: '' };

const inferEvent = (rows: number[][] = [ROW], path = '/v2/models/penguins/infer', id?: string) =>
  apiGatewayEvent({
    method: 'POST',
    path,
    body: { ...(id && { id }), inputs: [{ name: 'features', shape: [rows.length, 4], datatype: 'FP32', data: rows }] },
  });

/** The capturing handler, writing log lines as Lambda would, with the record's work run at once. */
function capturing(settings: CaptureSettings | undefined, options: CaptureSamplingOptions = {}) {
  const lines: string[] = [];
  const handler = withCapture(live, settings, {
    write: captureLogWriter((line) => lines.push(line)),
    defer: (work) => work(),
    servedVersion: () => '1',
    features: () => FEATURES,
    ...options,
  });
  return { handler, lines };
}

describe('capture settings from the environment', () => {
  it('reads the rate and the field lists, ignoring blanks around commas', () => {
    expect(
      captureSettings({
        [CaptureEnvironment.sampleRate]: '0.25',
        [CaptureEnvironment.dropFields]: 'body_mass_g, bill_length_mm ,',
        [CaptureEnvironment.hashFields]: 'customer',
        [CaptureEnvironment.hashSalt]: 's3cret',
      }),
    ).toEqual({
      sampleRate: 0.25,
      dropFields: ['body_mass_g', 'bill_length_mm'],
      hashFields: ['customer'],
      hashSalt: 's3cret',
    });
  });

  it.each([undefined, '', ' '])('leaves capture off for sample rate %p', (rate) => {
    expect(captureSettings(rate === undefined ? {} : { [CaptureEnvironment.sampleRate]: rate })).toBeUndefined();
  });

  it.each(['0', '-0.1', '1.5', 'often', 'NaN'])('turns capture off for the invalid sample rate %p', (rate) => {
    expect(captureSettings({ [CaptureEnvironment.sampleRate]: rate })).toBeUndefined();
  });

  it('turns capture off when fields are to be hashed without a salt', () => {
    expect(
      captureSettings({ [CaptureEnvironment.sampleRate]: '1', [CaptureEnvironment.hashFields]: 'customer' }),
    ).toBeUndefined();
  });
});

describe('capture on the live path', () => {
  it('leaves the handler untouched when capture is off', () => {
    expect(withCapture(live, undefined)).toBe(live);
  });

  it('writes the record after the answer has been handed back, never before', async () => {
    const written: CaptureRecord[] = [];
    const handler = withCapture(live, ALL, { write: (record) => written.push(record), servedVersion: () => '1' });
    const answered = await handler(inferEvent(), lambdaContext);
    expect(answered.statusCode).toBe(200);
    expect(written).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toHaveLength(1);
    expect(written[0].response).toEqual({ contentType: 'application/json', json: JSON.parse(answered.body) });
  });

  it('captures the share of inference requests whose draw falls below the rate', async () => {
    const draws = [0.24, 0.26, 0.01, 0.9];
    const { handler, lines } = capturing({ ...ALL, sampleRate: 0.25 }, { random: () => draws.shift() ?? 1 });
    for (let i = 0; i < 4; i++) expect((await handler(inferEvent(), lambdaContext)).statusCode).toBe(200);
    expect(lines).toHaveLength(2);
  });

  it('writes one log line with the marker, the request id, the served version and the id the caller gave', async () => {
    const versions: [string, string | undefined][] = [];
    const { handler, lines } = capturing(ALL, {
      servedVersion: (model, version) => {
        versions.push([model, version]);
        return version ?? '1';
      },
    });
    await handler(inferEvent([ROW], '/v2/models/penguins/infer', 'order-17'), lambdaContext);
    await handler(inferEvent([ROW], '/v2/models/penguins/versions/1/infer'), lambdaContext);
    expect(versions).toEqual([
      ['penguins', undefined],
      ['penguins', '1'],
    ]);
    const records = lines.map((line) => JSON.parse(line));
    expect(records.map((record) => [record[CAPTURE_MARKER], record.id, record.requestId, record.version])).toEqual([
      [1, 'order-17', lambdaContext.awsRequestId, '1'],
      [1, lambdaContext.awsRequestId, lambdaContext.awsRequestId, '1'],
    ]);
  });

  it('captures no error answer, metadata request or v1 prediction', async () => {
    const { handler, lines } = capturing(ALL);
    const bad = apiGatewayEvent({ method: 'POST', path: '/v2/models/penguins/infer', body: '{"inputs": []}' });
    expect((await handler(bad, lambdaContext)).statusCode).toBe(400);
    expect((await handler(apiGatewayEvent({ path: '/v2/models/penguins' }), lambdaContext)).statusCode).toBe(200);
    const predict = apiGatewayEvent({
      method: 'POST',
      path: '/v1/models/penguins:predict',
      body: { instances: [ROW] },
    });
    expect((await handler(predict, lambdaContext)).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('never writes a dropped field anywhere in the line, and hashes equal values alike', async () => {
    const { handler, lines } = capturing({
      ...ALL,
      dropFields: ['body_mass_g'],
      hashFields: ['bill_length_mm'],
      hashSalt: 'salt',
    });
    const rows = [ROW, [39.1, 17.1, 190, 4121], [45.3, 17.1, 200, 5397]];
    expect((await handler(inferEvent(rows), lambdaContext)).statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    // As a number or a string anywhere in the line, not as digits inside the record id, a hash or the timestamp.
    for (const value of ['3757', '4121', '5397', '39.1', '45.3']) {
      expect(lines[0]).not.toMatch(new RegExp(`[[:,"]${value.replace('.', '\\.')}[,\\]}"]`));
    }
    const data = JSON.parse(lines[0]).request.json.inputs[0].data as unknown[][];
    expect(data.map((row) => row[3])).toEqual([null, null, null]);
    expect(data[0][0]).toBe(data[1][0]);
    expect(data[0][0]).not.toBe(data[2][0]);
  });

  it('keeps a binary request byte-exact in the line', async () => {
    const { handler, lines } = capturing(ALL);
    const { body, headerLength } = binaryRequest(
      { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
      [rawBytes(new Float32Array(ROW))],
    );
    const event = apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body,
      base64: true,
      headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(headerLength) },
    });
    expect((await handler(event, lambdaContext)).statusCode).toBe(200);
    const request = JSON.parse(lines[0]).request;
    expect(request).toEqual({ contentType: 'application/octet-stream', headerLength, base64: body.toString('base64') });
    expect(Buffer.from(request.base64, 'base64').equals(body)).toBe(true);
  });

  it('answers as usual and writes nothing when a field cannot be located', async () => {
    const { handler, lines } = capturing({ ...ALL, dropFields: ['ssn'] }, { features: () => undefined });
    expect((await handler(inferEvent(), lambdaContext)).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('skips a record over the CloudWatch Logs event size limit and counts it', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => [39 + (i % 10), 18.7, 181, 3750]);
    let status = 0;
    const lines: string[] = [];
    const records = await emfRecords(async () => {
      const { handler, lines: written } = capturing(ALL);
      status = (await handler(inferEvent(rows), lambdaContext)).statusCode;
      lines.push(...written);
    });
    expect(status).toBe(200);
    expect(lines).toEqual([]);
    expect(records).toContainEqual(
      expect.objectContaining({
        [MODEL_DIMENSION]: 'penguins',
        [VERSION_DIMENSION]: '1',
        [CAPTURE_RECORDS_SKIPPED_METRIC]: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: METRICS_NAMESPACE })],
        }),
      }),
    );
  });

  it('takes the served version from the function environment by default', async () => {
    const previous = process.env[ModelEnvironment.version];
    process.env[ModelEnvironment.version] = '7';
    try {
      const written: CaptureRecord[] = [];
      const handler = withCapture(live, ALL, { write: (record) => written.push(record), defer: (work) => work() });
      await handler(inferEvent(), lambdaContext);
      expect(written.map((record) => record.version)).toEqual(['7']);
    } finally {
      if (previous === undefined) delete process.env[ModelEnvironment.version];
      else process.env[ModelEnvironment.version] = previous;
    }
  });
});
