import * as fs from 'node:fs';
import * as path from 'node:path';

/** A file of the pruned onnxruntime-node install. */
export interface OnnxRuntimeFile {
  /** Absolute source path. */
  readonly source: string;
  /** Path below a `node_modules` folder, e.g. `onnxruntime-node/dist/index.js`. */
  readonly target: string;
  readonly sizeBytes: number;
}

/** onnxruntime-node and onnxruntime-common with the native binaries of one Linux CPU architecture only. */
export interface PrunedOnnxRuntime {
  /** The onnxruntime-node version. */
  readonly version: string;
  readonly commonVersion: string;
  readonly files: readonly OnnxRuntimeFile[];
  readonly sizeBytes: number;
}

/** The oldest onnxruntime-node that runs on Lambda arm64: earlier releases crashed there. */
export const MIN_ONNX_RUNTIME_VERSION = [1, 30] as const;

/**
 * The files of an installed onnxruntime-node (and the onnxruntime-common it resolves) that one Linux architecture
 * needs: the npm package ships every platform's binaries (about 300 MB); linux-arm64 alone is about 25 MB, linux-x64
 * 45 MB. The Lambda layer and both container images copy exactly these. Throws an Error naming `nodeDir` and the fix
 * for a wrong package, a version older than 1.30, or missing binaries.
 */
export function prunedOnnxRuntime(nodeDir: string, cpu: 'arm64' | 'x64'): PrunedOnnxRuntime {
  const nodePackage = readPackage(nodeDir, 'onnxRuntimeNodeDir');
  if (nodePackage.name !== 'onnxruntime-node') {
    throw new Error(
      `onnxRuntimeNodeDir (${nodeDir}) holds package "${nodePackage.name}", not onnxruntime-node: point it at node_modules/onnxruntime-node`,
    );
  }
  if (!atLeast(nodePackage.version, MIN_ONNX_RUNTIME_VERSION)) {
    throw new Error(
      `onnxRuntimeNodeDir (${nodeDir}) holds onnxruntime-node ${nodePackage.version}, older than ${MIN_ONNX_RUNTIME_VERSION.join('.')}, ` +
        'whose earlier releases crash on Lambda arm64: install onnxruntime-node 1.30 or later',
    );
  }
  const commonDir = resolveCommon(nodeDir);
  const commonPackage = readPackage(commonDir, 'onnxruntime-common');
  const binaryDirs = napiDirs(nodeDir).map((napi) => path.join('bin', napi, 'linux', cpu));
  const files = [
    ...listFiles(nodeDir, 'onnxruntime-node', ['package.json', 'LICENSE', 'dist', ...binaryDirs]),
    ...listFiles(commonDir, 'onnxruntime-common', ['package.json', 'LICENSE', 'dist']),
  ];
  if (!files.some((file) => file.target.endsWith('onnxruntime_binding.node'))) {
    throw new Error(
      `onnxRuntimeNodeDir (${nodeDir}) has no bin/napi-v*/linux/${cpu}/onnxruntime_binding.node: reinstall onnxruntime-node ${nodePackage.version}, whose npm package ships the Linux binaries`,
    );
  }
  return {
    version: nodePackage.version,
    commonVersion: commonPackage.version,
    files,
    sizeBytes: files.reduce((sum, file) => sum + file.sizeBytes, 0),
  };
}

/** The installed onnxruntime-node of this app. */
export function defaultOnnxRuntimeNodeDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

function atLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [actualMajor = 0, actualMinor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

interface PackageJson {
  readonly name: string;
  readonly version: string;
}

function readPackage(dir: string, setting: string): PackageJson {
  const file = path.join(dir, 'package.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${setting}: cannot read ${file} (${(error as Error).message}); run npm ci so that node_modules holds onnxruntime-node`,
    );
  }
  const record = parsed as Partial<PackageJson>;
  if (typeof record.name !== 'string' || typeof record.version !== 'string') {
    throw new Error(`${setting}: ${file} has no name or version; reinstall the package`);
  }
  return { name: record.name, version: record.version };
}

/** onnxruntime-common as Node would resolve it from onnxruntime-node (nested copy first, then hoisted). */
function resolveCommon(nodeDir: string): string {
  // Its `exports` map hides package.json, so resolve the entry point and walk up to the package folder.
  let dir = path.dirname(require.resolve('onnxruntime-common', { paths: [nodeDir] }));
  while (packageName(dir) !== 'onnxruntime-common') {
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the onnxruntime-common package that ${nodeDir} depends on: run npm ci`);
    }
    dir = parent;
  }
  return dir;
}

function packageName(dir: string): string | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

function napiDirs(nodeDir: string): string[] {
  const binDir = path.join(nodeDir, 'bin');
  if (!fs.existsSync(binDir)) return [];
  return fs.readdirSync(binDir).filter((entry) => /^napi-v\d+$/.test(entry));
}

/** Every file below `entries` of `root`, targeted at `<packageName>/<relative path>`. Missing entries are skipped. */
function listFiles(root: string, packageName: string, entries: readonly string[]): OnnxRuntimeFile[] {
  const files: OnnxRuntimeFile[] = [];
  const visit = (relative: string): void => {
    const source = path.join(root, relative);
    if (!fs.existsSync(source)) return;
    const stat = fs.statSync(source);
    if (stat.isDirectory()) {
      for (const child of fs.readdirSync(source).sort()) visit(path.join(relative, child));
      return;
    }
    files.push({ source, target: path.posix.join(packageName, ...relative.split(path.sep)), sizeBytes: stat.size });
  };
  for (const entry of entries) visit(entry);
  return files;
}
