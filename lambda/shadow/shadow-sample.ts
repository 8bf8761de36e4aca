import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { SHADOW_SAMPLE_MARKER } from '../../contract/environment';
import { jsonInLogEvent } from '../log-event-json';

/**
 * One sampled inference as the live function logs it for shadow testing: the request as API Gateway delivered it
 * and the answer as the function returned it, both untouched (base64 stays base64), so the comparator can replay
 * the very same request against the candidate and compare the very same answer.
 */
export interface ShadowSample {
  readonly [SHADOW_SAMPLE_MARKER]: 1;
  readonly requestId: string;
  readonly path: string;
  readonly request: ShadowMessage;
  readonly answer: ShadowMessage;
}

/** A body with what it takes to read it again: its encoding and the headers that give its layout. */
export interface ShadowMessage {
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly contentType?: string;
  /** Length of the JSON header of a binary tensor data body. */
  readonly inferenceHeaderContentLength?: string;
  /** The request's Accept header: a request for binary outputs is refused without application/octet-stream. */
  readonly accept?: string;
}

/**
 * CloudWatch Logs refuses a log event over 256 KiB including 26 bytes of per-event overhead
 * (PutLogEvents quotas); a longer line would be split or cut, and the comparator could not read it.
 */
export const MAX_LOG_EVENT_BYTES = 256 * 1024 - 26;

/** The sample of one request and its answer, as one log line (JSON, no newline). */
export function shadowSampleLine(
  event: APIGatewayProxyEvent,
  result: APIGatewayProxyResult,
  requestId: string,
): string {
  const sample = shadowSample(event, result, requestId);
  // Base64 bodies are spliced in as they are: their alphabet (A-Z a-z 0-9 + / =) needs no JSON escaping, and
  // JSON.stringify would still scan every character, which on a 35 KB body costs as much as the inference itself.
  if (!sample.request.isBase64Encoded && !sample.answer.isBase64Encoded) return JSON.stringify(sample);
  const request = JSON.stringify({ ...sample.request, body: '' });
  const answer = JSON.stringify({ ...sample.answer, body: '' });
  const { request: _request, answer: _answer, ...rest } = sample;
  return (
    `${JSON.stringify(rest).slice(0, -1)},"request":${spliceBody(request, sample.request)},` +
    `"answer":${spliceBody(answer, sample.answer)}}`
  );
}

/** The message's JSON with its empty body replaced by the body: base64 verbatim, other text JSON-escaped. */
function spliceBody(json: string, message: ShadowMessage): string {
  const body = message.isBase64Encoded ? `"${message.body}"` : JSON.stringify(message.body);
  return `{"body":${body}${json.slice('{"body":""'.length)}`;
}

/** The sample of one request and its answer. */
export function shadowSample(
  event: APIGatewayProxyEvent,
  result: APIGatewayProxyResult,
  requestId: string,
): ShadowSample {
  return {
    [SHADOW_SAMPLE_MARKER]: 1,
    requestId,
    path: event.path,
    request: {
      body: event.body ?? '',
      isBase64Encoded: event.isBase64Encoded,
      ...header('contentType', event.headers, 'content-type'),
      ...header('inferenceHeaderContentLength', event.headers, 'inference-header-content-length'),
      ...header('accept', event.headers, 'accept'),
    },
    answer: {
      body: result.body,
      isBase64Encoded: result.isBase64Encoded === true,
      ...header('contentType', result.headers, 'content-type'),
      ...header('inferenceHeaderContentLength', result.headers, 'inference-header-content-length'),
    },
  };
}

type Headers = Readonly<Record<string, string | number | boolean | undefined>> | null | undefined;

/** A header by its lowercase name, whatever case the client or the handler spelled it in. */
export function headerValue(headers: Headers, lowercaseName: string): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined && name.toLowerCase() === lowercaseName) return String(value);
  }
  return undefined;
}

function header<K extends string>(key: K, headers: Headers, lowercaseName: string): Partial<Record<K, string>> {
  const value = headerValue(headers, lowercaseName);
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * The shadow sample in a log event's message, or why there is none.
 */
export function parseShadowSample(message: string): ShadowSample | string {
  const value = jsonInLogEvent(message);
  if (typeof value === 'string') return value;
  const sample = value as Partial<ShadowSample>;
  if (sample[SHADOW_SAMPLE_MARKER] !== 1) return `the log event has no "${SHADOW_SAMPLE_MARKER}": 1 field`;
  if (typeof sample.path !== 'string' || typeof sample.requestId !== 'string') {
    return 'the sample has no "path" or "requestId" string';
  }
  for (const part of ['request', 'answer'] as const) {
    const message = sample[part];
    if (typeof message?.body !== 'string' || typeof message.isBase64Encoded !== 'boolean') {
      return `the sample's "${part}" has no "body" string and "isBase64Encoded" flag`;
    }
  }
  return sample as ShadowSample;
}
