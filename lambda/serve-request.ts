import { RuntimeMetric } from '../contract/environment';
import type { ModelRegistry } from './model/model-registry';
import { recordModelTiming, traced, tracer } from './observability';
import { BadRequestError } from './protocol/errors';
import { decodeInferRequest, type InferRequest } from './protocol/infer-request';
import { encodeInferResponse } from './protocol/infer-response';
import { modelMetadata, serverMetadata } from './protocol/metadata';
import { matchRoute } from './protocol/routes';
import { decodePredictRequest, encodePredictResponse } from './protocol/v1-predict';

/** An HTTP request as the runtime sees it, whether it came from API Gateway or the local server. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: Uint8Array;
}

/** A JSON answer: the status and the value to serialise. */
export interface ApiResponse {
  readonly statusCode: number;
  readonly body: unknown;
}

/** The server version reported by `GET /v2`. */
export const SERVER_VERSION = '0.1.0';

/**
 * The protocol core: routes one request to the registry's models and answers it. Throws InferenceError subclasses
 * for client mistakes; the adapter turns them (and anything else) into HTTP responses.
 */
export async function serveRequest(registry: ModelRegistry, request: ApiRequest): Promise<ApiResponse> {
  const route = matchRoute(request.method, request.path);
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
      const inferRequest = decodeInferRequest(parseJsonBody(request.body), model.spec);
      const outputs = await runModel(model.spec.name, () => model.run(inferRequest.inputs, inferRequest.outputs));
      return ok(encodeInferResponse(model.spec, inferRequest, outputs));
    }
    case 'predict': {
      const model = await registry.get(route.model);
      const inferRequest: InferRequest = decodePredictRequest(parseJsonBody(request.body), model.spec);
      const outputs = await runModel(model.spec.name, () => model.run(inferRequest.inputs, inferRequest.outputs));
      return ok(encodePredictResponse(model.spec, outputs));
    }
  }
}

function ok(body: unknown): ApiResponse {
  return { statusCode: 200, body };
}

async function runModel<T>(model: string, run: () => Promise<T>): Promise<T> {
  tracer.putAnnotation('model', model);
  const started = performance.now();
  const outputs = await traced(`## infer ${model}`, run);
  recordModelTiming(RuntimeMetric.inferenceLatency, model, performance.now() - started);
  return outputs;
}

function parseJsonBody(body: Uint8Array | undefined): unknown {
  if (body === undefined || body.byteLength === 0) {
    throw new BadRequestError('the request has no body; send a JSON object such as {"inputs": [...]}');
  }
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new BadRequestError(`the request body is not valid JSON (${(error as Error).message})`);
  }
}
