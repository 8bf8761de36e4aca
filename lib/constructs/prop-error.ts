import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** aws-cdk-lib brands error names as literal strings; these constructs use one name for every prop error. */
const NAME = 'ModelEndpointPropError' as ConstructorParameters<typeof ValidationError>[0];

/**
 * A prop that fails a construct's rules, as aws-cdk-lib's own ValidationError: it carries the path of the construct
 * that rejected it, so bin/ (and any CDK app using these constructs) shows where the mistake is, not only what.
 */
export function propError(scope: IConstruct, message: string): Error {
  return new ValidationError(NAME, message, scope);
}
