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
}

/**
 * The live handler, writing one shadow sample log line for a sampled share of its successful inference requests
 * when the environment names a sample rate; the handler itself, untouched, otherwise. The line is written before
 * the answer is returned, because Lambda freezes the environment as soon as it is: anything deferred would run in
 * some later invocation, or never. Nothing else happens on the caller's path: no network call, no re-encoding.
 */
export function withShadowSampling(
  handler: ApiGatewayHandler,
  environment: NodeJS.ProcessEnv = process.env,
  { write = writeStdout, random = Math.random }: ShadowSamplingOptions = {},
): ApiGatewayHandler {
  const rate = sampleRate(environment[ShadowEnvironment.sampleRate]);
  if (rate === undefined) return handler;
  const skipped = skippedSamplesMetric(environment);
  return async (event, context) => {
    const result = await handler(event, context);
    if (result.statusCode === 200 && event.httpMethod === 'POST' && random() < rate && INFER_PATH.test(event.path)) {
      const line = shadowSampleLine(event, result, context.awsRequestId);
      // A string's length is at most its UTF-8 byte length, so only a long line needs counting.
      const bytes = line.length > MAX_LOG_EVENT_BYTES / 3 ? Buffer.byteLength(line) : line.length;
      if (bytes <= MAX_LOG_EVENT_BYTES) {
        write(line);
      } else {
        skipped.addMetric(ShadowMetric.samplesSkipped, MetricUnit.Count, 1);
        logger.warn('shadow sample skipped', { bytes, limit: MAX_LOG_EVENT_BYTES, path: event.path });
      }
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
