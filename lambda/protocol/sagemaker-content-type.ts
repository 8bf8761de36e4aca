/**
 * SageMaker's InvokeEndpoint passes only a body, its Content-Type and Accept to the container, so the binary tensor
 * data extension's Inference-Header-Content-Length header cannot travel with it. Triton's SageMaker integration puts
 * the JSON header's length into the content type instead, for requests and responses alike; this runtime does the
 * same, so Triton's own container can serve behind the same forwarder.
 */
export const SAGEMAKER_BINARY_MEDIA_TYPE = 'application/vnd.sagemaker-triton.binary+json';

const JSON_HEADER_SIZE = /^\s*json-header-size\s*=\s*"?([0-9]+)"?\s*$/i;

/** The content type of a binary body whose JSON header is `headerLength` bytes long. */
export function sagemakerBinaryContentType(headerLength: number | string): string {
  return `${SAGEMAKER_BINARY_MEDIA_TYPE};json-header-size=${String(headerLength).trim()}`;
}

/**
 * The JSON header length a binary content type carries, as the decimal text Inference-Header-Content-Length would
 * hold, or undefined for any other content type (a JSON body).
 */
export function jsonHeaderSizeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [mediaType, ...parameters] = contentType.split(';');
  if (mediaType?.trim().toLowerCase() !== SAGEMAKER_BINARY_MEDIA_TYPE) return undefined;
  for (const parameter of parameters) {
    const size = JSON_HEADER_SIZE.exec(parameter)?.[1];
    if (size !== undefined) return size;
  }
  return undefined;
}
