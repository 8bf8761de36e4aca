import type { APIGatewayProxyEvent } from 'aws-lambda';

/** What varies between the REST API proxy events this project builds itself; API Gateway sets the rest the same way. */
export interface ProxyRequest {
  readonly method: string;
  /** The path as sent: not decoded, dot segments not resolved. */
  readonly path: string;
  /** Last value of each header; maps without a prototype when the names come from a client. */
  readonly headers: Record<string, string>;
  /** Every value of each header. @default - one per header in `headers` */
  readonly multiValueHeaders?: Record<string, string[]>;
  /** Query parameters, last value and every value of each. @default - none */
  readonly query?: { readonly single: Record<string, string>; readonly multi: Record<string, string[]> };
  readonly body: string | null;
  /** The body is base64 (a binary media type), as API Gateway passes binary bodies to Lambda. */
  readonly isBase64Encoded: boolean;
  /** Who builds the event: the local twin, the pre-traffic check, the shadow comparator. */
  readonly stage: string;
  readonly requestId: string;
  readonly sourceIp?: string;
  readonly userAgent?: string | null;
  readonly protocol?: string;
}

/**
 * The REST API proxy event API Gateway would send the model function for this request. The local twin, the
 * pre-traffic check and the shadow comparator all reach the handler through it, so each takes the code path real
 * traffic takes.
 */
export function proxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const { method, path, headers, query, stage } = request;
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders:
      request.multiValueHeaders ?? Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: query?.single ?? null,
    multiValueQueryStringParameters: query?.multi ?? null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded,
    requestContext: {
      accountId: stage,
      apiId: stage,
      authorizer: null,
      protocol: request.protocol ?? 'HTTP/1.1',
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
        sourceIp: request.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: request.userAgent ?? null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId: request.requestId,
      requestTimeEpoch: Date.now(),
      resourceId: stage,
      resourcePath: '/{proxy+}',
    },
  };
}
