import { type App, Errors, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  instanceArchitecture,
  SageMakerEndpoint,
  type SageMakerEndpointProps,
} from '../../lib/constructs/sagemaker-endpoint';
import { testApp } from './synth';

function endpointStack(
  props: Partial<SageMakerEndpointProps> = {},
  options: { nag?: boolean } = {},
): { app: App; stack: Stack; endpoint: SageMakerEndpoint } {
  const app = testApp();
  const stack = new Stack(app, 'Endpoint');
  const endpoint = new SageMakerEndpoint(stack, 'Penguins', {
    modelName: 'penguins',
    modelVersion: '1',
    imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/images:abc',
    imageRepository: ecr.Repository.fromRepositoryName(stack, 'Images', 'images'),
    ...props,
  });
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, endpoint };
}

describe('SageMakerEndpoint', () => {
  describe('serverless (the default)', () => {
    const { stack, endpoint } = endpointStack({ environment: { MODEL_NAME: 'penguins' } });
    const template = Template.fromStack(stack);

    it('creates one serverless variant with 2048 MB and 10 concurrent invocations', () => {
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: { 'Fn::GetAtt': [Match.anyValue(), 'ModelName'] },
            ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 10 },
            InstanceType: Match.absent(),
          },
        ],
      });
      expect(endpoint.serverless).toBe(true);
      expect(endpoint.architecture).toBe('x86_64');
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
      template.hasResourceProperties('AWS::SageMaker::Endpoint', { RetainAllVariantProperties: Match.absent() });
    });

    it('runs the image with its environment, without network isolation, which serverless does not support', () => {
      template.hasResourceProperties('AWS::SageMaker::Model', {
        PrimaryContainer: {
          Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/images:abc',
          Mode: 'SingleModel',
          Environment: { MODEL_NAME: 'penguins' },
        },
        EnableNetworkIsolation: false,
      });
    });

    it('names the endpoint so that its log group exists first, with retention', () => {
      expect(endpoint.endpointName).toMatch(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
      template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: endpoint.endpointName });
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
        RetentionInDays: 30,
      });
      const endpoints = template.findResources('AWS::SageMaker::Endpoint');
      const logGroupId = stack.getLogicalId(endpoint.logGroup.node.defaultChild as never);
      expect(Object.values(endpoints)[0]?.DependsOn).toContain(logGroupId);
    });

    it('lets the execution role pull the one image repository and write the one log group', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
              Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':repository/images$')])] },
            }),
            Match.objectLike({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
            Match.objectLike({
              Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
            }),
          ]),
        },
      });
      const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
      expect(policies).not.toContain('s3:');
    });

    it("creates the model after the execution role's policy, which the image pull needs", () => {
      const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy'));
      const models = Object.values(template.findResources('AWS::SageMaker::Model'));
      expect(policyId).toBeDefined();
      expect(models[0]?.DependsOn).toEqual([policyId]);
    });
  });

  it('sizes serverless memory from the model: about 3x the file plus 512 MB', () => {
    const { stack } = endpointStack({ modelSizeBytes: 1200 * 1024 * 1024 });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 5120, MaxConcurrency: 10 } })],
    });
  });

  it('keeps provisioned concurrency warm when asked', () => {
    const { stack } = endpointStack({ memorySizeInMB: 4096, maxConcurrency: 20, provisionedConcurrency: 2 });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 4096, MaxConcurrency: 20, ProvisionedConcurrency: 2 } }),
      ],
    });
  });

  describe('on instances with autoscaling', () => {
    const { stack, endpoint } = endpointStack({
      instanceType: 'ml.c7g.xlarge',
      initialInstanceCount: 2,
      maxInstanceCount: 6,
      invocationsPerInstanceTarget: 500,
    });
    const template = Template.fromStack(stack);

    it('creates an instance variant on Graviton, network-isolated', () => {
      template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [
          Match.objectLike({
            InstanceType: 'ml.c7g.xlarge',
            InitialInstanceCount: 2,
            ServerlessConfig: Match.absent(),
          }),
        ],
      });
      template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true });
      expect(endpoint.architecture).toBe('arm64');
    });

    it('scales the variant between the counts on invocations per instance', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'sagemaker',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        ResourceId: `endpoint/${endpoint.endpointName}/variant/AllTraffic`,
        MinCapacity: 2,
        MaxCapacity: 6,
        RoleARN: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              Match.stringLikeRegexp(
                'role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
              ),
            ]),
          ],
        },
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: 500,
        },
      });
      template.hasResourceProperties('AWS::SageMaker::Endpoint', { RetainAllVariantProperties: true });
      const targets = template.findResources('AWS::ApplicationAutoScaling::ScalableTarget');
      const endpointId = stack.getLogicalId(endpoint.endpoint);
      expect(Object.values(targets)[0]?.DependsOn).toContain(endpointId);
    });
  });

  it.each<[string, Partial<SageMakerEndpointProps>]>([
    ['serverless', {}],
    ['instances with autoscaling', { instanceType: 'ml.m5.xlarge', maxInstanceCount: 3 }],
  ])('reports no unacknowledged cdk-nag AwsSolutions finding on its own, %s', (_what, props) => {
    const { app } = endpointStack(props, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it.each([
    ['ml.m5.xlarge', 'x86_64'],
    ['ml.g5.xlarge', 'x86_64'],
    ['ml.c6gn.large', 'arm64'],
    ['ml.r7gd.2xlarge', 'arm64'],
    [undefined, 'x86_64'],
  ])('runs %s on %s', (instanceType, architecture) => {
    expect(instanceArchitecture(instanceType)).toBe(architecture);
  });

  it.each<[string, Partial<SageMakerEndpointProps>, string]>([
    [
      'a memory size SageMaker does not offer',
      { memorySizeInMB: 1536 },
      'memorySizeInMB (1536) is not a serverless memory size: use one of 1024, 2048, 3072, 4096, 5120, 6144',
    ],
    ['concurrency above 200', { maxConcurrency: 500 }, 'maxConcurrency (500) must be a whole number from 1 to 200'],
    [
      'provisioned above the maximum',
      { maxConcurrency: 5, provisionedConcurrency: 6 },
      'provisionedConcurrency (6) must be a whole number from 1 to maxConcurrency (5)',
    ],
    [
      'a model no serverless size holds',
      { modelSizeBytes: 3 * 1024 * 1024 * 1024 },
      "modelSizeBytes (3221225472) needs about 9728 MB to serve, over serverless' 6144 MB: set instanceType",
    ],
    ['instance counts without an instance type', { maxInstanceCount: 3 }, 'maxInstanceCount (3) needs instanceType'],
    [
      'a malformed instance type',
      { instanceType: 'c7g.xlarge' },
      'instanceType ("c7g.xlarge") is not an ML instance type',
    ],
    [
      'serverless settings on instances',
      { instanceType: 'ml.m5.large', memorySizeInMB: 2048 },
      'memorySizeInMB (2048) applies to serverless endpoints only, but instanceType is "ml.m5.large"',
    ],
    [
      'a maximum below the initial count',
      { instanceType: 'ml.m5.large', initialInstanceCount: 3, maxInstanceCount: 2 },
      'maxInstanceCount (2) must be a whole number no lower than initialInstanceCount (3)',
    ],
    [
      'a scaling target without scaling',
      { instanceType: 'ml.m5.large', invocationsPerInstanceTarget: 100 },
      'invocationsPerInstanceTarget (100) only steers autoscaling',
    ],
  ])('rejects %s with a ValidationError naming the prop', (_what, props, message) => {
    let thrown: unknown;
    try {
      endpointStack(props);
    } catch (error) {
      thrown = error;
    }
    expect(Errors.isValidationError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(message);
    expect(Errors.isConstructError(thrown) && thrown.constructPath).toBe('Endpoint/Penguins');
  });
});
