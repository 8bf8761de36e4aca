import { gunzipSync } from 'node:zlib';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyResult, CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { ShadowComparatorEnvironment } from '../../contract/environment';
import { logger } from '../observability';
import { type CandidateHandler, replaySample } from './replay-sample';
import { ShadowMetrics } from './shadow-metrics';
import { parseShadowSample } from './shadow-sample';

export interface ShadowComparatorOptions {
  readonly lambda: LambdaClient;
  readonly environment: NodeJS.ProcessEnv;
}

export type ShadowComparatorHandler = (event: CloudWatchLogsEvent) => Promise<void>;

/**
 * The shadow comparator: CloudWatch Logs hands it the live function's shadow sample records (gzip, base64), and it
 * replays each against the candidate's function version and publishes how the answers agree. Samples run one after
 * another, so one batch never holds more than one concurrent invocation of the candidate. It never throws for a
 * sample: CloudWatch Logs invokes it asynchronously, and a retried batch would only count its samples twice.
 */
export function createShadowComparator({ lambda, environment }: ShadowComparatorOptions): ShadowComparatorHandler {
  const candidateFunction = required(environment, ShadowComparatorEnvironment.candidateFunction);
  const model = required(environment, ShadowComparatorEnvironment.modelName);
  const candidateVersion = required(environment, ShadowComparatorEnvironment.candidateVersion);
  const metrics = new ShadowMetrics(model, candidateVersion, environment.POWERTOOLS_SERVICE_NAME || undefined);
  const invokeCandidate: CandidateHandler = async (event) => {
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: candidateFunction, Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const payload = response.Payload === undefined ? '' : Buffer.from(response.Payload).toString('utf8');
    if (response.FunctionError !== undefined) {
      throw new Error(`the candidate function failed (${response.FunctionError}): ${payload.slice(0, 300)}`);
    }
    return JSON.parse(payload) as APIGatewayProxyResult;
  };
  return async (event) => {
    const data = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8')) as
      | CloudWatchLogsDecodedData
      | { messageType: 'CONTROL_MESSAGE' };
    // CloudWatch Logs sends a control message when the subscription is created, to check the destination is reachable.
    if (data.messageType !== 'DATA_MESSAGE' || !('logEvents' in data)) return;
    for (const logEvent of data.logEvents) {
      const sample = parseShadowSample(logEvent.message);
      if (typeof sample === 'string') {
        logger.warn('shadow log event skipped', { reason: sample, logEventId: logEvent.id });
        continue;
      }
      const outcome = await replaySample(sample, candidateVersion, invokeCandidate);
      if (outcome !== undefined) metrics.publish(outcome);
    }
  };
}

function required(environment: NodeJS.ProcessEnv, name: string): string {
  const value = environment[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: the shadow comparator is deployed by ShadowTesting, which sets it`);
  }
  return value;
}

let comparator: ShadowComparatorHandler | undefined;

/** Lambda entry point, built at the first event so that importing this module reads no environment. */
export const handler: ShadowComparatorHandler = (event) => {
  comparator ??= createShadowComparator({ lambda: new LambdaClient({}), environment: process.env });
  return comparator(event);
};
