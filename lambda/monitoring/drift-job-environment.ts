import { DRIFT_THRESHOLDS } from '../../contract/baseline';
import { DriftJobEnvironment } from '../../contract/environment';

/** One model version the job checks, with its pinned descriptor (which holds the baseline). */
export interface DriftJobModel {
  readonly model: string;
  readonly version: string;
  readonly bucket: string;
  readonly descriptorKey: string;
  readonly descriptorSha256: string;
}

export interface DriftJobSettings {
  readonly captureBucket: string;
  readonly models: readonly DriftJobModel[];
  readonly windowHours: number;
  readonly thresholds: { readonly watch: number; readonly act: number };
  readonly minimumRows: number;
  readonly featureMetricsLimit: number;
  /** Undefined: the account's default bus. */
  readonly eventBusName?: string;
}

/** Defaults for a variable left unset; the stack always sets every one, so these serve a hand-run job. */
const DEFAULTS = { windowHours: 24, minimumRows: 100, featureMetricsLimit: 32 } as const;

/**
 * The job's settings from its environment (DriftJobEnvironment), checked: a wrong value throws naming the variable,
 * the value and what was expected, since the stack sets them all and a wrong one means a broken deployment.
 */
export function driftJobSettings(environment: NodeJS.ProcessEnv): DriftJobSettings {
  const fail = (name: string, what: string): never => {
    throw new Error(`${name} ${what}: the drift job is deployed by DriftJob, which sets it; redeploy`);
  };
  const text = (name: string): string | undefined => {
    const value = environment[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const number = (name: string, fallback: number, check: (value: number) => boolean, expected: string): number => {
    const value = text(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    return check(parsed) ? parsed : fail(name, `(${JSON.stringify(value)}) must be ${expected}`);
  };
  const captureBucket =
    text(DriftJobEnvironment.captureBucket) ?? fail(DriftJobEnvironment.captureBucket, 'is not set');
  const modelsText = text(DriftJobEnvironment.models) ?? fail(DriftJobEnvironment.models, 'is not set');
  let models: unknown;
  try {
    models = JSON.parse(modelsText);
  } catch {
    fail(DriftJobEnvironment.models, 'is not valid JSON');
  }
  const fields = ['model', 'version', 'bucket', 'descriptorKey', 'descriptorSha256'] as const;
  const valid =
    Array.isArray(models) &&
    models.every(
      (entry: unknown) =>
        typeof entry === 'object' &&
        entry !== null &&
        fields.every((field) => typeof (entry as Record<string, unknown>)[field] === 'string'),
    );
  if (!valid) fail(DriftJobEnvironment.models, `must be an array of {${fields.join(', ')}} strings`);
  const positive = (value: number) => Number.isFinite(value) && value > 0;
  const whole = (value: number) => Number.isInteger(value) && value >= 0;
  const watch = number(DriftJobEnvironment.watchThreshold, DRIFT_THRESHOLDS.watch, positive, 'a number above 0');
  const act = number(DriftJobEnvironment.actThreshold, DRIFT_THRESHOLDS.act, positive, 'a number above 0');
  if (act < watch) fail(DriftJobEnvironment.actThreshold, `(${act}) must not be below the watch threshold (${watch})`);
  const eventBusName = text(DriftJobEnvironment.eventBusName);
  return {
    captureBucket,
    models: (models as DriftJobModel[]).map(
      (entry) => Object.fromEntries(fields.map((f) => [f, entry[f]])) as unknown as DriftJobModel,
    ),
    windowHours: number(DriftJobEnvironment.windowHours, DEFAULTS.windowHours, positive, 'a number of hours above 0'),
    thresholds: { watch, act },
    minimumRows: number(DriftJobEnvironment.minimumRows, DEFAULTS.minimumRows, whole, 'a whole number'),
    featureMetricsLimit: number(
      DriftJobEnvironment.featureMetricsLimit,
      DEFAULTS.featureMetricsLimit,
      whole,
      'a whole number',
    ),
    ...(eventBusName === undefined ? {} : { eventBusName }),
  };
}
