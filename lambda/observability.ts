import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, MODEL_DIMENSION, type RuntimeMetric, SERVICE_NAME } from '../contract/environment';

/** One Logger, Metrics and Tracer for the whole runtime, so every log line and metric carries the same service. */
export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * Emits one per-model timing right away. A single metric carries its own `model` dimension, so timings from model
 * loads at init (outside any invocation) and from different models served by one process never mix.
 */
export function recordModelTiming(
  metric: (typeof RuntimeMetric)[keyof typeof RuntimeMetric],
  model: string,
  milliseconds: number,
): void {
  const single = metrics.singleMetric();
  single.addDimension(MODEL_DIMENSION, model);
  single.addMetric(metric, MetricUnit.Milliseconds, milliseconds);
}

/** Runs `work` in an X-Ray subsegment when tracing is on (in Lambda), and plainly otherwise (locally, in tests). */
export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (parent === undefined) return work();
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
