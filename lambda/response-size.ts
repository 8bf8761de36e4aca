import type { APIGatewayProxyResult } from 'aws-lambda';
import { LAMBDA_SYNC_RESPONSE_BYTES } from '../contract/limits';

/**
 * The bytes this proxy result takes as Lambda's response: the runtime returns it as JSON, and Lambda refuses one over
 * LAMBDA_SYNC_RESPONSE_BYTES (API Gateway then answers an opaque 502). Exact, without serialising the body a second
 * time: the envelope is serialised with an empty body, and the body's JSON-escaped size is counted.
 */
export function lambdaResponseBytes(result: APIGatewayProxyResult): number {
  return Buffer.byteLength(JSON.stringify({ ...result, body: '' })) + jsonStringBytes(result.body);
}

/**
 * Whether this proxy result is over what Lambda can return. An answer far below the limit is not counted: escaped
 * as a JSON string, a UTF-16 code unit takes at most 6 bytes (`\u0000`).
 */
export function isOverLambdaResponseLimit(result: APIGatewayProxyResult): boolean {
  if (result.body.length * 6 + ENVELOPE_BYTES_BOUND <= LAMBDA_SYNC_RESPONSE_BYTES) return false;
  return lambdaResponseBytes(result) > LAMBDA_SYNC_RESPONSE_BYTES;
}

/** Room for the status, headers and isBase64Encoded around the body; the handler's headers take about 150 bytes. */
const ENVELOPE_BYTES_BOUND = 4096;

/**
 * The UTF-8 bytes of JSON.stringify(text) inside its quotes, without building it. Text that JSON.stringify wrote, or
 * base64, has no control characters or surrogates: then its UTF-8 length (native, fast) plus one byte per quote and
 * backslash is exact. Other text is counted character by character.
 */
function jsonStringBytes(text: string): number {
  if (NEEDS_SCAN.test(text)) return scannedJsonStringBytes(text);
  return Buffer.byteLength(text) + occurrences(text, '"') + occurrences(text, '\\');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what it looks for.
const NEEDS_SCAN = /[\u0000-\u001f\ud800-\udfff]/;

function occurrences(text: string, character: string): number {
  let count = 0;
  for (let at = text.indexOf(character); at !== -1; at = text.indexOf(character, at + 1)) count += 1;
  return count;
}

function scannedJsonStringBytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      bytes += code === 0x22 || code === 0x5c ? 2 : code >= 0x20 ? 1 : SHORT_ESCAPES.has(code) ? 2 : 6;
    } else if (code < 0x800) {
      bytes += 2;
    } else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      bytes += 4;
      index += 1;
    } else {
      // A lone surrogate is written as a \uXXXX escape.
      bytes += code >= 0xd800 && code <= 0xdfff ? 6 : 3;
    }
  }
  return bytes;
}

/** \b \t \n \f \r: the control characters JSON escapes with two characters instead of six. */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
