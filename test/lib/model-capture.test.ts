import * as fs from 'node:fs';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { CaptureEnvironment, DriftJobEnvironment } from '../../contract/environment';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { FIXTURE_ACCURACY, repositoryWithBaseline } from './baseline-repository';
import { buildStack } from './synth';

// alpha has a baseline (and a trained accuracy), beta none: both are captured, only alpha is compared.
const REPOSITORY = repositoryWithBaseline();
afterAll(() => fs.rmSync(REPOSITORY, { recursive: true, force: true }));

const { stack } = buildStack({
  modelsDir: REPOSITORY,
  models: { alpha: { capture: { sampleRate: 0.5, dropFields: ['f0'], hashFields: ['f1'] } }, beta: { capture: {} } },
  monitoring: { captureRetentionDays: 30, scheduleHours: 2 },
});
const template = Template.fromStack(stack);

const ref = (construct: IConstruct | undefined) => {
  if (construct === undefined) throw new Error('the construct is missing');
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
};
const capture = (s: ModelEndpointStack) => {
  if (s.capture === undefined) throw new Error('no capture');
  return s.capture;
};
const driftJob = (s: ModelEndpointStack) => {
  if (s.driftJob === undefined) throw new Error('no drift job');
  return s.driftJob;
};
const BUCKET = ref(capture(stack).bucket);
const KEY = ref(capture(stack).key);
const MODEL_BUCKET = ref(stack.modelStore.bucket);
const objects = (bucket: string, pattern: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, pattern]],
});

/** The statements of the one inline policy attached to a role. */
function statementsOf(roleId: string): Record<string, unknown>[] {
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  ) as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }[];
  expect(policies).toHaveLength(1);
  return policies[0]?.Properties.PolicyDocument.Statement ?? [];
}

function environmentOf(id: string): Record<string, unknown> {
  const resource = template.toJSON().Resources[id] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return resource.Properties.Environment.Variables;
}

describe('capture bucket', () => {
  it('is encrypted with its own rotated KMS key, private, SSL only, access-logged and retained', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts captured inference requests and answers',
      EnableKeyRotation: true,
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [KEY, 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: ref(stack.modelStore.accessLogsBucket) },
          LogFilePrefix: 'capture-bucket/',
        },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: BUCKET },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires every captured object after the retention period, and keeps no old versions', () => {
    const bucket = template.toJSON().Resources[BUCKET] as { Properties: Record<string, unknown> };
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'ExpireCaptures', ExpirationInDays: 30, Status: 'Enabled' },
        { Id: 'AbortIncompleteUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' },
      ],
    });
  });

  it('exists only when some model has capture on', () => {
    const plain = buildStack({ modelsDir: REPOSITORY }).stack;
    expect(plain.capture).toBeUndefined();
    expect(plain.driftJob).toBeUndefined();
    Template.fromStack(plain).resourceCountIs('AWS::Events::Rule', 0);
    expect(JSON.stringify(Template.fromStack(plain).toJSON())).not.toContain('CAPTURE_');
  });
});

describe('capture writer', () => {
  it('may put objects under captures/ and feedback/ only, and never read one back', () => {
    const statements = statementsOf(ref(capture(stack).writerRole));
    const s3Statements = statements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: [objects(BUCKET, '/captures/*'), objects(BUCKET, '/feedback/*')],
      },
    ]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [KEY, 'Arn'] },
    });
    expect(JSON.stringify(statements)).not.toMatch(/s3:GetObject|s3:List|s3:Delete|cloudwatch:/);
  });

  it('receives the marked records of each captured model from a subscription filter on its log group', () => {
    const writer = ref(capture(stack).writer);
    for (const served of stack.models) {
      template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
        LogGroupName: { Ref: ref(served.logGroup) },
        FilterPattern: '{ $.modelCapture = 1 }',
        DestinationArn: { 'Fn::GetAtt': [writer, 'Arn'] },
      });
    }
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    expect(environmentOf(writer).CAPTURE_BUCKET).toEqual({ Ref: BUCKET });
  });

  it("sets each captured model's policy on its function: rate, dropped and hashed fields, a per-stack salt", () => {
    const [alpha, beta] = stack.models;
    const alphaEnvironment = environmentOf(ref(alpha?.function));
    expect(alphaEnvironment).toMatchObject({
      [CaptureEnvironment.sampleRate]: '0.5',
      [CaptureEnvironment.dropFields]: 'f0',
      [CaptureEnvironment.hashFields]: 'f1',
      [CaptureEnvironment.hashSalt]: { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
    });
    const betaEnvironment = environmentOf(ref(beta?.function));
    expect(betaEnvironment[CaptureEnvironment.sampleRate]).toBe('0.1');
    expect(Object.keys(betaEnvironment)).not.toEqual(expect.arrayContaining([CaptureEnvironment.dropFields]));
    expect(betaEnvironment[CaptureEnvironment.hashSalt]).toBeUndefined();
  });
});

describe('drift job', () => {
  const job = driftJob(stack);
  const JOB_ROLE = ref(job.role);

  it('compares only the captured models with a baseline, and says how to add one for the others', () => {
    expect([...job.monitoring.keys()]).toEqual(['alpha/2']);
    Annotations.fromStack(stack).hasWarning(
      '/ModelEndpoint/Models/beta',
      Match.stringLikeRegexp('model beta version 1 is captured but has no training baseline.*npm run baseline'),
    );
    const environment = environmentOf(ref(job.function));
    const artifact = stack.modelStore.artifactOf('alpha', '2');
    expect(JSON.parse(JSON.stringify(environment[DriftJobEnvironment.models]))).toEqual({
      'Fn::Join': [
        '',
        [
          '[{"model":"alpha","version":"2","bucket":"',
          { Ref: MODEL_BUCKET },
          `","descriptorKey":"${artifact.descriptorKey}","descriptorSha256":"${artifact.descriptorSha256}"}]`,
        ],
      ],
    });
    expect(environment).toMatchObject({
      [DriftJobEnvironment.captureBucket]: { Ref: BUCKET },
      [DriftJobEnvironment.windowHours]: '24',
      [DriftJobEnvironment.watchThreshold]: '0.1',
      [DriftJobEnvironment.actThreshold]: '0.2',
      [DriftJobEnvironment.minimumRows]: '100',
      [DriftJobEnvironment.featureMetricsLimit]: '32',
      POWERTOOLS_SERVICE_NAME: 'model-endpoint',
    });
    expect(environment[DriftJobEnvironment.eventBusName]).toBeUndefined();
  });

  it("reads only its models' capture and feedback prefixes and their descriptor keys, and puts events on one bus", () => {
    const statements = statementsOf(JOB_ROLE);
    const artifact = stack.modelStore.artifactOf('alpha', '2');
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [BUCKET, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['captures/model=alpha/version=2/*', 'feedback/model=alpha/*'] } },
        },
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: [
            objects(BUCKET, '/captures/model=alpha/version=2/*'),
            objects(BUCKET, '/feedback/model=alpha/*'),
            objects(MODEL_BUCKET, `/${artifact.descriptorKey}`),
          ],
        },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [KEY, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':events:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':event-bus/default',
              ],
            ],
          },
        },
      ]),
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat() as string[]);
    expect(actions.filter((action) => !action.startsWith('logs:')).sort()).toEqual([
      'events:PutEvents',
      'kms:Decrypt',
      's3:GetObject',
      's3:ListBucket',
    ]);
    // Its metrics travel as EMF lines in its log group: no CloudWatch permission at all.
    expect(JSON.stringify(statements)).not.toContain('cloudwatch:');
  });

  it('runs on the schedule, without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 hours)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ref(job.function), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
  });

  it('alarms to the alarm topic on feature drift, prediction drift and accuracy below the trained one', () => {
    const topic = { Ref: ref(stack.monitoring.alarmTopic as unknown as IConstruct) };
    const dimensions = [
      { Name: 'model', Value: 'alpha' },
      { Name: 'service', Value: 'model-endpoint' },
      { Name: 'version', Value: '2' },
    ];
    const common = {
      Namespace: 'ModelEndpoint',
      Dimensions: dimensions,
      Period: 7200,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      MetricName: 'MaxFeatureDrift',
      Statistic: 'Maximum',
      Threshold: 0.2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      MetricName: 'PredictionDrift',
      Threshold: 0.2,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      MetricName: 'ModelAccuracy',
      Statistic: 'Minimum',
      Threshold: FIXTURE_ACCURACY - 0.05,
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(
      Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'FeatureDrift' } })),
    ).toEqual([]);
  });

  it("adds the model's drift row to the dashboard, per-feature PSI included", () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('Drift: model alpha version 2 against its training baseline');
    expect(body).toContain('MetricName=\\\\\\"FeatureDrift\\\\\\" model=\\\\\\"alpha\\\\\\"');
  });
});

describe('capture settings on a stack', () => {
  it('outputs the capture bucket name', () => {
    template.hasOutput('CaptureBucketName', { Value: { Ref: BUCKET } });
  });

  it('keeps the stack free of the capture parts without any capture setting', () => {
    const plain: Stack = buildStack({}).stack;
    Template.fromStack(plain).resourceCountIs('AWS::KMS::Key', 1);
  });
});
