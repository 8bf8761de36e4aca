import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildModelDescriptor, serializeModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { SageMakerBackend, type SageMakerBackendProps } from '../../lib/constructs/sagemaker-backend';
import { parseRollout } from '../../lib/rollout-setting';
import { demoModelFile } from '../support/demo-models';
import { testApp } from './synth';

const MODEL_FILE = demoModelFile('penguins');
const SERVER_ENTRY = path.join(__dirname, '..', 'fixtures', 'sagemaker-container', 'layout-probe.mts');
const descriptor = buildModelDescriptor(
  {
    name: 'penguins',
    version: '1',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  },
  { sha256: sha256Hex(fs.readFileSync(MODEL_FILE)), sizeBytes: fs.statSync(MODEL_FILE).size },
);
const DESCRIPTOR_SHA256 = sha256Hex(serializeModelDescriptor(descriptor));

function backend(props: Partial<SageMakerBackendProps>): { stack: Stack; template: Template } {
  const stack = new Stack(testApp(), 'Backend');
  new SageMakerBackend(stack, 'Penguins', {
    modelName: 'penguins',
    modelVersion: '1',
    descriptor,
    descriptorBucket: s3.Bucket.fromBucketName(stack, 'Models', 'model-bucket'),
    descriptorKey: `models/penguins/1/${DESCRIPTOR_SHA256}.json`,
    descriptorSha256: DESCRIPTOR_SHA256,
    modelFile: MODEL_FILE,
    serverEntry: SERVER_ENTRY,
    ...props,
  });
  return { stack, template: Template.fromStack(stack) };
}

const ROLLBACK_ALARMS = [
  { AlarmName: { Ref: Match.stringLikeRegexp('^PenguinsInferenceErrors') } },
  { AlarmName: { Ref: Match.stringLikeRegexp('^PenguinsEndpoint5xx') } },
  { AlarmName: { Ref: Match.stringLikeRegexp('^PenguinsModelLatencyP99') } },
];

describe('SageMaker deployment guardrails', () => {
  it('shifts a canary share of an instance fleet by default, baking 5 minutes, rolled back by the alarms', () => {
    const { template } = backend({ instanceType: 'ml.c7g.xlarge', initialInstanceCount: 2 });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            WaitIntervalInSeconds: 300,
          },
          MaximumExecutionTimeoutInSeconds: 1800 + 2 * 300,
        },
        AutoRollbackConfiguration: { Alarms: ROLLBACK_ALARMS },
      },
    });
  });

  it('shifts linear steps for a linear rollout', () => {
    const { template } = backend({
      instanceType: 'ml.c7g.xlarge',
      initialInstanceCount: 4,
      rollout: parseRollout({ type: 'linear', percent: 25, intervalMinutes: 10 }, 'rollout'),
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
            WaitIntervalInSeconds: 600,
          },
          MaximumExecutionTimeoutInSeconds: 1800 + 4 * 600,
        },
      },
    });
  });

  it('shifts all at once for AllAtOnce, still rolled back by the alarms', () => {
    const { template } = backend({ instanceType: 'ml.c7g.xlarge', rollout: parseRollout('AllAtOnce', 'rollout') });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 } },
        AutoRollbackConfiguration: { Alarms: ROLLBACK_ALARMS },
      },
    });
  });

  it('warns and bakes all at once on a one-instance fleet, which cannot hold a smaller canary', () => {
    const { stack, template } = backend({ instanceType: 'ml.c7g.xlarge' });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 } },
      },
    });
    Annotations.fromStack(stack).hasWarning(
      '/Backend/Penguins',
      Match.stringLikeRegexp('needs a fleet of at least 2 instances.*Set initialInstanceCount to 2 or more'),
    );
  });

  it('leaves a serverless endpoint on SageMaker’s default update and says so at synth', () => {
    const { stack, template } = backend({});
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: Match.absent() });
    Annotations.fromStack(stack).hasInfo(
      '/Backend/Penguins',
      Match.stringLikeRegexp('serverless SageMaker endpoint updates blue/green all at once'),
    );
  });

  it('says at synth that an existing endpoint keeps its own update policy', () => {
    const stack = new Stack(testApp(), 'Existing');
    new SageMakerBackend(stack, 'Penguins', {
      modelName: 'penguins',
      modelVersion: '1',
      descriptor,
      descriptorBucket: s3.Bucket.fromBucketName(stack, 'Models', 'model-bucket'),
      descriptorKey: `models/penguins/1/${DESCRIPTOR_SHA256}.json`,
      descriptorSha256: DESCRIPTOR_SHA256,
      existingEndpointName: 'team-triton',
    });
    Annotations.fromStack(stack).hasInfo(
      '/Existing/Penguins',
      Match.stringLikeRegexp('endpoint team-triton is not this stack.s.*the rollout setting does not apply'),
    );
  });

  it.each([
    [
      { type: 'canary', percent: 10, intervalMinutes: 90 },
      'a SageMaker endpoint bakes each step for at most 60 minutes: use an intervalMinutes of 60 or less',
    ],
    [
      { type: 'canary', percent: 60, intervalMinutes: 5 },
      'a SageMaker canary is at most 50 % of the new fleet: lower percent to 50 or less',
    ],
  ])('rejects %j, which SageMaker cannot run', (setting, message) => {
    expect(() =>
      backend({
        instanceType: 'ml.c7g.xlarge',
        initialInstanceCount: 2,
        rollout: parseRollout(setting, 'rollout'),
      }),
    ).toThrow(message);
  });
});
