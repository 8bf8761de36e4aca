import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, MODEL_DIMENSION, type RuntimeMetric, SERVICE_NAME } from '../contract/environment';

/** One Logger, Metrics and Tracer for the whole runtime, so every log line and metric carries the same service. */
export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
/**
 * X-Ray tracing only exists in Lambda. Elsewhere the tracer is not even loaded: the X-Ray SDK behind it takes
 * 65 ms to import and installs async hooks that tax every promise, and it would record nothing anyway.
 */
export const tracer: Tracer | undefined =
  process.env.AWS_LAMBDA_FUNCTION_NAME === undefined
    ? undefined
    : new (require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer')).Tracer({
        serviceName: SERVICE_NAME,
      });

const modelMetrics = new Map<string, Metrics>();

/**
 * Emits one per-model timing right away, with its own `model` dimension, so timings from model loads at init
 * (outside any invocation) and from different models served by one process never mix. One Metrics object per model
 * is built once and reused: building one per call (Powertools' `singleMetric()`) creates a Console and rereads the
 * environment each time, which cost a quarter of the handler's CPU per inference.
 */
export function recordModelTiming(
  metric: (typeof RuntimeMetric)[keyof typeof RuntimeMetric],
  model: string,
  milliseconds: number,
): void {
  let perModel = modelMetrics.get(model);
  if (perModel === undefined) {
    perModel = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      defaultDimensions: { [MODEL_DIMENSION]: model },
      singleMetric: true,
    });
    modelMetrics.set(model, perModel);
  }
  perModel.addMetric(metric, MetricUnit.Milliseconds, milliseconds);
}

/** Runs `work` in an X-Ray subsegment when tracing is on (in Lambda), and plainly otherwise (locally, in tests). */
export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (tracer === undefined || parent === undefined) return work();
  const subsegment = parent.addNewSubsegment(name);
  tracer.setSegment(subsegment);
  try {
    return await work();
  } catch (error) {
    subsegment.addError(error as Error);
    throw error;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
