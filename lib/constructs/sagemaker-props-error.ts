import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The branded literal type of a ValidationError's name; aws-cdk-lib does not export its `lit` helper. */
type ErrorName = ConstructorParameters<typeof ValidationError>[0];

/**
 * A CDK ValidationError for a bad construct prop, attached to the construct that received it, so synth reports the
 * construct path next to a message that names the prop, the value and the fix.
 */
export function propsError(scope: IConstruct, message: string): ValidationError {
  return new ValidationError('SageMakerBackendProps' as ErrorName, message, scope);
}
