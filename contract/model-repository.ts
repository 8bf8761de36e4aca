/**
 * The model repository layout shared by `cdk deploy` and the local server (Triton/KServe compatible):
 * `<root>/<name>/<version>/model.onnx` with an optional `model.json` manifest beside it.
 */
export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'model.json';

/** Lowercase letters, digits, `-` and `_`; starts with a letter or digit. Safe in URLs, S3 keys and CDK ids. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** Positive integers without leading zeros, so that `1` and `01` cannot name the same version twice. */
export const MODEL_VERSION_PATTERN = /^[1-9][0-9]*$/;

/** What `model.json` may hold: everything optional, since the ONNX file alone is enough to serve. */
export interface ModelManifest {
  readonly description?: string;
  /** Names of the input features, in the order the model expects them. */
  readonly features?: readonly string[];
  /** Class labels, indexed by the model's class index. */
  readonly labels?: readonly string[];
  /** Held-out metrics measured when the model was trained, e.g. `{ "accuracy": 0.97 }`. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Parses and checks a manifest; throws an Error naming the field and what was expected. */
export function parseModelManifest(text: string, source: string): ModelManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON (${(error as Error).message}); fix or delete it`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source} must hold a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const manifest = value as Record<string, unknown>;
  if (manifest.description !== undefined && typeof manifest.description !== 'string') {
    throw new Error(`${source}: "description" must be a string`);
  }
  for (const field of ['features', 'labels'] as const) {
    const list = manifest[field];
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string'))) {
      throw new Error(`${source}: "${field}" must be an array of strings`);
    }
  }
  const metrics = manifest.metrics;
  if (
    metrics !== undefined &&
    (typeof metrics !== 'object' ||
      metrics === null ||
      Object.values(metrics).some((metric) => typeof metric !== 'number'))
  ) {
    throw new Error(`${source}: "metrics" must map names to numbers`);
  }
  return manifest as ModelManifest;
}
