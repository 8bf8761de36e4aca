import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { parseModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { InferenceFunction } from '../../lib/constructs/inference-function';
import { InferenceImageFunction } from '../../lib/constructs/inference-image-function';
import { ModelStore } from '../../lib/constructs/model-store';
import { OnnxRuntimeLayer } from '../../lib/constructs/onnx-runtime-layer';
import { DEMO_MODELS } from '../support/demo-models';
import { FIXTURE_REPOSITORY, fixtureSpec, testApp } from './synth';

// Each construct in a stack of its own, as a user of the constructs would put it in an existing app.

describe('ModelStore on its own', () => {
  it('builds each descriptor from the spec, the manifest beside the model and the artifact, addressed by its sha256', () => {
    const stack = new Stack(testApp(), 'Store');
    const spec = fixtureSpec('penguins', '1');
    const modelPath = path.join(DEMO_MODELS, 'penguins', '1', 'model.onnx');
    const store = new ModelStore(stack, 'ModelStore', {
      models: [{ name: 'penguins', version: '1', modelPath, spec }],
    });
    const artifact = store.artifactOf('penguins', '1');
    const bytes = fs.readFileSync(modelPath);
    const manifest = JSON.parse(fs.readFileSync(path.join(DEMO_MODELS, 'penguins', '1', 'model.json'), 'utf8'));
    expect(parseModelDescriptor(artifact.descriptorJson, 'descriptor')).toEqual({
      format: 1,
      name: 'penguins',
      version: '1',
      platform: 'onnxruntime_onnx',
      inputs: spec.inputs,
      outputs: spec.outputs,
      artifact: { sha256: sha256Hex(bytes), sizeBytes: bytes.length },
      manifest,
    });
    expect(artifact.descriptorSha256).toBe(sha256Hex(artifact.descriptorJson));
    expect(artifact.descriptorKey).toBe(`models/penguins/1/${artifact.descriptorSha256}.json`);
    expect(artifact.key).toBe(`models/penguins/1/${sha256Hex(bytes)}.onnx`);
    Template.fromStack(stack).hasResourceProperties('Custom::CDKBucketDeployment', { Prune: false });
  });

  it('gives a model without model.json an empty manifest', () => {
    const stack = new Stack(testApp(), 'Store');
    const modelPath = path.join(FIXTURE_REPOSITORY, 'beta', '1', 'model.onnx');
    const store = new ModelStore(stack, 'ModelStore', {
      models: [{ name: 'beta', version: '1', modelPath, spec: fixtureSpec('beta', '1') }],
    });
    expect(store.artifactOf('beta', '1').descriptor.manifest).toEqual({});
  });

  it('rejects a spec of another model', () => {
    const stack = new Stack(testApp(), 'Store');
    const modelPath = path.join(FIXTURE_REPOSITORY, 'beta', '1', 'model.onnx');
    expect(
      () =>
        new ModelStore(stack, 'ModelStore', {
          models: [{ name: 'beta', version: '1', modelPath, spec: fixtureSpec('alpha', '2') }],
        }),
    ).toThrow('models[].spec of beta/1 describes alpha/2: pass the spec checkModelsToDeploy returned for this model');
  });
});

describe('model functions on their own', () => {
  const model = {
    modelName: 'alpha',
    modelVersion: '1',
    modelSha256: 'a'.repeat(64),
    modelSizeBytes: 100 * 1024 * 1024,
    descriptorSha256: 'b'.repeat(64),
  };

  it('synthesizes a zip InferenceFunction with its alias, sized 3x the model plus 512 MiB', () => {
    const stack = new Stack(testApp(), 'Zip');
    new InferenceFunction(stack, 'Model', {
      ...model,
      modelSizeBytes: 600 * 1024 * 1024,
      modelBucket: new s3.Bucket(stack, 'Bucket'),
      modelKey: 'models/alpha/1/a.onnx',
      descriptorKey: 'models/alpha/1/b.json',
      layers: [new OnnxRuntimeLayer(stack, 'OnnxRuntime').layer],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', MemorySize: 2312 });
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { Name: 'live' }, 1);
  });

  it('synthesizes an InferenceImageFunction with its alias and no bucket access', () => {
    const stack = new Stack(testApp(), 'Image');
    new InferenceImageFunction(stack, 'Model', {
      ...model,
      modelSizeBytes: 1000 * 1024 * 1024,
      modelPath: path.join(FIXTURE_REPOSITORY, 'alpha', '1', 'model.onnx'),
      descriptorJson: '{}\n',
      onnxRuntimeFiles: new OnnxRuntimeLayer(stack, 'OnnxRuntime').packageFiles,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      MemorySize: 3512,
      Environment: { Variables: Match.objectLike({ MODEL_PATH: '/opt/model/model.onnx' }) },
    });
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { Name: 'live' }, 1);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('s3:');
  });

  it("rejects an image model over Lambda's 10 GB image limit", () => {
    const stack = new Stack(testApp(), 'Image');
    expect(
      () =>
        new InferenceImageFunction(stack, 'Model', {
          ...model,
          modelSizeBytes: 10 * 1024 * 1024 * 1024,
          modelPath: path.join(FIXTURE_REPOSITORY, 'alpha', '1', 'model.onnx'),
          descriptorJson: '{}\n',
          onnxRuntimeFiles: [],
        }),
    ).toThrow("does not fit Lambda's 10 GB container image: use backend sagemaker");
  });
});
