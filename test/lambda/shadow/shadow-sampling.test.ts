import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  SHADOW_SAMPLE_MARKER,
  ShadowEnvironment,
  VERSION_DIMENSION,
} from '../../../contract/environment';
import {
  MAX_LOG_EVENT_BYTES,
  parseShadowSample,
  type ShadowSample,
  shadowSample,
} from '../../../lambda/shadow/shadow-sample';
import { withShadowSampling } from '../../../lambda/shadow/shadow-sampling';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { emfRecords, shadowRepository, versionHandler } from './shadow-fixtures';

const live = versionHandler(shadowRepository('same'), '1');
afterAll(() => live.registry.release());

const ROW = [39.1, 18.7, 181, 3750];
const inferEvent = (rows: number[][] = [ROW], path = '/v2/models/penguins/infer') =>
  apiGatewayEvent({
    method: 'POST',
    path,
    body: JSON.stringify({ inputs: [{ name: 'features', shape: [rows.length, 4], datatype: 'FP32', data: rows }] }),
  });

function sampler(rate: string | undefined, random: () => number = () => 0) {
  const lines: string[] = [];
  const environment = {
    ...(rate === undefined ? {} : { [ShadowEnvironment.sampleRate]: rate }),
    [ModelEnvironment.name]: 'penguins',
    [ModelEnvironment.version]: '1',
  };
  // The sample's work runs at once here; the test below checks that by default it waits until the answer is out.
  const handler = withShadowSampling(live.handler, environment, {
    write: (line) => lines.push(line),
    random,
    defer: (work) => work(),
  });
  return { handler, lines };
}

describe('shadow sampling on the live path', () => {
  it.each([undefined, '', '0', '-0.1', '1.5', 'often'])('leaves the handler untouched for sample rate %p', (rate) => {
    expect(sampler(rate).handler).toBe(live.handler);
  });

  it('writes the sample after the answer has been handed back, never before', async () => {
    const lines: string[] = [];
    const handler = withShadowSampling(
      live.handler,
      { [ShadowEnvironment.sampleRate]: '1' },
      { write: (line) => lines.push(line), random: () => 0 },
    );
    const answered = await handler(inferEvent(), lambdaContext);
    // The caller holds its answer, and nothing has been built or written for the sample yet.
    expect(answered.statusCode).toBe(200);
    expect(lines).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).answer.body).toBe(answered.body);
  });

  it('samples the share of inference requests whose draw falls below the rate', async () => {
    const draws = [0.04, 0.06, 0.01, 0.5];
    const { handler, lines } = sampler('0.05', () => draws.shift() ?? 1);
    for (let i = 0; i < 4; i++) expect((await handler(inferEvent(), lambdaContext)).statusCode).toBe(200);
    expect(lines).toHaveLength(2);
  });

  it('logs the request and the answer exactly as they travelled, with the marker the filter matches', async () => {
    const { handler, lines } = sampler('1');
    const event = inferEvent([ROW, ROW]);
    const result = await handler(event, lambdaContext);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      [SHADOW_SAMPLE_MARKER]: 1,
      requestId: lambdaContext.awsRequestId,
      path: '/v2/models/penguins/infer',
      request: { body: event.body ?? '', isBase64Encoded: false, contentType: 'application/json', accept: '*/*' },
      answer: { body: result.body, isBase64Encoded: false, contentType: 'application/json' },
    } satisfies ShadowSample);
    expect(parseShadowSample(lines[0])).toEqual(JSON.parse(lines[0]));
  });

  it('keeps a binary request base64 with its content type and JSON header length', async () => {
    const { handler, lines } = sampler('1');
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      }),
    );
    const event = apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/versions/1/infer',
      body: Buffer.concat([header, Buffer.from(new Float32Array(ROW).buffer)]),
      base64: true,
      headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length) },
    });
    const result = await handler(event, lambdaContext);
    expect(result.statusCode).toBe(200);
    // The base64 body is spliced into the line rather than escaped: the line must still be exactly the sample.
    expect(JSON.parse(lines[0])).toEqual(shadowSample(event, result, lambdaContext.awsRequestId));
    const sample = parseShadowSample(lines[0]) as ShadowSample;
    expect(sample.request).toEqual({
      body: event.body,
      isBase64Encoded: true,
      contentType: 'application/octet-stream',
      inferenceHeaderContentLength: String(header.length),
      accept: '*/*',
    });
  });

  it('samples no error answer, metadata request or v1 prediction', async () => {
    const { handler, lines } = sampler('1');
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

  it('skips a sample over the CloudWatch Logs event size limit and counts it', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => [39 + (i % 10), 18.7, 181, 3750]);
    let status = 0;
    const lines: string[] = [];
    const records = await emfRecords(async () => {
      // Built here: Powertools reads whether metrics are enabled when the metrics object is created.
      const { handler, lines: written } = sampler('1');
      status = (await handler(inferEvent(rows), lambdaContext)).statusCode;
      lines.push(...written);
    });
    expect(status).toBe(200);
    expect(lines.length).toBe(0);
    expect(records).toContainEqual(
      expect.objectContaining({
        [MODEL_DIMENSION]: 'penguins',
        [VERSION_DIMENSION]: '1',
        ShadowSamplesSkipped: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Namespace: METRICS_NAMESPACE })],
        }),
      }),
    );
    expect(MAX_LOG_EVENT_BYTES).toBe(262_118);
  });
});
