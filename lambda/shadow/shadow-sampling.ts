import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  SERVICE_NAME,
  ShadowEnvironment,
  ShadowMetric,
  VERSION_DIMENSION,
} from '../../contract/environment';
import type { ApiGatewayHandler } from '../api-gateway-handler';
import { logger } from '../observability';
import { MAX_LOG_EVENT_BYTES, shadowSampleLine } from './shadow-sample';

/** Only answered inference requests are worth replaying: metadata, health and errors say nothing about a model. */
const INFER_PATH = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/infer$/;

export interface ShadowSamplingOptions {
  /** Where sample lines go. @default - process.stdout, which Lambda forwards to the function's log group */
  readonly write?: (line: string) => void;
  /** A number in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Runs the sample's work once the answer has been handed back. @default setImmediate */
  readonly defer?: (work: () => void) => void;
}

/**
 * The live handler, writing one shadow sample log line for a sampled share of its successful inference requests
 * when the environment names a sample rate; the handler itself, untouched, otherwise.
 *
 * The line is built and written in a setImmediate callback, after the handler's promise has settled, so the answer
 * never waits for it. In Lambda that is still inside the invocation: the Node.js runtime posts the answer to the
 * Runtime API synchronously when the handler's promise settles, then asks for the next event from a setImmediate
 * callback of its own, queued after this one; the environment is frozen only while it waits for that next event.
 * Nothing else is added to the live path: no network call, no re-encoding of the answer.
 */
export function withShadowSampling(
  handler: ApiGatewayHandler,
  environment: NodeJS.ProcessEnv = process.env,
  { write = writeStdout, random = Math.random, defer = setImmediate }: ShadowSamplingOptions = {},
): ApiGatewayHandler {
  const rate = sampleRate(environment[ShadowEnvironment.sampleRate]);
  if (rate === undefined) return handler;
  const skipped = skippedSamplesMetric(environment);
  return async (event, context) => {
    const result = await handler(event, context);
    if (result.statusCode === 200 && event.httpMethod === 'POST' && random() < rate && INFER_PATH.test(event.path)) {
      const requestId = context.awsRequestId;
      defer(() => {
        const line = shadowSampleLine(event, result, requestId);
        // A string's length is at most its UTF-8 byte length, so only a long line needs counting.
        const bytes = line.length > MAX_LOG_EVENT_BYTES / 3 ? Buffer.byteLength(line) : line.length;
        if (bytes <= MAX_LOG_EVENT_BYTES) {
          write(line);
        } else {
          skipped.addMetric(ShadowMetric.samplesSkipped, MetricUnit.Count, 1);
          logger.warn('shadow sample skipped', { bytes, limit: MAX_LOG_EVENT_BYTES, path: event.path });
        }
      });
    }
    return result;
  };
}

/**
 * The rate as a number in (0, 1], or undefined (sampling off). A value the infrastructure would never set turns
 * sampling off with a warning: shadow testing must never be the reason the live model fails to serve.
 */
function sampleRate(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const rate = Number(text);
  if (Number.isFinite(rate) && rate > 0 && rate <= 1) return rate;
  logger.warn('shadow sampling off: invalid sample rate', {
    variable: ShadowEnvironment.sampleRate,
    value: text,
    expected: 'a number greater than 0 and at most 1',
  });
  return undefined;
}

function skippedSamplesMetric(environment: NodeJS.ProcessEnv): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: environment.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    defaultDimensions: {
      [MODEL_DIMENSION]: environment[ModelEnvironment.name] ?? 'unknown',
      [VERSION_DIMENSION]: environment[ModelEnvironment.version] ?? 'unknown',
    },
    singleMetric: true,
  });
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
