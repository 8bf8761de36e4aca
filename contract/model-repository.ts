import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Baseline, parseBaseline } from './baseline';
import { GOLDEN_SET_FILE } from './golden-set';
import { fileKind, readRegularFileSync } from './regular-file';

/**
 * The model repository layout shared by `cdk deploy` and the local server (Triton/KServe compatible):
 * `<root>/<name>/<version>/model.onnx` with an optional `model.json` manifest and an optional `golden.json` golden set
 * (contract/golden-set.ts) beside it.
 */
export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'model.json';

/** Lowercase letters, digits, `-` and `_`; starts with a letter or digit. Safe in URLs, S3 keys and CDK ids. */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** Positive integers without leading zeros, so that `1` and `01` cannot name the same version twice. */
export const MODEL_VERSION_PATTERN = /^[1-9][0-9]*$/;

/** Which rule of MODEL_NAME_PATTERN a name breaks, in words, or undefined for a valid name. */
export function modelNameProblem(name: string): string | undefined {
  if (MODEL_NAME_PATTERN.test(name)) return undefined;
  const first = name.charAt(0);
  if (!/[a-z0-9]/.test(first)) {
    return name === '' ? 'it must not be empty' : `it must start with a lowercase letter or digit, not "${first}"`;
  }
  const others = [...new Set(name.replace(/[a-z0-9_-]/g, ''))].map((char) => `"${char}"`);
  return `it may hold only lowercase letters, digits, "-" and "_", not ${others.join(', ')}`;
}

/** Which rule of MODEL_VERSION_PATTERN a version breaks, in words, or undefined for a valid version. */
export function modelVersionProblem(version: string): string | undefined {
  if (MODEL_VERSION_PATTERN.test(version)) return undefined;
  if (/^0+$/.test(version)) return 'it is not a positive integer (versions start at 1)';
  if (/^0[0-9]+$/.test(version)) return `it must not start with 0 (use ${version.replace(/^0+/, '')})`;
  return 'it is not a positive integer (name versions 1, 2, 3 ...)';
}

/** What `model.json` may hold: everything optional, since the ONNX file alone is enough to serve. */
export interface ModelManifest {
  readonly description?: string;
  /** Names of the input features, in the order the model expects them. */
  readonly features?: readonly string[];
  /** Class labels, indexed by the model's class index. */
  readonly labels?: readonly string[];
  /** Held-out metrics measured when the model was trained, e.g. `{ "accuracy": 0.97 }`. */
  readonly metrics?: Readonly<Record<string, number>>;
  /** The training data's distributions, for drift monitoring (`npm run baseline`). */
  readonly baseline?: Baseline;
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
  if (manifest.baseline !== undefined) parseBaseline(manifest.baseline, source);
  return manifest as ModelManifest;
}

/** Reads and checks a version's `model.json`; the local server and synth both refuse a broken one this way. */
export function readModelManifest(manifestPath: string): ModelManifest {
  return parseModelManifest(readRegularFileSync(manifestPath).toString('utf8'), manifestPath);
}

export interface ModelVersionFiles {
  readonly version: string;
  /** Absolute path of `model.onnx` (a symbolic link is kept as the path, not resolved). */
  readonly modelPath: string;
  /** Absolute path of `model.json`, when there is one. */
  readonly manifestPath?: string;
  /** Absolute path of `golden.json`, the version's golden set, when there is one. */
  readonly goldenSetPath?: string;
}

export interface RepositoryModel {
  readonly name: string;
  /** Every version with a model file, lowest first; the last one serves by default. */
  readonly versions: readonly ModelVersionFiles[];
}

export interface ModelRepository {
  /** The models, sorted by name. */
  readonly models: readonly RepositoryModel[];
  /** Entries that cannot be a model and are left out, each with what to do; shown to the user, never dropped. */
  readonly warnings: readonly string[];
}

/**
 * Lists the models of a repository folder. Both `cdk deploy` and the local server read the folder through this one
 * function so that they agree on what a model is. Symbolic links are followed (Triton repositories often link
 * model and version folders). Hidden entries (`.git`, `.DS_Store`) and README files are skipped silently; any other
 * entry that cannot be part of a model is a warning, and anything that looks meant as a model but cannot serve
 * (a bad name, a missing or misnamed model file, a broken link, a model file that is not a regular file, a broken
 * model.json in any version) throws an Error that says what to fix. Every model.json is read and checked here, so
 * that `npm start` and synth refuse the same repositories, whichever versions each of them serves.
 */
export function scanModelRepository(root: string): ModelRepository {
  const rootPath = path.resolve(root);
  let names: string[];
  try {
    names = fs.readdirSync(rootPath);
  } catch (error) {
    throw new Error(
      `cannot read the model repository ${rootPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        `point it at a folder laid out as <name>/<version>/${MODEL_FILE}`,
    );
  }
  refuseModelOrVersionFolder(rootPath, names);
  const models: RepositoryModel[] = [];
  const warnings: string[] = [];
  for (const name of names.filter(isListed).sort()) {
    const entryPath = path.join(rootPath, name);
    const kind = kindOf(entryPath);
    if (kind !== 'directory') {
      const hint = name.endsWith('.onnx')
        ? `move it to ${path.basename(name, '.onnx')}/1/${MODEL_FILE}`
        : 'move or delete it';
      warnings.push(
        `${entryPath} is ignored: the repository root holds only model folders (<name>/<version>/${MODEL_FILE}); ${hint}`,
      );
      continue;
    }
    const problem = modelNameProblem(name);
    if (problem !== undefined) {
      throw new Error(`model folder "${name}" in ${rootPath} is not a valid model name: ${problem}; rename the folder`);
    }
    models.push(scanModel(entryPath, name, warnings));
  }
  return { models, warnings };
}

function scanModel(modelDir: string, name: string, warnings: string[]): RepositoryModel {
  const versions: ModelVersionFiles[] = [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(modelDir).filter(isListed)) {
    const entryPath = path.join(modelDir, entry);
    if (kindOf(entryPath) !== 'directory') {
      files.push(entry);
      continue;
    }
    const problem = modelVersionProblem(entry);
    if (problem !== undefined) {
      throw new Error(
        `version folder "${name}/${entry}" in ${path.dirname(modelDir)} is not a valid version: ${problem}; rename the folder`,
      );
    }
    versions.push(scanVersion(entryPath, entry, warnings));
  }
  if (versions.length === 0) {
    const modelFiles = files.filter((file) => file.endsWith('.onnx'));
    const found = modelFiles.length > 0 ? ` but holds ${modelFiles.join(', ')} directly` : '';
    throw new Error(
      `model folder ${modelDir} has no version folders${found}: put the model at ${name}/1/${MODEL_FILE}`,
    );
  }
  for (const file of files) {
    warnings.push(
      `${path.join(modelDir, file)} is ignored: a model folder holds only version folders (1, 2, ...); move or delete it`,
    );
  }
  versions.sort((a, b) => Number(a.version) - Number(b.version));
  return { name, versions };
}

function scanVersion(versionDir: string, version: string, warnings: string[]): ModelVersionFiles {
  const entries = fs.readdirSync(versionDir).filter(isListed);
  const modelPath = path.join(versionDir, MODEL_FILE);
  if (!entries.includes(MODEL_FILE)) {
    const others = entries.filter((entry) => entry.endsWith('.onnx'));
    const fix =
      others.length === 1
        ? `found ${others[0]}; rename it to ${MODEL_FILE}`
        : others.length > 1
          ? `found ${others.join(', ')}; rename the one to serve to ${MODEL_FILE} and move the others out`
          : `export the model to ONNX and save it there as ${MODEL_FILE}`;
    throw new Error(`${versionDir} has no ${MODEL_FILE}: ${fix}`);
  }
  const manifestPath = path.join(versionDir, MANIFEST_FILE);
  const goldenSetPath = path.join(versionDir, GOLDEN_SET_FILE);
  const known = [MODEL_FILE, MANIFEST_FILE, GOLDEN_SET_FILE];
  for (const entry of entries) {
    const entryPath = path.join(versionDir, entry);
    const kind = kindOf(entryPath);
    if (known.includes(entry) && kind !== 'file') {
      // Never opened: reading a FIFO blocks until something writes to it.
      throw new Error(
        `${entryPath} is ${kind === 'directory' ? 'a directory' : kind}, not a regular file: replace it with the file itself or a link to it`,
      );
    }
    if (!known.includes(entry)) {
      warnings.push(
        `${entryPath} is ignored: only ${MODEL_FILE}, ${MANIFEST_FILE} and ${GOLDEN_SET_FILE} of a version folder are used; move or delete it`,
      );
    }
  }
  if (entries.includes(MANIFEST_FILE)) readModelManifest(manifestPath);
  return {
    version,
    modelPath,
    ...(entries.includes(MANIFEST_FILE) ? { manifestPath } : {}),
    ...(entries.includes(GOLDEN_SET_FILE) ? { goldenSetPath } : {}),
  };
}

/**
 * A folder pointed at one level too deep fails with a message about its own contents ("1" is a valid model name);
 * recognise the two usual cases and say where to point instead.
 */
function refuseModelOrVersionFolder(rootPath: string, names: readonly string[]): void {
  if (names.includes(MODEL_FILE)) {
    throw new Error(
      `${rootPath} holds ${MODEL_FILE}, so it is a version folder, not a model repository: point at the folder two levels up (${path.dirname(path.dirname(rootPath))}), laid out as <name>/<version>/${MODEL_FILE}`,
    );
  }
  const version = names.find(
    (name) => MODEL_VERSION_PATTERN.test(name) && fs.existsSync(path.join(rootPath, name, MODEL_FILE)),
  );
  if (version !== undefined) {
    throw new Error(
      `${rootPath} holds ${version}/${MODEL_FILE}, so it is a model folder, not a model repository: point at its parent (${path.dirname(rootPath)}), laid out as <name>/<version>/${MODEL_FILE}`,
    );
  }
}

/** Hidden entries (`.git`, `.DS_Store`) and READMEs document or belong to tools: skipped without a word. */
function isListed(name: string): boolean {
  return !name.startsWith('.') && !/^readme(\.[a-z0-9]+)?$/i.test(name);
}

/** `directory`, `file` (regular), or what else the entry is, in words (`a FIFO (named pipe)` ...). */
type EntryKind = string;

/** What an entry is once symbolic links are followed; a link to nothing is an error, since it was meant as something. */
function kindOf(entryPath: string): EntryKind {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(entryPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') {
      throw new Error(
        `${entryPath} is a symbolic link to ${fs.readlinkSync(entryPath)}, which does not exist (${code}): fix the link or remove it`,
      );
    }
    throw error;
  }
  return stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : fileKind(stats);
}
