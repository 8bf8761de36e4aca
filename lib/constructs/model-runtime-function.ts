import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct, IDependable } from 'constructs';
import { InferenceFunction } from './inference-function';
import { InferenceImageFunction } from './inference-image-function';
import type { ModelFunctionOptions } from './model-function-options';
import type { ModelArtifact } from './model-store';
import type { OnnxRuntimeLayer } from './onnx-runtime-layer';

export interface ModelRuntimeFunctionProps {
  /** The model version's artifact and descriptor as ModelStore uploaded them. */
  readonly artifact: ModelArtifact;
  /** The bucket holding the artifact (read by a zip function at init). */
  readonly modelBucket: s3.IBucket;
  /** ONNX Runtime: the layer of a zip function, the pruned files of an image. */
  readonly onnxRuntime: OnnxRuntimeLayer;
  /** What puts the artifact into the bucket; a zip function waits for it. @default - nothing to wait for */
  readonly artifactUpload?: IDependable;
  /** Handler entry file. @default - lambda/handler.mts of this project */
  readonly entry?: string;
  /** Memory, timeout, concurrency and the rest, as given. */
  readonly options: ModelFunctionOptions;
}

/**
 * The function that runs one model version with ONNX Runtime on a Lambda backend: a zip function that reads the
 * artifact from the bucket at init (`lambda`), or a container image holding it (`lambda-image`). The served model and
 * its shadow candidate are built by this one function, so a candidate runs exactly as the live model would.
 */
export function modelRuntimeFunction(
  scope: Construct,
  id: string,
  backend: 'lambda' | 'lambda-image',
  props: ModelRuntimeFunctionProps,
): InferenceFunction | InferenceImageFunction {
  const { artifact, onnxRuntime } = props;
  const common = {
    ...props.options,
    ...(props.entry === undefined ? {} : { entry: props.entry }),
    modelName: artifact.name,
    modelVersion: artifact.version,
    modelSha256: artifact.sha256,
    modelSizeBytes: artifact.sizeBytes,
    descriptorSha256: artifact.descriptorSha256,
  };
  if (backend === 'lambda-image') {
    return new InferenceImageFunction(scope, id, {
      ...common,
      modelPath: artifact.modelPath,
      descriptorJson: artifact.descriptorJson,
      onnxRuntimeFiles: onnxRuntime.packageFiles,
    });
  }
  const fn = new InferenceFunction(scope, id, {
    ...common,
    modelBucket: props.modelBucket,
    modelKey: artifact.key,
    descriptorKey: artifact.descriptorKey,
    layers: [onnxRuntime.layer],
    architecture: onnxRuntime.architecture,
  });
  // Provisioned concurrency initialises environments during the deploy, and they load the model at init.
  if (props.artifactUpload !== undefined) fn.node.addDependency(props.artifactUpload);
  return fn;
}
