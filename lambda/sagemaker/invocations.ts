import type { IncomingHttpHeaders } from 'node:http';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../protocol/binary-tensor-data';
import { jsonHeaderSizeOf, sagemakerBinaryContentType } from '../protocol/sagemaker-content-type';
import type { ApiRequest, ApiResponse } from '../serve-request';

/**
 * `POST /invocations` as the v2 infer request of the container's one model. A binary body's JSON header length
 * arrives in the content type (InvokeEndpoint passes no other header) and becomes Inference-Header-Content-Length.
 * Accept is set to the binary media type: the rule that binary outputs need it exists because API Gateway decodes
 * base64 only for that Accept, and InvokeEndpoint delivers bytes as they are.
 */
export function invocationRequest(
  model: { readonly name: string; readonly version: string },
  headers: IncomingHttpHeaders,
  body: Uint8Array,
): ApiRequest {
  const headerLength = jsonHeaderSizeOf(headers['content-type']);
  return {
    method: 'POST',
    path: `/v2/models/${model.name}/versions/${model.version}/infer`,
    headers: {
      accept: 'application/octet-stream',
      ...(headerLength === undefined ? {} : { [INFERENCE_HEADER_CONTENT_LENGTH]: headerLength }),
    },
    body,
  };
}

/** The HTTP answer to an infer response: JSON, or a binary body whose JSON header length is in the content type. */
export function invocationAnswer(response: ApiResponse): {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: Uint8Array | string;
} {
  const binary = response.binaryBody;
  const headerLength = response.headers?.['Inference-Header-Content-Length'];
  if (binary !== undefined && headerLength !== undefined) {
    return { statusCode: response.statusCode, contentType: sagemakerBinaryContentType(headerLength), body: binary };
  }
  return { statusCode: response.statusCode, contentType: 'application/json', body: JSON.stringify(response.body) };
}
