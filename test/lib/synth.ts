import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ModelSpec } from '../../contract/onnx-model-spec';
import { type DeploymentConfig, type RawConfig, resolveDeploymentConfig } from '../../lib/config';
import { type CheckedDeploymentConfig, checkDeploymentConfig } from '../../lib/model-check';
import { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { withoutBundlingProgress } from '../support/bundling-progress';

/** Fake model files (not valid ONNX): synth only hashes and copies them. */
export const FIXTURE_REPOSITORY = path.join(__dirname, '..', 'fixtures', 'model-repository');

export function fixtureSha256(name: string, version: string): string {
  const bytes = fs.readFileSync(path.join(FIXTURE_REPOSITORY, name, version, 'model.onnx'));
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` does. */
const CDK_JSON_CONTEXT = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

export interface SynthOptions {
  /** Run esbuild and the layer copy (slow); unit tests skip bundling. */
  readonly bundling?: boolean;
  /** Register the cdk-nag AwsSolutions plugin as bin/ does. */
  readonly nag?: boolean;
  /** Add the stack to this app, e.g. to put two stages side by side. @default - a new test app */
  readonly app?: App;
}

/** An app with the context of cdk.json, as `cdk synth` gives bin/. */
export function testApp(options: Pick<SynthOptions, 'bundling'> = {}): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, ...(options.bundling === true ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    // The built-in CloudFormation schema validation doubles synth time and is covered by `cdk synth`.
    builtinCloudFormationValidation: false,
  });
}

/**
 * What checkDeploymentConfig would report for a fixture model. The fixtures are not ONNX (synth only hashes and
 * copies them), so this spec stands in for the one ONNX Runtime gives bin/ for a real model.
 */
export function fixtureSpec(name: string, version: string): ModelSpec {
  return {
    name,
    version,
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  };
}

/** The config as checkDeploymentConfig returns it, with fixtureSpec standing in for each session's spec. */
export function withFixtureSpecs(config: DeploymentConfig): CheckedDeploymentConfig {
  return {
    ...config,
    models: config.models.map((model) => ({ ...model, spec: fixtureSpec(model.name, model.version) })),
  };
}

/** Builds the stack from raw context values against the fixture repository, the way bin/ does. */
export function buildStack(raw: RawConfig = {}, options: SynthOptions = {}): { app: App; stack: ModelEndpointStack } {
  const app = options.app ?? testApp(options);
  const config = withFixtureSpecs(resolveDeploymentConfig({ modelsDir: FIXTURE_REPOSITORY, ...raw }, process.cwd()));
  const stack = withoutBundlingProgress(() => new ModelEndpointStack(app, config.stackName, { config }));
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/** Builds the stack from a repository of real ONNX models, checked and described as bin/ does. */
export async function buildCheckedStack(
  raw: RawConfig,
  options: SynthOptions = {},
): Promise<{ app: App; stack: ModelEndpointStack }> {
  const app = options.app ?? testApp(options);
  const config = await checkDeploymentConfig(resolveDeploymentConfig(raw, process.cwd()));
  const stack = withoutBundlingProgress(() => new ModelEndpointStack(app, config.stackName, { config }));
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

export function synthTemplate(raw: RawConfig = {}): { stack: ModelEndpointStack; template: Template } {
  const { stack } = buildStack(raw);
  return { stack, template: Template.fromStack(stack) };
}
