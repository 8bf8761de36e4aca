import { Annotations, Aws, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { serviceNameForStage } from '../contract/environment';
import { acknowledgeFindings } from './compliance';
import { InferenceApi } from './constructs/inference-api';
import { InferenceMonitoring } from './constructs/inference-monitoring';
import { ModelStore } from './constructs/model-store';
import { OnnxRuntimeLayer } from './constructs/onnx-runtime-layer';
import { ServedModel } from './constructs/served-model';
import type { CheckedDeploymentConfig } from './model-check';

export interface ModelEndpointStackProps extends StackProps {
  /** The deployment config with each model's spec, as checkDeploymentConfig (lib/model-check.ts) returns it. */
  readonly config: CheckedDeploymentConfig;
  /** Handler entry of the inference functions. @default - lambda/handler.mts of this project */
  readonly handlerEntry?: string;
}

/** Every model of the config behind one authenticated, throttled, monitored REST API. */
export class ModelEndpointStack extends Stack {
  public readonly modelStore: ModelStore;
  public readonly onnxRuntime: OnnxRuntimeLayer;
  /** One per model, in the config's order. */
  public readonly models: readonly ServedModel[];
  public readonly api: InferenceApi;
  public readonly monitoring: InferenceMonitoring;

  constructor(scope: Construct, id: string, props: ModelEndpointStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Each stage its own service name: the `service` dimension keeps stages apart in one account and region.
    const serviceName = serviceNameForStage(config.stage);
    // A stack annotation, not a console line: the CLI prints it after synth, `--strict` turns it into a failure, and
    // it stays in the cloud assembly for CI to read.
    for (const warning of config.warnings) {
      Annotations.of(this).addWarningV2('model-endpoint:model-repository', warning);
    }

    this.modelStore = new ModelStore(this, 'ModelStore', {
      models: [...config.models, ...(config.shadowCandidates ?? [])],
      logRetention: config.logRetentionDays,
    });
    this.onnxRuntime = new OnnxRuntimeLayer(this, 'OnnxRuntime');

    const modelsScope = new Construct(this, 'Models');
    this.models = config.models.map((model) => {
      return new ServedModel(modelsScope, model.name, {
        artifact: this.modelStore.artifactOf(model.name, model.version),
        modelBucket: this.modelStore.bucket,
        onnxRuntime: this.onnxRuntime,
        backend: model.backend,
        serviceName,
        logRetention: config.logRetentionDays,
        ...(this.modelStore.deployment === undefined ? {} : { artifactUpload: this.modelStore.deployment }),
        ...(props.handlerEntry === undefined ? {} : { entry: props.handlerEntry }),
        ...(model.memorySizeMiB === undefined ? {} : { memorySizeMiB: model.memorySizeMiB }),
        ...(model.minProvisionedConcurrency === undefined
          ? {}
          : { minProvisionedConcurrency: model.minProvisionedConcurrency }),
        ...(model.maxProvisionedConcurrency === undefined
          ? {}
          : { maxProvisionedConcurrency: model.maxProvisionedConcurrency }),
        ...(model.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: model.reservedConcurrency }),
        ...(model.sagemaker === undefined ? {} : { sagemaker: model.sagemaker }),
        ...(model.shadow && {
          shadow: {
            artifact: this.modelStore.artifactOf(model.name, model.shadow.version),
            sampleRate: model.shadow.sampleRate,
          },
        }),
        rollout: model.rollout,
      });
    });
    const targets = this.models.map((model) => model.target);

    this.api = new InferenceApi(this, 'Api', {
      models: targets,
      auth: config.auth,
      throttlingRateLimit: config.throttlingRateLimit,
      throttlingBurstLimit: config.throttlingBurstLimit,
      ...(config.quotaRequestsPerDay === undefined ? {} : { quotaRequestsPerDay: config.quotaRequestsPerDay }),
      waf: config.waf,
      wafRequestsPer5MinutesPerIp: config.wafRequestsPer5MinutesPerIp,
      logRetention: config.logRetentionDays,
    });

    this.monitoring = new InferenceMonitoring(this, 'Monitoring', {
      api: this.api.api,
      models: targets,
      ...(config.alarmEmail === undefined ? {} : { alarmEmail: config.alarmEmail }),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the inference API', value: this.api.url });
    if (this.api.apiKey !== undefined) {
      new CfnOutput(this, 'ApiKeyId', { description: 'Id of the API key', value: this.api.apiKey.keyId });
      new CfnOutput(this, 'ApiKeyValueCommand', {
        description: 'Prints the API key to send as x-api-key',
        value: Fn.join('', [
          'aws apigateway get-api-key --api-key ',
          this.api.apiKey.keyId,
          ' --include-value --query value --output text --region ',
          Aws.REGION,
        ]),
      });
    }
    if (this.api.userPool !== undefined) {
      new CfnOutput(this, 'UserPoolId', {
        description: 'Cognito user pool of API callers',
        value: this.api.userPool.userPoolId,
      });
    }
    if (this.api.userPoolClient !== undefined) {
      new CfnOutput(this, 'UserPoolClientId', {
        description: 'App client for signing in API callers',
        value: this.api.userPoolClient.userPoolClientId,
      });
    }
    new CfnOutput(this, 'DashboardUrl', { description: 'CloudWatch dashboard', value: this.monitoring.dashboardUrl });
    new CfnOutput(this, 'ModelBucketName', {
      description: 'Bucket of the content-addressed model artifacts',
      value: this.modelStore.bucket.bucketName,
    });
    const rollouts = this.models.flatMap((model) => model.rollout ?? []);
    const [firstRollout] = rollouts;
    if (firstRollout !== undefined) {
      new CfnOutput(this, 'RolloutApplicationName', {
        description: 'CodeDeploy application of the model rollouts (aws deploy list-deployments --application-name)',
        value: firstRollout.deploymentGroup.application.applicationName,
      });
    }

    acknowledgeFindings({ stack: this, modelStore: this.modelStore, api: this.api });
  }
}
