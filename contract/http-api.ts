/**
 * The HTTP API's route table, the one place a route is declared. The runtime's router, the API Gateway resources and
 * request models, the OpenAPI document and the README's route table are all derived from it.
 */
import type { SchemaName } from './json-schemas';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from './model-repository';

/** The version of this HTTP contract, reported as the OpenAPI document's `info.version`. */
export const HTTP_API_VERSION = '0.1.0';

export type Operation =
  | 'live'
  | 'ready'
  | 'server'
  | 'openapi'
  | 'modelMetadata'
  | 'modelReady'
  | 'infer'
  | 'predict'
  | 'feedback';

export type HttpMethod = 'GET' | 'POST';

/** A status other than 200 that a route answers on its own (405 and 500 can come from every route). */
export type ErrorStatus = 400 | 404 | 413 | 503;

export interface HttpRoute {
  readonly operation: Operation;
  readonly method: HttpMethod;
  /**
   * The path, with `{model}` and `{version}` parameters and at most one optional part in brackets: a route whose
   * path has `[/versions/{version}]` is served both without and with it.
   */
  readonly path: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** The README's "answer" column (Markdown). */
  readonly answer: string;
  /** The JSON body it takes; validated by API Gateway before a function runs. */
  readonly request?: SchemaName;
  /** Whether it also takes an application/octet-stream body (the binary tensor data extension). */
  readonly binaryTensorData?: boolean;
  /** The JSON body of its 200 answer; undefined for the OpenAPI document itself. */
  readonly response?: SchemaName;
  /** Error statuses it answers besides 405 and 500, with the Error body unless `notReady` names another. */
  readonly errors: readonly ErrorStatus[];
  /** The body of its 503 when that is not an Error: a readiness answer saying false. */
  readonly notReady?: SchemaName;
  /**
   * A body API Gateway answers by itself (a mock integration): no function is invoked. Without it, a route without
   * `{model}` goes to the first model's function, and a model's route to that model's function.
   */
  readonly gatewayAnswer?: object;
}

export const ROUTES: readonly HttpRoute[] = [
  {
    operation: 'live',
    method: 'GET',
    path: '/v2/health/live',
    summary: 'Server liveness',
    answer: '`{"live": true}`',
    response: 'Live',
    errors: [],
    // Answered by API Gateway: it costs no invocation or cold start, and each function has its own liveness.
    gatewayAnswer: { live: true },
  },
  {
    operation: 'ready',
    method: 'GET',
    path: '/v2/health/ready',
    summary: 'Server readiness: every model loaded',
    answer: '`{"ready": true}` once every model is loaded; 503 `{"ready": false}` otherwise',
    response: 'Ready',
    errors: [503],
    notReady: 'Ready',
    // Each function loads its model on its own cold start, so on AWS "ready" means the API accepts requests; a
    // model's own readiness is its /ready route, answered by its function.
    gatewayAnswer: { ready: true },
  },
  {
    operation: 'server',
    method: 'GET',
    path: '/v2',
    summary: 'Server metadata',
    answer: '`{"name": "model-endpoint", "version", "extensions": ["binary_tensor_data"]}`',
    response: 'ServerMetadata',
    errors: [],
  },
  {
    operation: 'openapi',
    method: 'GET',
    path: '/v2/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    answer: 'this API as an OpenAPI 3.1 document',
    errors: [],
  },
  {
    operation: 'modelMetadata',
    method: 'GET',
    path: '/v2/models/{model}[/versions/{version}]',
    summary: 'Model metadata: input and output names, datatypes and shapes',
    answer:
      '`{"name", "versions", "platform": "onnxruntime_onnx", "inputs", "outputs"}`; dynamic dims are `-1`, and a tensor of unknown rank shows `[-1]` (any rank)',
    response: 'ModelMetadata',
    errors: [404, 503],
  },
  {
    operation: 'modelReady',
    method: 'GET',
    path: '/v2/models/{model}[/versions/{version}]/ready',
    summary: 'Model readiness: loaded and able to infer',
    answer: '`{"name", "ready"}` (503 while it cannot be loaded)',
    response: 'ModelReady',
    errors: [404, 503],
    notReady: 'ModelReady',
  },
  {
    operation: 'infer',
    method: 'POST',
    path: '/v2/models/{model}[/versions/{version}]/infer',
    summary: 'Inference',
    answer: 'inference, below',
    request: 'InferRequest',
    binaryTensorData: true,
    response: 'InferResponse',
    errors: [400, 404, 413, 503],
  },
  {
    operation: 'predict',
    method: 'POST',
    path: '/v1/models/{model}:predict',
    summary: 'Inference for single-input models, KServe v1 style',
    answer: '`{"instances": [...]}` → `{"predictions": [...]}` for single-input models',
    request: 'PredictRequest',
    response: 'PredictResponse',
    errors: [400, 404, 413, 503],
  },
  {
    operation: 'feedback',
    method: 'POST',
    path: '/v2/models/{model}/feedback',
    summary: 'The true label or value of an earlier inference, for model quality monitoring',
    answer:
      '`{"id", "label"}` or `{"id", "value"}` (the inference request\'s `id`, one truth per batch row) → `{"accepted": true}`; 404 while capture is off for the model',
    request: 'FeedbackRequest',
    response: 'FeedbackAccepted',
    errors: [400, 404, 413],
  },
];

export interface PathParameter {
  /** How the README and error messages write it. */
  readonly display: string;
  readonly pattern: RegExp;
  readonly description: string;
}

export const PATH_PARAMETERS: Readonly<Record<'model' | 'version', PathParameter>> = {
  model: {
    display: '<name>',
    pattern: MODEL_NAME_PATTERN,
    description: 'The model name: lowercase letters, digits, "-" and "_", starting with a letter or digit.',
  },
  version: {
    display: '<version>',
    pattern: MODEL_VERSION_PATTERN,
    description: 'A model version, a positive integer; without it, the highest version serves.',
  },
};

const OPTIONAL_PART = /\[([^\]]*)\]/;

/** The concrete path templates of a route: without its optional part first, then with it. */
export function expandPath(path: string): string[] {
  const optional = OPTIONAL_PART.exec(path);
  if (optional === null) return [path];
  return [path.replace(OPTIONAL_PART, ''), path.replace(OPTIONAL_PART, optional[1] ?? '')];
}

/** The path as the README and error messages write it: `/v2/models/<name>[/versions/<version>]`. */
export function displayPath(path: string): string {
  return path.replace(/\{(model|version)\}/g, (_, name: 'model' | 'version') => PATH_PARAMETERS[name].display);
}

/** The parameter names of a path template, in order. */
export function pathParameters(path: string): ('model' | 'version')[] {
  return [...path.matchAll(/\{(model|version)\}/g)].map((match) => match[1] as 'model' | 'version');
}

/** Every route as `VERB path`, for messages that tell a caller what the API serves. */
export function describeRoutes(): string {
  return ROUTES.map((route) => `${route.method} ${displayPath(route.path)}`).join(', ');
}

/** The README's "Calling the API" table. */
export function routeTableMarkdown(): string {
  const rows = ROUTES.map((route) => `| ${route.method} | \`${displayPath(route.path)}\` | ${route.answer} |`);
  return ['| verb | path | answer |', '|---|---|---|', ...rows].join('\n');
}
