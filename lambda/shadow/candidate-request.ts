import type { APIGatewayProxyEvent } from 'aws-lambda';
import { proxyEvent } from '../proxy-event';
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
  return proxyEvent({
    method: 'POST',
    path,
    headers,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded,
    stage: 'shadow',
    requestId: sample.requestId,
    userAgent: 'model-endpoint shadow comparator',
  });
}
