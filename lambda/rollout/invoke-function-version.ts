import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { goldenRequestEvent } from './golden-request';
import type { SendGoldenRequest } from './replay-golden-set';

/**
 * Sends golden requests to one function version (a qualified ARN) as API Gateway would: a proxy event in, a proxy
 * result out. A function error (the handler threw, timed out or ran out of memory) and a request still running at
 * `deadline` (epoch ms) are errors, which the replay reports as the case's failure.
 */
export function invokeFunctionVersion(lambda: LambdaClient, functionArn: string, deadline: number): SendGoldenRequest {
  return async (path, body) => {
    const budgetMs = deadline - Date.now();
    if (budgetMs <= 0) throw new Error(`no time left to invoke ${functionArn} before the hook's own timeout`);
    let response: InvokeCommandOutput;
    try {
      response = await lambda.send(
        new InvokeCommand({
          FunctionName: functionArn,
          Payload: Buffer.from(JSON.stringify(goldenRequestEvent(path, body))),
        }),
        { abortSignal: AbortSignal.timeout(budgetMs) },
      );
    } catch (error) {
      const reason =
        (error as Error).name === 'AbortError' ? `no answer within ${budgetMs} ms` : (error as Error).message;
      throw new Error(`invoking ${functionArn} failed: ${reason}`);
    }
    const payload = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
    if (response.FunctionError !== undefined) {
      throw new Error(`${functionArn} failed (${response.FunctionError}): ${functionErrorMessage(payload)}`);
    }
    let result: APIGatewayProxyResult;
    try {
      result = JSON.parse(payload) as APIGatewayProxyResult;
    } catch {
      throw new Error(`${functionArn} returned a payload that is not JSON: ${payload.slice(0, 200)}`);
    }
    if (typeof result?.statusCode !== 'number' || typeof result.body !== 'string') {
      throw new Error(`${functionArn} returned no API Gateway proxy result: ${payload.slice(0, 200)}`);
    }
    const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body;
    return { status: result.statusCode, body: text };
  };
}

/** Lambda's error payload is `{"errorType", "errorMessage", ...}`; anything else is quoted as it came. */
function functionErrorMessage(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      return typeof parsed.errorType === 'string' ? `${parsed.errorType}: ${parsed.errorMessage}` : parsed.errorMessage;
    }
  } catch {
    // Not JSON: quoted below.
  }
  return payload.slice(0, 300);
}
