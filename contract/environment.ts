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

/**
 * Shadow testing: the live function of a model with a shadow candidate writes a sampled share of its successful
 * inference requests, with their answers, to its log as one "shadow sample" record; a subscription filter on its log
 * group hands those records to the shadow comparator, which replays them against the candidate version.
 */
export const ShadowEnvironment = {
  /** Share of successful inference requests to sample, in (0, 1]; unset or empty turns sampling off. */
  sampleRate: 'SHADOW_SAMPLE_RATE',
} as const;

/** The environment of a model's shadow comparator: the candidate function to replay samples against. */
export const ShadowComparatorEnvironment = {
  /** Qualified ARN of the candidate's function version: the comparator invokes exactly it. */
  candidateFunction: 'SHADOW_CANDIDATE_FUNCTION',
  /** The model, and the candidate's version that sampled paths are rewritten to. */
  modelName: 'MODEL_NAME',
  candidateVersion: 'SHADOW_CANDIDATE_VERSION',
} as const;

/**
 * The field every shadow sample record carries, with the value 1, and that nothing else logs: the subscription
 * filter pattern `{ $.shadowSample = 1 }` matches exactly these records.
 */
export const SHADOW_SAMPLE_MARKER = 'shadowSample';

/** The comparator's metrics, dimensioned by service, model and the candidate's version. */
export const ShadowMetric = {
  /** 1 or 0 per label output (BYTES, BOOL, integers) per sample: its average is the exact match rate. */
  exactMatch: 'ShadowExactMatch',
  /** Largest |live - candidate| over the numeric elements of each output, per sample. */
  maxAbsDifference: 'ShadowMaxAbsDifference',
  /** Milliseconds from invoking the candidate to its answer. */
  latency: 'ShadowLatency',
  /** Samples the candidate answered 5xx, or whose invocation failed. */
  errors: 'ShadowErrors',
  /** Samples the live function did not log because the record exceeded CloudWatch Logs' event size limit. */
  samplesSkipped: 'ShadowSamplesSkipped',
} as const;

/**
 * Data capture (opt-in per model): the function writes a sampled share of its inference requests, with their
 * answers, to its log as one capture record per line; a subscription filter hands those records to the capture
 * writer, which stores them in the capture bucket in the layout of contract/capture.ts. Feedback records travel the
 * same way. Unset or empty sample rate: capture off, and the feedback route answers 404 saying capture is off.
 */
export const CaptureEnvironment = {
  /** Share of inference requests to capture, in (0, 1]. */
  sampleRate: 'CAPTURE_SAMPLE_RATE',
  /** Comma-separated field names (features or tensors) whose values are captured as null. */
  dropFields: 'CAPTURE_DROP_FIELDS',
  /** Comma-separated field names whose values are captured as a salted hash. */
  hashFields: 'CAPTURE_HASH_FIELDS',
  /** The salt of those hashes: one per deployment, so that hashes are not comparable across stacks. */
  hashSalt: 'CAPTURE_HASH_SALT',
} as const;

/**
 * The field every capture and feedback log record carries, with the value 1, and that nothing else logs: the
 * subscription filter pattern `{ $.modelCapture = 1 }` matches exactly these records.
 */
export const CAPTURE_MARKER = 'modelCapture';

/** The environment of the capture writer: where captured records go. */
export const CaptureWriterEnvironment = {
  bucket: 'CAPTURE_BUCKET',
} as const;

/** The environment of the scheduled drift job. */
export const DriftJobEnvironment = {
  /** The capture bucket; the job reads `captures/` and `feedback/` of its models only. */
  captureBucket: 'CAPTURE_BUCKET',
  /**
   * JSON array of the model versions to check: `[{"model", "version", "bucket", "descriptorKey", "descriptorSha256"}]`;
   * each baseline is read from the version's pinned descriptor.
   */
  models: 'DRIFT_MODELS',
  /** Hours of captures compared with the baseline on each run. */
  windowHours: 'DRIFT_WINDOW_HOURS',
  /** PSI thresholds: from `watch` a feature is reported, from `act` the drift event is sent. */
  watchThreshold: 'DRIFT_WATCH_THRESHOLD',
  actThreshold: 'DRIFT_ACT_THRESHOLD',
  /** Fewest captured rows in the window for a verdict; fewer publishes nothing rather than noise. */
  minimumRows: 'DRIFT_MINIMUM_ROWS',
  /** Event bus for `Model Drift Detected`; the account's default bus when unset. */
  eventBusName: 'DRIFT_EVENT_BUS',
  /**
   * Most FeatureDrift series published per model version (each is a paid custom metric); the features past it still
   * count in MaxFeatureDrift.
   */
  featureMetricsLimit: 'DRIFT_FEATURE_METRICS_LIMIT',
} as const;

/** The drift job's metrics, dimensioned by service, model and version (and feature for FeatureDrift). */
export const DriftMetric = {
  /** PSI of one input feature over the window against the baseline (dimension `feature`). */
  featureDrift: 'FeatureDrift',
  /**
   * Largest PSI over the model's input features: the one alarm per model, however many features it has (a model
   * with hundreds of features, like MNIST's pixels, would otherwise need an alarm and a paid metric per feature).
   */
  maxFeatureDrift: 'MaxFeatureDrift',
  /** Largest PSI over the model's outputs. */
  predictionDrift: 'PredictionDrift',
  /** Share of fed-back classification rows whose captured label was right, over the window. */
  modelAccuracy: 'ModelAccuracy',
  /** Mean absolute error of fed-back regression rows over the window. */
  modelError: 'ModelMeanAbsoluteError',
  /** Captured rows the window held. */
  capturedRows: 'CapturedRows',
} as const;

/** The dimension naming the feature of a FeatureDrift datapoint. */
export const FEATURE_DIMENSION = 'feature';

/** The EventBridge event the drift job sends when any feature or output reaches the act threshold. */
export const DRIFT_EVENT = { source: 'model-endpoint', detailType: 'Model Drift Detected' } as const;
