import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CAPTURE_FORMAT, type CaptureRecord } from '../../../contract/capture';
import { CAPTURE_MARKER } from '../../../contract/environment';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import {
  type CaptureFields,
  captureFileLine,
  captureLogLine,
  captureRecord,
  UnresolvedCaptureField,
} from '../../../lambda/monitoring/capture-record';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { binaryRequest, rawBytes } from '../../support/binary-tensor-data';
import { DEMO_MODELS } from '../../support/demo-models';

const registry = new ModelRegistry(
  onnxBackends(
    modelSourcesFromFolder(DEMO_MODELS).filter((source) => source.name === 'penguins'),
    loadOnnxModel,
  ),
);
const handler = createApiGatewayHandler(registry);
afterAll(() => registry.release());

const FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
const ROWS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 17.9, 192, 3500],
  [50.0, 15.2, 218, 5700],
  [39.1, 18.7, 181, 3750],
];
const NO_FIELDS: CaptureFields = { dropFields: [], hashFields: [], hashSalt: 'salt' };
const TIME = new Date('2026-12-02T00:30:00.123Z');

async function answered(event: APIGatewayProxyEvent) {
  const result = await handler(event, lambdaContext);
  expect(result.statusCode).toBe(200);
  return { event, result, requestId: 'request-1', time: TIME, model: 'penguins', version: '1' };
}

const jsonInfer = (body: object) => apiGatewayEvent({ method: 'POST', path: '/v2/models/penguins/infer', body });
const featuresInput = { name: 'features', shape: [ROWS.length, 4], datatype: 'FP32', data: ROWS };

function binaryInfer(parameters: object = {}) {
  const data = new Float32Array(ROWS.flat());
  const { body, headerLength } = binaryRequest(
    {
      inputs: [{ name: 'features', shape: [ROWS.length, 4], datatype: 'FP32', parameters: { binary_data_size: 64 } }],
      ...parameters,
    },
    [rawBytes(data)],
  );
  return apiGatewayEvent({
    method: 'POST',
    path: '/v2/models/penguins/infer',
    body,
    base64: true,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(headerLength),
      Accept: 'application/octet-stream',
    },
  });
}

describe('capture record', () => {
  it('keeps a JSON request and its answer as parsed JSON, with the request id standing in for a missing id', async () => {
    const exchange = await answered(jsonInfer({ inputs: [featuresInput] }));
    const record = captureRecord(exchange, NO_FIELDS);
    expect(record).toEqual({
      format: CAPTURE_FORMAT,
      kind: 'inference',
      id: 'request-1',
      requestId: 'request-1',
      time: '2026-12-02T00:30:00.123Z',
      model: 'penguins',
      version: '1',
      request: { contentType: 'application/json', json: { inputs: [featuresInput] } },
      response: { contentType: 'application/json', json: JSON.parse(exchange.result.body) },
    } satisfies CaptureRecord);
  });

  it("takes the record's id from the request body, which is what feedback refers to", async () => {
    const record = captureRecord(await answered(jsonInfer({ id: 'order-17', inputs: [featuresInput] })), NO_FIELDS);
    expect(record.id).toBe('order-17');
    expect(record.requestId).toBe('request-1');
  });

  it('writes a dropped feature as null in every row and nowhere else in the line', async () => {
    const exchange = await answered(jsonInfer({ inputs: [featuresInput] }));
    const record = captureRecord({ ...exchange, features: FEATURES }, { ...NO_FIELDS, dropFields: ['body_mass_g'] });
    const json = record.request.contentType === 'application/json' ? record.request.json : undefined;
    expect(json).toEqual({
      inputs: [{ ...featuresInput, data: ROWS.map((row) => [...row.slice(0, 3), null]) }],
    });
    for (const line of [captureLogLine(record), captureFileLine(record)]) {
      for (const mass of ['3750', '3500', '5700']) expect(line).not.toContain(mass);
    }
  });

  it('hashes a feature so that equal values give equal hashes, salted, and leaves the other features alone', async () => {
    const exchange = await answered(jsonInfer({ inputs: [featuresInput] }));
    const record = captureRecord({ ...exchange, features: FEATURES }, { ...NO_FIELDS, hashFields: ['body_mass_g'] });
    const json = record.request.contentType === 'application/json' ? record.request.json : undefined;
    const rows = (json as { inputs: { data: unknown[][] }[] }).inputs[0].data;
    const hashes = rows.map((row) => row[3]);
    expect(hashes[0]).toBe(createHash('sha256').update('salt3750').digest('hex').slice(0, 16));
    expect(hashes[0]).toBe(hashes[3]);
    expect(new Set(hashes).size).toBe(3);
    expect(rows.map((row) => row.slice(0, 3))).toEqual(ROWS.map((row) => row.slice(0, 3)));
    expect(captureLogLine(record)).not.toContain('5700');
  });

  it('drops a whole tensor by name, in the request or in the answer', async () => {
    const exchange = await answered(jsonInfer({ inputs: [featuresInput] }));
    const record = captureRecord(exchange, { ...NO_FIELDS, dropFields: ['features', 'label'] });
    const line = captureLogLine(record);
    for (const value of ['39.1', '3750', 'Adelie', 'Gentoo']) expect(line).not.toContain(value);
    const response = record.response.contentType === 'application/json' ? record.response.json : undefined;
    const outputs = (response as { outputs: { name: string; data: unknown[] }[] }).outputs;
    expect(outputs.find((output) => output.name === 'label')?.data).toEqual([null, null, null, null]);
    expect(outputs.find((output) => output.name === 'probabilities')?.data).toHaveLength(12);
  });

  it('keeps a binary request and a binary answer byte for byte, never re-encoded', async () => {
    const event = binaryInfer({ outputs: [{ name: 'probabilities', parameters: { binary_data: true } }] });
    const exchange = await answered(event);
    const record = captureRecord(exchange, NO_FIELDS);
    expect(record.request).toEqual({
      contentType: 'application/octet-stream',
      headerLength: Number(event.headers['Inference-Header-Content-Length']),
      base64: event.body,
    });
    expect(record.response).toEqual({
      contentType: 'application/octet-stream',
      headerLength: Number(exchange.result.headers?.['Inference-Header-Content-Length']),
      base64: exchange.result.body,
    });
    const parsed = JSON.parse(captureLogLine(record));
    expect(Buffer.from(parsed.request.base64, 'base64')).toEqual(Buffer.from(event.body ?? '', 'base64'));
  });

  it('captures a binary request as the equivalent JSON when one of its fields is dropped', async () => {
    const exchange = await answered(binaryInfer());
    const record = captureRecord({ ...exchange, features: FEATURES }, { ...NO_FIELDS, dropFields: ['body_mass_g'] });
    expect(record.request).toEqual({
      contentType: 'application/json',
      json: {
        inputs: [
          {
            name: 'features',
            shape: [ROWS.length, 4],
            datatype: 'FP32',
            data: ROWS.flat().map((value, index) => (index % 4 === 3 ? null : Math.fround(value))),
          },
        ],
      },
    });
    expect(captureLogLine(record)).not.toContain('3750');
  });

  it('fails to build a record when a field names no tensor and the feature names are unknown', async () => {
    const exchange = await answered(jsonInfer({ inputs: [featuresInput] }));
    expect(() => captureRecord(exchange, { ...NO_FIELDS, dropFields: ['body_mass_g'] })).toThrow(
      UnresolvedCaptureField,
    );
  });

  it('writes the log line with the marker the subscription filter matches, the file line without it', async () => {
    const event = binaryInfer();
    const record = captureRecord(await answered(event), NO_FIELDS);
    expect(JSON.parse(captureLogLine(record))).toEqual({ [CAPTURE_MARKER]: 1, ...record });
    expect(JSON.parse(captureFileLine(record))).toEqual(record);
  });
});
