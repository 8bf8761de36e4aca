import * as fs from 'node:fs';
import * as path from 'node:path';
import { type App, Errors, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  buildModelDescriptor,
  type ModelDescriptor,
  serializeModelDescriptor,
  sha256Hex,
} from '../../contract/model-descriptor';
import type { ModelTarget } from '../../lib/constructs/model-target';
import { SageMakerBackend, type SageMakerBackendProps } from '../../lib/constructs/sagemaker-backend';
import { demoModelFile } from '../support/demo-models';
import { testApp } from './synth';

const MODEL_FILE = demoModelFile('penguins');
const SERVER_ENTRY = path.join(__dirname, '..', 'fixtures', 'sagemaker-container', 'layout-probe.mts');
const descriptor: ModelDescriptor = buildModelDescriptor(
  {
    name: 'penguins',
    version: '1',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  },
  { sha256: sha256Hex(fs.readFileSync(MODEL_FILE)), sizeBytes: fs.statSync(MODEL_FILE).size },
);
const DESCRIPTOR_SHA256 = sha256Hex(serializeModelDescriptor(descriptor));
const DESCRIPTOR_KEY = `models/penguins/1/${DESCRIPTOR_SHA256}.json`;

/** The construct on its own in a bare stack, as a platform engineer would use it. */
function backendStack(
  props: Partial<SageMakerBackendProps> = {},
  options: { nag?: boolean } = {},
): { app: App; stack: Stack; backend: SageMakerBackend } {
  const app = testApp();
  const stack = new Stack(app, 'Backend');
  const creates = props.existingEndpointName === undefined;
  const backend = new SageMakerBackend(stack, 'Penguins', {
    modelName: 'penguins',
    modelVersion: '1',
    descriptor,
    descriptorBucket: s3.Bucket.fromBucketName(stack, 'Models', 'model-bucket'),
    descriptorKey: DESCRIPTOR_KEY,
    descriptorSha256: DESCRIPTOR_SHA256,
    serviceName: 'model-endpoint-test',
    ...(creates ? { modelFile: MODEL_FILE, serverEntry: SERVER_ENTRY } : {}),
    ...props,
  });
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, backend };
}

const VARIANTS: readonly [string, Partial<SageMakerBackendProps>][] = [
  ['serverless', {}],
  ['instances with autoscaling', { instanceType: 'ml.c7g.xlarge', maxInstanceCount: 4 }],
  ['an existing endpoint', { existingEndpointName: 'Triton-Penguins' }],
];

describe('SageMakerBackend', () => {
  describe('serverless (the default)', () => {
    const { stack, backend } = backendStack();
    const template = Template.fromStack(stack);
    const endpointName = backend.endpointName;

    it("is a ModelTarget whose handler is the forwarder's live alias", () => {
      const target: ModelTarget = backend;
      expect(target.handler).toBe(backend.forwarder.alias);
      expect(target.modelName).toBe('penguins');
      expect(target.modelVersion).toBe('1');
      template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    });

    it('runs the image with the model pinned by its sha256 and the descriptor beside it', () => {
      template.hasResourceProperties('AWS::SageMaker::Model', {
        PrimaryContainer: {
          Image: Match.anyValue(),
          Environment: {
            MODEL_NAME: 'penguins',
            MODEL_VERSION: '1',
            MODEL_SHA256: descriptor.artifact.sha256,
            MODEL_DESCRIPTOR_SHA256: DESCRIPTOR_SHA256,
            MODEL_PATH: '/opt/model/model.onnx',
            POWERTOOLS_SERVICE_NAME: 'model-endpoint-test',
            POWERTOOLS_METRICS_NAMESPACE: 'ModelEndpoint',
          },
        },
      });
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 10 } })],
      });
    });

    it('gives the forwarder the endpoint and the descriptor, and no model', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Architectures: ['arm64'],
        Layers: Match.absent(),
        Environment: {
          Variables: Match.objectLike({
            SAGEMAKER_ENDPOINT_NAME: endpointName,
            MODEL_NAME: 'penguins',
            MODEL_VERSION: '1',
            MODEL_BUCKET: 'model-bucket',
            MODEL_DESCRIPTOR_KEY: DESCRIPTOR_KEY,
            MODEL_DESCRIPTOR_SHA256: DESCRIPTOR_SHA256,
            MODEL_KEY: Match.absent(),
          }),
        },
      });
    });

    it('lets the forwarder invoke its one endpoint and read its one descriptor, nothing else', () => {
      const forwarderPolicy = Object.values(template.findResources('AWS::IAM::Policy')).find((policy) =>
        JSON.stringify(policy).includes('sagemaker:InvokeEndpoint'),
      );
      const statements = (forwarderPolicy?.Properties.PolicyDocument.Statement ?? []) as {
        Action: string | string[];
        Resource: unknown;
      }[];
      const invoke = statements.filter((s) => JSON.stringify(s.Action).includes('sagemaker:'));
      expect(invoke).toEqual([
        expect.objectContaining({
          Action: 'sagemaker:InvokeEndpoint',
          Resource: { 'Fn::GetAtt': [stack.getLogicalId(backend.endpoint?.endpoint as never), 'EndpointArn'] },
        }),
      ]);
      const read = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
      expect(read).toEqual([
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::model-bucket/${DESCRIPTOR_KEY}`]] },
        }),
      ]);
    });

    it("alarms on the endpoint by its name and variant, and on the runtime's errors for this version", () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocation5XXErrors',
        Dimensions: Match.arrayEquals([
          { Name: 'EndpointName', Value: endpointName },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ]),
        Statistic: 'Sum',
        Threshold: 1,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        ExtendedStatistic: 'p99',
        // ModelLatency is in microseconds: 3000 ms.
        Threshold: 3_000_000,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ModelEndpoint',
        MetricName: 'InferenceErrors',
        Dimensions: Match.arrayEquals([
          { Name: 'model', Value: 'penguins' },
          { Name: 'service', Value: 'model-endpoint-test' },
          { Name: 'version', Value: '1' },
        ]),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: Match.arrayWith([Match.objectLike({ Name: 'Resource' })]),
      });
      expect(backend.alarms).toHaveLength(5);
      // The monitoring adds the topic: the backend's alarms notify nobody on their own.
      template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    });

    it('gives a dashboard row with the serverless cold starts and no CPU graph', () => {
      const titles = backend.dashboardWidgets.map((widget) => JSON.stringify(widget.toJson()));
      expect(titles.some((json) => json.includes('ModelSetupTime'))).toBe(true);
      expect(titles.some((json) => json.includes('CPUUtilization'))).toBe(false);
      expect(titles.some((json) => json.includes('Invocation4XXErrors'))).toBe(true);
    });
  });

  describe('on instances', () => {
    const { stack, backend } = backendStack({
      instanceType: 'ml.c7g.xlarge',
      initialInstanceCount: 1,
      maxInstanceCount: 4,
      invocationsPerInstanceTarget: 200,
    });
    const template = Template.fromStack(stack);

    it('builds the image for Graviton and scales on invocations per instance', () => {
      expect(backend.image?.architecture).toBe('arm64');
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 200 }),
      });
    });

    it('graphs CPU and memory of the instances from /aws/sagemaker/Endpoints', () => {
      const json = backend.dashboardWidgets.map((widget) => JSON.stringify(widget.toJson())).join('\n');
      expect(json).toContain('/aws/sagemaker/Endpoints');
      expect(json).toContain('CPUUtilization');
      expect(json).toContain('MemoryUtilization');
    });
  });

  describe('with an existing endpoint', () => {
    const { stack, backend } = backendStack({ existingEndpointName: 'Triton-Penguins', existingVariantName: 'Blue' });
    const template = Template.fromStack(stack);

    it('creates nothing but the forwarder, its alarms and its dashboard row', () => {
      template.resourceCountIs('AWS::SageMaker::Model', 0);
      template.resourceCountIs('AWS::SageMaker::EndpointConfig', 0);
      template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      expect(backend.image).toBeUndefined();
    });

    it('lets the forwarder invoke that endpoint by its lowercase ARN', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sagemaker:InvokeEndpoint',
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':sagemaker:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':endpoint/triton-penguins',
                  ],
                ],
              },
            }),
          ]),
        },
      });
    });

    it('alarms on that endpoint and variant', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocation5XXErrors',
        Dimensions: Match.arrayEquals([
          { Name: 'EndpointName', Value: 'Triton-Penguins' },
          { Name: 'VariantName', Value: 'Blue' },
        ]),
      });
    });
  });

  it.each(VARIANTS)('reports no unacknowledged cdk-nag AwsSolutions finding for %s', (_what, props) => {
    const { app } = backendStack(props, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails cdk-nag on a finding nobody acknowledged', () => {
    const { app, stack } = backendStack({}, { nag: true });
    new s3.Bucket(stack, 'Unlogged');
    expect(() => app.synth()).toThrow('AwsSolutions-S1');
  });

  it.each<[string, Partial<SageMakerBackendProps>, string]>([
    [
      'a descriptor of another model',
      { modelName: 'mnist' },
      'descriptor (model penguins version 1) does not describe model mnist version 1',
    ],
    [
      'a descriptor digest that does not match its bytes',
      { descriptorSha256: 'a'.repeat(64) },
      `descriptorSha256 ("${'a'.repeat(64)}") is not the sha256 of the descriptor's canonical bytes (${DESCRIPTOR_SHA256})`,
    ],
    [
      'capacity settings for an existing endpoint',
      { existingEndpointName: 'triton', instanceType: 'ml.m5.large' },
      'instanceType (ml.m5.large) has no effect with existingEndpointName ("triton")',
    ],
    [
      'an endpoint name SageMaker would refuse',
      { existingEndpointName: 'my_endpoint' },
      'existingEndpointName ("my_endpoint") is not a SageMaker endpoint name',
    ],
    [
      'a variant name without an existing endpoint',
      { existingVariantName: 'Blue' },
      'existingVariantName ("Blue") needs existingEndpointName',
    ],
    [
      'a bad serverless memory size, checked by the endpoint',
      { memorySizeInMB: 8192 },
      'memorySizeInMB (8192) is not a serverless memory size',
    ],
  ])('rejects %s with a ValidationError naming the prop', (_what, props, message) => {
    let thrown: unknown;
    try {
      backendStack(props);
    } catch (error) {
      thrown = error;
    }
    expect(Errors.isValidationError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(message);
  });
});
