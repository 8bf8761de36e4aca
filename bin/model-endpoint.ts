import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rawConfigFromContext, resolveDeploymentConfig } from '../lib/config';
import { ModelEndpointStack } from '../lib/model-endpoint-stack';
import { synthErrorMessage } from '../lib/synth-error';

const app = new App();

try {
  // Context holds cdk.json values and `-c key=value` overrides; a relative modelsDir is relative to the app folder.
  const config = resolveDeploymentConfig(rawConfigFromContext(app.node.getAllContext()), process.cwd());
  new ModelEndpointStack(app, config.stackName, {
    description: 'ONNX models behind an Open Inference Protocol (KServe v2) REST API',
    config,
    // Environment-agnostic on purpose: the same template deploys to any account and region, synth needs no
    // credentials, and nothing in the stack needs a lookup.
  });
  // Every synth runs the AWS Solutions checks; an unacknowledged finding fails it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synthesized here rather than on exit, so that errors raised during synthesis reach the catch below too.
  app.synth();
} catch (error) {
  const message = synthErrorMessage(error);
  if (message === undefined) throw error;
  console.error(message);
  process.exit(1);
}
