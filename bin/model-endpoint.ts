import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { rawConfigFromContext, resolveDeploymentConfig } from '../lib/config';
import { checkDeploymentConfig } from '../lib/model-check';
import { ModelEndpointStack } from '../lib/model-endpoint-stack';
import { synthErrorMessage } from '../lib/synth-error';

const app = new App();

async function synth(): Promise<void> {
  // Context holds cdk.json values and `-c key=value` overrides; a relative modelsDir is relative to the app folder.
  const resolved = resolveDeploymentConfig(rawConfigFromContext(app.node.getAllContext()), process.cwd());
  // Each model is opened with ONNX Runtime first: one that cannot serve fails synth here, not with a 503 on every
  // call after the deploy; the inputs and outputs its session reports go into the model's descriptor.
  const config = await checkDeploymentConfig(resolved);
  new ModelEndpointStack(app, config.stackName, {
    description: 'ONNX models behind an Open Inference Protocol (KServe v2) REST API',
    config,
    // Environment-agnostic on purpose: the same template deploys to any account and region, synth needs no
    // credentials, and nothing in the stack needs a lookup.
  });
  // Every synth runs the AWS Solutions checks; an unacknowledged finding fails it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synthesized here rather than on exit, so that errors raised during synthesis reach the handler below too.
  app.synth();
}

synth().catch((error: unknown) => {
  // A mistake the user can fix is shown as its message alone; a bug, or a run with --debug, keeps its trace.
  console.error(synthErrorMessage(error) ?? error);
  process.exit(1);
});
