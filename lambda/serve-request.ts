import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { RuntimeMetric } from '../contract/environment';
import { openApiDocument } from '../contract/openapi';
import type { ModelRegistry } from './model/model-registry';
import { FEEDBACK_REQUEST_BODY, type FeedbackSink, feedbackRecord } from './monitoring/feedback';
import { annotate, logger, recordModelMetric, recordModelTiming, traced } from './observability';
import {
  acceptsBinaryResponse,
  INFERENCE_HEADER_CONTENT_LENGTH,
  joinBinaryBody,
  splitBinaryBody,
} from './protocol/binary-tensor-data';
import { BadRequestError, InferenceError, NotFoundError } from './protocol/errors';
import { decodeInferRequest, INFER_REQUEST_BODY, type InferRequest } from './protocol/infer-request';
import { encodeInferResponse } from './protocol/infer-response';
import { quote } from './protocol/json';
import { parseJsonBody } from './protocol/json-body';
import { modelMetadata, serverMetadata } from './protocol/metadata';
import { matchRoute, type Route } from './protocol/routes';
import type { ModelSpec, Tensor } from './protocol/tensor';
import { decodePredictRequest, encodePredictResponse, PREDICT_REQUEST_BODY } from './protocol/v1-predict';

/** An HTTP request as the runtime sees it, whether it came from API Gateway or the local server. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** Header names lowercased (HTTP header names are case-insensitive and API Gateway passes them as sent). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Text as API Gateway delivers it (kept a string so JSON is parsed without a round trip through bytes), or bytes. */
  readonly body?: Uint8Array | string;
}

/**
 * An answer: the status and the value to serialise as JSON, or, when `binaryBody` is set, bytes to send as they are
 * (application/octet-stream) with `body` holding the JSON header they start with.
 */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly binaryBody?: Uint8Array;
  /** Extra response headers, such as Inference-Header-Content-Length for a binary body. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a server does beyond serving models. */
export interface ServeOptions {
  /** Keeps feedback for the models whose requests are captured. @default - capture off: feedback is refused (404) */
  readonly feedback?: FeedbackSink;
}

/** The server version reported by `GET /v2`. */
export const SERVER_VERSION = '0.1.0';

/**
 * The protocol core: routes one request to the registry's models and answers it. Throws InferenceError subclasses
 * for client mistakes; the adapter turns them (and anything else) into HTTP responses.
 */
export async function serveRequest(
  registry: ModelRegistry,
  request: ApiRequest,
  options: ServeOptions = {},
): Promise<ApiResponse> {
  const route = matchRoute(request.method, request.path);
  if (!('model' in route)) return serveRoute(registry, route, request, options);
  try {
    const response = await serveRoute(registry, route, request, options);
    if (response.statusCode >= 500) countModelError(registry, route);
    return response;
  } catch (error) {
    if (!(error instanceof InferenceError) || error.statusCode >= 500) countModelError(registry, route);
    throw error;
  }
}

/**
 * Counts a 5xx answer for a model as `InferenceErrors`: the handler answers it itself, so Lambda sees a successful
 * invocation and its `Errors` metric stays at zero. Client mistakes (4xx) are not the model's failures.
 */
function countModelError(registry: ModelRegistry, route: Route & { readonly model: string }): void {
  const version = 'version' in route ? route.version : undefined;
  try {
    const model = { model: route.model, version: registry.servedVersion(route.model, version) };
    recordModelMetric(RuntimeMetric.inferenceErrors, model, MetricUnit.Count, 1);
  } catch (error) {
    logger.warn('cannot count the error of an unknown model', { model: route.model, version, error });
  }
}

async function serveRoute(
  registry: ModelRegistry,
  route: Route,
  request: ApiRequest,
  options: ServeOptions,
): Promise<ApiResponse> {
  switch (route.kind) {
    case 'live':
      return ok({ live: true });
    case 'ready': {
      // A readiness probe retries failed loads, so an endpoint recovers without waiting for an inference request.
      const failures = await registry.loadAll();
      return failures.length === 0 ? ok({ ready: true }) : { statusCode: 503, body: { ready: false } };
    }
    case 'server':
      return ok(serverMetadata(SERVER_VERSION));
    case 'openapi':
      return ok(openApiDocument());
    case 'modelMetadata': {
      const model = await registry.get(route.model, route.version);
      return ok(modelMetadata(model.spec, registry.versionsOf(route.model)));
    }
    case 'modelReady': {
      const ready = await registry.tryLoad(route.model, route.version);
      return { statusCode: ready ? 200 : 503, body: { name: route.model, ready } };
    }
    case 'infer': {
      const model = await registry.get(route.model, route.version);
      const inferRequest = decodeInfer(request, model.spec);
      // A forwarded model (a SageMaker endpoint) gets the request as it came, once it is known to be valid.
      const forward = model.forward;
      if (forward !== undefined) return runModel(model.spec, () => forward(request));
      const outputs = await runModel(model.spec, () => model.run(inferRequest.inputs, inferRequest.outputs));
      return encodeInfer(model.spec, inferRequest, outputs);
    }
    case 'predict': {
      const model = await registry.get(route.model);
      const body = parseJsonBody(request.body, PREDICT_REQUEST_BODY);
      const inferRequest: InferRequest = decodePredictRequest(body, model.spec);
      const outputs = await runModel(model.spec, () => model.run(inferRequest.inputs, inferRequest.outputs));
      return ok(encodePredictResponse(model.spec, outputs));
    }
    case 'feedback': {
      // An unknown model is a 404 like on every other route, before anything is said about capture.
      registry.servedVersion(route.model);
      if (options.feedback === undefined) {
        throw new NotFoundError(
          `capture is off for model ${quote(route.model)}; feedback is only kept for captured models (turn capture ` +
            'on in the deployment config, or start the local server with --capture DIR)',
        );
      }
      const body = parseJsonBody(request.body, FEEDBACK_REQUEST_BODY);
      options.feedback(feedbackRecord(route.model, body, new Date()));
      return ok({ accepted: true });
    }
  }
}

function ok(body: unknown): ApiResponse {
  return { statusCode: 200, body };
}

/**
 * The Inference-Header-Content-Length request header selects the binary tensor data extension's body layout. A
 * request for binary outputs is refused before the model runs unless its Accept header lets API Gateway deliver them.
 */
function decodeInfer(request: ApiRequest, model: ModelSpec): InferRequest {
  const inferRequest = decodeInferBody(request, model);
  const accept = request.headers?.accept;
  if (inferRequest.binaryOutputs !== undefined && !acceptsBinaryResponse(accept)) {
    throw new BadRequestError(
      `outputs ${inferRequest.binaryOutputs.map((name) => `"${name}"`).join(', ')} are requested as binary data, but ` +
        `the Accept header is ${accept === undefined ? 'missing' : quote(accept)}: API Gateway ` +
        'delivers binary answers as bytes only when Accept starts with application/octet-stream (as base64 text ' +
        'otherwise); send "Accept: application/octet-stream", or ask for JSON outputs ("binary_data": false)',
    );
  }
  return inferRequest;
}

function decodeInferBody(request: ApiRequest, model: ModelSpec): InferRequest {
  const headerLength = request.headers?.[INFERENCE_HEADER_CONTENT_LENGTH];
  if (headerLength === undefined) return decodeInferRequest(parseJsonBody(request.body, INFER_REQUEST_BODY), model);
  const body = request.body ?? '';
  const { header, binary } = splitBinaryBody(typeof body === 'string' ? Buffer.from(body) : body, headerLength);
  return decodeInferRequest(
    parseJsonBody(header, INFER_REQUEST_BODY, 'the JSON header (the first Inference-Header-Content-Length bytes)'),
    model,
    {
      binaryData: binary,
    },
  );
}

/**
 * Binary outputs are answered whenever the request asks for them, also for a JSON-only request, as Triton does:
 * whether a request sends binary inputs and whether it wants binary outputs are independent choices.
 */
function encodeInfer(model: ModelSpec, request: InferRequest, outputs: readonly Tensor[]): ApiResponse {
  if (request.binaryOutputs === undefined) return ok(encodeInferResponse(model, request, outputs));
  const chunks: Uint8Array[] = [];
  const header = encodeInferResponse(model, request, outputs, chunks);
  const { body, headerLength } = joinBinaryBody(header, chunks);
  return {
    statusCode: 200,
    body: header,
    binaryBody: body,
    headers: { 'Inference-Header-Content-Length': String(headerLength) },
  };
}

async function runModel<T>(model: ModelSpec, run: () => Promise<T>): Promise<T> {
  annotate('model', model.name);
  annotate('modelVersion', model.version);
  const started = performance.now();
  const outputs = await traced(`## infer ${model.name}`, run);
  recordModelTiming(
    RuntimeMetric.inferenceLatency,
    { model: model.name, version: model.version },
    performance.now() - started,
  );
  return outputs;
}
