import { DRIFT_THRESHOLDS } from '../contract/baseline';
import type { CapturePolicy } from '../contract/capture';

/**
 * Data capture of one model (`models.<name>.capture`): off unless set, because requests may hold personal data.
 * Fields are named features (model.json "features") or tensor names.
 */
export interface CaptureSettings {
  /** Share of inference requests captured, in (0, 1]. @default 0.1 */
  readonly sampleRate?: number;
  /** Fields whose values are captured as null. @default - none */
  readonly dropFields?: readonly string[];
  /** Fields whose values are captured as a salted hash, so equal values stay joinable unread. @default - none */
  readonly hashFields?: readonly string[];
}

/**
 * 10 %: at the default stage throttle (100 requests/s) at most 10 capture lines a second, while a model called once
 * a second still gives some 8,600 rows a day, far above the drift job's minimum for a verdict.
 */
export const DEFAULT_CAPTURE_SAMPLE_RATE = 0.1;

/** Drift monitoring of every captured model (the top-level `monitoring` setting). */
export interface MonitoringSettings {
  /** Hours between two runs of the drift job. @default 1 */
  readonly scheduleHours: number;
  /** Hours of captures each run compares with the baseline. @default 24 */
  readonly windowHours: number;
  /** PSI from which a feature is worth watching, and from which the job alarms and sends its event. @default 0.1, 0.2 */
  readonly thresholds: { readonly watch: number; readonly act: number };
  /** Fewest captured rows in the window for a verdict; fewer publish CapturedRows only. @default 100 */
  readonly minimumRows: number;
  /** Days captured objects are kept before S3 deletes them. @default 90 */
  readonly captureRetentionDays: number;
  /** Most FeatureDrift metrics per model (each a paid custom metric); MaxFeatureDrift covers the rest. @default 32 */
  readonly featureMetricsLimit: number;
  /**
   * How far ModelAccuracy may fall below the model's trained accuracy (model.json metrics.accuracy) before the alarm.
   * @default 0.05
   */
  readonly accuracyAlarmMargin: number;
}

export const MONITORING_DEFAULTS: MonitoringSettings = {
  scheduleHours: 1,
  // A day: an hourly window of a quiet model holds too few rows for stable PSI, and a day smooths the daily cycle.
  windowHours: 24,
  thresholds: DRIFT_THRESHOLDS,
  // With 10 bins, 100 rows put some 10 in each: fewer, and sampling noise alone reaches the watch threshold.
  minimumRows: 100,
  captureRetentionDays: 90,
  featureMetricsLimit: 32,
  accuracyAlarmMargin: 0.05,
};

/** A setting the user must fix: the message names it, the value received and what to write. */
export class MonitoringSettingError extends Error {}

const CAPTURE_KEYS: readonly (keyof CaptureSettings)[] = ['sampleRate', 'dropFields', 'hashFields'];

/** The capture policy a `capture` setting asks for; `name` is the setting's path for messages. */
export function parseCaptureSettings(value: unknown, name: string): CapturePolicy {
  const example = `{"sampleRate": ${DEFAULT_CAPTURE_SAMPLE_RATE}, "dropFields": ["email"], "hashFields": ["customer_id"]}`;
  const object = readObject(value, name, example);
  refuseUnknownKeys(object, CAPTURE_KEYS, name, 'capture');
  const sampleRate = readNumber(object.sampleRate, `${name}.sampleRate`) ?? DEFAULT_CAPTURE_SAMPLE_RATE;
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new MonitoringSettingError(
      `${name}.sampleRate (${sampleRate}) must be greater than 0 and at most 1: to stop capturing, remove ${name}`,
    );
  }
  const dropFields = readNames(object.dropFields, `${name}.dropFields`);
  const hashFields = readNames(object.hashFields, `${name}.hashFields`);
  const both = dropFields.filter((field) => hashFields.includes(field));
  if (both.length > 0) {
    throw new MonitoringSettingError(
      `${name} both drops and hashes ${both.join(', ')}: a field is either dropped (never stored) or hashed, keep it in one list`,
    );
  }
  return { sampleRate, dropFields, hashFields };
}

const MONITORING_KEYS: readonly (keyof MonitoringSettings)[] = [
  'scheduleHours',
  'windowHours',
  'thresholds',
  'minimumRows',
  'captureRetentionDays',
  'featureMetricsLimit',
  'accuracyAlarmMargin',
];

/** The `monitoring` setting with every default filled in; `undefined` gives the defaults. */
export function parseMonitoringSettings(value: unknown, name = 'monitoring'): MonitoringSettings {
  if (value === undefined) return MONITORING_DEFAULTS;
  const object = readObject(value, name, '{"windowHours": 24, "thresholds": {"watch": 0.1, "act": 0.2}}');
  refuseUnknownKeys(object, MONITORING_KEYS, name, 'monitoring');
  const whole = (key: keyof MonitoringSettings, min: number, max: number): number => {
    const number = readNumber(object[key], `${name}.${key}`) ?? (MONITORING_DEFAULTS[key] as number);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new MonitoringSettingError(
        `${name}.${key} (${number}) must be a whole number from ${min} to ${max}: e.g. ${MONITORING_DEFAULTS[key]}`,
      );
    }
    return number;
  };
  const thresholds = readThresholds(object.thresholds, `${name}.thresholds`);
  const accuracyAlarmMargin =
    readNumber(object.accuracyAlarmMargin, `${name}.accuracyAlarmMargin`) ?? MONITORING_DEFAULTS.accuracyAlarmMargin;
  if (!(accuracyAlarmMargin >= 0 && accuracyAlarmMargin < 1)) {
    throw new MonitoringSettingError(
      `${name}.accuracyAlarmMargin (${accuracyAlarmMargin}) must be at least 0 and below 1: e.g. 0.05 alarms 5 points below the trained accuracy`,
    );
  }
  return {
    // EventBridge rates are whole minutes; a day is the longest schedule worth having for drift.
    scheduleHours: whole('scheduleHours', 1, 24),
    windowHours: whole('windowHours', 1, 24 * 31),
    thresholds,
    minimumRows: whole('minimumRows', 1, 10_000_000),
    // S3 lifecycle expiry counts whole days.
    captureRetentionDays: whole('captureRetentionDays', 1, 36_500),
    // CloudWatch allows 30 dimensions but no limit on series; 1,000 features is far past any dashboard's use.
    featureMetricsLimit: whole('featureMetricsLimit', 0, 1000),
    accuracyAlarmMargin,
  };
}

function readThresholds(value: unknown, name: string): MonitoringSettings['thresholds'] {
  if (value === undefined) return MONITORING_DEFAULTS.thresholds;
  const object = readObject(value, name, '{"watch": 0.1, "act": 0.2}');
  refuseUnknownKeys(object, ['watch', 'act'], name, 'threshold');
  const watch = readNumber(object.watch, `${name}.watch`) ?? MONITORING_DEFAULTS.thresholds.watch;
  const act = readNumber(object.act, `${name}.act`) ?? MONITORING_DEFAULTS.thresholds.act;
  if (!(watch > 0 && act >= watch)) {
    throw new MonitoringSettingError(
      `${name} (watch ${watch}, act ${act}) must be above 0 with act at least watch: the usual PSI thresholds are watch 0.1, act 0.2`,
    );
  }
  return { watch, act };
}

function readObject(value: unknown, name: string, example: string): Record<string, unknown> {
  // `-c monitoring='{...}'` arrives as JSON text; cdk.json gives an object.
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new MonitoringSettingError(`${name} (${value}) is not valid JSON: write e.g. '${example}'`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MonitoringSettingError(`${name} (${JSON.stringify(parsed)}) must be an object such as ${example}`);
  }
  return parsed as Record<string, unknown>;
}

function refuseUnknownKeys(
  object: Record<string, unknown>,
  known: readonly string[],
  name: string,
  what: string,
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw new MonitoringSettingError(`${name}.${key} is not a ${what} setting: use ${known.join(', ')}`);
    }
  }
}

function readNumber(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new MonitoringSettingError(`${name} (${JSON.stringify(value)}) is not a number: write it without quotes`);
  }
  return number;
}

// Field names end up in a comma-separated environment variable: a comma inside one would split it in two.
const FIELD_NAME = /^[^,\s][^,]*$/;

function readNames(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && FIELD_NAME.test(item))) {
    throw new MonitoringSettingError(
      `${name} (${JSON.stringify(value)}) must be a list of feature or tensor names without commas, e.g. ["email"]`,
    );
  }
  return [...new Set(value as string[])];
}
