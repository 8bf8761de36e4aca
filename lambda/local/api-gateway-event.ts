import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { BINARY_MEDIA_TYPE } from '../../contract/limits';

/**
 * API Gateway base64-encodes a body whose Content-Type is one of the API's binaryMediaTypes and passes any other
 * through as text (a missing Content-Type counts as JSON); the local server does the same.
 */
export function isBinaryBody(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === BINARY_MEDIA_TYPE;
}

/**
 * Builds the REST API proxy event that API Gateway would send to the function for this HTTP request, so the local
 * server exercises exactly the code path that runs in Lambda.
 */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer, stage = 'local'): APIGatewayProxyEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  // The path as the client sent it, as API Gateway passes it: URL's pathname resolves "." and ".." segments (also
  // percent-encoded ones), which would turn /v2/models/.. into /v2/ and answer it with the server metadata.
  const target = request.url ?? '/';
  const path = target.startsWith('/') ? (target.split('?', 1)[0] ?? '/') : url.pathname;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index];
    const value = request.rawHeaders[index + 1];
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const hasQuery = url.searchParams.size > 0;
  const binary = isBinaryBody(request.headers['content-type']);
  const method = request.method ?? 'GET';
  const requestId = randomUUID();
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: body.byteLength === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: body.byteLength > 0 && binary,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}

/** The parts of the Lambda context the handler reads, for a local invocation. */
export function localLambdaContext(functionName = 'model-endpoint-local'): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '0',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
