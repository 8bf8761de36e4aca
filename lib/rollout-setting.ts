/**
 * How a new model version takes over a model's traffic: all at once, a canary step then the rest, or equal linear
 * steps. The Lambda backends hand it to CodeDeploy (a deployment config on the model's deployment group), the
 * sagemaker backend to the endpoint's blue/green deployment guardrails.
 */
export type Rollout = AllAtOnceRollout | SteppedRollout;

export interface AllAtOnceRollout {
  readonly type: 'all-at-once';
  /** CodeDeploy's predefined config, when the setting named one. */
  readonly predefined?: string;
}

export interface SteppedRollout {
  /** canary: `percent` first, the rest after one interval; linear: `percent` more after every interval. */
  readonly type: 'canary' | 'linear';
  /** Share of the traffic each step moves to the new version. */
  readonly percent: number;
  /** Minutes between steps, while the version-scoped alarms watch the new version. */
  readonly intervalMinutes: number;
  /** CodeDeploy's predefined config, when the setting named one; a custom config is created otherwise. */
  readonly predefined?: string;
}

/**
 * CodeDeploy's predefined Lambda deployment configs (`CodeDeployDefault.Lambda<name>`), by the short name the
 * setting accepts; the full name is accepted too.
 */
export const PREDEFINED_ROLLOUTS: Readonly<Record<string, Rollout>> = {
  AllAtOnce: { type: 'all-at-once' },
  Canary10Percent5Minutes: { type: 'canary', percent: 10, intervalMinutes: 5 },
  Canary10Percent10Minutes: { type: 'canary', percent: 10, intervalMinutes: 10 },
  Canary10Percent15Minutes: { type: 'canary', percent: 10, intervalMinutes: 15 },
  Canary10Percent30Minutes: { type: 'canary', percent: 10, intervalMinutes: 30 },
  Linear10PercentEvery1Minute: { type: 'linear', percent: 10, intervalMinutes: 1 },
  Linear10PercentEvery2Minutes: { type: 'linear', percent: 10, intervalMinutes: 2 },
  Linear10PercentEvery3Minutes: { type: 'linear', percent: 10, intervalMinutes: 3 },
  Linear10PercentEvery10Minutes: { type: 'linear', percent: 10, intervalMinutes: 10 },
};

/**
 * 10 % for 5 minutes: a bad version reaches a tenth of the callers for the few minutes the alarms need to see it,
 * and a good one is fully live within about 6 minutes of the deploy.
 */
export const DEFAULT_ROLLOUT_NAME = 'Canary10Percent5Minutes';

const PREDEFINED_PREFIX = 'CodeDeployDefault.Lambda';

/** CodeDeploy's bounds of a custom time-based step: a whole percentage and interval. */
export const CUSTOM_PERCENT_RANGE = { min: 1, max: 99 } as const;
export const CUSTOM_INTERVAL_MINUTES_RANGE = { min: 1, max: 2880 } as const;

const EXAMPLES =
  `a predefined config such as "${DEFAULT_ROLLOUT_NAME}", "Linear10PercentEvery1Minute" or "AllAtOnce", ` +
  'or a custom step such as {"type": "canary", "percent": 20, "intervalMinutes": 15}';

/**
 * The rollout a setting names. `name` is the setting's path for the message (`rollout`, `models.penguins.rollout`).
 * Throws an Error naming the setting, the value received and what to write instead.
 */
export function parseRollout(value: unknown, name: string): Rollout {
  if (typeof value === 'string') return predefinedRollout(value, name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${name} (${JSON.stringify(value)}) is not a rollout: use ${EXAMPLES}`);
  }
  const entry = value as Record<string, unknown>;
  const unknownKeys = Object.keys(entry).filter((key) => !['type', 'percent', 'intervalMinutes'].includes(key));
  if (unknownKeys.length > 0) {
    throw new Error(
      `${name}.${unknownKeys[0]} is not a rollout setting: a custom rollout has type ("canary" or "linear"), percent and intervalMinutes`,
    );
  }
  if (entry.type !== 'canary' && entry.type !== 'linear') {
    throw new Error(
      `${name}.type (${JSON.stringify(entry.type)}) must be "canary" or "linear" (for all at once write "AllAtOnce"): e.g. {"type": "canary", "percent": 20, "intervalMinutes": 15}`,
    );
  }
  const percent = wholeNumber(entry.percent, `${name}.percent`, CUSTOM_PERCENT_RANGE, 'of the traffic per step');
  const intervalMinutes = wholeNumber(
    entry.intervalMinutes,
    `${name}.intervalMinutes`,
    CUSTOM_INTERVAL_MINUTES_RANGE,
    'minutes between steps',
  );
  return { type: entry.type, percent, intervalMinutes };
}

function predefinedRollout(value: string, name: string): Rollout {
  const short = value.startsWith(PREDEFINED_PREFIX) ? value.slice(PREDEFINED_PREFIX.length) : value;
  const rollout = PREDEFINED_ROLLOUTS[short];
  if (rollout === undefined) {
    throw new Error(
      `${name} ("${value}") is not a CodeDeploy Lambda deployment config: use one of ${Object.keys(PREDEFINED_ROLLOUTS).join(', ')}, or a custom step such as {"type": "canary", "percent": 20, "intervalMinutes": 15}`,
    );
  }
  return { ...rollout, predefined: short };
}

function wholeNumber(value: unknown, name: string, range: { min: number; max: number }, unit: string): number {
  // `-c` values arrive as strings; JSON gives numbers.
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < range.min || number > range.max) {
    throw new Error(
      `${name} (${JSON.stringify(value)}) must be a whole number from ${range.min} to ${range.max} (${unit}): e.g. ${name.endsWith('percent') ? 20 : 15}`,
    );
  }
  return number;
}

/** The default rollout, as parseRollout gives it. */
export function defaultRollout(): Rollout {
  return parseRollout(DEFAULT_ROLLOUT_NAME, 'rollout');
}

/** How the rollout reads in messages and descriptions: `Canary10Percent5Minutes`, `linear 20 % every 15 minutes`. */
export function describeRollout(rollout: Rollout): string {
  if (rollout.predefined !== undefined) return rollout.predefined;
  if (rollout.type === 'all-at-once') return 'all at once';
  return rollout.type === 'canary'
    ? `canary ${rollout.percent} % for ${rollout.intervalMinutes} minutes`
    : `linear ${rollout.percent} % every ${rollout.intervalMinutes} minutes`;
}
