/** Calls the Lambda handler in-process with the REST API proxy event API Gateway would send for a request. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LAMBDA_SYNC_RESPONSE_BYTES } from '../../../contract/limits';
import type { ApiGatewayHandler } from '../../../lambda/api-gateway-handler';
import { apiGatewayEvent, lambdaContext } from '../../support/api-gateway-events';
import { type Answer, OracleFailure } from './answer';
import { withinTime } from './fuzz-settings';

export interface LambdaRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: readonly [string, string][];
  readonly query?: readonly [string, string][];
  readonly body?: Buffer;
  /** The body's Content-Type is a binary media type: API Gateway base64-encodes it. */
  readonly binary?: boolean;
}

/** `{name: last value}` and `{name: [values]}` as API Gateway builds them, prototype keys included as own keys. */
function maps(pairs: readonly [string, string][]) {
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    single.set(name, value);
    multi.set(name, [...(multi.get(name) ?? []), value]);
  }
  return pairs.length === 0
    ? { single: null, multi: null }
    : { single: Object.fromEntries(single), multi: Object.fromEntries(multi) };
}

/**
 * The event as the Lambda runtime hands it over: parsed from JSON, so a header or query parameter named `__proto__`
 * is an own key of its map, as it is on AWS.
 */
export function lambdaEvent(request: LambdaRequest): APIGatewayProxyEvent {
  const base = apiGatewayEvent({ method: request.method, path: request.path, base64: request.binary ?? false });
  const headers = maps(request.headers ?? []);
  const query = maps(request.query ?? []);
  const event = {
    ...base,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    body: request.body === undefined ? null : request.body.toString(request.binary ? 'base64' : 'utf8'),
    isBase64Encoded: request.binary ?? false,
  };
  return JSON.parse(JSON.stringify(event));
}

/**
 * The handler's answer, bounded in time. A proxy result over Lambda's response limit never reaches the client on
 * AWS (API Gateway answers an opaque 502), so it is a failure here whatever its status.
 */
export async function callHandler(handler: ApiGatewayHandler, request: LambdaRequest): Promise<Answer> {
  const result: APIGatewayProxyResult = await withinTime(
    handler(lambdaEvent(request), lambdaContext),
    `${request.method} ${request.path.slice(0, 100)}`,
  );
  const resultBytes = Buffer.byteLength(JSON.stringify(result));
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const answer = {
    status: result.statusCode,
    headers,
    body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'),
  };
  if (resultBytes > LAMBDA_SYNC_RESPONSE_BYTES) {
    throw new OracleFailure(
      `the proxy result is ${resultBytes} bytes, over Lambda's ${LAMBDA_SYNC_RESPONSE_BYTES}: on AWS this is an opaque 502`,
      { ...answer, body: answer.body.subarray(0, 300) },
    );
  }
  return answer;
}
