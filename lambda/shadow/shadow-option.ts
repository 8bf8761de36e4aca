import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';

/** `--shadow <name>=<version>[@rate]`: a candidate version of a model the local twin shadows. */
export interface ShadowOption {
  readonly model: string;
  readonly version: string;
  /** Share of successful inference requests replayed against the candidate, in (0, 1]. */
  readonly sampleRate: number;
}

/**
 * Every request by default: locally the point is to see the candidate's agreement at once, and nothing is billed.
 * A deploy samples 5 % by default (models.<name>.shadow.sampleRate).
 */
export const LOCAL_SHADOW_SAMPLE_RATE = 1;

/** Parses the values of `--shadow`; throws an Error naming the value and the form it must take. */
export function parseShadowOptions(values: readonly string[]): ShadowOption[] {
  const options = values.map(parseShadowOption);
  const models = options.map((option) => option.model);
  const twice = models.find((model, index) => models.indexOf(model) !== index);
  if (twice !== undefined) throw new Error(`--shadow names model ${twice} twice: give each model one candidate`);
  return options;
}

function parseShadowOption(text: string): ShadowOption {
  const form = `--shadow takes <name>=<version>[@rate], e.g. --shadow penguins=2@0.5, got "${text}"`;
  const match = /^([^=@]+)=([^=@]+)(?:@(.+))?$/.exec(text);
  if (match === null) throw new Error(form);
  const [, model, version, rateText] = match;
  if (!MODEL_NAME_PATTERN.test(model)) throw new Error(`${form}: "${model}" is not a model name`);
  if (!MODEL_VERSION_PATTERN.test(version))
    throw new Error(`${form}: "${version}" is not a version (a positive integer)`);
  const sampleRate = rateText === undefined ? LOCAL_SHADOW_SAMPLE_RATE : Number(rateText);
  if (!(Number.isFinite(sampleRate) && sampleRate > 0 && sampleRate <= 1)) {
    throw new Error(`${form}: the rate must be a number greater than 0 and at most 1`);
  }
  return { model, version, sampleRate };
}
