import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Backend } from '../../contract/backends';
import { ShadowEnvironment } from '../../contract/environment';
import { buildModelDescriptor, serializeModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { InferenceImageFunction } from '../../lib/constructs/inference-image-function';
import type { ModelArtifact } from '../../lib/constructs/model-store';
import { OnnxRuntimeLayer } from '../../lib/constructs/onnx-runtime-layer';
import { ServedModel } from '../../lib/constructs/served-model';
import { FIXTURE_REPOSITORY, fixtureSpec, testApp } from './synth';

/** The artifact ModelStore would give for a version of the fixture model alpha (1 and 2 exist). */
function alphaArtifact(version: string): ModelArtifact {
  const modelPath = path.join(FIXTURE_REPOSITORY, 'alpha', version, 'model.onnx');
  const bytes = fs.readFileSync(modelPath);
  const sha256 = sha256Hex(bytes);
  const descriptor = buildModelDescriptor(fixtureSpec('alpha', version), { sha256, sizeBytes: bytes.length });
  const descriptorJson = serializeModelDescriptor(descriptor);
  const descriptorSha256 = sha256Hex(descriptorJson);
  return {
    name: 'alpha',
    version,
    modelPath,
    key: `models/alpha/${version}/${sha256}.onnx`,
    sha256,
    sizeBytes: bytes.length,
    descriptor,
    descriptorJson,
    descriptorKey: `models/alpha/${version}/${descriptorSha256}.json`,
    descriptorSha256,
  };
}

function servedWithShadow(
  backend: Backend,
  shadow = { artifact: alphaArtifact('2'), sampleRate: 0.05 },
  options: { readonly minProvisionedConcurrency?: number } = {},
) {
  const app = testApp();
  const stack = new Stack(app, 'Bare');
  const model = new ServedModel(stack, 'Alpha', {
    artifact: alphaArtifact('1'),
    modelBucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'model-bucket'),
    onnxRuntime: new OnnxRuntimeLayer(stack, 'OnnxRuntime'),
    backend,
    ...options,
    shadow,
  });
  return { app, stack, model };
}

describe('ServedModel with a shadow candidate', () => {
  it('builds the candidate with the live backend construct, without the provisioned concurrency', () => {
    const { app, stack, model } = servedWithShadow('lambda-image', undefined, { minProvisionedConcurrency: 2 });
    expect(model.shadow?.candidate).toBeInstanceOf(InferenceImageFunction);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 1);
    template.hasResourceProperties('AWS::Lambda::Alias', {
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { ProvisionedConcurrencyConfig: Match.anyValue() }, 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Environment: { Variables: Match.objectLike({ MODEL_VERSION: '1', [ShadowEnvironment.sampleRate]: '0.05' }) },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it("adds the shadow row to the model's dashboard widgets", () => {
    const { model } = servedWithShadow('lambda');
    const markdown = model.target.dashboardWidgets.map((widget) => JSON.stringify(widget.toJson()));
    expect(markdown.some((json) => json.includes('Shadow: model alpha candidate version 2 vs live version 1'))).toBe(
      true,
    );
  });

  it('fails for a model on sagemaker, naming the backends that can shadow', () => {
    expect(() => servedWithShadow('sagemaker')).toThrow(
      /shadow testing needs a model that runs in a Lambda function \(backend lambda or lambda-image\)/,
    );
  });

  it.each([
    [
      'a candidate that is the live version',
      { artifact: alphaArtifact('1'), sampleRate: 0.05 },
      /must be another version of model alpha than the live 1/,
    ],
    [
      'a sample rate of 0',
      { artifact: alphaArtifact('2'), sampleRate: 0 },
      /sampleRate \(0\) must be greater than 0 and at most 1/,
    ],
    [
      'a sample rate above 1',
      { artifact: alphaArtifact('2'), sampleRate: 1.5 },
      /sampleRate \(1.5\) must be greater than 0 and at most 1/,
    ],
  ])('fails for %s', (_what, shadow, message) => {
    expect(() => servedWithShadow('lambda', shadow)).toThrow(message);
  });
});
