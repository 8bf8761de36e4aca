import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import type { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ShadowComparatorEnvironment, ShadowEnvironment } from '../../contract/environment';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { shadowRepository } from '../lambda/shadow/shadow-fixtures';
import { buildCheckedStack } from './synth';

const repository = shadowRepository('same');

let app: App;
let stack: ModelEndpointStack;
let template: Template;
beforeAll(async () => {
  ({ app, stack } = await buildCheckedStack(
    { modelsDir: repository, models: { penguins: { version: '1', shadow: { version: '2', sampleRate: 0.1 } } } },
    { nag: true },
  ));
  template = Template.fromStack(stack);
});

const logicalId = (construct: { node: { defaultChild?: unknown } } | undefined): string => {
  const child = construct?.node.defaultChild;
  if (child === undefined) throw new Error('no such construct');
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
};

function shadowOf() {
  const shadow = stack.models[0].shadow;
  if (shadow === undefined) throw new Error('the model has no shadow testing');
  return shadow;
}

describe('ShadowTesting', () => {
  it('puts the sample rate in the live function environment only', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('model penguins version 1$'),
      Environment: { Variables: Match.objectLike({ MODEL_VERSION: '1', [ShadowEnvironment.sampleRate]: '0.1' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('model penguins version 2$'),
      Environment: {
        Variables: Match.objectLike({ MODEL_VERSION: '2', [ShadowEnvironment.sampleRate]: Match.absent() }),
      },
    });
  });

  it('deploys the candidate as its own zip function with a live alias that no API method calls', () => {
    const candidateAlias = logicalId(shadowOf().candidate.alias);
    const methods = JSON.stringify(template.findResources('AWS::ApiGateway::Method'));
    expect(methods).not.toContain(candidateAlias);
    expect(methods).toContain(logicalId(stack.models[0].alias));
    // No provisioned concurrency for a candidate that only serves samples.
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionName: { Ref: logicalId(shadowOf().candidate.function) },
      ProvisionedConcurrencyConfig: Match.absent(),
    });
  });

  it('runs the comparator on arm64 Node.js 24, pointed at the candidate alias', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          [ShadowComparatorEnvironment.candidateFunction]: { Ref: logicalId(shadowOf().candidate.alias) },
          [ShadowComparatorEnvironment.modelName]: 'penguins',
          [ShadowComparatorEnvironment.candidateVersion]: '2',
        }),
      },
    });
  });

  it('lets the comparator invoke exactly the candidate alias and write its own logs, nothing else', () => {
    const role = logicalId(shadowOf().comparator.role);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(role),
    );
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(shadowOf().comparator.logGroup), 'Arn'] },
      },
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { Ref: logicalId(shadowOf().candidate.alias) } },
    ]);
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.anyValue(), Description: Match.stringLikeRegexp('Shadow comparator') },
      0,
    );
  });

  it('subscribes the comparator to the shadow sample records of the live log group only', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      FilterPattern: '{ $.shadowSample = 1 }',
      LogGroupName: { Ref: logicalId(stack.models[0].logGroup) },
      DestinationArn: { 'Fn::GetAtt': [logicalId(shadowOf().comparator.function), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'logs.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(shadowOf().comparator.function), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.models[0].logGroup), 'Arn'] },
    });
  });

  it('uploads the candidate artifact beside the live one', () => {
    const keys = stack.modelStore.artifacts.map((artifact) => `${artifact.name}/${artifact.version}`);
    expect(keys).toEqual(['penguins/1', 'penguins/2']);
  });

  it('adds the agreement, difference and latency graphs to the dashboard', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['ShadowExactMatch', 'ShadowMaxAbsDifference', 'ShadowLatency', 'ShadowErrors']) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('candidate version 2 vs live version 1 (10 % of inferences sampled)');
  });

  it('reports no unacknowledged cdk-nag finding', () => {
    expect(() => app.synth()).not.toThrow();
  });

  it('passes the CloudFormation linter with no error or warning beyond the acknowledged DependsOn one', () => {
    const engine = new RegoEngine();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadow-lint-'));
    try {
      const file = path.join(dir, 'template.json');
      fs.writeFileSync(file, JSON.stringify(template.toJSON()));
      const report = engine.validateStandard(new TemplateFile(file), {
        severityLevel: 'WARN',
        pseudoParameterOverrides: { region: 'eu-west-1' },
      });
      expect(report.status).toBe('OK');
      const findings = report.diagnostics
        .filter((finding) => !(finding.ruleId === 'W3005' && finding.message.includes("'Properties.Role'")))
        .map((finding) => `${finding.severity} ${finding.ruleId} ${finding.entity?.logicalId}: ${finding.message}`);
      expect(findings).toEqual([]);
    } finally {
      engine.free();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds nothing to a model without shadow settings', async () => {
    const plain = await buildCheckedStack({ modelsDir: repository, models: { penguins: { version: '1' } } });
    const plainTemplate = Template.fromStack(plain.stack);
    plainTemplate.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
    expect(plain.stack.models[0].shadow).toBeUndefined();
    expect(JSON.stringify(plainTemplate.toJSON())).not.toContain(ShadowEnvironment.sampleRate);
  });
});
