import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, ModelEnvironment, SERVICE_NAME } from '../../contract/environment';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';

/** Lambda's limit on a function's code plus all its layers, unzipped. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

/** The name of the alias the API calls; moving it is how a model version is rolled forward or back. */
export const LIVE_ALIAS = 'live';

const DEFAULT_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handler.mts');

/**
 * Defines `require` in the ES module bundle: bundled CommonJS code (the X-Ray SDK behind the tracer) requires Node
 * built-ins, and lambda/model/onnx-runtime.ts requires onnxruntime-node, which the layer provides at
 * /opt/nodejs/node_modules: `require` finds it through Lambda's NODE_PATH, Node's ES module resolution would not.
 */
const REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface InferenceFunctionProps {
  /** Model name as served in URLs. */
  readonly modelName: string;
  /** Model version as served in URLs. */
  readonly modelVersion: string;
  /** Bucket holding the model artifact. */
  readonly modelBucket: s3.IBucket;
  /** Content-addressed key of the artifact; the function may read this key and nothing else. */
  readonly modelKey: string;
  /** Lowercase hex sha256 of the artifact, verified by the runtime before serving. */
  readonly modelSha256: string;
  /** Size of the model file, used to size the default memory. @default 0 */
  readonly modelSizeBytes?: number;
  /** Layers, typically the OnnxRuntimeLayer; counted against the 250 MB limit. @default - none */
  readonly layers?: readonly lambda.ILayerVersion[];
  /** Handler entry file (exports `handler`), bundled as an ES module. @default - lambda/handler.mts of this project */
  readonly entry?: string;
  /** Memory, which also buys CPU (1 vCPU per 1,769 MiB). @default - 1,769 MiB, more for models over ~300 MB */
  readonly memorySizeMiB?: number;
  /** Function timeout; keep it below the API's 29 s integration timeout. @default Duration.seconds(20) */
  readonly timeout?: Duration;
  /** Provisioned concurrency kept warm on the `live` alias. @default - none: on-demand environments only */
  readonly minProvisionedConcurrency?: number;
  /** Upper bound of target-tracking autoscaling of provisioned concurrency. @default - minProvisionedConcurrency (no autoscaling) */
  readonly maxProvisionedConcurrency?: number;
  /** Provisioned concurrency utilisation the autoscaling aims at, between 0.1 and 0.9. @default 0.7 */
  readonly provisionedUtilizationTarget?: number;
  /** Concurrency reserved for this function, which also caps it. @default - none: shares the account's pool */
  readonly reservedConcurrency?: number;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The runtime's service name: its logs' `service` and its metrics' `service` dimension. Give each deployment that
   * shares an account and region its own (serviceNameForStage) and the same one to InferenceMonitoring.
   * @default 'model-endpoint'
   */
  readonly serviceName?: string;
  /** Architecture; must match the layers' binaries. @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
}

/**
 * One model's inference function: Node.js 24 on arm64, esbuild-bundled, ONNX Runtime from a layer, pinned to one
 * content-addressed artifact and its sha256. The API calls its `live` alias, which can carry provisioned
 * concurrency with target-tracking autoscaling.
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
    validateProps(props);
    this.modelName = props.modelName;
    this.modelVersion = props.modelVersion;
    const entry = props.entry ?? DEFAULT_ENTRY;
    if (!fs.existsSync(entry)) {
      throw new Error(`entry (${entry}) does not exist: point it at the handler file that exports \`handler\``);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole (logs:* on every log
    // group); this one may write to its own log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Inference function of model ${props.modelName}`,
    });
    this.logGroup.grantWrite(this.role);

    const defaultMemory = Math.max(
      // 1,769 MiB is exactly one full vCPU: inference is CPU-bound, and less memory means a fraction of a core.
      1769,
      // ONNX Runtime holds the downloaded bytes and the optimised graph (about 3x the file) next to Node itself.
      Math.ceil((3 * (props.modelSizeBytes ?? 0)) / 1024 / 1024) + 512,
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: `Open Inference Protocol endpoint for model ${props.modelName} version ${props.modelVersion}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      // arm64: the linux-arm64 ONNX Runtime is 25 MB vs 45 MB for x64, and Graviton is cheaper per GB-s.
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: Math.min(10_240, props.memorySizeMiB ?? defaultMemory),
      // 20 s: a cold start downloads and loads the model (seconds for tens of MB) before the first answer; below the
      // API's 29 s so that a stuck invocation ends as a logged Lambda timeout, not an anonymous gateway 504.
      timeout: props.timeout ?? Duration.seconds(20),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      layers: [...(props.layers ?? [])],
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      environment: {
        [ModelEnvironment.name]: props.modelName,
        [ModelEnvironment.version]: props.modelVersion,
        [ModelEnvironment.bucket]: props.modelBucket.bucketName,
        [ModelEnvironment.key]: props.modelKey,
        [ModelEnvironment.sha256]: props.modelSha256,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Maps minified stack traces back to lambda/*.ts lines; costs time only when an Error's stack is read.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        // An ES module, so that the handler's top-level await keeps the model load inside Lambda's init phase.
        format: nodejs.OutputFormat.ESM,
        banner: REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Line numbers in stack traces need the map, not the sources; leaving them out keeps the zip small.
        sourcesContent: false,
        target: 'node24',
        // onnxruntime-node comes from the layer (/opt/nodejs/node_modules); the Node.js 24 runtime ships SDK v3.
        externalModules: ['onnxruntime-node', '@aws-sdk/*'],
        forceDockerBundling: false,
        // esbuild's CLI defaults to "info", which prints the bundle sizes on every synth and test run.
        logLevel: nodejs.LogLevel.WARNING,
      },
    });

    // Least privilege: this model's one object, no listing, no other keys.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.modelBucket.arnForObjects(props.modelKey)],
      }),
    );
    props.modelBucket.encryptionKey?.grantDecrypt(this.role);

    this.provisioned = props.minProvisionedConcurrency !== undefined;
    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.function.currentVersion,
      ...(props.minProvisionedConcurrency === undefined
        ? {}
        : { provisionedConcurrentExecutions: props.minProvisionedConcurrency }),
    });
    const max = props.maxProvisionedConcurrency ?? props.minProvisionedConcurrency;
    if (props.minProvisionedConcurrency !== undefined && max !== undefined && max > props.minProvisionedConcurrency) {
      this.scaling = this.alias.addAutoScaling({ minCapacity: props.minProvisionedConcurrency, maxCapacity: max });
      this.scaling.scaleOnUtilization({ utilizationTarget: props.provisionedUtilizationTarget ?? 0.7 });
    }

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
        'remove unneeded files from the layers, mark large dependencies as external, or serve the model from a container image',
    ];
  }
}

function validateProps(props: InferenceFunctionProps): void {
  if (!MODEL_NAME_PATTERN.test(props.modelName)) {
    throw new Error(
      `modelName ("${props.modelName}") is not a valid model name: use lowercase letters, digits, "-", "_"`,
    );
  }
  if (!MODEL_VERSION_PATTERN.test(props.modelVersion)) {
    throw new Error(`modelVersion ("${props.modelVersion}") is not a positive integer: use e.g. "1"`);
  }
  if (!/^[0-9a-f]{64}$/.test(props.modelSha256)) {
    throw new Error(`modelSha256 ("${props.modelSha256}") is not a lowercase hex sha256: pass the artifact's digest`);
  }
  if (props.memorySizeMiB !== undefined && (props.memorySizeMiB < 128 || props.memorySizeMiB > 10_240)) {
    throw new Error(`memorySizeMiB (${props.memorySizeMiB}) must be between 128 and 10240: Lambda's limits`);
  }
  if (props.timeout !== undefined && props.timeout.toSeconds() >= 29) {
    throw new Error(
      `timeout (${props.timeout.toSeconds()} s) must be below 29 s, API Gateway's integration timeout: lower it`,
    );
  }
  const min = props.minProvisionedConcurrency;
  const max = props.maxProvisionedConcurrency;
  if (min !== undefined && (!Number.isInteger(min) || min < 1)) {
    throw new Error(`minProvisionedConcurrency (${min}) must be a whole number of at least 1: or leave it unset`);
  }
  if (max !== undefined && min === undefined) {
    throw new Error(`maxProvisionedConcurrency (${max}) needs minProvisionedConcurrency: set the minimum, e.g. 1`);
  }
  if (min !== undefined && max !== undefined && min > max) {
    throw new Error(`minProvisionedConcurrency (${min}) must not exceed maxProvisionedConcurrency (${max})`);
  }
  const target = props.provisionedUtilizationTarget;
  if (target !== undefined && (target < 0.1 || target > 0.9)) {
    throw new Error(`provisionedUtilizationTarget (${target}) must be between 0.1 and 0.9, e.g. 0.7`);
  }
  const reserved = props.reservedConcurrency;
  const ceiling = max ?? min;
  if (reserved !== undefined && ceiling !== undefined && ceiling > reserved) {
    throw new Error(
      `reservedConcurrency (${reserved}) is below the provisioned concurrency (${ceiling}): raise reservedConcurrency`,
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
