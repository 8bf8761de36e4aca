import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { ModelEnvironment } from '../../contract/environment';
import {
  functionMemoryMiB,
  functionRoleAndLogs,
  functionSettings,
  LIVE_ALIAS,
  liveAlias,
  type ModelFunctionOptions,
  runtimeEnvironment,
  validateFunctionOptions,
} from './model-function-options';
import { validateModelIdentity } from './model-identity';
import { propError } from './prop-error';

export { LIVE_ALIAS };

/** Lambda's limit on a function's code plus all its layers, unzipped. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

export const DEFAULT_HANDLER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handler.mts');

/**
 * Defines `require` in the ES module bundle for the runtime's lazy loads: onnxruntime-node (lambda/model/onnx-runtime.ts),
 * which the layer provides at /opt/nodejs/node_modules, where `require` finds it through Lambda's NODE_PATH and Node's
 * ES module resolution would not, and the SageMaker client of a forwarding function.
 */
export const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The model a function serves: its artifact in the store and the descriptor beside it. */
export interface ModelFunctionModel {
  /** Model name as served in URLs. */
  readonly modelName: string;
  /** Model version as served in URLs. */
  readonly modelVersion: string;
  /** Lowercase hex sha256 of the artifact, verified by the runtime before serving. */
  readonly modelSha256: string;
  /** Size of the model file, which sizes the default memory. */
  readonly modelSizeBytes: number;
}

export interface InferenceFunctionProps extends ModelFunctionModel, ModelFunctionOptions {
  /** Bucket holding the model artifact and its descriptor. */
  readonly modelBucket: s3.IBucket;
  /** Content-addressed key of the artifact; the function may read this key and its descriptor's, nothing else. */
  readonly modelKey: string;
  /** Content-addressed key of the model's descriptor (ModelStore's `descriptorKey`). */
  readonly descriptorKey: string;
  /** Lowercase hex sha256 of the descriptor, verified by the runtime before it trusts it. */
  readonly descriptorSha256: string;
  /** Layers, typically the OnnxRuntimeLayer; counted against the 250 MB limit. @default - none */
  readonly layers?: readonly lambda.ILayerVersion[];
  /** Handler entry file (exports `handler`), bundled as an ES module. @default - lambda/handler.mts of this project */
  readonly entry?: string;
  /** Architecture; must match the layers' binaries. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
}

/**
 * One model's zip inference function (backend `lambda`): Node.js 24 on arm64, esbuild-bundled, ONNX Runtime from a
 * layer, pinned to one content-addressed artifact and descriptor and their sha256. The API calls its `live` alias,
 * which can carry provisioned concurrency with target-tracking autoscaling.
 */
export class InferenceFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly alias: lambda.Alias;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly modelName: string;
  /** The model version this function serves; its runtime metrics carry it as the `version` dimension. */
  public readonly modelVersion: string;
  /** Present when provisioned concurrency autoscales (max above min). */
  public readonly scaling?: lambda.IScalableFunctionAttribute;
  /** Whether the alias carries provisioned concurrency. */
  public readonly provisioned: boolean;

  constructor(scope: Construct, id: string, props: InferenceFunctionProps) {
    super(scope, id);
    validateModel(this, props);
    validateFunctionOptions(this, props);
    this.modelName = props.modelName;
    this.modelVersion = props.modelVersion;
    const entry = handlerEntry(this, props.entry);
    const memorySize = functionMemoryMiB(this, props.modelName, props.modelSizeBytes, props.memorySizeMiB);
    ({ role: this.role, logGroup: this.logGroup } = functionRoleAndLogs(this, props.modelName, props.logRetention));

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: `Open Inference Protocol endpoint for model ${props.modelName} version ${props.modelVersion}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      // arm64: the linux-arm64 ONNX Runtime is 25 MB vs 45 MB for x64, and Graviton is cheaper per GB-s.
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize,
      ...functionSettings(props),
      role: this.role,
      logGroup: this.logGroup,
      layers: [...(props.layers ?? [])],
      environment: {
        [ModelEnvironment.name]: props.modelName,
        [ModelEnvironment.version]: props.modelVersion,
        [ModelEnvironment.bucket]: props.modelBucket.bucketName,
        [ModelEnvironment.key]: props.modelKey,
        [ModelEnvironment.sha256]: props.modelSha256,
        [ModelEnvironment.descriptorKey]: props.descriptorKey,
        [ModelEnvironment.descriptorSha256]: props.descriptorSha256,
        ...runtimeEnvironment(props.serviceName),
      },
      bundling: {
        ...HANDLER_BUNDLING,
        // onnxruntime-node comes from the layer (/opt/nodejs/node_modules); the Node.js 24 runtime ships SDK v3.
        externalModules: ['onnxruntime-node', '@aws-sdk/*'],
      },
    });

    // Least privilege: this model's artifact and descriptor, no listing, no other keys.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          props.modelBucket.arnForObjects(props.modelKey),
          props.modelBucket.arnForObjects(props.descriptorKey),
        ],
      }),
    );
    props.modelBucket.encryptionKey?.grantDecrypt(this.role);

    ({
      alias: this.alias,
      scaling: this.scaling,
      provisioned: this.provisioned,
    } = liveAlias(this, this.function, props));

    const layers = props.layers ?? [];
    this.node.addValidation({ validate: () => this.checkUnzippedSize(layers) });
  }

  /**
   * Fails synth when code plus layers exceed Lambda's 250 MB unzipped limit, instead of failing at deploy time.
   * Only meaningful when assets were bundled: a skipped bundle stages the unbundled source folder.
   */
  private checkUnzippedSize(layers: readonly lambda.ILayerVersion[]): string[] {
    if (!Stack.of(this).bundlingRequired) return [];
    const parts: { readonly what: string; readonly bytes: number }[] = [];
    const codeDir = stagedAssetDir(this.function);
    if (codeDir !== undefined) parts.push({ what: 'function code', bytes: directorySizeBytes(codeDir) });
    for (const layer of layers) {
      const layerDir = stagedAssetDir(layer);
      if (layerDir !== undefined) parts.push({ what: `layer ${layer.node.path}`, bytes: directorySizeBytes(layerDir) });
    }
    const total = parts.reduce((sum, part) => sum + part.bytes, 0);
    if (total <= LAMBDA_UNZIPPED_LIMIT_BYTES) return [];
    const breakdown = parts.map((part) => `${part.what} ${megabytes(part.bytes)}`).join(', ');
    return [
      `model ${this.modelName}: code plus layers unzip to ${megabytes(total)} (${breakdown}), over Lambda's 250 MB limit: ` +
        'remove unneeded files from the layers, mark large dependencies as external, or use backend lambda-image',
    ];
  }
}

/** The handler file a model function bundles: the given one, which must exist, or this project's. */
export function handlerEntry(scope: Construct, entry: string = DEFAULT_HANDLER_ENTRY): string {
  if (!fs.existsSync(entry)) {
    throw propError(scope, `entry (${entry}) does not exist: point it at the handler file that exports \`handler\``);
  }
  return entry;
}

/** How the handler is bundled by the functions that run it (NodejsFunction's option names). */
export const HANDLER_BUNDLING = {
  // An ES module, so that the handler's top-level await keeps the model load inside Lambda's init phase.
  format: nodejs.OutputFormat.ESM,
  banner: REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  // Line numbers in stack traces need the map, not the sources; leaving them out keeps the bundle small.
  sourcesContent: false,
  target: 'node24',
  forceDockerBundling: false,
  // esbuild's CLI defaults to "info", which prints the bundle sizes on every synth and test run.
  logLevel: nodejs.LogLevel.WARNING,
} as const;

/** The same bundle in esbuild's own option names, for the images that run esbuild on the handler themselves. */
export const HANDLER_ESBUILD_OPTIONS = {
  format: 'esm',
  banner: { js: HANDLER_BUNDLING.banner },
  minify: HANDLER_BUNDLING.minify,
  sourcemap: HANDLER_BUNDLING.sourceMap,
  sourcesContent: HANDLER_BUNDLING.sourcesContent,
  target: HANDLER_BUNDLING.target,
} as const satisfies BuildOptions;

/** Fails with the prop, the value and the fix when the model's identity cannot be served. */
export function validateModel(scope: Construct, props: ModelFunctionModel): void {
  validateModelIdentity(scope, props);
  if (!/^[0-9a-f]{64}$/.test(props.modelSha256)) {
    throw propError(
      scope,
      `modelSha256 ("${props.modelSha256}") is not a lowercase hex sha256: pass the artifact's digest`,
    );
  }
}

/** The staged folder of the `Code` asset that Lambda's AssetCode creates below a function or layer. */
function stagedAssetDir(scope: Construct): string | undefined {
  const asset = scope.node.tryFindChild('Code');
  if (!(asset instanceof s3assets.Asset)) return undefined;
  const outdir = Stage.of(scope)?.outdir ?? '.';
  return path.resolve(outdir, asset.assetPath);
}

/** Sum of the file sizes below `dir` (what Lambda counts), or of the file itself. */
export function directorySizeBytes(dir: string): number {
  const stat = fs.statSync(dir);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(dir).reduce((sum, entry) => sum + directorySizeBytes(path.join(dir, entry)), 0);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
