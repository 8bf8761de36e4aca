import { type CfnElement, DefaultStackSynthesizer, type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { InferenceApi } from './constructs/inference-api';
import type { ModelStore } from './constructs/model-store';

export interface CompliantParts {
  readonly stack: Stack;
  readonly modelStore: ModelStore;
  readonly api: InferenceApi;
}

/**
 * The cdk-nag AwsSolutions findings this design accepts for the stack's shared parts (model store, API), each on the
 * one construct it concerns, with a reason a reviewer can check in the synthesized template. Each served model
 * acknowledges its own (ServedModel). Anything not acknowledged fails `cdk synth`.
 */
export function acknowledgeFindings(parts: CompliantParts): void {
  const { stack, modelStore, api } = parts;

  if (modelStore.uploadRole !== undefined) {
    const qualifier =
      (stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const uploadGrant = [
      'Granted by aws-s3-deployment BucketDeployment to its upload handler (not configurable): read of the CDK',
      'bootstrap asset bucket, and write of the model bucket. prune: false, so the handler never deletes; it runs only',
      'during deployments, invoked by CloudFormation.',
    ];
    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      `Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`,
      `Resource::<${stack.getLogicalId(modelStore.bucket.node.defaultChild as CfnElement)}.Arn>/*`,
    ]) {
      acknowledge(modelStore.uploadRole, `AwsSolutions-IAM5[${finding}]`, uploadGrant);
    }
    for (const child of stack.node.children) {
      if (child.node.id.startsWith('Custom::CDKBucketDeployment')) {
        acknowledge(child, 'AwsSolutions-L1', [
          'The BucketDeployment upload handler is a Python function whose runtime aws-cdk-lib pins',
          '(python3.13 in 2.276) together with its AWS CLI layer; it moves with aws-cdk-lib upgrades and serves',
          'no traffic.',
        ]);
      }
    }
  }

  const cloudWatchRole = api.api.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole !== undefined) {
    acknowledge(
      cloudWatchRole,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      [
        "API Gateway's account-level logging role; AWS maintains this managed policy for exactly this role, and",
        'execution and access logging (APIG1, APIG6) need it.',
      ],
    );
  }

  if (api.auth !== 'cognito') {
    acknowledge(api.api, 'AwsSolutions-COG4', [
      `auth is "${api.auth}" (configurable: auth=cognito adds a Cognito user pool authorizer). Every method still`,
      api.auth === 'iam'
        ? 'has AuthorizationType AWS_IAM (SigV4-signed callers only).'
        : 'has ApiKeyRequired: true and the key is bound to a throttled usage plan.',
    ]);
  }
  if (api.userPoolClient !== undefined && api.userPool !== undefined) {
    acknowledge(api.userPool, 'AwsSolutions-COG8', [
      'The pool created for auth "cognito" is on the Essentials plan: Plus (threat protection) is billed per monthly',
      'active user. The pool is invite-only (AllowAdminCreateUserOnly), requires TOTP MFA (MfaConfiguration ON) and',
      '12-character passwords; pass your own Plus pool as InferenceApi userPool to get threat protection.',
    ]);
  }
  if (api.auth === 'apiKey') {
    acknowledge(api.api, 'AwsSolutions-APIG4', [
      'auth is "apiKey", the default chosen for machine clients (curl, SDKs): every AWS::ApiGateway::Method has',
      'ApiKeyRequired: true, and the key is bound to a usage plan with throttling (and an optional quota). Set',
      'auth=iam or auth=cognito for per-caller authorization.',
    ]);
  }
  if (api.webAcl === undefined) {
    acknowledge(api.api, 'AwsSolutions-APIG3', [
      'WAF is switched off in the deployment config (waf=false); the stage keeps its throttling and, with auth',
      '"apiKey", the usage plan limits.',
    ]);
  }
}

/** Acknowledges one cdk-nag AwsSolutions finding on `scope` and below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: readonly string[]): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::${rule}`, reason: reason.join(' ') });
}
