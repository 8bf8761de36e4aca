import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { GoldenRequest } from '../../contract/golden-set';

/** The model version a golden set belongs to; its cases go to this version's infer route, never to a default. */
export interface GoldenTarget {
  readonly model: string;
  readonly version: string;
}

/** `golden set of penguins version 2`: how every message about a replay starts. */
export function goldenLabel(target: GoldenTarget): string {
  return `golden set of ${target.model} version ${target.version}`;
}

export function inferPath(target: GoldenTarget): string {
  return `/v2/models/${encodeURIComponent(target.model)}/versions/${encodeURIComponent(target.version)}/infer`;
}

/** A case's request body, exactly as a client would send it. */
export function goldenRequestBody(request: GoldenRequest): string {
  return JSON.stringify(request);
}

/**
 * The REST API proxy event API Gateway would send for `POST <path>` with a JSON body: the event shape the model
 * function serves, so invoking a function version with it checks the code path real traffic takes.
 */
export function goldenRequestEvent(path: string, body: string, stage = 'golden'): APIGatewayProxyEvent {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: { 'Content-Type': ['application/json'], Accept: ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'golden',
      apiId: 'golden',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
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
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'model-endpoint-golden-set',
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId: `golden-${Date.now()}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'golden',
      resourcePath: '/{proxy+}',
    },
  };
}
