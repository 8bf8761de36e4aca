import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  type RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../contract/environment';
import { parseDaemonAddress, parseTraceHeader, Subsegment, sendDocuments, warmSegmentSending } from './xray-segments';

/**
 * The deployment's service name (see serviceNameForStage), set by the stack; the default elsewhere. It is the `service`
 * dimension of every metric, so the dashboard and alarms of one stage never read another stage's series.
 */
const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;

/** One Logger and Metrics for the whole runtime, so every log line and metric carries the same service. */
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
 * X-Ray tracing only exists in Lambda, which sets the invocation's trace header and runs the daemon; elsewhere
 * (locally, in tests, the SageMaker container) nothing is recorded. The runtime writes its subsegments itself
 * (xray-segments.ts) rather than through Powertools' Tracer: the X-Ray SDK behind it was half of the bundle, and it
 * lost its context when loaded during init, so invocations went untraced and each logged an error.
 */
const TRACING = tracingEnabled(process.env);

/**
 * In Lambda, unless switched off as Powertools' Tracer let users switch it off: POWERTOOLS_TRACE_ENABLED=false, or
 * under SAM's or Amplify's local emulation of Lambda, where no daemon listens.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.AWS_LAMBDA_FUNCTION_NAME === undefined) return false;
  if ((env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() === 'false') return false;
  return !env.AWS_SAM_LOCAL && env.AWS_EXECUTION_ENV !== 'AWS_Lambda_amplify-mock';
}
/** As Powertools counts cold starts: only an on-demand environment's first invocation is one. */
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'on-demand';

/**
 * Prepares, in Lambda, what the first invocation's trace needs, so that it is not paid in front of the first answer;
 * the handler calls it while the model's GET waits on the network. Nothing elsewhere.
 */
export function warmTracing(): void {
  if (TRACING) warmSegmentSending();
}

/**
 * The invocation in progress: its innermost open subsegment and the documents of the subsegments already closed.
 * An execution environment runs one invocation at a time, so one slot is enough. During init (where the model
 * loads) there is no invocation and no trace to attach anything to.
 */
let invocation: { current: Subsegment; readonly closed: string[] } | undefined;

/** The trace header of the invocation: Lambda's invoke store where the runtime has one, the variable otherwise. */
function invocationTraceHeader(): string | undefined {
  const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } })
    .awslambda?.InvokeStore;
  return store?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
}

/**
 * Runs one Lambda invocation in its own `## handler` subsegment carrying the ColdStart and Service annotations, as
 * Powertools' captureLambdaHandler does: Lambda's own segment is written by Lambda and takes no annotations. Marks
 * the subsegment as a fault when `isFault` says the answer was a server error, and records a thrown error. Sends the
 * invocation's subsegments before answering. Plain call without tracing or when the trace is not sampled.
 */
export async function tracedInvocation<T>(work: () => Promise<T>, isFault: (result: T) => boolean): Promise<T> {
  const wasCold = coldStart;
  coldStart = false;
  const trace = TRACING ? parseTraceHeader(invocationTraceHeader()) : undefined;
  if (trace === undefined || !trace.sampled) return work();
  const subsegment = new Subsegment('## handler', trace.root, trace.parent);
  subsegment.annotate('ColdStart', wasCold);
  subsegment.annotate('Service', SERVICE);
  const traced = { current: subsegment, closed: [] as string[] };
  invocation = traced;
  try {
    const result = await work();
    if (isFault(result)) subsegment.markFault();
    return result;
  } catch (error) {
    subsegment.addError(error);
    throw error;
  } finally {
    invocation = undefined;
    traced.closed.push(subsegment.close());
    sendTrace(traced.closed);
  }
}

function sendTrace(documents: readonly string[]): void {
  try {
    sendDocuments(parseDaemonAddress(process.env.AWS_XRAY_DAEMON_ADDRESS), documents, (error) =>
      logger.warn('trace not sent to the X-Ray daemon', { error: error.message }),
    );
  } catch (error) {
    logger.warn('trace not sent to the X-Ray daemon', { error: (error as Error).message });
  }
}

/** Adds an annotation (searchable in X-Ray) to the current subsegment of the invocation; nothing outside one. */
export function annotate(key: string, value: string): void {
  invocation?.current.annotate(key, value);
}

/**
 * Runs `work` in an X-Ray subsegment of the current invocation when tracing is on (in Lambda), and plainly
 * otherwise: locally, in tests, and during Lambda's init, which has no trace.
 */
export async function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  const traced = invocation;
  if (traced === undefined) return work();
  const parent = traced.current;
  const subsegment = parent.child(name);
  traced.current = subsegment;
  try {
    return await work();
  } catch (error) {
    subsegment.addError(error);
    throw error;
  } finally {
    traced.closed.push(subsegment.close());
    traced.current = parent;
  }
}
