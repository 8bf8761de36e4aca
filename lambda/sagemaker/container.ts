import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorHeaders } from '../api-gateway-handler';
import { answerAndClose } from '../local/answer-and-close';
import { createHttpServer } from '../local/http-server';
import { listen } from '../local/listen';
import { type BodyLimit, BodyTooLargeError, ClientClosedError, readBody } from '../local/read-body';
import { BadRequestTargetError, parseRequestTarget } from '../local/request-target';
import { parseSpinWaitMs } from '../local/spin-wait';
import { modelBackendsFromEnvironment } from '../model/backends-from-environment';
import type { ModelBackend, PlaceModel } from '../model/model-backend';
import { ModelRegistry } from '../model/model-registry';
import { logger } from '../observability';
import { InferenceError } from '../protocol/errors';
import { quote } from '../protocol/json';
import { serveRequest } from '../serve-request';
import { invocationAnswer, invocationRequest } from './invocations';

/** SageMaker's port when it sets no SAGEMAKER_BIND_TO_PORT. */
export const SAGEMAKER_DEFAULT_PORT = 8080;

/** SageMaker real-time endpoints take request bodies up to 25 MB (serverless ones 4 MB); larger ones are refused. */
const MAX_INVOCATION_BYTES = 25 * 1024 * 1024;

const INVOCATION_LIMIT: BodyLimit = {
  bytes: MAX_INVOCATION_BYTES,
  tooLarge: (bytes) =>
    `the request body is ${bytes === undefined ? '' : `${bytes} bytes, `}over the ${MAX_INVOCATION_BYTES} bytes ` +
    'SageMaker accepts; send a smaller batch',
};

export interface SageMakerContainer {
  readonly server: Server;
  readonly registry: ModelRegistry;
  readonly port: number;
}

/**
 * The runtime as a SageMaker inference container: one model (MODEL_PATH inside the container, pinned by
 * MODEL_SHA256, descriptor.json beside it), `GET /ping` (200 once the model is loaded) and `POST /invocations`
 * (the model's v2 infer, JSON or binary). It listens first and loads the model after, so SageMaker's health check
 * gets a 503 rather than a refused connection while a big model loads.
 */
export async function startSageMakerContainer(
  place: PlaceModel,
  env: NodeJS.ProcessEnv = process.env,
  host = '0.0.0.0',
): Promise<SageMakerContainer> {
  const backends = modelBackendsFromEnvironment(place, env);
  const [model, ...others] = backends;
  if (model === undefined || others.length > 0) {
    throw new Error(
      `a SageMaker container serves one model, but the environment gives ${backends.length}: set MODEL_NAME, ` +
        'MODEL_VERSION, MODEL_PATH and MODEL_SHA256',
    );
  }
  const registry = new ModelRegistry(backends);
  const server = createHttpServer(
    (request, response) => {
      void answer(registry, model, request, response);
    },
    { spinWaitMs: parseSpinWaitMs(env.SPIN_WAIT_MS, 'SPIN_WAIT_MS') },
  );
  await listen(server, bindPort(env.SAGEMAKER_BIND_TO_PORT), host);
  void registry.loadAll();
  const address = server.address();
  return { server, registry, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

function bindPort(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return SAGEMAKER_DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SAGEMAKER_BIND_TO_PORT must be a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

async function answer(
  registry: ModelRegistry,
  model: ModelBackend,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const send = (statusCode: number, contentType: string, body: Uint8Array | string, extra = {}) => {
    // An explicit length: no chunked encoding for an answer known in full.
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    response.writeHead(statusCode, { 'content-type': contentType, 'content-length': String(length), ...extra });
    response.end(body);
  };
  const sendError = (statusCode: number, message: string, extra = {}) =>
    send(statusCode, 'application/json', JSON.stringify({ error: message }), extra);
  let route = `${request.method} ${request.url}`;
  try {
    route = `${request.method} ${parseRequestTarget(request.url ?? '/').path}`;
    switch (route) {
      case 'GET /ping': {
        if (registry.allLoaded) return send(200, 'application/json', JSON.stringify({ ready: true }));
        // Never waits for the load: SageMaker expects a ping answered within 2 s, and a big model loads for longer.
        // A ping does start a retry of a failed load (after its backoff), so the container recovers by itself.
        void registry.loadAll();
        return send(503, 'application/json', JSON.stringify({ ready: false }));
      }
      case 'POST /invocations': {
        const body = await readBody(request, response, INVOCATION_LIMIT);
        const answered = invocationAnswer(
          await serveRequest(registry, invocationRequest(model, request.headers, body)),
        );
        return send(answered.statusCode, answered.contentType, answered.body);
      }
      default:
        return sendError(
          404,
          `no such operation ${quote(route)}; this container serves GET /ping and POST /invocations`,
        );
    }
  } catch (error) {
    if (error instanceof InferenceError) return sendError(error.statusCode, error.message, errorHeaders(error));
    if (error instanceof BadRequestTargetError) return sendError(400, error.message);
    if (error instanceof BodyTooLargeError) {
      // The answer goes out at once; the rest of the body is not read, beyond a short bounded linger.
      return answerAndClose(request.socket, 413, error.message, request);
    }
    // The client's choice, not the container's failure: no stack trace, nothing to answer.
    if (error instanceof ClientClosedError)
      return logger.warn('client closed the connection', { route, reason: error.message });
    // Internals (stack traces, file paths, ONNX Runtime messages) go to the log, never to the caller.
    logger.error('invocation failed', { route, error });
    if (!response.headersSent) sendError(500, 'internal error in the model container; see its CloudWatch logs');
    else response.end();
  }
}
