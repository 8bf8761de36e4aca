import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag AwsSolutions finding on the construct it concerns, with a reason a reviewer can check in
 * the synthesized template. Each SageMaker construct acknowledges its own findings, so it is clean on its own.
 */
export function acknowledgeFinding(scope: IConstruct, rule: string, reason: readonly string[]): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason: reason.join(' ') });
}
