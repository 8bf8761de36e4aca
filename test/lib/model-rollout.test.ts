import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { RawConfig } from '../../lib/config';
import { hookTimeout, ModelRollout, type ModelRolloutProps } from '../../lib/constructs/model-rollout';
import { PREDEFINED_ROLLOUTS } from '../../lib/rollout-setting';
import { FIXTURE_GOLDEN_SHA256, repositoryWithGoldenSet } from './golden-repository';
import { buildStack, testApp } from './synth';

const GOLDEN_SHA256 = FIXTURE_GOLDEN_SHA256;

const REPOSITORY = repositoryWithGoldenSet();
afterAll(() => fs.rmSync(REPOSITORY, { recursive: true, force: true }));

function synth(raw: RawConfig = {}): { template: Template; annotations: Annotations } {
  const { stack } = buildStack({ modelsDir: REPOSITORY, ...raw });
  return { template: Template.fromStack(stack), annotations: Annotations.fromStack(stack) };
}

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[]; UpdatePolicy?: unknown };

function only(template: Template, type: string, props: Record<string, unknown> = {}): [string, Resource] {
  const found = Object.entries(template.findResources(type, { Properties: props })) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** Logical id of a model's function (`ModelsalphaFunction...`), whose versions the rollout deploys. */
function functionId(template: Template, model: string): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) =>
    id.startsWith(`Models${model}Function`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function versionId(template: Template, model: string): string {
  const ids = Object.keys(template.findResources('AWS::Lambda::Version')).filter((id) =>
    id.startsWith(`Models${model}FunctionCurrentVersion`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('rollout of a Lambda model by default', () => {
  const { template, annotations } = synth();
  const [aliasId, alias] = only(template, 'AWS::Lambda::Alias', {
    FunctionName: { Ref: functionId(template, 'alpha') },
  });
  const [groupId] = only(template, 'AWS::CodeDeploy::DeploymentGroup', {
    AlarmConfiguration: Match.objectLike({
      Alarms: Match.arrayWith([{ Name: { Ref: Match.stringLikeRegexp('^ModelsalphaRolloutNewVersionErrors') } }]),
    }),
  });

  it('lets CodeDeploy move the live alias, by Canary10Percent5Minutes, after the golden-set hook', () => {
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { FunctionName: { Ref: functionId(template, 'alpha') }, Name: 'live' },
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: Match.stringLikeRegexp('^ModelRollouts') },
          DeploymentGroupName: { Ref: groupId },
          BeforeAllowTrafficHook: { Ref: Match.stringLikeRegexp('^ModelsalphaRolloutPreTrafficHook') },
        },
      },
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      },
      AlarmConfiguration: {
        Enabled: true,
        Alarms: [
          { Name: { Ref: Match.stringLikeRegexp('^ModelsalphaRolloutNewVersionErrors') } },
          { Name: { Ref: Match.stringLikeRegexp('^ModelsalphaRolloutNewVersionInferenceErrors') } },
          { Name: { Ref: Match.stringLikeRegexp('^ModelsalphaRolloutNewVersionLatencyP99') } },
        ],
      },
    });
  });

  it('creates one CodeDeploy application for the stack, named in an output, and one deployment group per model', () => {
    template.resourceCountIs('AWS::CodeDeploy::Application', 1);
    template.hasOutput('RolloutApplicationName', { Value: { Ref: Match.stringLikeRegexp('^ModelRollouts') } });
    template.hasResourceProperties('AWS::CodeDeploy::Application', { ComputePlatform: 'Lambda' });
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 2);
  });

  it('rolls back on alarms that watch only the version being deployed', () => {
    const version = { 'Fn::GetAtt': [versionId(template, 'alpha'), 'Version'] };
    const fn = { Ref: functionId(template, 'alpha') };
    const newVersion = [
      { Name: 'ExecutedVersion', Value: version },
      { Name: 'FunctionName', Value: fn },
      { Name: 'Resource', Value: { 'Fn::Join': ['', [fn, ':live']] } },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: newVersion,
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Dimensions: newVersion,
      ExtendedStatistic: 'p99',
      // Half of the function's 20 s timeout.
      Threshold: 10_000,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ModelEndpoint',
      MetricName: 'InferenceErrors',
      Dimensions: [
        { Name: 'model', Value: 'alpha' },
        { Name: 'service', Value: 'model-endpoint' },
        { Name: 'version', Value: '2' },
      ],
      Period: 60,
      Threshold: 1,
    });
  });

  it("graphs what the rollback alarms watch in each model's dashboard row", () => {
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('alpha: version being deployed (rollback alarms)');
    expect(dashboard).toContain('beta: version being deployed (rollback alarms)');
    expect(dashboard).toContain('ExecutedVersion');
  });

  it('updates the alarms and the hook before the alias update starts a deployment', () => {
    const dependsOn = alias.DependsOn ?? [];
    for (const prefix of [
      'ModelsalphaRolloutNewVersionErrors',
      'ModelsalphaRolloutNewVersionInferenceErrors',
      'ModelsalphaRolloutNewVersionLatencyP99',
      'ModelsalphaRolloutPreTrafficHook',
      'ModelsalphaRolloutHookRoleDefaultPolicy',
    ]) {
      expect(dependsOn.some((id) => id.startsWith(prefix))).toBe(true);
    }
    expect(aliasId).toMatch(/^ModelsalphaLive/);
  });

  it('runs the golden-set hook on arm64 Node.js 24 against the new version, pinned by sha256', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: hookTimeout(3, Duration.seconds(20)).toSeconds(),
      Environment: {
        Variables: Match.objectLike({
          ROLLOUT_TARGET_FUNCTION: { Ref: versionId(template, 'alpha') },
          MODEL_NAME: 'alpha',
          MODEL_VERSION: '2',
          GOLDEN_SET_BUCKET: { Ref: Match.stringLikeRegexp('^ModelStoreBucket') },
          GOLDEN_SET_KEY: `models/alpha/2/${GOLDEN_SHA256}.golden.json`,
          GOLDEN_SET_SHA256: GOLDEN_SHA256,
        }),
      },
    });
  });

  it("limits the hook to invoking the function's versions, reading its golden set, reporting and logging", () => {
    const [roleId, role] = only(template, 'AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^Pre-traffic check of model alpha'),
    });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    );
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as Resource).Properties.PolicyDocument as { Statement: unknown[] };
    expect(statements.Statement).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ModelsalphaRolloutHookLogs/), 'Arn'] },
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(template, 'alpha'), 'Arn'] }, ':*']] },
      },
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              { 'Fn::GetAtt': [expect.stringMatching(/^ModelStoreBucket/), 'Arn'] },
              `/models/alpha/2/${GOLDEN_SHA256}.golden.json`,
            ],
          ],
        },
      },
      {
        Action: 'codedeploy:PutLifecycleEventHookExecutionStatus',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            expect.arrayContaining([
              ':deploymentgroup:',
              { Ref: groupId },
              { Ref: expect.stringMatching(/^ModelRollouts/) },
            ]),
          ],
        },
      },
    ]);
    const managed = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(managed.filter((policy) => JSON.stringify(policy).includes(`"${roleId}"`))).toHaveLength(0);
  });

  it('warns at synth about a model without a golden set, naming it and how to record one', () => {
    annotations.hasWarning(
      '/ModelEndpoint/Models/beta',
      Match.stringLikeRegexp(
        'model beta version 1 has no golden set: .* Record one with `npm run golden -- .*beta/1` and deploy again',
      ),
    );
    expect(annotations.findWarning('/ModelEndpoint/Models/alpha', Match.stringLikeRegexp('golden set'))).toHaveLength(
      0,
    );
    // Without a golden set there is no hook: the alias update names none.
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { FunctionName: { Ref: functionId(template, 'beta') } },
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: Match.objectEquals({
          ApplicationName: Match.anyValue(),
          DeploymentGroupName: Match.anyValue(),
        }),
      },
    });
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ GOLDEN_SET_KEY: Match.anyValue() }) } },
      1,
    );
  });
});

describe('rollout settings', () => {
  it.each(Object.keys(PREDEFINED_ROLLOUTS))('deploys with CodeDeploy’s predefined %s', (name) => {
    const { template } = synth({ rollout: name });
    template.allResourcesProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: `CodeDeployDefault.Lambda${name}`,
    });
    template.resourceCountIs('AWS::CodeDeploy::DeploymentConfig', 0);
  });

  it.each([
    ['canary', 'TimeBasedCanary', { CanaryInterval: 15, CanaryPercentage: 20 }],
    ['linear', 'TimeBasedLinear', { LinearInterval: 15, LinearPercentage: 20 }],
  ])('creates a custom %s config from percent and intervalMinutes', (type, routing, step) => {
    const { template } = synth({
      models: { alpha: { rollout: { type, percent: 20, intervalMinutes: 15 } }, beta: {} },
    });
    const [configId] = only(template, 'AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: routing, [routing]: step },
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: { Ref: configId } });
    // The other model keeps the default.
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
  });

  it('keeps provisioned concurrency and its autoscaling on the live alias CodeDeploy moves', () => {
    const { template } = synth({
      models: { alpha: { minProvisionedConcurrency: 1, maxProvisionedConcurrency: 3 } },
    });
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } },
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.objectLike({ DeploymentGroupName: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':live'])] }),
      MinCapacity: 1,
      MaxCapacity: 3,
    });
  });

  it('runs the same rollout for a container-image model', () => {
    const { template } = synth({
      models: { alpha: { backend: 'lambda-image', rollout: 'Linear10PercentEvery1Minute' } },
    });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    });
    template.hasResource('AWS::Lambda::Alias', {
      Properties: { Name: 'live' },
      UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.objectLike({ BeforeAllowTrafficHook: Match.anyValue() }) },
    });
  });
});

describe('the golden set in the model store', () => {
  it('uploads it content-addressed beside the model and gives its key and sha256', () => {
    const { stack } = buildStack({ modelsDir: REPOSITORY });
    expect(stack.modelStore.artifactOf('alpha', '2').golden).toEqual({
      path: path.join(REPOSITORY, 'alpha', '2', 'golden.json'),
      key: `models/alpha/2/${GOLDEN_SHA256}.golden.json`,
      sha256: GOLDEN_SHA256,
      caseCount: 3,
    });
    expect(stack.modelStore.artifactOf('beta', '1').golden).toBeUndefined();
  });

  it('fails synth on a golden set the hook could not read, with the parser’s reason', () => {
    const dir = repositoryWithGoldenSet();
    try {
      fs.writeFileSync(path.join(dir, 'alpha', '2', 'golden.json'), '{"format": 1, "cases": []}');
      expect(() => buildStack({ modelsDir: dir })).toThrow(/golden\.json is not a golden set: "tolerance"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hookTimeout', () => {
  it.each([
    [1, 20, 90],
    [3, 20, 130],
    [100, 20, 900],
  ])('gives %i cases of a %i s function %i s', (cases, targetSeconds, expected) => {
    expect(hookTimeout(cases, Duration.seconds(targetSeconds)).toSeconds()).toBe(expected);
  });
});

describe('ModelRollout on its own', () => {
  function bare(props: Partial<ModelRolloutProps> = {}): { stack: Stack; rollout: ModelRollout } {
    const stack = new Stack(testApp(), 'Bare');
    const fn = new lambda.Function(stack, 'Function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      timeout: Duration.seconds(8),
    });
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
    const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Logs', 'function-logs');
    const rollout = new ModelRollout(stack, 'Rollout', {
      modelName: 'alpha',
      modelVersion: '1',
      function: fn,
      alias,
      logGroup,
      ...props,
    });
    return { stack, rollout };
  }

  it('rolls back on a p99 above half the function timeout, or on the threshold given', () => {
    const byDefault = Template.fromStack(bare().stack);
    byDefault.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 4000 });
    const given = Template.fromStack(bare({ latencyP99Threshold: Duration.seconds(2) }).stack);
    given.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 2000 });
  });

  it('creates no hook without a golden set', () => {
    const { stack, rollout } = bare();
    expect(rollout.preTrafficHook).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  });

  it('rejects a golden set without the bucket it lives in', () => {
    const goldenSet = { path: 'golden.json', key: 'models/alpha/1/x.golden.json', sha256: 'x', caseCount: 1 };
    expect(() => bare({ goldenSet })).toThrow(
      'goldenSet of model alpha needs goldenSetBucket: pass the bucket it was uploaded to',
    );
  });
});
