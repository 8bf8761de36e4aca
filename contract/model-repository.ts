import * as fs from 'node:fs';
import * as path from 'node:path';

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

export interface ModelVersionFiles {
  readonly version: string;
  /** Absolute path of `model.onnx`. */
  readonly modelPath: string;
  /** Absolute path of `model.json`, when there is one. */
  readonly manifestPath?: string;
}

export interface RepositoryModel {
  readonly name: string;
  /** Every version with a model file, lowest first; the last one serves by default. */
  readonly versions: readonly ModelVersionFiles[];
}

/**
 * Lists the models of a repository folder, sorted by name. Both `cdk deploy` and the local server read the folder
 * through this one function so that they agree on what a model is. Throws an Error that says what to fix for a
 * missing folder, a folder or version name that breaks the naming rules, or a version folder without `model.onnx`.
 */
export function scanModelRepository(root: string): RepositoryModel[] {
  const rootPath = path.resolve(root);
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(rootPath, { withFileTypes: true });
  } catch (error) {
    throw new Error(
      `cannot read the model repository ${rootPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        'point it at a folder laid out as <name>/<version>/model.onnx',
    );
  }
  const models: RepositoryModel[] = [];
  for (const entry of names) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (!MODEL_NAME_PATTERN.test(entry.name)) {
      throw new Error(
        `model folder "${entry.name}" in ${rootPath} is not a valid model name: use lowercase letters, digits, "-" and "_"`,
      );
    }
    const modelDir = path.join(rootPath, entry.name);
    const versions: ModelVersionFiles[] = [];
    for (const versionEntry of fs.readdirSync(modelDir, { withFileTypes: true })) {
      if (!versionEntry.isDirectory() || versionEntry.name.startsWith('.')) continue;
      if (!MODEL_VERSION_PATTERN.test(versionEntry.name)) {
        throw new Error(
          `version folder "${entry.name}/${versionEntry.name}" in ${rootPath} is not a positive integer: name versions 1, 2, 3 ...`,
        );
      }
      const versionDir = path.join(modelDir, versionEntry.name);
      const modelPath = path.join(versionDir, MODEL_FILE);
      if (!fs.existsSync(modelPath)) {
        throw new Error(`${versionDir} has no ${MODEL_FILE}: export the model to ONNX and save it there`);
      }
      const manifestPath = path.join(versionDir, MANIFEST_FILE);
      versions.push({
        version: versionEntry.name,
        modelPath,
        ...(fs.existsSync(manifestPath) ? { manifestPath } : {}),
      });
    }
    if (versions.length === 0) {
      throw new Error(
        `model folder ${modelDir} has no version folders: put the model at ${entry.name}/1/${MODEL_FILE}`,
      );
    }
    versions.sort((a, b) => Number(a.version) - Number(b.version));
    models.push({ name: entry.name, versions });
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}
