#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type DeploymentConfig, rawConfigFromContext, resolveDeploymentConfig } from '../lib/config';
import { checkModelsToDeploy } from '../lib/model-check';
import { ModelEndpointStack } from '../lib/model-endpoint-stack';

const app = new App();

let config: DeploymentConfig;
try {
  // Context holds cdk.json values and `-c key=value` overrides; a relative modelsDir is relative to the app folder.
  config = resolveDeploymentConfig(rawConfigFromContext(app.node.getAllContext()), process.cwd());
} catch (error) {
  // A configuration mistake is the user's to fix: print the message alone, not a stack trace into lib/.
  console.error(`model-endpoint configuration: ${(error as Error).message}`);
  process.exit(1);
}

// Each model is opened with ONNX Runtime first: one that cannot serve fails synth here, not with a 503 on every call
// after the deploy. The app synthesizes when the process is about to exit, so building the stack in `then` is enough.
checkModelsToDeploy(config.models).then(
  () => {
    new ModelEndpointStack(app, 'ModelEndpoint', {
      description: 'ONNX models behind an Open Inference Protocol (KServe v2) REST API',
      config,
      // Environment-agnostic on purpose: the same template deploys to any account and region, synth needs no
      // credentials, and nothing in the stack needs a lookup.
    });
    // Every synth runs the AWS Solutions checks; an unacknowledged finding fails it.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  },
  (error: Error) => {
    console.error(`model-endpoint: ${error.message}`);
    process.exit(1);
  },
);
