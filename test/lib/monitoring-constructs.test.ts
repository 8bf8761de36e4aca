import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DriftJob, type DriftJobProps } from '../../lib/constructs/drift-job';
import { ModelCapture } from '../../lib/constructs/model-capture';
import { withoutBundlingProgress } from '../support/bundling-progress';
import { testApp } from './synth';

// The monitoring constructs in a stack of their own, as a user would add them to an existing app.

function parts() {
  const stack = new Stack(testApp(), 'Monitoring');
  const fn = new lambda.Function(stack, 'Model', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const logGroup = new logs.LogGroup(stack, 'ModelLogs');
  return { stack, fn, logGroup };
}

function driftJobProps(stack: Stack, overrides: Partial<DriftJobProps> = {}): DriftJobProps {
  return {
    models: [
      { modelName: 'penguins', modelVersion: '1', descriptorKey: 'models/penguins/1/a.json', descriptorSha256: 'a' },
    ],
    captureBucket: new s3.Bucket(stack, 'Captures'),
    captureKey: new kms.Key(stack, 'CaptureKey'),
    modelBucket: new s3.Bucket(stack, 'ModelBucket'),
    ...overrides,
  };
}

describe('ModelCapture on its own', () => {
  it('creates its own access log bucket when given none', () => {
    const { stack, fn, logGroup } = parts();
    withoutBundlingProgress(
      () =>
        new ModelCapture(stack, 'Capture', {
          models: [
            {
              modelName: 'penguins',
              function: fn,
              logGroup,
              policy: { sampleRate: 1, dropFields: [], hashFields: [] },
            },
          ],
        }),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Id: 'ExpireCaptures', ExpirationInDays: 90, Status: 'Enabled' }, {}] },
      LoggingConfiguration: { LogFilePrefix: 'capture-bucket/' },
    });
  });

  it.each([
    [{ retentionDays: 0 }, 'retentionDays (0) must be a whole number of days, at least 1, e.g. 90'],
    [{ models: [] }, 'models is empty: give at least one captured model, or create no ModelCapture'],
  ])('rejects %j, naming the prop', (overrides, message) => {
    const { stack, fn, logGroup } = parts();
    const models = [
      { modelName: 'penguins', function: fn, logGroup, policy: { sampleRate: 1, dropFields: [], hashFields: [] } },
    ];
    expect(() => new ModelCapture(stack, 'Capture', { models, ...overrides })).toThrow(message);
  });

  it('rejects a model function it cannot set the capture policy on', () => {
    const { stack, logGroup } = parts();
    const imported = lambda.Function.fromFunctionName(stack, 'Imported', 'somebody-elses');
    expect(
      () =>
        new ModelCapture(stack, 'Capture', {
          models: [
            { modelName: 'x', function: imported, logGroup, policy: { sampleRate: 1, dropFields: [], hashFields: [] } },
          ],
        }),
    ).toThrow("model x: capture needs the model's function to be a lambda.Function");
  });
});

describe('DriftJob on its own', () => {
  it('puts its events on the bus it is given, and names it to the job', () => {
    const { stack } = parts();
    const eventBus = new events.EventBus(stack, 'Retraining');
    withoutBundlingProgress(() => new DriftJob(stack, 'Drift', driftJobProps(stack, { eventBus })));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [stack.getLogicalId(eventBus.node.defaultChild as events.CfnEventBus), 'Arn'] },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: { DRIFT_EVENT_BUS: { Ref: stack.getLogicalId(eventBus.node.defaultChild as events.CfnEventBus) } },
      },
    });
  });

  it.each([
    [{ scheduleHours: 0 }, 'scheduleHours (0) must be a whole number from 1 to 24, e.g. 1'],
    [{ windowHours: 0 }, 'windowHours (0) must be above 0, e.g. 24'],
    [
      { thresholds: { watch: 0.2, act: 0.1 } },
      'thresholds (watch 0.2, act 0.1) must be above 0 with act at least watch',
    ],
    [{ models: [] }, 'models is empty: give at least one model version with a baseline, or create no DriftJob'],
  ])('rejects %j, naming the prop', (overrides, message) => {
    const { stack } = parts();
    expect(() => new DriftJob(stack, 'Drift', driftJobProps(stack, overrides))).toThrow(message);
  });
});
