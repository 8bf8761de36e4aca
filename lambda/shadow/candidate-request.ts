import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ShadowSample } from './shadow-sample';

/**
 * The sampled request addressed to the candidate: `/v2/models/<name>[/versions/<live>]/infer` becomes
 * `/v2/models/<name>/versions/<candidate>/infer`, since the candidate's function serves only its own version.
 */
export function candidatePath(path: string, candidateVersion: string): string {
  const match = /^\/v2\/models\/([^/]+)(?:\/versions\/[^/]+)?\/infer$/.exec(path);
  if (match === null) throw new Error(`the sampled path ${JSON.stringify(path)} is no v2 inference path`);
  return `/v2/models/${match[1]}/versions/${candidateVersion}/infer`;
}

/**
 * The REST API proxy event API Gateway would have sent the candidate for the sampled request: the same body (still
 * base64 when it was binary) and the headers that shape it, the path rewritten to the candidate's version.
 */
export function candidateEvent(sample: ShadowSample, candidateVersion: string): APIGatewayProxyEvent {
  const path = candidatePath(sample.path, candidateVersion);
  const { request } = sample;
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.accept !== undefined) headers.accept = request.accept;
  if (request.inferenceHeaderContentLength !== undefined) {
    headers['inference-header-content-length'] = request.inferenceHeaderContentLength;
  }
  return {
    resource: '/v2/{proxy+}',
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: path.replace(/^\/v2\//, '') },
    stageVariables: null,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded,
    requestContext: {
      accountId: '',
      apiId: 'shadow',
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
        userAgent: 'model-endpoint shadow comparator',
        userArn: null,
      },
      path,
      stage: 'shadow',
      requestId: sample.requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'shadow',
      resourcePath: '/v2/{proxy+}',
    },
  };
}
