import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { DriftStatus } from '../../contract/baseline';
import { capturePrefix, feedbackPrefix } from '../../contract/capture';
import { DRIFT_EVENT } from '../../contract/environment';
import { readDescriptorOf, S3DescriptorSource } from '../model/descriptor-source';
import { sdkS3Reader } from '../model/sdk-s3-reader';
import { logger } from '../observability';
import { readWindow, type TimeWindow, windowHours } from './capture-reader';
import { type DriftJobModel, type DriftJobSettings, driftJobSettings } from './drift-job-environment';
import { publishDriftMetrics } from './drift-metrics';
import { feedbackQuality } from './feedback-quality';
import { type DistributionDrift, windowDrift } from './window-drift';

export interface DriftJobOptions {
  readonly s3: S3Client;
  readonly eventBridge: EventBridgeClient;
  readonly environment: NodeJS.ProcessEnv;
  /** Where each metric line goes. @default - Powertools' own output, stdout, which Lambda sends to the log group */
  readonly writeMetric?: (line: string) => void;
}

/** A PSI as the event and the report give it. */
export interface DriftFigure {
  readonly name: string;
  readonly psi: number;
  readonly status: DriftStatus;
}

/** The `detail` of a `Model Drift Detected` event. */
export interface DriftEventDetail {
  readonly model: string;
  readonly version: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly rows: number;
  /** The input features at watch or act, highest PSI first. */
  readonly features: readonly DriftFigure[];
  /** Every output. */
  readonly outputs: readonly DriftFigure[];
}

/** What the job did for one model version. */
export type DriftJobOutcome =
  | { readonly model: string; readonly version: string; readonly verdict: 'too few rows'; readonly rows: number }
  | {
      readonly model: string;
      readonly version: string;
      readonly verdict: DriftStatus;
      readonly rows: number;
      readonly features: readonly DriftFigure[];
      readonly outputs: readonly DriftFigure[];
      readonly accuracy?: number;
      readonly meanAbsoluteError?: number;
      readonly eventSent: boolean;
    }
  | { readonly model: string; readonly version: string; readonly verdict: 'failed'; readonly error: string };

/** The scheduled event EventBridge sends; only its time is read. */
export interface ScheduledEvent {
  readonly time?: string;
}

export type DriftJobHandler = (event: ScheduledEvent) => Promise<readonly DriftJobOutcome[]>;

const HOUR_MS = 3_600_000;

/**
 * The scheduled drift job: for each model version it checks, reads the window's captures and feedback from the
 * capture bucket and the baseline from the version's pinned descriptor, compares them (PSI per feature and output),
 * publishes the drift and quality metrics, and sends `Model Drift Detected` when anything reaches the act threshold.
 * One model's failure does not stop the others; the job throws at the end when any failed, so Lambda's Errors show it.
 */
export function createDriftJob({ s3, eventBridge, environment, writeMetric }: DriftJobOptions): DriftJobHandler {
  const settings = driftJobSettings(environment);
  const serviceName = environment.POWERTOOLS_SERVICE_NAME || undefined;
  return async (event) => {
    const end = event.time === undefined || Number.isNaN(Date.parse(event.time)) ? new Date() : new Date(event.time);
    const window = { start: new Date(end.getTime() - settings.windowHours * HOUR_MS), end };
    const outcomes: DriftJobOutcome[] = [];
    for (const model of settings.models) {
      try {
        outcomes.push(await checkModel(model, window, settings, { s3, eventBridge, serviceName, writeMetric }));
      } catch (error) {
        logger.error('drift check failed', { model: model.model, version: model.version, error: error as Error });
        outcomes.push({
          model: model.model,
          version: model.version,
          verdict: 'failed',
          error: (error as Error).message,
        });
      }
    }
    logger.info('drift job done', {
      outcomes: outcomes.map(({ model, version, verdict }) => ({ model, version, verdict })),
    });
    const failed = outcomes.filter((outcome) => outcome.verdict === 'failed');
    if (failed.length > 0) {
      throw new Error(
        `the drift check failed for ${failed.map((f) => `${f.model} version ${f.version}: ${'error' in f ? f.error : ''}`).join('; ')}`,
      );
    }
    return outcomes;
  };
}

async function checkModel(
  model: DriftJobModel,
  window: TimeWindow,
  settings: DriftJobSettings,
  peers: {
    readonly s3: S3Client;
    readonly eventBridge: EventBridgeClient;
    readonly serviceName: string | undefined;
    readonly writeMetric: ((line: string) => void) | undefined;
  },
): Promise<DriftJobOutcome> {
  const { s3 } = peers;
  const descriptor = await readDescriptorOf(
    new S3DescriptorSource(sdkS3Reader(s3), {
      bucket: model.bucket,
      key: model.descriptorKey,
      sha256: model.descriptorSha256,
    }),
    { name: model.model, version: model.version },
  );
  const hours = windowHours(window);
  const captures = await readWindow(
    s3,
    settings.captureBucket,
    hours.map((hour) => capturePrefix(model.model, model.version, hour)),
    window,
    'inference',
  );
  const publish = (measurement: Parameters<typeof publishDriftMetrics>[0]) =>
    publishDriftMetrics(measurement, {
      featureMetricsLimit: settings.featureMetricsLimit,
      ...(peers.serviceName === undefined ? {} : { serviceName: peers.serviceName }),
      ...(peers.writeMetric === undefined ? {} : { write: peers.writeMetric }),
    });
  const drift = windowDrift(descriptor, captures.records, settings.thresholds);
  if (captures.unreadableLines > 0 || drift.skipped > 0) {
    logger.warn('captures skipped', {
      model: model.model,
      version: model.version,
      unreadableLines: captures.unreadableLines,
      undecodedRecords: drift.skipped,
      reasons: drift.skipReasons,
    });
  }
  if (drift.rows < settings.minimumRows) {
    publish({ model: model.model, version: model.version, capturedRows: drift.rows });
    logger.info('too few captured rows for a verdict', {
      model: model.model,
      version: model.version,
      rows: drift.rows,
      minimumRows: settings.minimumRows,
    });
    return { model: model.model, version: model.version, verdict: 'too few rows', rows: drift.rows };
  }
  const feedback = await readWindow(
    s3,
    settings.captureBucket,
    hours.map((hour) => feedbackPrefix(model.model, hour)),
    window,
    'feedback',
  );
  const quality = feedbackQuality(descriptor, captures.records, feedback.records);
  const features = drift.inputs.map(figure);
  const outputs = drift.outputs.map(figure);
  const predictionDrift = Math.max(...outputs.map((output) => output.psi).filter(Number.isFinite));
  publish({
    model: model.model,
    version: model.version,
    capturedRows: drift.rows,
    features,
    ...(Number.isFinite(predictionDrift) ? { predictionDrift } : {}),
    ...(quality?.kind === 'accuracy' ? { accuracy: quality.accuracy } : {}),
    ...(quality?.kind === 'error' ? { meanAbsoluteError: quality.meanAbsoluteError } : {}),
  });
  const acting = [...features, ...outputs].some((item) => item.status === 'act');
  if (acting) {
    const detail: DriftEventDetail = {
      model: model.model,
      version: model.version,
      window: { start: window.start.toISOString(), end: window.end.toISOString() },
      rows: drift.rows,
      features: features.filter((feature) => feature.status !== 'stable').sort((a, b) => b.psi - a.psi),
      outputs,
    };
    await sendDriftEvent(peers.eventBridge, detail, settings.eventBusName);
    logger.warn('model drift detected', { ...detail });
  }
  return {
    model: model.model,
    version: model.version,
    verdict: drift.status,
    rows: drift.rows,
    features,
    outputs,
    ...(quality?.kind === 'accuracy' ? { accuracy: quality.accuracy } : {}),
    ...(quality?.kind === 'error' ? { meanAbsoluteError: quality.meanAbsoluteError } : {}),
    eventSent: acting,
  };
}

function figure(drift: DistributionDrift): DriftFigure {
  return { name: drift.name, psi: drift.psi, status: drift.status };
}

async function sendDriftEvent(
  eventBridge: EventBridgeClient,
  detail: DriftEventDetail,
  eventBusName: string | undefined,
): Promise<void> {
  const response = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: DRIFT_EVENT.source,
          DetailType: DRIFT_EVENT.detailType,
          Detail: JSON.stringify(detail),
          ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
        },
      ],
    }),
  );
  const failed = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || failed?.ErrorCode !== undefined) {
    throw new Error(
      `EventBridge refused the drift event of model ${detail.model} version ${detail.version}: ${failed?.ErrorCode ?? 'unknown error'} ${failed?.ErrorMessage ?? ''}`.trim(),
    );
  }
}

let job: DriftJobHandler | undefined;

/** Lambda entry point, built at the first event so that importing this module reads no environment. */
export const handler: DriftJobHandler = (event) => {
  job ??= createDriftJob({ s3: new S3Client({}), eventBridge: new EventBridgeClient({}), environment: process.env });
  return job(event);
};
