import { Annotations, Aws, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { serviceNameForStage } from '../contract/environment';
import { acknowledgeFindings } from './compliance';
import { DriftJob } from './constructs/drift-job';
import { InferenceApi } from './constructs/inference-api';
import { InferenceMonitoring } from './constructs/inference-monitoring';
import { ModelCapture } from './constructs/model-capture';
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
  /** The capture bucket and writer; absent when no model has capture on. */
  public readonly capture?: ModelCapture;
  /** The scheduled drift job; absent when no captured model has a baseline. */
  public readonly driftJob?: DriftJob;

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
    const monitoring = this.monitorDrift(config, serviceName);
    this.capture = monitoring.capture;
    this.driftJob = monitoring.driftJob;
    // Each model's drift alarms and row join its own: the monitoring notifies the topic and lays out the dashboard.
    const targets = this.models.map((model) => {
      const drift = this.driftJob?.monitoring.get(`${model.modelName}/${model.modelVersion}`);
      return drift === undefined
        ? model.target
        : {
            ...model.target,
            alarms: [...model.target.alarms, ...drift.alarms],
            dashboardWidgets: [...model.target.dashboardWidgets, ...drift.dashboardWidgets],
          };
    });

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

    if (this.capture !== undefined) {
      new CfnOutput(this, 'CaptureBucketName', {
        description: 'Bucket of the captured requests and feedback (captures/model=<m>/version=<v>/date=<d>/hour=<h>/)',
        value: this.capture.bucket.bucketName,
      });
    }

    acknowledgeFindings({ stack: this, modelStore: this.modelStore, api: this.api });
  }

  /**
   * Capture for the models that opted in, and the drift job for those of them whose descriptor holds a training
   * baseline; a captured model without one is captured but not compared, and the synth says how to add it.
   */
  private monitorDrift(
    config: CheckedDeploymentConfig,
    serviceName: string,
  ): { capture?: ModelCapture; driftJob?: DriftJob } {
    const captured = config.models.flatMap((model, index) => {
      const served = this.models[index];
      return model.capture === undefined || served === undefined ? [] : [{ policy: model.capture, served }];
    });
    if (captured.length === 0) return {};
    const { monitoring } = config;
    const capture = new ModelCapture(this, 'Capture', {
      models: captured.map(({ policy, served }) => ({
        modelName: served.modelName,
        function: served.function,
        logGroup: served.logGroup,
        policy,
      })),
      retentionDays: monitoring.captureRetentionDays,
      accessLogsBucket: this.modelStore.accessLogsBucket,
      logRetention: config.logRetentionDays,
      serviceName,
    });
    const compared = captured.flatMap(({ served }) => {
      const artifact = this.modelStore.artifactOf(served.modelName, served.modelVersion);
      if (artifact.descriptor.manifest.baseline !== undefined) return [artifact];
      Annotations.of(served).addWarningV2(
        'model-endpoint:no-baseline',
        `model ${artifact.name} version ${artifact.version} is captured but has no training baseline in its model.json, so no drift job compares it: compute one with \`npm run baseline -- <models>/${artifact.name}/${artifact.version} --data <training rows>\` and deploy again`,
      );
      return [];
    });
    if (compared.length === 0) return { capture };
    const driftJob = new DriftJob(this, 'DriftJob', {
      models: compared.map((artifact) => {
        const accuracy = artifact.descriptor.manifest.metrics?.accuracy;
        return {
          modelName: artifact.name,
          modelVersion: artifact.version,
          descriptorKey: artifact.descriptorKey,
          descriptorSha256: artifact.descriptorSha256,
          ...(accuracy === undefined ? {} : { trainedAccuracy: accuracy }),
        };
      }),
      captureBucket: capture.bucket,
      captureKey: capture.key,
      modelBucket: this.modelStore.bucket,
      scheduleHours: monitoring.scheduleHours,
      windowHours: monitoring.windowHours,
      thresholds: monitoring.thresholds,
      minimumRows: monitoring.minimumRows,
      featureMetricsLimit: monitoring.featureMetricsLimit,
      accuracyAlarmMargin: monitoring.accuracyAlarmMargin,
      serviceName,
      logRetention: config.logRetentionDays,
    });
    return { capture, driftJob };
  }
}
