import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { WireTensor } from '../../contract/golden-set';
import { logger } from '../observability';
import { answerOutputs } from './answer-outputs';
import { candidateEvent } from './candidate-request';
import { compareOutputs, incomparable } from './shadow-comparison';
import type { ShadowOutcome } from './shadow-metrics';
import { headerValue, type ShadowSample } from './shadow-sample';

/** Whatever runs the candidate: a Lambda Invoke of its function in AWS, its handler in-process in the local twin. */
export type CandidateHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * Sends the sampled request to the candidate and compares its answer with the live one. Never throws: a candidate
 * that fails (an error, a 5xx) is a `failed` outcome; one that answers something else (a 4xx, other outputs) is
 * answered but incomparable. Undefined when the live answer itself cannot be read, which is no fault of the
 * candidate's.
 */
export async function replaySample(
  sample: ShadowSample,
  candidateVersion: string,
  invokeCandidate: CandidateHandler,
): Promise<ShadowOutcome | undefined> {
  const context = { requestId: sample.requestId, path: sample.path, candidateVersion };
  let live: WireTensor[];
  try {
    live = answerOutputs(sample.answer);
  } catch (error) {
    logger.warn('shadow sample skipped: live answer unreadable', { ...context, error });
    return undefined;
  }
  let result: APIGatewayProxyResult;
  const started = performance.now();
  try {
    result = await invokeCandidate(candidateEvent(sample, candidateVersion));
  } catch (error) {
    logger.error('shadow candidate failed', { ...context, error });
    return { kind: 'failed' };
  }
  const latencyMs = performance.now() - started;
  if (result.statusCode >= 500) {
    logger.error('shadow candidate failed', {
      ...context,
      statusCode: result.statusCode,
      body: result.body.slice(0, 300),
    });
    return { kind: 'failed' };
  }
  if (result.statusCode !== 200) {
    logger.warn('shadow candidate refused the request', {
      ...context,
      statusCode: result.statusCode,
      body: result.body.slice(0, 300),
    });
    return { kind: 'answered', latencyMs, comparison: incomparable(live) };
  }
  let candidate: WireTensor[];
  try {
    candidate = answerOutputs({
      body: result.body,
      isBase64Encoded: result.isBase64Encoded === true,
      inferenceHeaderContentLength: headerValue(result.headers, 'inference-header-content-length'),
    });
  } catch (error) {
    logger.warn('shadow candidate answer unreadable', { ...context, error });
    return { kind: 'answered', latencyMs, comparison: incomparable(live) };
  }
  return { kind: 'answered', latencyMs, comparison: compareOutputs(live, candidate) };
}
