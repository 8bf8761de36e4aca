import * as fs from 'node:fs';
import * as path from 'node:path';
import { type App, Errors, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Backend, BackendChoice } from '../../contract/backends';
import { ModelEnvironment } from '../../contract/environment';
import { buildModelDescriptor, serializeModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { LAMBDA_MAX_MODEL_BYTES, ZIP_MAX_MODEL_BYTES } from '../../lib/backend-choice';
import { InferenceMonitoring } from '../../lib/constructs/inference-monitoring';
import type { ModelArtifact } from '../../lib/constructs/model-store';
import { OnnxRuntimeLayer } from '../../lib/constructs/onnx-runtime-layer';
import { SageMakerBackend } from '../../lib/constructs/sagemaker-backend';
import { ServedModel, type ServedModelProps } from '../../lib/constructs/served-model';
import { FIXTURE_REPOSITORY, fixtureSpec, testApp } from './synth';

/**
 * The artifact ModelStore would give for the fixture alpha/1, optionally claiming another size (in the artifact and
 * its descriptor): `auto` and the memory rules read the size only, so a boundary needs no gigabyte file.
 */
function fixtureArtifact(sizeBytes?: number): ModelArtifact {
  const modelPath = path.join(FIXTURE_REPOSITORY, 'alpha', '1', 'model.onnx');
  const bytes = fs.readFileSync(modelPath);
  const sha256 = sha256Hex(bytes);
  const claimedSize = sizeBytes ?? bytes.length;
  const descriptor = buildModelDescriptor(fixtureSpec('alpha', '1'), { sha256, sizeBytes: claimedSize });
  const descriptorJson = serializeModelDescriptor(descriptor);
  const descriptorSha256 = sha256Hex(descriptorJson);
  return {
    name: 'alpha',
    version: '1',
    modelPath,
    key: `models/alpha/1/${sha256}.onnx`,
    sha256,
    sizeBytes: claimedSize,
    descriptor,
    descriptorJson,
    descriptorKey: `models/alpha/1/${descriptorSha256}.json`,
    descriptorSha256,
  };
}

/** A stack holding one ServedModel and only what it needs: an imported bucket and the ONNX Runtime layer. */
function bareServedModel(
  backend: BackendChoice | undefined,
  overrides: Partial<ServedModelProps> = {},
  app: App = testApp(),
): { stack: Stack; model: ServedModel } {
  const stack = new Stack(app, 'Bare');
  const model = new ServedModel(stack, 'Alpha', {
    artifact: fixtureArtifact(),
    modelBucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'model-bucket'),
    onnxRuntime: new OnnxRuntimeLayer(stack, 'OnnxRuntime'),
    ...(backend === undefined ? {} : { backend }),
    ...overrides,
  });
  return { stack, model };
}

function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

function functionOf(template: Template): Record<string, unknown> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(functions).toHaveLength(1);
  return (functions[0] as { Properties: Record<string, unknown> }).Properties;
}

describe('ServedModel on its own', () => {
  it('serves backend lambda from a zip function that reads its model and descriptor from the bucket', () => {
    const { stack, model } = bareServedModel('lambda');
    const template = Template.fromStack(stack);
    const artifact = fixtureArtifact();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Layers: [{ Ref: Match.stringLikeRegexp('^OnnxRuntimeLayer') }],
      MemorySize: 1769,
      Environment: {
        Variables: Match.objectLike({
          [ModelEnvironment.bucket]: 'model-bucket',
          [ModelEnvironment.key]: artifact.key,
          [ModelEnvironment.sha256]: artifact.sha256,
          [ModelEnvironment.descriptorKey]: artifact.descriptorKey,
          [ModelEnvironment.descriptorSha256]: artifact.descriptorSha256,
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::model-bucket/${artifact.key}`]] },
              {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::model-bucket/${artifact.descriptorKey}`]],
              },
            ]),
          }),
        ]),
      },
    });
    expect(model.backend).toBe('lambda');
    expect(model.target).toMatchObject({ modelName: 'alpha', modelVersion: '1', handler: model.alias });
    expect(model.target.alarms.map((alarm) => alarm.node.id)).toEqual([
      'Errors',
      'InferenceErrors',
      'Throttles',
      'NewVersionErrors',
      'NewVersionInferenceErrors',
      'NewVersionLatencyP99',
    ]);
    expect(model.target.dashboardWidgets.length).toBeGreaterThan(1);
  });

  it('serves backend lambda-image from an arm64 container image that holds the model, reading no bucket', () => {
    const { stack } = bareServedModel('lambda-image');
    const template = Template.fromStack(stack);
    const artifact = fixtureArtifact();
    const fn = functionOf(template);
    expect(fn).toMatchObject({
      PackageType: 'Image',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Environment: {
        Variables: {
          [ModelEnvironment.name]: 'alpha',
          [ModelEnvironment.version]: '1',
          [ModelEnvironment.modelPath]: '/opt/model/model.onnx',
          [ModelEnvironment.sha256]: artifact.sha256,
          [ModelEnvironment.descriptorSha256]: artifact.descriptorSha256,
          POWERTOOLS_SERVICE_NAME: 'model-endpoint',
          POWERTOOLS_METRICS_NAMESPACE: 'ModelEndpoint',
        },
      },
      TracingConfig: { Mode: 'Active' },
      Timeout: 20,
    });
    expect(fn.Runtime).toBeUndefined();
    expect(fn.Layers).toBeUndefined();
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).not.toContain('s3:');
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { Name: 'live' }, 1);
  });

  it('builds the image for linux/arm64 from the repository Dockerfile, staged at synth without a Docker engine', () => {
    const app = testApp();
    bareServedModel('lambda-image', {}, app);
    const assembly = app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Bare.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source.platform).toBe('linux/arm64');
    const context = path.join(assembly.directory, images[0]?.source.directory ?? '');
    expect(fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8')).toContain('FROM public.ecr.aws/lambda/nodejs:24');
  });

  it.each<[string, number, Backend]>([
    ['at the zip budget', ZIP_MAX_MODEL_BYTES, 'lambda'],
    ['one byte over the zip budget', ZIP_MAX_MODEL_BYTES + 1, 'lambda-image'],
  ])('lets auto choose by size %s, and says why at synth', (_what, sizeBytes, backend) => {
    const { stack, model } = bareServedModel(undefined, { artifact: fixtureArtifact(sizeBytes) });
    expect(model.backend).toBe(backend);
    const fn = functionOf(Template.fromStack(stack));
    expect(fn.PackageType === 'Image').toBe(backend === 'lambda-image');
    Annotations.fromStack(stack).hasInfo(
      '/Bare/Alpha',
      Match.stringLikeRegexp(`^model alpha version 1: auto chose ${backend}: .* \\(auto: lambda up to 320\\.0 MiB`),
    );
  });

  it('gives an image model 3x its size plus 512 MiB of memory', () => {
    const { stack } = bareServedModel('lambda-image', { artifact: fixtureArtifact(1000 * 1024 * 1024) });
    expect(functionOf(Template.fromStack(stack)).MemorySize).toBe(3512);
  });

  it('warns when backend lambda is set for a model over the zip init budget', () => {
    const { stack } = bareServedModel('lambda', { artifact: fixtureArtifact(ZIP_MAX_MODEL_BYTES * 2) });
    // Synth prints its validation report, warnings included, on stderr: that report is what `cdk synth` shows.
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    Annotations.fromStack(stack).hasWarning(
      '/Bare/Alpha',
      Match.stringLikeRegexp("about 16 s of a zip function's init.*use backend lambda-image"),
    );
    expect(report.mock.calls.flat().join('\n')).toContain('use backend lambda-image (or auto)');
    report.mockRestore();
  });

  it.each<[string, BackendChoice, string]>([
    [
      'an image model that needs more than 10,240 MiB',
      'lambda-image',
      "model alpha (3242.7 MiB) needs 10241 MiB of memory (3x the model + 512 MiB), over Lambda's 10240 MiB: use backend sagemaker for this model",
    ],
    [
      'a zip model that needs more than 10,240 MiB',
      'lambda',
      "needs 10241 MiB of memory (3x the model + 512 MiB), over Lambda's 10240 MiB: use backend sagemaker",
    ],
  ])('fails synth for %s, never clamping the memory', (_what, backend, message) => {
    const error = thrownBy(() => bareServedModel(backend, { artifact: fixtureArtifact(LAMBDA_MAX_MODEL_BYTES + 1) }));
    expect(error.message).toContain(message);
    // aws-cdk-lib's own ValidationError, scoped to the construct that owns the memory setting.
    expect(Errors.isValidationError(error)).toBe(true);
    expect((error as { constructPath?: string }).constructPath).toBe('Bare/Alpha/Default');
  });

  it('serves backend sagemaker from an endpoint behind a forwarder that runs no ONNX Runtime', () => {
    const { stack, model } = bareServedModel('sagemaker');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::Model', 1);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    const fn = functionOf(template);
    const artifact = fixtureArtifact();
    const backend = model.target as SageMakerBackend;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: expect.objectContaining({
          [ModelEnvironment.name]: 'alpha',
          [ModelEnvironment.sagemakerEndpoint]: backend.endpointName,
          [ModelEnvironment.descriptorKey]: artifact.descriptorKey,
          [ModelEnvironment.descriptorSha256]: artifact.descriptorSha256,
        }),
      },
    });
    expect(fn.Layers).toBeUndefined();
    expect(backend).toBeInstanceOf(SageMakerBackend);
    expect(backend.endpointName).toMatch(/^bare-alpha-endpoint-/);
    expect(model.target.handler).toBe(model.alias);
    expect(model.alias.aliasName).toBe('live');
    expect(model.target.alarms.map((alarm) => alarm.node.id)).toEqual([
      'Errors',
      'Throttles',
      'InferenceErrors',
      'Endpoint5xx',
      'ModelLatencyP99',
    ]);
  });

  it('lets auto choose sagemaker one byte over what a Lambda function holds, served from the instance type set', () => {
    const { stack, model } = bareServedModel(undefined, {
      artifact: fixtureArtifact(LAMBDA_MAX_MODEL_BYTES + 1),
      sagemaker: { instanceType: 'ml.r7g.xlarge' },
    });
    expect(model.backend).toBe('sagemaker');
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.r7g.xlarge', InitialInstanceCount: 1 })],
    });
    Annotations.fromStack(stack).hasInfo(
      '/Bare/Alpha',
      Match.stringLikeRegexp(
        "^model alpha version 1: auto chose sagemaker: 3242\\.7 MiB needs more than Lambda's 10240 MiB and a serverless endpoint's 6144 MB, so it runs on the instance type",
      ),
    );
  });

  it('fails synth when auto chooses sagemaker for a model no serverless endpoint holds, naming instanceType', () => {
    const error = thrownBy(() => bareServedModel(undefined, { artifact: fixtureArtifact(LAMBDA_MAX_MODEL_BYTES + 1) }));
    expect(error.message).toContain("over serverless' 6144 MB: set instanceType");
    expect((error as { constructPath?: string }).constructPath).toBe('Bare/Alpha/Default/Endpoint');
  });

  it('forwards to an existing endpoint: no endpoint resources, and InvokeEndpoint on that endpoint only', () => {
    const { stack } = bareServedModel('sagemaker', { sagemaker: { existingEndpointName: 'Team-Triton' } });
    const template = Template.fromStack(stack);
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      template.resourceCountIs(type, 0);
    }
    expect(template.findResources('AWS::ECR::Repository')).toEqual({});
    expect(functionOf(template).Environment).toMatchObject({
      Variables: { [ModelEnvironment.sagemakerEndpoint]: 'Team-Triton' },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const invokes = statements.filter((statement) => JSON.stringify(statement.Action).includes('sagemaker:'));
    expect(invokes).toEqual([
      expect.objectContaining({
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
              ':endpoint/team-triton',
            ],
          ],
        },
      }),
    ]);
  });

  it('refuses the settings of one backend on a model another backend serves, naming the backend chosen', () => {
    expect(() => bareServedModel(undefined, { sagemaker: { maxConcurrency: 5 } })).toThrow(
      'model alpha: sagemaker ({"maxConcurrency":5}) sizes a SageMaker endpoint, but the model runs on lambda (auto chose lambda',
    );
    expect(() => bareServedModel('sagemaker', { memorySizeMiB: 2048, minProvisionedConcurrency: 1 })).toThrow(
      'model alpha: memorySizeMiB, minProvisionedConcurrency tune a Lambda function that runs the model, but the model runs on sagemaker',
    );
  });

  it.each<[Backend, Partial<ServedModelProps>]>([
    ['lambda', {}],
    ['lambda-image', {}],
    ['sagemaker', {}],
    ['sagemaker', { sagemaker: { instanceType: 'ml.c7g.xlarge', maxInstanceCount: 3 } }],
    ['sagemaker', { sagemaker: { existingEndpointName: 'team-triton' } }],
  ])('reports no unacknowledged cdk-nag finding for backend %s %j', (backend, overrides) => {
    const app = testApp();
    bareServedModel(backend, overrides, app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('InferenceMonitoring on its own', () => {
  it("notifies its topic from every model's alarms and puts each model's row on the dashboard", () => {
    const { stack, model } = bareServedModel('lambda');
    const api = new apigw.RestApi(stack, 'Api');
    api.root.addMethod('GET');
    const monitoring = new InferenceMonitoring(stack, 'Monitoring', { api, models: [model.target] });
    const template = Template.fromStack(stack);
    expect(monitoring.alarms).toHaveLength(2 + 3 + 3);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
    });
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('## Model alpha (version 1, live alias, backend lambda)');
  });
});
