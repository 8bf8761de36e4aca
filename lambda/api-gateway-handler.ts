import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LAMBDA_SYNC_RESPONSE_BYTES } from '../contract/limits';
import type { ModelRegistry } from './model/model-registry';
import { logger, metrics, tracedInvocation } from './observability';
import { InferenceError, MethodNotAllowedError, RetryLaterError } from './protocol/errors';
import { matchRoute } from './protocol/routes';
import { isOverLambdaResponseLimit, lambdaResponseBytes } from './response-size';
import { type ApiResponse, type ServeOptions, serveRequest } from './serve-request';

export type ApiGatewayHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Adapts the protocol core to API Gateway's REST proxy integration. The Lambda entry point and the local server
 * both use this one function, so what runs on a laptop is what runs in AWS.
 */
export function createApiGatewayHandler(registry: ModelRegistry, options: ServeOptions = {}): ApiGatewayHandler {
  return async (event, context) => {
    logger.addContext(context);
    // Every metric of the runtime is a single metric published at once (see observability.ts), so there is no
    // stored batch to flush at the end of the invocation.
    if (!metrics.off) metrics.captureColdStartMetric();
    return tracedInvocation(
      async () => {
        try {
          const body =
            event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
          const headers = lowercaseHeaders(event.headers);
          const method = servedMethod(event.httpMethod, event.path);
          const response = await serveRequest(registry, { method, path: event.path, headers, body }, options);
          return fitInLambdaResponse(toResult(response), event);
        } catch (error) {
          return errorResult(error, event, context);
        }
      },
      (result) => result.statusCode >= 500,
    );
  };
}

/**
 * HEAD is GET without the body (RFC 9110 §9.3.2), so it is served as GET wherever GET is, and the HTTP server in
 * front (Node's locally, API Gateway on AWS) sends the headers only. Elsewhere it stays HEAD, for the router's 405.
 */
function servedMethod(method: string, path: string): string {
  if (method.toUpperCase() !== 'HEAD') return method;
  try {
    matchRoute('GET', path);
    return 'GET';
  } catch {
    return method;
  }
}

function lowercaseHeaders(headers: APIGatewayProxyEvent['headers'] | null): Record<string, string> {
  // No prototype: a client may send a header named "__proto__", which on a plain object would not be stored at all.
  const lowercased: Record<string, string> = Object.create(null);
  // for-in, not Object.entries: no array per header on every request. The event's maps have no inherited keys.
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) lowercased[name.toLowerCase()] = value;
  }
  return lowercased;
}

/**
 * A binary body goes back base64-encoded with isBase64Encoded, which API Gateway turns into raw bytes for the client
 * when the API's binaryMediaTypes match the request's Accept header (the local server decodes it the same way).
 */
function toResult(response: ApiResponse, headers: Record<string, string> = {}): APIGatewayProxyResult {
  const binary = response.binaryBody;
  if (binary !== undefined) {
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/octet-stream', ...response.headers, ...headers },
      body: Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString('base64'),
      isBase64Encoded: true,
    };
  }
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json', ...response.headers, ...headers },
    body: JSON.stringify(response.body),
  };
}

/**
 * An answer Lambda cannot return (API Gateway would turn it into a bare 502) becomes a 400 that says how to get a
 * smaller one. 400, not 5xx: the request is valid, but this deployment can only deliver it smaller, and only the
 * client can make it so (a 5xx would invite a retry that fails the same way, and count toward the error alarms). Not
 * 413 either: that status is about the request's content, which fit.
 */
function fitInLambdaResponse(result: APIGatewayProxyResult, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  if (!isOverLambdaResponseLimit(result)) return result;
  const bytes = lambdaResponseBytes(result);
  logger.warn('answer over the lambda response limit', { method: event.httpMethod, path: event.path, bytes });
  const binary = result.isBase64Encoded === true;
  return toResult({
    statusCode: 400,
    body: {
      error:
        `the answer is ${bytes} bytes as a Lambda response, over the ${LAMBDA_SYNC_RESPONSE_BYTES} bytes Lambda can ` +
        'return; send a smaller batch or ask for fewer outputs ("outputs": [{"name": ...}])' +
        (binary
          ? ''
          : ', or ask /infer for binary outputs ("parameters": {"binary_data_output": true} with Accept: ' +
            'application/octet-stream), often several times smaller than JSON numbers'),
    },
  });
}

/** Allow for a 405 (HEAD wherever GET is), Retry-After for a 429 or 503. */
export function errorHeaders(error: InferenceError): Record<string, string> | undefined {
  if (error instanceof MethodNotAllowedError) {
    const allowed = error.allowed.includes('GET') ? [...error.allowed, 'HEAD'] : error.allowed;
    return { allow: allowed.join(', ') };
  }
  return error instanceof RetryLaterError ? { 'retry-after': String(error.retryAfterSeconds) } : undefined;
}

function errorResult(error: unknown, event: APIGatewayProxyEvent, context: Context): APIGatewayProxyResult {
  if (error instanceof InferenceError) {
    return toResult({ statusCode: error.statusCode, body: { error: error.message } }, errorHeaders(error));
  }
  // Internals (stack traces, file paths, ONNX Runtime messages) go to the log, never to the caller.
  logger.error('request failed', { method: event.httpMethod, path: event.path, error });
  return toResult({
    statusCode: 500,
    body: { error: `internal error; quote request id ${context.awsRequestId} when reporting it` },
  });
}
