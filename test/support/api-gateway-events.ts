import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

interface EventOptions {
  readonly method?: string;
  readonly path: string;
  readonly body?: string | Buffer | object;
  readonly base64?: boolean;
  /** Merged over the default headers, spelled as the client sent them. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A REST API (v1) Lambda proxy event as API Gateway sends it for a `{proxy+}` resource on stage `prod`, with the
 * body as a string (base64 when `base64` is set, as for binary media types).
 */
export function apiGatewayEvent({
  method = 'GET',
  path,
  body,
  base64 = false,
  headers = {},
}: EventOptions): APIGatewayProxyEvent {
  const raw =
    body === undefined
      ? null
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return {
    resource: '/v2/{proxy+}',
    path,
    httpMethod: method,
    headers: {
      Accept: '*/*',
      'Content-Type': 'application/json',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'User-Agent': 'curl/8.5.0',
      'X-Amzn-Trace-Id': 'Root=1-65f0c0de-0123456789abcdef01234567',
      'X-Forwarded-For': '203.0.113.7',
      'X-Forwarded-Port': '443',
      'X-Forwarded-Proto': 'https',
      ...headers,
    },
    multiValueHeaders: {
      'Content-Type': ['application/json'],
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.replace(/^\/v2\//, '') },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      extendedRequestId: 'UvYaVHXJDoEF6tA=',
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: 'redacted',
        apiKeyId: 'a1b2c3d4e5',
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.7',
        user: null,
        userAgent: 'curl/8.5.0',
        userArn: null,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTime: '27/Nov/2026:12:00:00 +0000',
      requestTimeEpoch: 1795780800000,
      resourceId: 'abc1de',
      resourcePath: '/v2/{proxy+}',
      stage: 'prod',
    },
    body: raw === null ? null : raw.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64,
  };
}

export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'ModelEndpoint-PenguinsFunction',
  functionVersion: '3',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ModelEndpoint-PenguinsFunction:live',
  memoryLimitInMB: '2048',
  awsRequestId: '9f3a1c2e-1d2b-4c5d-8e7f-0a1b2c3d4e5f',
  logGroupName: '/aws/lambda/ModelEndpoint-PenguinsFunction',
  logStreamName: '2026/11/27/[3]0123456789abcdef',
  getRemainingTimeInMillis: () => 25_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};
