import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { InferenceApi } from '../../lib/constructs/inference-api';
import { InferenceFunction, type InferenceFunctionProps } from '../../lib/constructs/inference-function';
import { InferenceMonitoring } from '../../lib/constructs/inference-monitoring';
import { ModelStore } from '../../lib/constructs/model-store';
import { OnnxRuntimeLayer } from '../../lib/constructs/onnx-runtime-layer';
import { fixtureSpec } from './synth';

// Constructor validation only: each case throws before anything is synthesized.
function freshStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

function functionProps(stack: Stack, overrides: Partial<InferenceFunctionProps>): InferenceFunctionProps {
  return {
    modelName: 'alpha',
    modelVersion: '1',
    modelBucket: new s3.Bucket(stack, 'Bucket'),
    modelKey: 'models/alpha/1/x.onnx',
    modelSha256: 'a'.repeat(64),
    modelSizeBytes: 1024,
    descriptorKey: 'models/alpha/1/y.json',
    descriptorSha256: 'b'.repeat(64),
    ...overrides,
  };
}

describe('InferenceFunction', () => {
  it.each<[string, Partial<InferenceFunctionProps>, string]>([
    ['a timeout at the API limit', { timeout: Duration.seconds(29) }, 'timeout (29 s) must be below 29 s'],
    [
      'a minimum above the maximum',
      { minProvisionedConcurrency: 5, maxProvisionedConcurrency: 2 },
      'minProvisionedConcurrency (5) must not exceed maxProvisionedConcurrency (2)',
    ],
    [
      'a maximum alone',
      { maxProvisionedConcurrency: 2 },
      'maxProvisionedConcurrency (2) needs minProvisionedConcurrency',
    ],
    [
      'reserved below provisioned',
      { minProvisionedConcurrency: 3, reservedConcurrentExecutions: 2 },
      'reservedConcurrentExecutions (2) is below the provisioned concurrency (3)',
    ],
    ['a utilisation target outside 0.1-0.9', { provisionedUtilizationTarget: 1 }, 'provisionedUtilizationTarget (1)'],
    ['memory over Lambda limits', { memorySizeMiB: 20_000 }, 'memorySizeMiB (20000) must be between 128 and 10240'],
    ['a digest that is not sha256 hex', { modelSha256: 'abc' }, 'modelSha256 ("abc") is not a lowercase hex sha256'],
    ['a bad model name', { modelName: 'Alpha' }, 'modelName ("Alpha") is not a valid model name'],
    ['a missing handler entry', { entry: '/nonexistent/handler.ts' }, 'entry (/nonexistent/handler.ts) does not exist'],
  ])('rejects %s', (_what, overrides, message) => {
    const stack = freshStack();
    expect(() => new InferenceFunction(stack, 'Model', functionProps(stack, overrides))).toThrow(message);
  });
});

describe('InferenceApi', () => {
  const handler = (stack: Stack) =>
    lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-west-1:123456789012:function:alpha:live');

  it('rejects an empty model list', () => {
    expect(() => new InferenceApi(freshStack(), 'Api', { models: [] })).toThrow('models is empty');
  });

  it('rejects a quota without API keys', () => {
    const stack = freshStack();
    expect(
      () =>
        new InferenceApi(stack, 'Api', {
          models: [{ modelName: 'alpha', handler: handler(stack) }],
          auth: 'iam',
          quotaRequestsPerDay: 100,
        }),
    ).toThrow('quotaRequestsPerDay (100) needs auth "apiKey"');
  });

  it('rejects a model routed twice', () => {
    const stack = freshStack();
    const fn = handler(stack);
    expect(
      () =>
        new InferenceApi(stack, 'Api', {
          models: [
            { modelName: 'alpha', handler: fn },
            { modelName: 'alpha', handler: fn },
          ],
        }),
    ).toThrow('models lists alpha twice');
  });
});

describe('InferenceMonitoring and ModelStore', () => {
  it('rejects an error-rate threshold that is not a share', () => {
    const stack = freshStack();
    const api = new InferenceApi(stack, 'Api', {
      models: [
        {
          modelName: 'alpha',
          handler: lambda.Function.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:eu-west-1:123456789012:function:a'),
        },
      ],
    });
    expect(
      () => new InferenceMonitoring(stack, 'Monitoring', { api: api.api, models: [], serverErrorRateThreshold: 5 }),
    ).toThrow('serverErrorRateThreshold (5) must be between 0 and 1');
  });

  it('rejects a model file that does not exist', () => {
    expect(
      () =>
        new ModelStore(freshStack(), 'Store', {
          models: [
            { name: 'alpha', version: '1', modelPath: '/nonexistent/model.onnx', spec: fixtureSpec('alpha', '1') },
          ],
        }),
    ).toThrow('models[].modelPath (/nonexistent/model.onnx) of alpha does not exist');
  });

  it('rejects a folder that is not onnxruntime-node', () => {
    expect(() => new OnnxRuntimeLayer(freshStack(), 'Ort', { onnxRuntimeNodeDir: __dirname })).toThrow(
      'onnxRuntimeNodeDir: cannot read',
    );
  });

  it('rejects an onnxruntime-node older than 1.30, which crashed on Lambda arm64', () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'onnxruntime-node-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.29.9' }));
      expect(() => new OnnxRuntimeLayer(freshStack(), 'Ort', { onnxRuntimeNodeDir: dir })).toThrow(
        /holds onnxruntime-node 1\.29\.9, older than 1\.30.*install onnxruntime-node 1\.30 or later/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
