import * as path from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BACKENDS, type BackendChoice } from '../contract/backends';
import type { CapturePolicy } from '../contract/capture';
import {
  MODEL_NAME_PATTERN,
  MODEL_VERSION_PATTERN,
  type ModelRepository,
  scanModelRepository,
} from '../contract/model-repository';
import type { SageMakerCapacityProps } from './constructs/sagemaker-backend';
import { type MonitoringSettings, parseCaptureSettings, parseMonitoringSettings } from './monitoring-setting';
import { DEFAULT_ROLLOUT_NAME, parseRollout, type Rollout } from './rollout-setting';

/** A setting the user must fix; bin/ prints its message alone, without a stack trace into lib/. */
export class ConfigurationError extends Error {
  public override readonly name = 'ConfigurationError';
}

/** How callers authenticate to the API. */
export type AuthMode = 'apiKey' | 'iam' | 'cognito';
export const AUTH_MODES: readonly AuthMode[] = ['apiKey', 'iam', 'cognito'];

/** Per-model settings a user may pin in the `models` context value. */
export interface ModelSettings {
  /** Version folder to deploy. @default - the highest version in the repository */
  readonly version?: string;
  /** Where the model runs: lambda, lambda-image, sagemaker or auto. @default - the top-level `backend` setting */
  readonly backend?: BackendChoice;
  /** Lambda memory. @default - sized from the model file, see InferenceFunction */
  readonly memorySizeMiB?: number;
  /** Provisioned concurrency kept warm on the `live` alias. @default - none (on-demand only) */
  readonly minProvisionedConcurrency?: number;
  /** Upper bound for utilisation-based autoscaling of provisioned concurrency. @default - minProvisionedConcurrency */
  readonly maxProvisionedConcurrency?: number;
  /** Concurrency reserved for (and capping) this model's function. @default - none (shares the account pool) */
  readonly reservedConcurrency?: number;
  /**
   * Capacity of a model on backend sagemaker, or an existing endpoint to forward to. Only the types are checked
   * here; the ranges and how the settings combine are SageMakerEndpoint's, checked once at synth.
   * @default - a serverless endpoint sized from the model
   */
  readonly sagemaker?: SageMakerCapacityProps;
  /** A candidate version that gets a sampled copy of live requests, compared off the caller's path. @default - none */
  readonly shadow?: ShadowSettings;
  /**
   * How a new version takes the model's traffic: a CodeDeploy predefined config's name or a custom canary or linear
   * step (lib/rollout-setting.ts). @default - the top-level `rollout` setting
   */
  readonly rollout?: Rollout;
  /**
   * Data capture: a sampled share of the model's requests and answers stored in the capture bucket (fields dropped or
   * hashed by name), read by the drift job. Off by default, since requests may hold personal data.
   * @default - none: nothing is captured
   */
  readonly capture?: CapturePolicy;
}

/** One model to deploy, resolved against the repository folder. */
export interface ModelDeployment extends ModelSettings {
  readonly shadow?: ShadowDeployment;
  readonly name: string;
  readonly version: string;
  /** The model's own `backend`, else the top-level one, else auto. */
  readonly backend: BackendChoice;
  /** Absolute path of the `model.onnx` file. */
  readonly modelPath: string;
  /** The model's own `rollout`, else the top-level one, else Canary10Percent5Minutes. */
  readonly rollout: Rollout;
}

/** The whole deployment, typed and validated; bin/ builds it from CDK context, the stack consumes it. */
export interface DeploymentConfig {
  /** Set apart one deployment from others in the same account and region. @default - none */
  readonly stage?: string;
  /** `ModelEndpoint`, or `ModelEndpoint-<stage>` with a stage. */
  readonly stackName: string;
  readonly modelsDir: string;
  readonly models: readonly ModelDeployment[];
  /** Backend of every model without its own `backend` setting. */
  readonly backend: BackendChoice;
  /** Rollout of every model without its own `rollout` setting. */
  readonly rollout: Rollout;
  readonly auth: AuthMode;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly quotaRequestsPerDay?: number;
  readonly alarmEmail?: string;
  readonly waf: boolean;
  readonly wafRequestsPer5MinutesPerIp: number;
  readonly logRetentionDays: RetentionDays;
  /** Drift monitoring of the captured models: schedule, window, thresholds, capture retention. */
  readonly monitoring: MonitoringSettings;
  /** What the model repository holds that cannot be served; the stack shows each as a synth warning. */
  readonly warnings: readonly string[];
}

/** Defaults of every setting, in one place so the README table and the code cannot drift apart unnoticed. */
export const CONFIG_DEFAULTS = {
  // Without a stage the stack keeps the name of every earlier deploy, so upgrading never creates a second stack.
  stackName: 'ModelEndpoint',
  modelsDir: 'models',
  // auto: the model's size decides, by the rule in lib/backend-choice.ts.
  backend: 'auto',
  rollout: DEFAULT_ROLLOUT_NAME,
  auth: 'apiKey',
  // Steady-state requests per second for the whole stage; a 1,769 MiB function answers a small model in a few ms,
  // so 100 rps stays well inside the default account concurrency of 1,000 while stopping a runaway client.
  throttlingRateLimit: 100,
  throttlingBurstLimit: 200,
  waf: true,
  // WAF's smallest useful window is 5 minutes; 3,000 per IP is ~10 rps sustained, far above a human with curl.
  wafRequestsPer5MinutesPerIp: 3000,
  logRetentionDays: RetentionDays.ONE_MONTH,
} as const;

const SETTING_NAMES = [
  'stage',
  'modelsDir',
  'models',
  'backend',
  'auth',
  'throttlingRateLimit',
  'throttlingBurstLimit',
  'quotaRequestsPerDay',
  'alarmEmail',
  'waf',
  'wafRequestsPer5MinutesPerIp',
  'logRetentionDays',
  'rollout',
  'monitoring',
] as const;
type SettingName = (typeof SETTING_NAMES)[number];

/** The raw values as CDK context holds them: typed JSON from cdk.json, strings from `-c key=value`. */
export type RawConfig = Partial<Record<SettingName, unknown>>;

/**
 * Keys the CDK CLI itself writes to cdk.context.json that have neither `:` nor `@`: `cdk acknowledge <issue>`
 * writes `acknowledged-issue-numbers`, `cdk cli-telemetry --enable/--disable` writes `cli-telemetry`.
 */
const CDK_CLI_CONTEXT_KEYS: readonly string[] = ['acknowledged-issue-numbers', 'cli-telemetry'];

/**
 * Picks the settings out of the whole CDK context. Keys with `:` or a leading `@` belong to CDK (feature flags,
 * `aws:cdk:*`, lookups), and so do the CLI's own keys; any other key must be a setting, so that a typo such as
 * `alarmEmial` fails instead of being ignored.
 */
export function rawConfigFromContext(context: Readonly<Record<string, unknown>>): RawConfig {
  const raw: Partial<Record<SettingName, unknown>> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key.startsWith('@') || key.includes(':') || CDK_CLI_CONTEXT_KEYS.includes(key)) continue;
    if (!isSettingName(key)) {
      throw new ConfigurationError(
        `"${key}" is not a setting: use one of ${SETTING_NAMES.join(', ')} (check the spelling)`,
      );
    }
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}

function isSettingName(key: string): key is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(key);
}

const MODEL_SETTING_NAMES: readonly (keyof ModelSettings)[] = [
  'version',
  'backend',
  'memorySizeMiB',
  'minProvisionedConcurrency',
  'maxProvisionedConcurrency',
  'reservedConcurrency',
  'sagemaker',
  'shadow',
  'rollout',
  'capture',
];

/** The settings that tune the Lambda function running a model: a sagemaker model's forwarder takes none. */
const FUNCTION_SETTING_NAMES = [
  'memorySizeMiB',
  'minProvisionedConcurrency',
  'maxProvisionedConcurrency',
  'reservedConcurrency',
] as const satisfies readonly (keyof ModelSettings)[];

/** The JSON type of each sagemaker setting; a Record, so the compiler insists on every capacity prop. */
const SAGEMAKER_SETTING_TYPES: Readonly<Record<keyof SageMakerCapacityProps, 'number' | 'string'>> = {
  memorySizeInMB: 'number',
  maxConcurrency: 'number',
  provisionedConcurrency: 'number',
  instanceType: 'string',
  initialInstanceCount: 'number',
  maxInstanceCount: 'number',
  invocationsPerInstanceTarget: 'number',
  existingEndpointName: 'string',
  existingVariantName: 'string',
};

const VALID_RETENTION_DAYS = Object.values(RetentionDays).filter((value): value is RetentionDays => {
  return typeof value === 'number' && value > 0;
});

// The stage ends a CloudFormation stack name (letters, digits, "-"); 64 keeps names derived from the stack name
// within their limits, such as the alarm topic's 100-character display name.
const STAGE_MAX_LENGTH = 64;
const STAGE_PATTERN = new RegExp(`^[A-Za-z0-9-]{1,${STAGE_MAX_LENGTH}}$`);

// Deliberately loose: SNS sends a confirmation mail anyway; this only catches a missing or swapped value.
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * Turns raw context values into a validated DeploymentConfig. `baseDir` resolves a relative `modelsDir` (the CDK app
 * folder). Throws a ConfigurationError naming the setting, the value received and the fix.
 */
export function resolveDeploymentConfig(raw: RawConfig, baseDir: string): DeploymentConfig {
  const stage = readString(raw, 'stage');
  if (stage !== undefined && !STAGE_PATTERN.test(stage)) {
    throw new ConfigurationError(
      `stage ("${stage}") cannot be part of a CloudFormation stack name: use up to ${STAGE_MAX_LENGTH} letters, digits and "-", e.g. staging or team-a`,
    );
  }
  const stackName = stage === undefined ? CONFIG_DEFAULTS.stackName : `${CONFIG_DEFAULTS.stackName}-${stage}`;
  const modelsDir = path.resolve(baseDir, readString(raw, 'modelsDir') ?? CONFIG_DEFAULTS.modelsDir);
  const auth = readString(raw, 'auth') ?? CONFIG_DEFAULTS.auth;
  if (!isAuthMode(auth)) {
    throw new ConfigurationError(`auth ("${auth}") is not a known auth mode: use one of ${AUTH_MODES.join(', ')}`);
  }
  const throttlingRateLimit = readNumber(raw, 'throttlingRateLimit', { min: 1 }) ?? CONFIG_DEFAULTS.throttlingRateLimit;
  const throttlingBurstLimit =
    readNumber(raw, 'throttlingBurstLimit', { min: 1, integer: true }) ?? CONFIG_DEFAULTS.throttlingBurstLimit;
  const quotaRequestsPerDay = readNumber(raw, 'quotaRequestsPerDay', { min: 1, integer: true });
  if (quotaRequestsPerDay !== undefined && auth !== 'apiKey') {
    throw new ConfigurationError(
      `quotaRequestsPerDay (${quotaRequestsPerDay}) applies to API keys only (a quota belongs to a key's usage plan), but auth is "${auth}": remove quotaRequestsPerDay or set auth to apiKey`,
    );
  }
  const alarmEmail = readString(raw, 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail)) {
    throw new ConfigurationError(
      `alarmEmail ("${alarmEmail}") is not an email address: set it to e.g. team@example.com or remove it`,
    );
  }
  const waf = readBoolean(raw, 'waf') ?? CONFIG_DEFAULTS.waf;
  const wafRequestsPer5MinutesPerIp =
    readNumber(raw, 'wafRequestsPer5MinutesPerIp', { min: 10, max: 2_000_000_000, integer: true }) ??
    CONFIG_DEFAULTS.wafRequestsPer5MinutesPerIp;
  const logRetentionDays = readNumber(raw, 'logRetentionDays', { integer: true }) ?? CONFIG_DEFAULTS.logRetentionDays;
  if (!isRetentionDays(logRetentionDays)) {
    throw new ConfigurationError(
      `logRetentionDays (${logRetentionDays}) is not a retention CloudWatch Logs accepts: use one of ${VALID_RETENTION_DAYS.join(', ')}`,
    );
  }
  const backend = readBackend(readString(raw, 'backend'), 'backend') ?? CONFIG_DEFAULTS.backend;
  const rollout = readRollout(raw.rollout, 'rollout') ?? parseRollout(CONFIG_DEFAULTS.rollout, 'rollout');
  const monitoring = readMonitoring(raw.monitoring);
  const repository = scanRepository(modelsDir);
  return {
    ...(stage === undefined ? {} : { stage }),
    stackName,
    modelsDir,
    models: resolveModels(modelsDir, repository, raw.models, backend, rollout),
    backend,
    rollout,
    auth,
    throttlingRateLimit,
    throttlingBurstLimit,
    ...(quotaRequestsPerDay === undefined ? {} : { quotaRequestsPerDay }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    waf,
    wafRequestsPer5MinutesPerIp,
    logRetentionDays,
    monitoring,
    warnings: repository.warnings,
  };
}

/**
 * Without a `models` setting every model of the repository deploys at its highest version, so adding a folder is
 * all it takes. With one, exactly the listed models deploy, each with its own settings (`{}` for the defaults).
 */
function resolveModels(
  modelsDir: string,
  { models: repository }: ModelRepository,
  rawModels: unknown,
  defaultBackend: BackendChoice,
  defaultRollout: Rollout,
): ModelDeployment[] {
  const settings = parseModelsSetting(rawModels);
  const wanted: Record<string, ModelSettings> =
    settings ?? Object.fromEntries(repository.map((model) => [model.name, {}]));
  const models: ModelDeployment[] = [];
  for (const [name, modelSettings] of Object.entries(wanted)) {
    const found = repository.find((model) => model.name === name);
    if (found === undefined) {
      const available = repository.map((model) => model.name).join(', ') || 'none';
      throw new ConfigurationError(
        `models.${name} names a model that is not in ${modelsDir} (found: ${available}): add ${name}/<version>/model.onnx there or remove the entry`,
      );
    }
    const highest = found.versions[found.versions.length - 1];
    const version = modelSettings.version ?? highest?.version;
    const files = found.versions.find((candidate) => candidate.version === version);
    if (files === undefined || version === undefined) {
      throw new ConfigurationError(
        `models.${name}.version ("${version}") has no model file in ${path.join(modelsDir, name)} (versions: ${found.versions.map((v) => v.version).join(', ')}): pick one of those versions or add ${name}/${version}/model.onnx`,
      );
    }
    const backend = modelSettings.backend ?? defaultBackend;
    refuseSettingsOfAnotherBackend(name, modelSettings, backend);
    const { shadow: shadowSettings, ...settings } = modelSettings;
    const shadow = resolveShadow(name, version, backend, found.versions, shadowSettings);
    const rollout = modelSettings.rollout ?? defaultRollout;
    models.push({
      ...settings,
      name,
      version,
      backend,
      rollout,
      modelPath: files.modelPath,
      ...(shadow && { shadow }),
    });
  }
  if (models.length === 0) {
    throw new ConfigurationError(
      `no model to deploy in ${modelsDir}: add <name>/<version>/model.onnx there, or point modelsDir at your model repository`,
    );
  }
  return models;
}

/**
 * A setting for one backend on a model pinned to another would be ignored. Under `auto` the model's size decides,
 * which only ServedModel knows: it refuses the same mismatch there.
 */
function refuseSettingsOfAnotherBackend(name: string, settings: ModelSettings, backend: BackendChoice): void {
  const prefix = `models.${name}`;
  const origin = settings.backend === undefined ? 'the top-level backend setting' : `${prefix}.backend`;
  if (backend === 'lambda' || backend === 'lambda-image') {
    if (settings.sagemaker !== undefined) {
      throw new ConfigurationError(
        `${prefix}.sagemaker (${JSON.stringify(settings.sagemaker)}) sizes a SageMaker endpoint, but ${origin} puts the model on ${backend}: set ${prefix}.backend to sagemaker, or remove ${prefix}.sagemaker`,
      );
    }
  } else if (backend === 'sagemaker') {
    const set = FUNCTION_SETTING_NAMES.filter((key) => settings[key] !== undefined);
    if (set.length > 0) {
      throw new ConfigurationError(
        `${set.map((key) => `${prefix}.${key} (${settings[key]})`).join(', ')} tune${set.length === 1 ? 's' : ''} the Lambda function that runs a model, but ${origin} puts the model on sagemaker, where a forwarder calls the endpoint: remove ${set.length === 1 ? 'it' : 'them'} and size the endpoint with ${prefix}.sagemaker`,
      );
    }
  }
}

function scanRepository(modelsDir: string): ModelRepository {
  try {
    return scanModelRepository(modelsDir);
  } catch (error) {
    throw new ConfigurationError(`modelsDir (${modelsDir}): ${(error as Error).message}`);
  }
}

function parseModelsSetting(value: unknown): Record<string, ModelSettings> | undefined {
  if (value === undefined) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigurationError(
        `models (${value}) is not valid JSON: pass an object such as '{"penguins": {"version": "1"}}' or remove the setting`,
      );
    }
  }
  if (!isRecord(parsed)) {
    throw new ConfigurationError(
      `models (${JSON.stringify(parsed)}) must be an object keyed by model name, e.g. {"penguins": {"memorySizeMiB": 2048}}`,
    );
  }
  const result: Record<string, ModelSettings> = {};
  for (const [name, entry] of Object.entries(parsed)) {
    if (!MODEL_NAME_PATTERN.test(name)) {
      throw new ConfigurationError(
        `models.${name} is not a valid model name: use lowercase letters, digits, "-" and "_"`,
      );
    }
    result[name] = parseModelSettings(name, entry);
  }
  return result;
}

function parseModelSettings(name: string, entry: unknown): ModelSettings {
  if (!isRecord(entry)) {
    throw new ConfigurationError(
      `models.${name} (${JSON.stringify(entry)}) must be an object: use {} for the defaults`,
    );
  }
  for (const key of Object.keys(entry)) {
    if (!(MODEL_SETTING_NAMES as readonly string[]).includes(key)) {
      throw new ConfigurationError(
        `models.${name}.${key} is not a model setting: use ${MODEL_SETTING_NAMES.join(', ')}`,
      );
    }
  }
  const prefix = `models.${name}`;
  const version = entry.version === undefined ? undefined : String(entry.version);
  if (version !== undefined && !MODEL_VERSION_PATTERN.test(version)) {
    throw new ConfigurationError(
      `${prefix}.version ("${version}") is not a positive integer: use a version folder name like "1"`,
    );
  }
  const backend = readBackend(entry.backend, `${prefix}.backend`);
  const memorySizeMiB = readNumber(entry, 'memorySizeMiB', { min: 128, max: 10_240, integer: true }, prefix);
  const minProvisionedConcurrency = readNumber(entry, 'minProvisionedConcurrency', { min: 1, integer: true }, prefix);
  const maxProvisionedConcurrency = readNumber(entry, 'maxProvisionedConcurrency', { min: 1, integer: true }, prefix);
  const reservedConcurrency = readNumber(entry, 'reservedConcurrency', { min: 1, integer: true }, prefix);
  const sagemaker = readSageMakerSettings(entry.sagemaker, `${prefix}.sagemaker`);
  const shadow = readShadowSettings(entry.shadow, `${prefix}.shadow`);
  const rollout = readRollout(entry.rollout, `${prefix}.rollout`);
  const capture = readCapture(entry.capture, `${prefix}.capture`);
  if (maxProvisionedConcurrency !== undefined && minProvisionedConcurrency === undefined) {
    throw new ConfigurationError(
      `${prefix}.maxProvisionedConcurrency (${maxProvisionedConcurrency}) needs ${prefix}.minProvisionedConcurrency: set the minimum to keep warm, e.g. 1`,
    );
  }
  if (
    minProvisionedConcurrency !== undefined &&
    maxProvisionedConcurrency !== undefined &&
    minProvisionedConcurrency > maxProvisionedConcurrency
  ) {
    throw new ConfigurationError(
      `${prefix}.minProvisionedConcurrency (${minProvisionedConcurrency}) must not exceed ${prefix}.maxProvisionedConcurrency (${maxProvisionedConcurrency}): lower the minimum or raise the maximum`,
    );
  }
  const provisionedCeiling = maxProvisionedConcurrency ?? minProvisionedConcurrency;
  if (
    reservedConcurrency !== undefined &&
    provisionedCeiling !== undefined &&
    provisionedCeiling > reservedConcurrency
  ) {
    throw new ConfigurationError(
      `${prefix}.reservedConcurrency (${reservedConcurrency}) is below the provisioned concurrency (${provisionedCeiling}): Lambda cannot provision more than it reserves, raise reservedConcurrency`,
    );
  }
  return {
    ...(version === undefined ? {} : { version }),
    ...(backend === undefined ? {} : { backend }),
    ...(memorySizeMiB === undefined ? {} : { memorySizeMiB }),
    ...(minProvisionedConcurrency === undefined ? {} : { minProvisionedConcurrency }),
    ...(maxProvisionedConcurrency === undefined ? {} : { maxProvisionedConcurrency }),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    ...(sagemaker === undefined ? {} : { sagemaker }),
    ...(shadow === undefined ? {} : { shadow }),
    ...(rollout === undefined ? {} : { rollout }),
    ...(capture === undefined ? {} : { capture }),
  };
}

/** A model's capture setting, checked by lib/monitoring-setting.ts. */
function readCapture(value: unknown, name: string): CapturePolicy | undefined {
  if (value === undefined) return undefined;
  try {
    return parseCaptureSettings(value, name);
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
}

function readMonitoring(value: unknown): MonitoringSettings {
  try {
    return parseMonitoringSettings(value);
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
}

/**
 * Checks the shape only: an object of known keys, each of its JSON type. Ranges and combinations (the serverless
 * memory sizes, provisioned concurrency within maxConcurrency, instance settings only with an instance type) are
 * SageMakerEndpoint's, which fails synth naming the setting, the value and the fix; checking them here as well
 * would be two rule sets to keep equal.
 */
function readSageMakerSettings(value: unknown, name: string): SageMakerCapacityProps | undefined {
  if (value === undefined) return undefined;
  const known = Object.keys(SAGEMAKER_SETTING_TYPES);
  if (!isRecord(value)) {
    throw new ConfigurationError(
      `${name} (${JSON.stringify(value)}) must be an object of endpoint settings, e.g. {"memorySizeInMB": 4096} or {"instanceType": "ml.c7g.xlarge"}`,
    );
  }
  for (const [key, setting] of Object.entries(value)) {
    if (!known.includes(key)) {
      throw new ConfigurationError(`${name}.${key} is not a sagemaker setting: use ${known.join(', ')}`);
    }
    const type = SAGEMAKER_SETTING_TYPES[key as keyof SageMakerCapacityProps];
    const valid =
      type === 'number'
        ? typeof setting === 'number' && Number.isFinite(setting)
        : typeof setting === 'string' && setting.trim() !== '';
    if (!valid) {
      throw new ConfigurationError(
        `${name}.${key} (${JSON.stringify(setting)}) must be ${type === 'number' ? 'a number, without quotes' : 'a non-empty string'}: fix the value or remove the setting`,
      );
    }
  }
  return value as SageMakerCapacityProps;
}

/** A rollout setting, checked by lib/rollout-setting.ts; `-c rollout='{"type": ...}'` arrives as JSON text. */
function readRollout(value: unknown, name: string): Rollout | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' && value.trim().startsWith('{') ? parseJsonSetting(value, name) : value;
  try {
    return parseRollout(parsed, name);
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
}

function parseJsonSetting(value: string, name: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigurationError(
      `${name} (${value}) is not valid JSON: write e.g. '{"type": "canary", "percent": 20, "intervalMinutes": 15}'`,
    );
  }
}

interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

function readNumber(
  raw: Readonly<Record<string, unknown>>,
  key: string,
  rule: NumberRule,
  prefix?: string,
): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  const name = prefix === undefined ? key : `${prefix}.${key}`;
  // `-c key=5` arrives as the string "5"; cdk.json gives a number.
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new ConfigurationError(
      `${name} (${JSON.stringify(value)}) is not a number: set it to a number, e.g. ${rule.min ?? 1}`,
    );
  }
  if (rule.integer === true && !Number.isInteger(number)) {
    throw new ConfigurationError(`${name} (${number}) must be a whole number: round it`);
  }
  if (rule.min !== undefined && number < rule.min) {
    throw new ConfigurationError(`${name} (${number}) must be at least ${rule.min}: raise it`);
  }
  if (rule.max !== undefined && number > rule.max) {
    throw new ConfigurationError(`${name} (${number}) must be at most ${rule.max}: lower it`);
  }
  return number;
}

function readString(raw: RawConfig, key: SettingName): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigurationError(
      `${key} (${JSON.stringify(value)}) must be a non-empty string: set a value or remove the setting`,
    );
  }
  return value;
}

function readBoolean(raw: RawConfig, key: SettingName): boolean | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigurationError(`${key} (${JSON.stringify(value)}) must be true or false`);
}

const BACKEND_CHOICES: readonly BackendChoice[] = [...BACKENDS, 'auto'];

function readBackend(value: unknown, name: string): BackendChoice | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value)) {
    return value as BackendChoice;
  }
  throw new ConfigurationError(
    `${name} (${JSON.stringify(value)}) is not a backend: use one of ${BACKEND_CHOICES.join(', ')} (auto picks by model size)`,
  );
}

function isAuthMode(value: string): value is AuthMode {
  return (AUTH_MODES as readonly string[]).includes(value);
}

function isRetentionDays(value: number): value is RetentionDays {
  return (VALID_RETENTION_DAYS as readonly number[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shadow testing of one model: which version is the candidate, and how much live traffic it sees a copy of. */
export interface ShadowSettings {
  /** The candidate's version folder; it must exist in the repository and differ from the live version. */
  readonly version: string;
  /** Share of successful inference requests copied to the candidate, in (0, 1]. @default 0.05 */
  readonly sampleRate?: number;
}

/** The shadow settings resolved against the repository. */
export interface ShadowDeployment extends ShadowSettings {
  readonly sampleRate: number;
  /** Absolute path of the candidate's `model.onnx`. */
  readonly modelPath: string;
}

/**
 * 5 %: at the default stage throttle (100 requests/s) that is at most 5 candidate invocations a second, a twentieth
 * of the live model's compute, while at a modest 1 request/s it still gives some 4,300 samples a day, enough for an
 * exact match rate to the nearest percent. Every sample is also one log line of up to 256 KiB in the live log group.
 */
export const DEFAULT_SHADOW_SAMPLE_RATE = 0.05;

const SHADOW_SETTING_NAMES: readonly (keyof ShadowSettings)[] = ['version', 'sampleRate'];

function readShadowSettings(value: unknown, name: string): ShadowSettings | undefined {
  if (value === undefined) return undefined;
  const example = `{"version": "2", "sampleRate": ${DEFAULT_SHADOW_SAMPLE_RATE}}`;
  if (!isRecord(value)) {
    throw new ConfigurationError(`${name} (${JSON.stringify(value)}) must be an object such as ${example}`);
  }
  for (const key of Object.keys(value)) {
    if (!(SHADOW_SETTING_NAMES as readonly string[]).includes(key)) {
      throw new ConfigurationError(`${name}.${key} is not a shadow setting: use ${SHADOW_SETTING_NAMES.join(', ')}`);
    }
  }
  const version = value.version === undefined ? undefined : String(value.version);
  if (version === undefined || !MODEL_VERSION_PATTERN.test(version)) {
    throw new ConfigurationError(
      `${name}.version (${JSON.stringify(value.version)}) must name the candidate's version folder, a positive integer: write ${example}`,
    );
  }
  const sampleRate = readNumber(value, 'sampleRate', { max: 1 }, name);
  if (sampleRate !== undefined && !(sampleRate > 0)) {
    throw new ConfigurationError(
      `${name}.sampleRate (${sampleRate}) must be greater than 0 (and at most 1): to stop shadow testing, remove ${name}`,
    );
  }
  return { version, ...(sampleRate === undefined ? {} : { sampleRate }) };
}

/**
 * The candidate must be another version in the repository, and the model must run in a Lambda function: a
 * sagemaker model would need a second endpoint running around the clock for its candidate.
 */
function resolveShadow(
  name: string,
  liveVersion: string,
  backend: BackendChoice,
  versions: ModelRepository['models'][number]['versions'],
  shadow: ShadowSettings | undefined,
): ShadowDeployment | undefined {
  if (shadow === undefined) return undefined;
  const prefix = `models.${name}.shadow`;
  if (shadow.version === liveVersion) {
    throw new ConfigurationError(
      `${prefix}.version ("${shadow.version}") is the version already live: name the candidate, another version folder of ${name}, or remove ${prefix}`,
    );
  }
  const candidate = versions.find((v) => v.version === shadow.version);
  if (candidate === undefined) {
    throw new ConfigurationError(
      `${prefix}.version ("${shadow.version}") has no model file (versions: ${versions.map((v) => v.version).join(', ')}): add ${name}/${shadow.version}/model.onnx or name one of those versions`,
    );
  }
  if (backend === 'sagemaker') {
    throw new ConfigurationError(
      `${prefix} needs a model that runs in a Lambda function, but models.${name} runs on sagemaker: remove ${prefix}, or set models.${name}.backend to lambda, lambda-image or auto`,
    );
  }
  return {
    version: shadow.version,
    sampleRate: shadow.sampleRate ?? DEFAULT_SHADOW_SAMPLE_RATE,
    modelPath: candidate.modelPath,
  };
}
