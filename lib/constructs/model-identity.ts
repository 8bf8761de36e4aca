import type { Construct } from 'constructs';
import { MODEL_NAME_PATTERN, MODEL_VERSION_PATTERN } from '../../contract/model-repository';
import { propError } from './prop-error';

/**
 * Fails with the prop, the value and the fix when a construct is given a model name or version that URLs, S3 keys
 * and the runtime could not carry. Every backend's construct checks the same rules with the same words.
 */
export function validateModelIdentity(
  scope: Construct,
  props: { readonly modelName: string; readonly modelVersion: string },
): void {
  if (!MODEL_NAME_PATTERN.test(props.modelName)) {
    throw propError(
      scope,
      `modelName ("${props.modelName}") is not a valid model name: use lowercase letters, digits, "-", "_"`,
    );
  }
  if (!MODEL_VERSION_PATTERN.test(props.modelVersion)) {
    throw propError(scope, `modelVersion ("${props.modelVersion}") is not a positive integer: use e.g. "1"`);
  }
}
