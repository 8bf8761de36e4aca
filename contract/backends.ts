/**
 * Where a served model runs. Every backend serves the same HTTP contract behind the same API; they differ in how big
 * a model they take and how they scale.
 * - `lambda`: a zip function that downloads the model from S3 during init (small models, spiky traffic).
 * - `lambda-image`: a container-image function with the model inside the image (big models, up to Lambda's 10 GB
 *   image and 10,240 MB memory).
 * - `sagemaker`: a SageMaker endpoint running this project's runtime as a container, reached through a thin forwarder
 *   function (the biggest models, steady traffic, later GPUs).
 */
export const BACKENDS = ['lambda', 'lambda-image', 'sagemaker'] as const;
export type Backend = (typeof BACKENDS)[number];

/** A backend, or `auto`: chosen at synth from the model's size and settings (see lib/backend-choice.ts). */
export type BackendChoice = Backend | 'auto';
