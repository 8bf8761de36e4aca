import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigurationError, type RawConfig, rawConfigFromContext, resolveDeploymentConfig } from '../../lib/config';
import { FIXTURE_REPOSITORY } from './synth';

const resolve = (raw: RawConfig) => resolveDeploymentConfig({ modelsDir: FIXTURE_REPOSITORY, ...raw }, process.cwd());

describe('deployment config', () => {
  it('deploys every model at its highest version with the documented defaults', () => {
    const config = resolve({});
    expect(config.models.map((model) => [model.name, model.version])).toEqual([
      ['alpha', '2'],
      ['beta', '1'],
    ]);
    expect(config.models[0]?.modelPath).toBe(path.join(FIXTURE_REPOSITORY, 'alpha', '2', 'model.onnx'));
    expect(config).toMatchObject({
      auth: 'apiKey',
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      waf: true,
      wafRequestsPer5MinutesPerIp: 3000,
      logRetentionDays: RetentionDays.ONE_MONTH,
    });
    expect(config.alarmEmail).toBeUndefined();
    expect(config.quotaRequestsPerDay).toBeUndefined();
    expect(config.stage).toBeUndefined();
    expect(config.stackName).toBe('ModelEndpoint');
    expect(config.backend).toBe('auto');
    expect(config.models.map((model) => model.backend)).toEqual(['auto', 'auto']);
  });

  it('gives each model its own backend, else the top-level one', () => {
    const config = resolve({ backend: 'lambda-image', models: { alpha: { backend: 'lambda' }, beta: {} } });
    expect(config.models.map((model) => [model.name, model.backend])).toEqual([
      ['alpha', 'lambda'],
      ['beta', 'lambda-image'],
    ]);
    expect(resolve({ models: '{"alpha": {"backend": "sagemaker"}}' }).models[0]?.backend).toBe('sagemaker');
  });

  it('names the stack after the stage, so stages can share an account and region', () => {
    expect(resolve({ stage: 'staging' })).toMatchObject({ stage: 'staging', stackName: 'ModelEndpoint-staging' });
    expect(resolve({ stage: 'team-a-2' }).stackName).toBe('ModelEndpoint-team-a-2');
  });

  it('resolves a relative modelsDir against the app folder', () => {
    const config = resolveDeploymentConfig({ modelsDir: 'model-repository' }, path.dirname(FIXTURE_REPOSITORY));
    expect(config.modelsDir).toBe(FIXTURE_REPOSITORY);
  });

  it('deploys exactly the listed models with their pinned settings', () => {
    const config = resolve({
      models: {
        alpha: { version: '1', memorySizeMiB: 2048, minProvisionedConcurrency: 1, maxProvisionedConcurrency: 3 },
      },
    });
    expect(config.models).toEqual([
      {
        name: 'alpha',
        version: '1',
        modelPath: path.join(FIXTURE_REPOSITORY, 'alpha', '1', 'model.onnx'),
        backend: 'auto',
        memorySizeMiB: 2048,
        minProvisionedConcurrency: 1,
        maxProvisionedConcurrency: 3,
        rollout: { type: 'canary', percent: 10, intervalMinutes: 5, predefined: 'Canary10Percent5Minutes' },
      },
    ]);
  });

  it("passes a sagemaker model's endpoint settings on as given, leaving their ranges to the endpoint construct", () => {
    const serverless = resolve({
      models: '{"alpha": {"backend": "sagemaker", "sagemaker": {"memorySizeInMB": 4096, "maxConcurrency": 20}}}',
    });
    expect(serverless.models[0]).toMatchObject({
      backend: 'sagemaker',
      sagemaker: { memorySizeInMB: 4096, maxConcurrency: 20 },
    });
    // 3000 is no serverless memory size: SageMakerEndpoint refuses it at synth, with the sizes it accepts.
    expect(resolve({ models: { alpha: { sagemaker: { memorySizeInMB: 3000 } } } }).models[0]?.sagemaker).toEqual({
      memorySizeInMB: 3000,
    });
    const existing = resolve({
      backend: 'sagemaker',
      models: { alpha: { sagemaker: { existingEndpointName: 'team-triton', existingVariantName: 'Blue' } } },
    });
    expect(existing.models[0]?.sagemaker).toEqual({ existingEndpointName: 'team-triton', existingVariantName: 'Blue' });
  });

  it('accepts the strings that `cdk -c key=value` passes', () => {
    const config = resolve({
      models: '{"beta": {"reservedConcurrency": "5"}}',
      waf: 'false',
      throttlingRateLimit: '50',
      logRetentionDays: '90',
      quotaRequestsPerDay: '10000',
      alarmEmail: 'team@example.com',
      auth: 'apiKey',
    });
    expect(config).toMatchObject({
      waf: false,
      throttlingRateLimit: 50,
      logRetentionDays: RetentionDays.THREE_MONTHS,
      quotaRequestsPerDay: 10000,
      alarmEmail: 'team@example.com',
      auth: 'apiKey',
    });
    expect(config.models.map((model) => [model.name, model.reservedConcurrency])).toEqual([['beta', 5]]);
  });

  it.each<[string, RawConfig, string]>([
    [
      'an unknown auth mode',
      { auth: 'oauth' },
      'auth ("oauth") is not a known auth mode: use one of apiKey, iam, cognito',
    ],
    [
      'a minimum above the maximum',
      { models: { alpha: { minProvisionedConcurrency: 5, maxProvisionedConcurrency: 2 } } },
      'models.alpha.minProvisionedConcurrency (5) must not exceed models.alpha.maxProvisionedConcurrency (2)',
    ],
    [
      'a maximum without a minimum',
      { models: { alpha: { maxProvisionedConcurrency: 2 } } },
      'models.alpha.maxProvisionedConcurrency (2) needs models.alpha.minProvisionedConcurrency',
    ],
    [
      'reserved concurrency below provisioned',
      { models: { alpha: { minProvisionedConcurrency: 2, maxProvisionedConcurrency: 8, reservedConcurrency: 4 } } },
      'models.alpha.reservedConcurrency (4) is below the provisioned concurrency (8)',
    ],
    ['a model that is not in the repository', { models: { gamma: {} } }, 'models.gamma names a model that is not in'],
    [
      'a version without a model file',
      { models: { alpha: { version: '7' } } },
      'models.alpha.version ("7") has no model file',
    ],
    ['a version that is not a positive integer', { models: { alpha: { version: '01' } } }, 'is not a positive integer'],
    ['a bad model name', { models: { Alpha: {} } }, 'models.Alpha is not a valid model name'],
    [
      'an unknown backend',
      { backend: 'ec2' },
      'backend ("ec2") is not a backend: use one of lambda, lambda-image, sagemaker, auto',
    ],
    [
      "an unknown model's backend",
      { models: { alpha: { backend: 'Lambda' } } },
      'models.alpha.backend ("Lambda") is not a backend: use one of lambda, lambda-image, sagemaker, auto',
    ],
    ['an unknown model setting', { models: { alpha: { memory: 512 } } }, 'models.alpha.memory is not a model setting'],
    ['models that are not JSON', { models: '{alpha' }, 'models ({alpha) is not valid JSON'],
    [
      'sagemaker settings that are not an object',
      { models: { alpha: { sagemaker: 'ml.m5.xlarge' } } },
      'models.alpha.sagemaker ("ml.m5.xlarge") must be an object of endpoint settings, e.g. {"memorySizeInMB": 4096}',
    ],
    [
      'an unknown sagemaker setting',
      { models: { alpha: { sagemaker: { memorySizeMiB: 4096 } } } },
      'models.alpha.sagemaker.memorySizeMiB is not a sagemaker setting: use memorySizeInMB, maxConcurrency, provisionedConcurrency, instanceType',
    ],
    [
      'a sagemaker number in quotes',
      { models: { alpha: { sagemaker: { maxConcurrency: '20' } } } },
      'models.alpha.sagemaker.maxConcurrency ("20") must be a number, without quotes',
    ],
    [
      'an empty sagemaker instance type',
      { models: { alpha: { sagemaker: { instanceType: ' ' } } } },
      'models.alpha.sagemaker.instanceType (" ") must be a non-empty string',
    ],
    [
      'sagemaker settings on a model pinned to lambda',
      { models: { alpha: { backend: 'lambda', sagemaker: { maxConcurrency: 5 } } } },
      'models.alpha.sagemaker ({"maxConcurrency":5}) sizes a SageMaker endpoint, but models.alpha.backend puts the model on lambda: set models.alpha.backend to sagemaker, or remove models.alpha.sagemaker',
    ],
    [
      'sagemaker settings under a top-level lambda-image backend',
      { backend: 'lambda-image', models: { alpha: { sagemaker: { instanceType: 'ml.m5.xlarge' } } } },
      'but the top-level backend setting puts the model on lambda-image',
    ],
    [
      'Lambda function settings on a sagemaker model',
      { models: { alpha: { backend: 'sagemaker', memorySizeMiB: 4096, reservedConcurrency: 5 } } },
      'models.alpha.memorySizeMiB (4096), models.alpha.reservedConcurrency (5) tune the Lambda function that runs a model, but models.alpha.backend puts the model on sagemaker, where a forwarder calls the endpoint: remove them and size the endpoint with models.alpha.sagemaker',
    ],
    [
      'memory outside Lambda limits',
      { models: { alpha: { memorySizeMiB: 64 } } },
      'models.alpha.memorySizeMiB (64) must be at least 128',
    ],
    [
      'a retention CloudWatch does not offer',
      { logRetentionDays: 31 },
      'logRetentionDays (31) is not a retention CloudWatch Logs accepts',
    ],
    ['a malformed email', { alarmEmail: 'team' }, 'alarmEmail ("team") is not an email address'],
    ['a waf value that is not a boolean', { waf: 'yes' }, 'waf ("yes") must be true or false'],
    [
      'a throttling rate that is not a number',
      { throttlingRateLimit: 'fast' },
      'throttlingRateLimit ("fast") is not a number',
    ],
    ['a fractional burst', { throttlingBurstLimit: 1.5 }, 'throttlingBurstLimit (1.5) must be a whole number'],
    [
      'a WAF limit below its minimum',
      { wafRequestsPer5MinutesPerIp: 5 },
      'wafRequestsPer5MinutesPerIp (5) must be at least 10',
    ],
    [
      'a quota with IAM auth',
      { quotaRequestsPerDay: '1000', auth: 'iam' },
      'quotaRequestsPerDay (1000) applies to API keys only (a quota belongs to a key\'s usage plan), but auth is "iam": remove quotaRequestsPerDay or set auth to apiKey',
    ],
    [
      'a quota with Cognito auth',
      { quotaRequestsPerDay: 50, auth: 'cognito' },
      'quotaRequestsPerDay (50) applies to API keys only',
    ],
    [
      'a stage a stack name cannot hold',
      { stage: 'team_a' },
      'stage ("team_a") cannot be part of a CloudFormation stack name: use up to 64 letters, digits and "-"',
    ],
    ['a stage longer than 64 characters', { stage: 's'.repeat(65) }, 'cannot be part of a CloudFormation stack name'],
    ['an empty stage', { stage: '' }, 'stage ("") must be a non-empty string'],
    [
      'a missing model folder',
      { modelsDir: '/nonexistent/models' },
      'cannot read the model repository /nonexistent/models',
    ],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => resolve(raw)).toThrow(message);
    expect(() => resolve(raw)).toThrow(ConfigurationError);
  });

  it('reads the settings from the context and leaves CDK keys alone', () => {
    expect(
      rawConfigFromContext({
        auth: 'iam',
        waf: 'false',
        '@aws-cdk/core:target-partitions': ['aws'],
        'aws:cdk:bundling-stacks': [],
      }),
    ).toEqual({ auth: 'iam', waf: 'false' });
  });

  it('rejects a misspelt setting instead of ignoring it', () => {
    expect(() => rawConfigFromContext({ alarmEmial: 'team@example.com' })).toThrow(
      '"alarmEmial" is not a setting: use one of stage, modelsDir, models, backend, auth',
    );
  });

  it('leaves the keys that `cdk acknowledge` and `cdk cli-telemetry` write to cdk.context.json alone', async () => {
    // The real CLI of this project, in a scratch app folder: whatever keys it writes must not fail the synth.
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-context-'));
    try {
      fs.writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: 'node -e 0' }));
      const cdk = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'cdk');
      const run = promisify(execFile);
      await run(cdk, ['acknowledge', '34892', '--no-notices'], { cwd: appDir });
      await run(cdk, ['cli-telemetry', '--disable', '--no-notices'], { cwd: appDir });
      const written = JSON.parse(fs.readFileSync(path.join(appDir, 'cdk.context.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(Object.keys(written).sort()).toEqual(['acknowledged-issue-numbers', 'cli-telemetry']);
      expect(rawConfigFromContext({ ...written, auth: 'iam' })).toEqual({ auth: 'iam' });
    } finally {
      fs.rmSync(appDir, { recursive: true, force: true });
    }
  });

  it('still rejects a misspelt CDK key', () => {
    expect(() => rawConfigFromContext({ 'cli-telemtry': false })).toThrow('"cli-telemtry" is not a setting');
  });
});
