import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RegoEngine, type StandardDiagnostic, TemplateFile } from '@aws/cloudformation-validate';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { RawConfig } from '../../lib/config';
import { repositoryWithBaseline } from './baseline-repository';
import { repositoryWithGoldenSet } from './golden-repository';
import { buildStack, testApp } from './synth';

// AWS's CloudFormation linter (cfn-lint's rules and the resource provider schemas, offline): it catches what
// `cdk synth` and cdk-nag pass but CloudFormation rejects or warns about at deploy time, which no test here can reach.

/** A warning the templates are allowed to have: matched by rule, resource type and message, with the reason. */
interface Acknowledgement {
  readonly ruleId: string;
  readonly resourceType: string;
  readonly messageIncludes: string;
  readonly reason: string;
}

const ACKNOWLEDGED: readonly Acknowledgement[] = [
  {
    ruleId: 'W3005',
    resourceType: 'AWS::Lambda::Function',
    messageIncludes: "by a 'GetAtt' at 'Properties.Role'",
    reason:
      'aws-cdk-lib lambda.Function adds DependsOn on its own role (aws-lambda/lib/function.ts, resource.node.addDependency(this.role)); redundant with the GetAtt, and harmless',
  },
];

const REGIONS = ['us-east-1', 'eu-west-1'] as const;

const engine = new RegoEngine();
const templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloudformation-lint-'));
afterAll(() => {
  engine.free();
  fs.rmSync(templateDir, { recursive: true, force: true });
});

let templateCount = 0;

/** Every finding of WARN or above, once per region; the engine reads templates from files only. */
function lint(stack: Stack): StandardDiagnostic[] {
  templateCount += 1;
  const file = path.join(templateDir, `template-${templateCount}.json`);
  fs.writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
  return REGIONS.flatMap((region) => {
    const report = engine.validateStandard(new TemplateFile(file), {
      severityLevel: 'WARN',
      pseudoParameterOverrides: { region },
    });
    // ANALYSIS_INCOMPLETE may leave findings out, ERROR means the engine itself failed: neither is a pass.
    expect(report.status).toBe('OK');
    return report.diagnostics;
  });
}

/** The acknowledgement that covers a finding; errors are never acknowledged. */
function acknowledgementOf(finding: StandardDiagnostic): Acknowledgement | undefined {
  if (finding.severity !== 'WARN') return undefined;
  return ACKNOWLEDGED.find(
    (ack) =>
      finding.ruleId === ack.ruleId &&
      finding.entity?.resourceType === ack.resourceType &&
      finding.message.includes(ack.messageIncludes),
  );
}

function describeFinding(finding: StandardDiagnostic): string {
  const where =
    finding.entity === undefined ? 'template' : `${finding.entity.logicalId} (${finding.entity.resourceType})`;
  return `${finding.severity} ${finding.ruleId} ${where} ${finding.propertyPath ?? ''}: ${finding.message}`;
}

const stackWith = (raw: RawConfig) => () => buildStack(raw).stack;

// A model with a golden set gets a pre-traffic hook on its deployment group.
const GOLDEN_REPOSITORY = repositoryWithGoldenSet();
afterAll(() => fs.rmSync(GOLDEN_REPOSITORY, { recursive: true, force: true }));
// A captured model with a baseline gets the capture bucket, its writer and the drift job with its schedule and alarms.
const BASELINE_REPOSITORY = repositoryWithBaseline();
afterAll(() => fs.rmSync(BASELINE_REPOSITORY, { recursive: true, force: true }));

const VARIANTS: readonly [string, () => Stack][] = [
  ['the defaults (two zip models, auth apiKey)', stackWith({})],
  ['auth iam', stackWith({ auth: 'iam' })],
  ['auth cognito', stackWith({ auth: 'cognito' })],
  ['waf false', stackWith({ waf: false })],
  ['a model on lambda-image', stackWith({ models: { alpha: { backend: 'lambda-image' }, beta: {} } })],
  [
    'provisioned concurrency, reserved concurrency and an alarm email',
    stackWith({
      models: { alpha: { minProvisionedConcurrency: 1, maxProvisionedConcurrency: 3, reservedConcurrency: 5 } },
      alarmEmail: 'team@example.com',
    }),
  ],
  ['a stage', stackWith({ stage: 'staging' })],
  ['a SageMaker model on a serverless endpoint', stackWith({ models: { alpha: { backend: 'sagemaker' }, beta: {} } })],
  [
    'a SageMaker model on instances with autoscaling',
    stackWith({
      models: { alpha: { backend: 'sagemaker', sagemaker: { instanceType: 'ml.c7g.xlarge', maxInstanceCount: 4 } } },
    }),
  ],
  [
    'a golden-set pre-traffic hook and a custom linear rollout',
    stackWith({
      modelsDir: GOLDEN_REPOSITORY,
      models: { alpha: { rollout: { type: 'linear', percent: 20, intervalMinutes: 2 } }, beta: {} },
    }),
  ],
  [
    'a canary on SageMaker instances',
    stackWith({
      models: {
        alpha: { backend: 'sagemaker', sagemaker: { instanceType: 'ml.c7g.xlarge', initialInstanceCount: 2 } },
      },
    }),
  ],
  [
    'capture on both models, one compared by the drift job',
    stackWith({ modelsDir: BASELINE_REPOSITORY, models: { alpha: { capture: {} }, beta: { capture: {} } } }),
  ],
  [
    'a model forwarded to an existing endpoint',
    stackWith({ models: { alpha: { backend: 'sagemaker', sagemaker: { existingEndpointName: 'team-triton' } } } }),
  ],
];

/** Each variant is synthesized and linted once, whichever test asks first. */
const findingsByVariant = new Map<string, StandardDiagnostic[]>();
function findingsOf([what, build]: readonly [string, () => Stack]): StandardDiagnostic[] {
  const cached = findingsByVariant.get(what);
  if (cached !== undefined) return cached;
  const findings = lint(build());
  findingsByVariant.set(what, findings);
  return findings;
}

describe('CloudFormation linter', () => {
  it.each(VARIANTS)(
    `reports no error and no unacknowledged warning for %s in ${REGIONS.join(' and ')}`,
    (...variant) => {
      const unacknowledged = findingsOf(variant).filter((finding) => acknowledgementOf(finding) === undefined);
      expect(unacknowledged.map(describeFinding)).toEqual([]);
    },
  );

  it('still needs every acknowledgement (a stale one would hide the next real finding of its rule)', () => {
    const used = new Set(VARIANTS.flatMap((variant) => findingsOf(variant).map(acknowledgementOf)));
    expect(ACKNOWLEDGED.filter((ack) => !used.has(ack)).map((ack) => ack.ruleId)).toEqual([]);
  });

  it('fails a template CloudFormation would reject', () => {
    const stack = new Stack(testApp(), 'Broken');
    new CfnResource(stack, 'Function', {
      type: 'AWS::Lambda::Function',
      properties: { Runtime: 'nodejs4.3', MemorySize: 100_000, Role: 'role', Handler: 'index.handler', Code: {} },
    });
    const ruleIds = lint(stack).map((finding) => `${finding.severity} ${finding.ruleId}`);
    expect(ruleIds).toEqual(expect.arrayContaining(['FATAL F3034', 'ERROR E2533']));
  });
});
