/**
 * The environment variables that the infrastructure (lib/) sets on each inference function and the runtime
 * (lambda/) reads. Defined once here so that a rename cannot silently break the deployed function.
 */
export const ModelEnvironment = {
  /** Model name as served in URLs (`/v2/models/<name>`). */
  name: 'MODEL_NAME',
  /** Model version as served in URLs; a positive integer. */
  version: 'MODEL_VERSION',
  /** S3 bucket that holds the model artifact. */
  bucket: 'MODEL_BUCKET',
  /** S3 key of the content-addressed artifact (`models/<name>/<version>/<sha256>.onnx`). */
  key: 'MODEL_KEY',
  /** Lowercase hex sha256 of the artifact; the runtime refuses to serve bytes that do not match it. */
  sha256: 'MODEL_SHA256',
  /** Local model repository folder (`<name>/<version>/model.onnx`), used when no bucket is set. */
  modelsDir: 'MODELS_DIR',
  /** S3 key of the content-addressed model descriptor (`models/<name>/<version>/<sha256>.json`). */
  descriptorKey: 'MODEL_DESCRIPTOR_KEY',
  /** Lowercase hex sha256 of the descriptor; the runtime refuses a descriptor that does not match it. */
  descriptorSha256: 'MODEL_DESCRIPTOR_SHA256',
  /**
   * Path of the model file inside a container image (lambda-image, SageMaker container); the descriptor sits beside
   * it as descriptor.json. Set instead of the bucket variables: the model ships in the image, pinned by MODEL_SHA256.
   */
  modelPath: 'MODEL_PATH',
  /**
   * Name of the SageMaker endpoint that serves the model: set on a `sagemaker` model's function, which then forwards
   * inference to the endpoint (InvokeEndpoint) instead of running ONNX Runtime itself.
   */
  sagemakerEndpoint: 'SAGEMAKER_ENDPOINT_NAME',
} as const;

/**
 * The environment of a model's pre-traffic hook (CodeDeploy calls it before shifting any traffic to a new version):
 * which function version to check and the golden set to check it with, pinned like the model.
 */
export const PreTrafficHookEnvironment = {
  /** Qualified ARN of the new function version (`arn:...:function:<name>:<version>`): the hook invokes exactly it. */
  targetFunction: 'ROLLOUT_TARGET_FUNCTION',
  /** Model name and version the golden set belongs to; requests go to `/v2/models/<name>/versions/<version>/infer`. */
  modelName: 'MODEL_NAME',
  modelVersion: 'MODEL_VERSION',
  /** Bucket and content-addressed key of the golden set (`models/<name>/<version>/<sha256>.golden.json`). */
  goldenBucket: 'GOLDEN_SET_BUCKET',
  goldenKey: 'GOLDEN_SET_KEY',
  /** Lowercase hex sha256 of the golden set; the hook fails the deployment on bytes that do not match it. */
  goldenSha256: 'GOLDEN_SET_SHA256',
} as const;

/** CloudWatch namespace of the runtime's custom metrics; the dashboard and alarms read the same one. */
export const METRICS_NAMESPACE = 'ModelEndpoint';

/** Names of the runtime's custom metrics (Powertools EMF), shared with the dashboard. */
export const RuntimeMetric = {
  /** Milliseconds one inference took, session run only. */
  inferenceLatency: 'InferenceLatency',
  /** Milliseconds from reading the artifact to a ready session. */
  modelLoadTime: 'ModelLoadTime',
  /**
   * Count of requests for a model that the runtime answered 5xx (the model could not be loaded, or running it
   * failed). The handler answers these itself, so they are no Lambda `Errors`; 4xx client mistakes never count.
   */
  inferenceErrors: 'InferenceErrors',
} as const;

/** Dimension the runtime attaches to its per-model metrics, next to Powertools' own `service` dimension. */
export const MODEL_DIMENSION = 'model';

/**
 * Dimension carrying the model version next to `model` on every per-model metric, so the dashboard and alarms can
 * follow the version the `live` alias serves instead of mixing every version ever deployed.
 */
export const VERSION_DIMENSION = 'version';

/**
 * Powertools service name of the runtime. Powertools adds it as a `service` dimension to every metric, so the
 * dashboard must use the same value to find them.
 */
export const SERVICE_NAME = 'model-endpoint';

/**
 * The service name of one deployment: `model-endpoint`, or `model-endpoint-<stage>`. Two stages in one account and
 * region write to the same namespace, so without it a model of the same name in both would share metric series,
 * dashboard rows and alarms. The infrastructure sets it as POWERTOOLS_SERVICE_NAME; the runtime reads it from there.
 */
export function serviceNameForStage(stage?: string): string {
  return stage === undefined ? SERVICE_NAME : `${SERVICE_NAME}-${stage}`;
}
