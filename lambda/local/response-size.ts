import type { APIGatewayProxyResult } from 'aws-lambda';
import { LAMBDA_SYNC_RESPONSE_BYTES } from '../../contract/limits';

/**
 * Why AWS could not deliver this answer, or undefined when it could: Lambda refuses to return a proxy result over its
 * response limit (counted as JSON, so a binary body counts as base64), and API Gateway then answers 502.
 */
export function responseTooLargeError(result: APIGatewayProxyResult): string | undefined {
  // JSON escaping at most doubles the body's characters here (quotes in a JSON body); skip the exact count, which
  // serialises the whole answer, while even the worst case fits.
  if (result.body.length * 2 + 4096 <= LAMBDA_SYNC_RESPONSE_BYTES) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes <= LAMBDA_SYNC_RESPONSE_BYTES) return undefined;
  return (
    `the answer is ${bytes} bytes as a Lambda response, over the ${LAMBDA_SYNC_RESPONSE_BYTES} bytes Lambda can ` +
    'return, so on AWS this request fails with 502; send a smaller batch or request fewer outputs'
  );
}
