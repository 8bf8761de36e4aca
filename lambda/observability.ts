import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  type RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../contract/environment';

/**
 * The deployment's service name (see serviceNameForStage), set by the stack; the default elsewhere. It is the `service`
 * dimension of every metric, so the dashboard and alarms of one stage never read another stage's series.
 */
const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;

/** One Logger, Metrics and Tracer for the whole runtime, so every log line and metric carries the same service. */
export const logger = new Logger({ serviceName: SERVICE });
/**
 * Powertools' Metrics, which can say whether the environment disabled it (its own check is protected): the hot path
 * then skips metrics entirely. Disabled, Powertools still reads the environment, validates and stores each metric
 * before dropping it: 3.6–5.4 µs per call, measured on the local twin's hot path.
 */
class RuntimeMetrics extends Metrics {
  get off(): boolean {
    return this.isDisabled();
  }
}

export const metrics = new RuntimeMetrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });
/**
 * X-Ray tracing only exists in Lambda. Elsewhere the tracer is never loaded: the X-Ray SDK behind it installs async
 * hooks that tax every promise, and it would record nothing anyway. In Lambda it is loaded on first use rather than at
 * import: it costs ~60 ms of CPU (builtins, the SDK, its regular expressions), which the handler spends while the
 * model's GET waits on the network (see warmTracer) instead of in front of it.
 * HTTPS capture stays off: the runtime's only outgoing call is the model download, which usually runs during init,
 * where there is no trace to attach it to; a download inside a request gets its own subsegment (see traced).
 */
const TRACING = process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;
let tracer: Tracer | undefined;

/** The tracer, loaded the first time it is asked for; undefined outside Lambda. */
export function warmTracer(): Tracer | undefined {
  if (TRACING && tracer === undefined) {
    const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
    tracer = new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false });
  }
  return tracer;
}

/** One model version, as its metrics are dimensioned. */
export interface ModelVersion {
  readonly model: string;
  readonly version: string;
}

type RuntimeMetricName = (typeof RuntimeMetric)[keyof typeof RuntimeMetric];

const modelMetrics = new Map<string, Metrics>();

/**
 * Emits one per-model-version metric right away, with its own `model` and `version` dimensions, so metrics from
 * model loads at init (outside any invocation) and from different models served by one process never mix. One
 * Metrics object per model version is built once and reused: building one per call (Powertools' `singleMetric()`)
 * creates a Console and rereads the environment each time, which cost a quarter of the handler's CPU per inference.
 */
export function recordModelMetric(
  metric: RuntimeMetricName,
  { model, version }: ModelVersion,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
): void {
  if (metrics.off) return;
  const key = `${model}\u0000${version}`;
  let perModel = modelMetrics.get(key);
  if (perModel === undefined) {
    perModel = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE,
      defaultDimensions: { [MODEL_DIMENSION]: model, [VERSION_DIMENSION]: version },
      singleMetric: true,
    });
    modelMetrics.set(key, perModel);
  }
  perModel.addMetric(metric, unit, value);
}

/** A per-model-version timing in milliseconds (`InferenceLatency`, `ModelLoadTime`). */
export function recordModelTiming(metric: RuntimeMetricName, model: ModelVersion, milliseconds: number): void {
  recordModelMetric(metric, model, MetricUnit.Milliseconds, milliseconds);
}

/**
 * The `## handler` subsegment of the invocation in progress. X-Ray data only exists inside an invocation: Lambda
 * sets the trace header per invocation, and during init (where the model loads) there is none, so asking the X-Ray
 * SDK for a segment there logs "Missing AWS Lambda trace data for X-Ray".
 */
let invocationSegment: ReturnType<Tracer['getSegment']> | undefined;

/**
 * Runs one Lambda invocation in its own `## handler` subsegment carrying the ColdStart and Service annotations, as
 * Powertools' captureLambdaHandler does: Lambda's own segment is a facade that accepts no annotations. Marks the
 * subsegment as a fault when `isFault` says the answer was a server error. Plain call without tracing.
 */
export async function tracedInvocation<T>(work: () => Promise<T>, isFault: (result: T) => boolean): Promise<T> {
  const active = warmTracer();
  const facade = active?.isTracingEnabled() ? active.getSegment() : undefined;
  if (active === undefined || facade === undefined) return work();
  const subsegment = facade.addNewSubsegment('## handler');
  active.setSegment(subsegment);
  invocationSegment = subsegment;
  active.annotateColdStart();
  active.addServiceNameAnnotation();
  try {
    const result = await work();
    if (isFault(result)) subsegment.addFaultFlag();
    return result;
  } catch (error) {
    subsegment.addError(error as Error);
    throw error;
  } finally {
    invocationSegment = undefined;
    subsegment.close();
    active.setSegment(facade);
  }
}

/** Adds an annotation (searchable in X-Ray) to the current subsegment of the invocation; nothing outside one. */
export function annotate(key: string, value: string): void {
  if (tracer !== undefined && invocationSegment !== undefined) tracer.putAnnotation(key, value);
}

/**
 * Runs `work` in an X-Ray subsegment of the current invocation when tracing is on (in Lambda), and plainly
 * otherwise: locally, in tests, and during Lambda's init, which has no trace.
 */
export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (tracer === undefined || invocationSegment === undefined) return work();
  const parent = tracer.getSegment();
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
