import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { propError } from './prop-error';

export interface OnnxRuntimeLayerProps {
  /** Folder of the installed `onnxruntime-node` package. @default - resolved from this app's node_modules */
  readonly onnxRuntimeNodeDir?: string;
  /** CPU architecture whose binaries the layer holds; the functions using it must match. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** Runtimes the layer declares itself compatible with. @default [lambda.Runtime.NODEJS_24_X] */
  readonly compatibleRuntimes?: readonly lambda.Runtime[];
}

/** A file of the pruned onnxruntime-node install. */
export interface OnnxRuntimeFile {
  /** Absolute source path. */
  readonly source: string;
  /** Path inside the layer zip, below `nodejs/node_modules/`. */
  readonly target: string;
  readonly sizeBytes: number;
}

/**
 * ONNX Runtime for Node.js as a Lambda layer (`/opt/nodejs/node_modules/onnxruntime-node`), copied from
 * node_modules at synth with only the one Linux architecture's native binaries. The npm package ships every
 * platform (about 300 MB, over Lambda's 250 MB limit); linux-arm64 alone is about 25 MB. No network, no Docker.
 *
 * The asset hash is the ONNX Runtime version plus the architecture, so the layer is rebuilt and republished only
 * when one of them changes, not on every `node_modules` reinstall.
 *
 * The version comes from package.json, which pins onnxruntime-node 1.30.0 and must stay at 1.30 or later: older
 * releases crashed on Lambda's arm64 (Graviton), so synth refuses them. On Lambda arm64 ONNX Runtime still prints
 * a few plain-text stderr lines at cold start that no log level reaches: cpuinfo, a native library, reports it
 * cannot read /sys/devices/system/cpu (Lambda hides it) before ONNX Runtime's logger exists. They are harmless;
 * the runtime's own ONNX Runtime logging is set to errors only (lambda/model/onnx-runtime.ts, onnx-model.ts).
 */
export class OnnxRuntimeLayer extends Construct {
  public readonly layer: lambda.LayerVersion;
  /** The `onnxruntime-node` version inside the layer. */
  public readonly onnxRuntimeVersion: string;
  public readonly architecture: lambda.Architecture;
  /** Size of the layer's files once Lambda unzips them, known at synth before any bundling. */
  public readonly unzippedSizeBytes: number;
  /** Paths inside the layer, relative to its root (`nodejs/node_modules/...`). */
  public readonly files: readonly string[];
  /**
   * The same pruned files with their sources, targets relative to a `node_modules` folder: a container image
   * (backend lambda-image) copies exactly what the layer holds.
   */
  public readonly packageFiles: readonly OnnxRuntimeFile[];

  constructor(scope: Construct, id: string, props: OnnxRuntimeLayerProps = {}) {
    super(scope, id);
    this.architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const nodeDir = props.onnxRuntimeNodeDir ?? path.dirname(require.resolve('onnxruntime-node/package.json'));
    const nodePackage = readPackage(nodeDir, 'onnxRuntimeNodeDir');
    if (nodePackage.name !== 'onnxruntime-node') {
      throw propError(
        this,
        `onnxRuntimeNodeDir (${nodeDir}) holds package "${nodePackage.name}", not onnxruntime-node: point it at node_modules/onnxruntime-node`,
      );
    }
    if (!atLeast(nodePackage.version, MIN_ONNX_RUNTIME_VERSION)) {
      throw propError(
        this,
        `onnxRuntimeNodeDir (${nodeDir}) holds onnxruntime-node ${nodePackage.version}, older than ${MIN_ONNX_RUNTIME_VERSION.join('.')}, ` +
          'whose earlier releases crash on Lambda arm64: install onnxruntime-node 1.30 or later',
      );
    }
    const commonDir = resolveCommon(nodeDir);
    const commonPackage = readPackage(commonDir, 'onnxruntime-common');
    this.onnxRuntimeVersion = nodePackage.version;

    const cpu = this.architecture === lambda.Architecture.ARM_64 ? 'arm64' : 'x64';
    const binaryDirs = napiDirs(nodeDir).map((napi) => path.join(nodeDir, 'bin', napi, 'linux', cpu));
    const layerFiles = [
      ...listFiles(nodeDir, 'onnxruntime-node', ['package.json', 'LICENSE', 'dist']),
      ...listFiles(
        nodeDir,
        'onnxruntime-node',
        binaryDirs.map((dir) => path.relative(nodeDir, dir)),
      ),
      ...listFiles(commonDir, 'onnxruntime-common', ['package.json', 'LICENSE', 'dist']),
    ];
    if (!layerFiles.some((file) => file.target.endsWith('onnxruntime_binding.node'))) {
      throw propError(
        this,
        `onnxRuntimeNodeDir (${nodeDir}) has no bin/napi-v*/linux/${cpu}/onnxruntime_binding.node: reinstall onnxruntime-node ${nodePackage.version}, whose npm package ships the Linux binaries`,
      );
    }
    this.packageFiles = layerFiles;
    this.files = layerFiles.map((file) => path.posix.join('nodejs/node_modules', file.target));
    this.unzippedSizeBytes = layerFiles.reduce((sum, file) => sum + file.sizeBytes, 0);

    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `onnxruntime-node ${nodePackage.version} (onnxruntime-common ${commonPackage.version}), linux-${cpu} binaries only`,
      compatibleArchitectures: [this.architecture],
      compatibleRuntimes: [...(props.compatibleRuntimes ?? [lambda.Runtime.NODEJS_24_X])],
      code: lambda.Code.fromAsset(nodeDir, {
        assetHash: `onnxruntime-node@${nodePackage.version}+onnxruntime-common@${commonPackage.version}+linux-${cpu}`,
        assetHashType: AssetHashType.CUSTOM,
        bundling: {
          // Never pulled: the local copy below always succeeds. The image is only required by the type.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
          local: {
            tryBundle(outputDir: string): boolean {
              for (const file of layerFiles) {
                const target = path.join(outputDir, 'nodejs', 'node_modules', file.target);
                fs.mkdirSync(path.dirname(target), { recursive: true });
                fs.copyFileSync(file.source, target);
              }
              return true;
            },
          },
        },
      }),
    });
  }
}

/** The oldest onnxruntime-node that runs on Lambda arm64: earlier releases crashed there. */
const MIN_ONNX_RUNTIME_VERSION = [1, 30] as const;

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
    if (parent === dir)
      throw new Error(`cannot find the onnxruntime-common package that ${nodeDir} depends on: run npm ci`);
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
