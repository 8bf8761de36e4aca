import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CaptureRecord } from '../../contract/capture';
import {
  CaptureEnvironment,
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';
import type { ApiGatewayHandler } from '../api-gateway-handler';
import { logger } from '../observability';
import { MAX_LOG_EVENT_BYTES } from '../shadow/shadow-sample';
import { type CaptureFields, captureLogLine, captureRecord } from './capture-record';

/** Records the function did not log because the line exceeded CloudWatch Logs' event size limit. */
export const CAPTURE_RECORDS_SKIPPED_METRIC = 'CaptureRecordsSkipped';

/** Answered v2 inference requests are captured: metadata, health and errors say nothing about the data. */
const INFER_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/infer$/;

/** What is captured: a share of the inference requests, with some fields dropped or hashed. */
export interface CaptureSettings extends CaptureFields {
  /** In (0, 1]. */
  readonly sampleRate: number;
}

export interface CaptureSamplingOptions {
  /** Where capture records go, one line each. @default - process.stdout as log lines with the marker field */
  readonly write?: (record: CaptureRecord) => void;
  /** A number in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Runs the record's work once the answer has been handed back. @default setImmediate */
  readonly defer?: (work: () => void) => void;
  /**
   * The version that answers a request for `model` (at `version` when the path names one).
   * @default - MODEL_VERSION, the one version a function serves
   */
  readonly servedVersion?: (model: string, version: string | undefined) => string;
  /** The model's named input features (model.json "features"), which fields may name. @default - unknown */
  readonly features?: (model: string, version: string) => readonly string[] | undefined;
}

/**
 * The handler, capturing a sampled share of its answered inference requests when capture is on (settings given);
 * the handler itself, untouched, otherwise.
 *
 * Only the draw and the clock run before the answer is returned. The record is built and written in a setImmediate
 * callback, after the handler's promise has settled, as shadow sampling does (see withShadowSampling for why that
 * is still inside the Lambda invocation): no parsing, hashing or serialising on the caller's path.
 */
export function withCapture(
  handler: ApiGatewayHandler,
  settings: CaptureSettings | undefined,
  {
    write = captureLogWriter(),
    random = Math.random,
    defer = setImmediate,
    servedVersion = functionVersion,
    features = () => undefined,
  }: CaptureSamplingOptions = {},
): ApiGatewayHandler {
  if (settings === undefined) return handler;
  return async (event, context) => {
    const result = await handler(event, context);
    if (result.statusCode !== 200 || event.httpMethod !== 'POST' || random() >= settings.sampleRate) return result;
    const match = INFER_PATH.exec(event.path);
    if (match === null) return result;
    const time = new Date();
    const requestId = context.awsRequestId;
    defer(() => {
      const [, model = '', pathVersion] = match;
      // Nothing may escape a deferred callback: an exception there would end the process, and capture must never be
      // the reason a model stops serving.
      try {
        const version = servedVersion(model, pathVersion);
        const record = captureRecord(
          { event, result, requestId, time, model, version, features: features(model, version) },
          settings,
        );
        write(record);
      } catch (error) {
        logger.warn('capture record skipped', { model, path: event.path, requestId, error });
      }
    });
    return result;
  };
}

/**
 * The capture settings in the environment, or undefined (capture off). A setting the infrastructure would never
 * write turns capture off with a warning: capture must never be the reason a model fails to serve, and a guessed
 * setting could capture what was meant to be dropped.
 */
export function captureSettings(environment: NodeJS.ProcessEnv): CaptureSettings | undefined {
  const rateText = environment[CaptureEnvironment.sampleRate];
  if (rateText === undefined || rateText.trim() === '') return undefined;
  const sampleRate = Number(rateText);
  if (!(Number.isFinite(sampleRate) && sampleRate > 0 && sampleRate <= 1)) {
    logger.warn('capture off: invalid sample rate', {
      variable: CaptureEnvironment.sampleRate,
      value: rateText,
      expected: 'a number greater than 0 and at most 1',
    });
    return undefined;
  }
  const dropFields = fieldList(environment[CaptureEnvironment.dropFields]);
  const hashFields = fieldList(environment[CaptureEnvironment.hashFields]);
  const hashSalt = environment[CaptureEnvironment.hashSalt] ?? '';
  if (hashFields.length > 0 && hashSalt === '') {
    logger.warn('capture off: hashed fields without a salt', {
      variable: CaptureEnvironment.hashSalt,
      hashFields,
      expected: 'a secret salt: unsalted hashes of small values (ages, postcodes) are reversed by trying them all',
    });
    return undefined;
  }
  return { sampleRate, dropFields, hashFields, hashSalt };
}

/** Comma-separated field names; blanks around the commas are ignored. */
export function fieldList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field !== '');
}

function functionVersion(): string {
  return process.env[ModelEnvironment.version] ?? 'unknown';
}

/**
 * Writes each record as one log line, which Lambda forwards to the function's log group, where the capture writer's
 * subscription filter picks it up. A line CloudWatch Logs would refuse or split is skipped with a metric and a
 * warning.
 */
export function captureLogWriter(out: (line: string) => void = writeStdout): (record: CaptureRecord) => void {
  return (record) => {
    const line = captureLogLine(record);
    // A string's length is at most its UTF-8 byte length, so only a long line needs counting.
    const bytes = line.length > MAX_LOG_EVENT_BYTES / 3 ? Buffer.byteLength(line) : line.length;
    if (bytes <= MAX_LOG_EVENT_BYTES) {
      out(line);
      return;
    }
    skippedRecordsMetric(record).addMetric(CAPTURE_RECORDS_SKIPPED_METRIC, MetricUnit.Count, 1);
    logger.warn('capture record skipped: over the log event limit', {
      bytes,
      limit: MAX_LOG_EVENT_BYTES,
      model: record.model,
      requestId: record.requestId,
    });
  };
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

function skippedRecordsMetric(record: CaptureRecord): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
    defaultDimensions: { [MODEL_DIMENSION]: record.model, [VERSION_DIMENSION]: record.version },
    singleMetric: true,
  });
}
