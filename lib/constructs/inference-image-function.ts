import * as fs from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { ModelEnvironment } from '../../contract/environment';
import { IMAGE_MODEL_PATH, stageImageContext } from './image-context';
import { HANDLER_ESBUILD_OPTIONS, handlerEntry, type ModelFunctionModel, validateModel } from './inference-function';
import {
  functionMemoryMiB,
  functionRoleAndLogs,
  functionSettings,
  liveAlias,
  type ModelFunctionOptions,
  runtimeEnvironment,
  validateFunctionOptions,
} from './model-function-options';
import type { OnnxRuntimeFile } from './onnx-runtime-layer';
import { propError } from './prop-error';

/** Lambda's limit on a container image's uncompressed size. */
export const LAMBDA_IMAGE_LIMIT_BYTES = 10 * 1024 * 1024 * 1024;

export interface InferenceImageFunctionProps extends ModelFunctionModel, ModelFunctionOptions {
  /** Local `model.onnx` to put into the image. */
  readonly modelPath: string;
  /** The model's descriptor (ModelStore's `descriptorJson`), put beside the model as descriptor.json. */
  readonly descriptorJson: string;
  /** Lowercase hex sha256 of the descriptor, verified by the runtime before it trusts it. */
  readonly descriptorSha256: string;
  /** The pruned onnxruntime-node files for the image's architecture (OnnxRuntimeLayer's `packageFiles`). */
  readonly onnxRuntimeFiles: readonly OnnxRuntimeFile[];
  /** Handler entry file (exports `handler`), bundled as an ES module. @default - lambda/handler.mts of this project */
  readonly entry?: string;
}

/**
 * One model's container-image inference function (backend `lambda-image`): the Node.js 24 Lambda base image on
 * arm64 holding the runtime bundle, ONNX Runtime (linux-arm64 binaries only) and the model with its descriptor,
 * built by `cdk deploy` from docker/lambda-image/Dockerfile and a context staged at synth. The model ships in the
 * image, so the function reads no bucket; MODEL_SHA256 still pins its bytes, verified at start. Memory and the
 * `live` alias work as for the zip function.
 */
export class InferenceImageFunction extends Construct {
  public readonly function: lambda.DockerImageFunction;
  public readonly alias: lambda.Alias;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly modelName: string;
  public readonly modelVersion: string;
  public readonly scaling?: lambda.IScalableFunctionAttribute;
  public readonly provisioned: boolean;

  constructor(scope: Construct, id: string, props: InferenceImageFunctionProps) {
    super(scope, id);
    validateModel(this, props);
    validateFunctionOptions(this, props);
    this.modelName = props.modelName;
    this.modelVersion = props.modelVersion;
    const entry = handlerEntry(this, props.entry);
    if (!fs.existsSync(props.modelPath)) {
      throw propError(this, `modelPath (${props.modelPath}) does not exist: export the model to ONNX there`);
    }
    if (props.modelSizeBytes >= LAMBDA_IMAGE_LIMIT_BYTES) {
      throw propError(
        this,
        `model ${props.modelName} (${props.modelSizeBytes} bytes) does not fit Lambda's 10 GB container image: use backend sagemaker`,
      );
    }
    const memorySize = functionMemoryMiB(this, props.modelName, props.modelSizeBytes, props.memorySizeMiB);
    ({ role: this.role, logGroup: this.logGroup } = functionRoleAndLogs(this, props.modelName, props.logRetention));

    const contextDir = stageImageContext({
      entry,
      modelPath: props.modelPath,
      descriptorJson: props.descriptorJson,
      onnxRuntimeFiles: props.onnxRuntimeFiles,
      // Unit tests skip bundling (as for NodejsFunction): the context then lacks only runtime/.
      bundle: Stack.of(this).bundlingRequired,
      bundling: HANDLER_ESBUILD_OPTIONS,
    });

    this.function = new lambda.DockerImageFunction(this, 'Function', {
      code: lambda.DockerImageCode.fromImageAsset(contextDir, {
        // arm64: the linux-arm64 ONNX Runtime is 25 MB vs 45 MB for x64, and Graviton is cheaper per GB-s.
        platform: Platform.LINUX_ARM64,
      }),
      description: `Open Inference Protocol endpoint for model ${props.modelName} version ${props.modelVersion} (container image)`,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      ...functionSettings(props),
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        [ModelEnvironment.name]: props.modelName,
        [ModelEnvironment.version]: props.modelVersion,
        [ModelEnvironment.modelPath]: IMAGE_MODEL_PATH,
        [ModelEnvironment.sha256]: props.modelSha256,
        [ModelEnvironment.descriptorSha256]: props.descriptorSha256,
        ...runtimeEnvironment(props.serviceName),
      },
    });

    // The function bound its image asset above, which copied the context into the cloud assembly: the temporary
    // folder has served its purpose, unless asset staging is off (SAM local), where the assembly points at it.
    if (this.node.tryGetContext(cxapi.DISABLE_ASSET_STAGING_CONTEXT) !== true) {
      fs.rmSync(contextDir, { recursive: true, force: true });
    }

    ({
      alias: this.alias,
      scaling: this.scaling,
      provisioned: this.provisioned,
    } = liveAlias(this, this.function, props));
  }
}
