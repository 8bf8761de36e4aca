import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { expandPath, type Operation, ROUTES } from '../../contract/http-api';
import { type JsonSchema, SCHEMAS } from '../../contract/json-schemas';
import { MAX_TENSOR_RANK } from '../../contract/limits';
import { createApiGatewayHandler } from '../../lambda/api-gateway-handler';
import { ModelRegistry } from '../../lambda/model/model-registry';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS } from '../support/demo-models';
import { onnxBackendsOf } from '../support/model-backends';

// The schemas against real answers of the runtime, so that the OpenAPI document describes what it serves and API
// Gateway's request validator (draft 4) lets through every request the runtime accepts.

const openApiDialect = new Ajv2020({ strict: true });
const apiGatewayDialect = new AjvDraft04({ strict: true });

function errorsOf(validator: Ajv2020 | AjvDraft04, schema: JsonSchema, value: unknown): string | undefined {
  const validate = validator.compile(schema);
  return validate(value) ? undefined : validator.errorsText(validate.errors);
}

const PENGUINS = [
  [39.1, 18.7, 181, 3750],
  [46.5, 13.5, 210, 4550],
];

/** A request the runtime answers with 200 for each operation, on the penguins demo model. */
const REQUEST_BODIES: Readonly<Partial<Record<Operation, object>>> = {
  infer: {
    id: 'req-1',
    parameters: { note: 'ignored', count: 2, flag: true },
    inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: PENGUINS, parameters: { note: 'x' } }],
    outputs: [{ name: 'label', parameters: { binary_data: false } }],
  },
  predict: { instances: PENGUINS },
  feedback: { id: 'req-1', label: ['Adelie', 'Gentoo'] },
};

const registry = new ModelRegistry(onnxBackendsOf(DEMO_MODELS));
// Capture on (feedback kept nowhere): with it off, the feedback route answers 404 by design.
const handler = createApiGatewayHandler(registry, { feedback: () => undefined });
afterAll(() => registry.release());

async function call(method: string, path: string, body?: object) {
  const result: APIGatewayProxyResult = await handler(apiGatewayEvent({ method, path, body }), lambdaContext);
  return { status: result.statusCode, json: JSON.parse(result.body) as unknown };
}

const answered = ROUTES.flatMap((route) =>
  expandPath(route.path).map((path) => ({
    route,
    path: path.replace('{model}', 'penguins').replace('{version}', '1'),
  })),
);

describe('the JSON schemas', () => {
  it.each(answered)("describe the runtime's 200 answer to $route.method $path", async ({ route, path }) => {
    const { status, json } = await call(route.method, path, REQUEST_BODIES[route.operation]);
    expect(status).toBe(200);
    if (route.response !== undefined) expect(errorsOf(openApiDialect, SCHEMAS[route.response], json)).toBeUndefined();
  });

  it.each(ROUTES.flatMap((route) => (route.request === undefined ? [] : [[route.request, route.operation] as const])))(
    'let API Gateway (draft 4) pass the %s the runtime serves',
    (schema, operation) => {
      expect(errorsOf(apiGatewayDialect, SCHEMAS[schema], REQUEST_BODIES[operation])).toBeUndefined();
      expect(errorsOf(openApiDialect, SCHEMAS[schema], REQUEST_BODIES[operation])).toBeUndefined();
    },
  );

  it.each([
    ['no inputs', { outputs: [] }, 'inputs'],
    [
      'a datatype outside the protocol',
      { inputs: [{ name: 'x', shape: [1], datatype: 'FLOAT32', data: [1] }] },
      'allowed values',
    ],
    ['an input without data', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32' }] }, 'data'],
    ['a negative dimension', { inputs: [{ name: 'x', shape: [-1], datatype: 'FP32', data: [] }] }, '>= 0'],
    [
      'more dimensions than the runtime accepts',
      { inputs: [{ name: 'x', shape: new Array(MAX_TENSOR_RANK + 1).fill(1), datatype: 'FP32', data: [1] }] },
      `more than ${MAX_TENSOR_RANK} items`,
    ],
    [
      'an id that is not a string',
      { id: 7, inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] },
      'string',
    ],
  ])('reject an infer request with %s before a function runs', (_, body, message) => {
    expect(errorsOf(apiGatewayDialect, SCHEMAS.InferRequest, body)).toContain(message);
  });

  it('let an empty inputs list through to the runtime, which serves it to a model without inputs', () => {
    expect(errorsOf(apiGatewayDialect, SCHEMAS.InferRequest, { inputs: [] })).toBeUndefined();
  });

  it('reject a predict request without instances', () => {
    expect(errorsOf(apiGatewayDialect, SCHEMAS.PredictRequest, { instances: [] })).toContain('fewer than 1 items');
  });

  it.each([
    ['GET', '/v2/models/nope', undefined, 404],
    ['GET', '/v2/models/penguins/versions/9', undefined, 404],
    ['DELETE', '/v2/models/penguins', undefined, 405],
    [
      'POST',
      '/v2/models/penguins/infer',
      { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      400,
    ],
  ])('describe the error answer to %s %s (%#)', async (method, path, body, expected) => {
    const { status, json } = await call(method, path, body);
    expect(status).toBe(expected);
    expect(errorsOf(openApiDialect, SCHEMAS.Error, json)).toBeUndefined();
  });
});
