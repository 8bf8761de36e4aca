import { CAPTURE_FORMAT, type FeedbackRecord } from '../../../contract/capture';
import { CAPTURE_MARKER } from '../../../contract/environment';
import { createApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { feedbackLogSink, feedbackRecord } from '../../../lambda/monitoring/feedback';
import { BadRequestError } from '../../../lambda/protocol/errors';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { DEMO_MODELS } from '../../support/demo-models';

const TIME = new Date('2026-12-02T01:00:00.000Z');

describe('feedback record', () => {
  it.each([
    [{ id: 'a', label: 'Adelie' }, ['Adelie']],
    [{ id: 'a', label: 2 }, [2]],
    [{ id: 'a', label: ['Adelie', 0, 'Gentoo'] }, ['Adelie', 0, 'Gentoo']],
    [{ id: 'a', value: 3.25 }, [3.25]],
    [{ id: 'a', value: [1, -2.5] }, [1, -2.5]],
  ])('keeps %j as the truth %j', (body, truth) => {
    expect(feedbackRecord('penguins', body, TIME)).toEqual({
      format: CAPTURE_FORMAT,
      kind: 'feedback',
      id: 'a',
      time: '2026-12-02T01:00:00.000Z',
      model: 'penguins',
      truth,
    } satisfies FeedbackRecord);
  });

  it.each([
    [['a'], /the feedback body must be a JSON object/],
    [null, /the feedback body must be a JSON object/],
    [{ label: 'Adelie' }, /"id" must be .* got nothing/],
    [{ id: '', label: 'Adelie' }, /"id" must be .* got an empty string/],
    [{ id: 'x'.repeat(257), label: 'Adelie' }, /"id" must be .*1 to 256 characters; got a string of 257 characters/],
    [{ id: 17, label: 'Adelie' }, /"id" must be .* got "17"/],
    [{ id: 'a' }, /the feedback has no truth: give "label" .* or "value"/],
    [{ id: 'a', label: 'Adelie', value: 1 }, /either "label" or "value", not both/],
    [{ id: 'a', label: 1.5 }, /"label" must be a class label \(a string\) or a class index/],
    [{ id: 'a', label: -1 }, /"label" must be a class label/],
    [{ id: 'a', label: ['Adelie', true] }, /"label"\[1\] must be a class label .* got "true"/],
    [{ id: 'a', value: '3.2' }, /"value" must be a finite number/],
    [{ id: 'a', value: [1, null] }, /"value"\[1\] must be a finite number; got null/],
    [{ id: 'a', value: [] }, /"value" is an empty array/],
  ])('rejects %j with a message naming the field', (body, message) => {
    expect(() => feedbackRecord('penguins', body, TIME)).toThrow(BadRequestError);
    expect(() => feedbackRecord('penguins', body, TIME)).toThrow(message);
  });
});

describe('the feedback route', () => {
  const registry = new ModelRegistry(onnxBackends(modelSourcesFromFolder(DEMO_MODELS), loadOnnxModel));
  afterAll(() => registry.release());
  const lines: string[] = [];
  const captured = createApiGatewayHandler(registry, { feedback: feedbackLogSink((line) => lines.push(line)) });
  const uncaptured = createApiGatewayHandler(registry);
  const feedback = (body: unknown, model = 'penguins', method = 'POST') =>
    apiGatewayEvent({ method, path: `/v2/models/${model}/feedback`, body: JSON.stringify(body) });
  beforeEach(() => {
    lines.length = 0;
  });

  it('answers 200 {"accepted": true} and writes the feedback as a log line with the capture marker', async () => {
    const result = await captured(feedback({ id: 'order-17', label: 'Gentoo' }), lambdaContext);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ accepted: true });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      [CAPTURE_MARKER]: 1,
      format: CAPTURE_FORMAT,
      kind: 'feedback',
      id: 'order-17',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      model: 'penguins',
      truth: ['Gentoo'],
    });
  });

  it('returns 404 saying capture is off when the model is not captured', async () => {
    const result = await uncaptured(feedback({ id: 'order-17', label: 'Gentoo' }), lambdaContext);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body).error).toMatch(
      /^capture is off for model "penguins"; feedback is only kept for captured models/,
    );
  });

  it('returns 404 for an unknown model, whether capture is on or off', async () => {
    for (const handler of [captured, uncaptured]) {
      const result = await handler(feedback({ id: 'a', label: 'x' }, 'iris'), lambdaContext);
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body).error).toMatch(/^unknown model "iris"/);
    }
    expect(lines).toEqual([]);
  });

  it('returns 400 naming the field for an invalid body, and keeps nothing', async () => {
    const result = await captured(feedback({ id: 'order-17', label: 'Gentoo', value: 1 }), lambdaContext);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error).toMatch(/either "label" or "value", not both/);
    const notJson = apiGatewayEvent({ method: 'POST', path: '/v2/models/penguins/feedback', body: '{"id":' });
    const invalid = await captured(notJson, lambdaContext);
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body).error).toMatch(/not valid JSON .* the body must be a JSON object with the/);
    expect(lines).toEqual([]);
  });

  it('returns 405 for a GET, allowing POST', async () => {
    const result = await captured(feedback({}, 'penguins', 'GET'), lambdaContext);
    expect(result.statusCode).toBe(405);
    expect(result.headers?.allow).toBe('POST');
  });

  it('returns 413 for feedback too large for one log record, and keeps nothing', async () => {
    const label = Array.from({ length: 40_000 }, () => 'Chinstrap');
    const result = await captured(feedback({ id: 'batch-1', label }), lambdaContext);
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body).error).toMatch(/send it in smaller batches/);
    expect(lines).toEqual([]);
  });
});
