import * as fs from 'node:fs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { repositoryWithBaseline } from './baseline-repository';
import { repositoryWithGoldenSet } from './golden-repository';
import { buildStack } from './synth';

// A model with a golden set gets a pre-traffic hook: its own function, role and log group.
const GOLDEN_REPOSITORY = repositoryWithGoldenSet();
afterAll(() => fs.rmSync(GOLDEN_REPOSITORY, { recursive: true, force: true }));
// A model with a baseline and capture on gets the capture bucket, its writer and the drift job.
const BASELINE_REPOSITORY = repositoryWithBaseline();
afterAll(() => fs.rmSync(BASELINE_REPOSITORY, { recursive: true, force: true }));

// bin/ registers the cdk-nag AwsSolutions plugin on every synth; any unacknowledged finding makes synth throw with
// the list of findings, so each configuration that changes the resource set is checked here.
describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the defaults', {}],
    ['auth iam with WAF off', { auth: 'iam', waf: false }],
    ['auth cognito', { auth: 'cognito' }],
    ['every model on backend lambda-image', { backend: 'lambda-image' }],
    ['one model per Lambda backend', { models: { alpha: { backend: 'lambda' }, beta: { backend: 'lambda-image' } } }],
    [
      'a model on a serverless SageMaker endpoint beside a zip model',
      { models: { alpha: { backend: 'sagemaker' }, beta: { backend: 'lambda' } } },
    ],
    [
      'a model on autoscaled SageMaker instances',
      {
        models: { alpha: { backend: 'sagemaker', sagemaker: { instanceType: 'ml.c7g.xlarge', maxInstanceCount: 4 } } },
      },
    ],
    [
      'a model forwarded to an existing SageMaker endpoint',
      { models: { alpha: { backend: 'sagemaker', sagemaker: { existingEndpointName: 'team-triton' } } } },
    ],
    [
      'provisioned concurrency and an alarm email',
      {
        models: { alpha: { minProvisionedConcurrency: 1, maxProvisionedConcurrency: 3, reservedConcurrency: 5 } },
        alarmEmail: 'team@example.com',
      },
    ],
    [
      'a golden-set pre-traffic hook and a custom canary rollout',
      {
        modelsDir: GOLDEN_REPOSITORY,
        models: { alpha: { rollout: { type: 'canary', percent: 20, intervalMinutes: 15 } }, beta: {} },
      },
    ],
    [
      'a golden-set hook on a lambda-image model with provisioned concurrency',
      {
        modelsDir: GOLDEN_REPOSITORY,
        models: { alpha: { backend: 'lambda-image', minProvisionedConcurrency: 1, maxProvisionedConcurrency: 2 } },
      },
    ],
    [
      'a canary on SageMaker instances',
      {
        models: {
          alpha: { backend: 'sagemaker', sagemaker: { instanceType: 'ml.c7g.xlarge', initialInstanceCount: 2 } },
        },
      },
    ],
    [
      'capture on two models, one compared by the drift job',
      {
        modelsDir: BASELINE_REPOSITORY,
        models: { alpha: { capture: { hashFields: ['f1'] } }, beta: { backend: 'lambda-image', capture: {} } },
      },
    ],
    [
      'capture on a SageMaker model compared by the drift job',
      { modelsDir: BASELINE_REPOSITORY, models: { alpha: { backend: 'sagemaker', capture: {} } } },
    ],
  ])('reports no unacknowledged finding for %s', (_what, raw) => {
    const { app } = buildStack(raw, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const { app, stack } = buildStack({}, { nag: true });
    new Bucket(stack, 'Unlogged');
    expect(() => app.synth()).toThrow('AwsSolutions-S1');
  });
});
