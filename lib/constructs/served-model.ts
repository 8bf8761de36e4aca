import * as path from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import type { Backend, BackendChoice } from '../../contract/backends';
import { SERVICE_NAME } from '../../contract/environment';
import { chooseBackend, ZIP_MAX_MODEL_BYTES, zipModelInitMs } from '../backend-choice';
import { acknowledge } from '../compliance';
import { describeRollout, type Rollout } from '../rollout-setting';
import { functionAlarms, functionDashboardRow } from './function-monitoring';
import type { InferenceFunction } from './inference-function';
import type { InferenceImageFunction } from './inference-image-function';
import type { ModelFunctionOptions } from './model-function-options';
import { ModelRollout } from './model-rollout';
import { modelRuntimeFunction } from './model-runtime-function';
import type { ModelArtifact } from './model-store';
import type { ModelTarget } from './model-target';
import type { OnnxRuntimeLayer } from './onnx-runtime-layer';
import { propError } from './prop-error';
import { SageMakerBackend, type SageMakerCapacityProps } from './sagemaker-backend';
import { type ShadowCandidateProps, ShadowTesting } from './shadow-testing';

/** The options that tune a Lambda function running the model; a `sagemaker` model's forwarder takes none of them. */
const FUNCTION_ONLY_OPTIONS = [
  'memorySizeMiB',
  'timeout',
  'reservedConcurrentExecutions',
  'minProvisionedConcurrency',
  'maxProvisionedConcurrency',
  'provisionedUtilizationTarget',
] as const satisfies readonly (keyof ModelFunctionOptions)[];

export interface ServedModelProps extends ModelFunctionOptions {
  /** The model's artifact and descriptor as ModelStore uploaded them. */
  readonly artifact: ModelArtifact;
  /** The bucket ModelStore uploaded the artifact to (read by the `lambda` backend). */
  readonly modelBucket: s3.IBucket;
  /** ONNX Runtime: the layer of the `lambda` backend, the pruned files of the `lambda-image` one. */
  readonly onnxRuntime: OnnxRuntimeLayer;
  /** Where the model runs. @default 'auto': chosen from the artifact's size, see lib/backend-choice.ts */
  readonly backend?: BackendChoice;
  /**
   * What puts the artifact into the bucket; a `lambda` function waits for it, since provisioned concurrency loads
   * the model during the deploy.
   * @default - nothing to wait for: the artifact is already in the bucket
   */
  readonly artifactUpload?: IDependable;
  /** Handler entry file (exports `handler`), bundled as an ES module. @default - lambda/handler.mts of this project */
  readonly entry?: string;
  /**
   * Capacity of the `sagemaker` backend (serverless memory and concurrency, or an instance type and its
   * autoscaling), or an existing endpoint to forward to; SageMakerEndpoint validates and defaults each. Only for a
   * model that runs on sagemaker. @default - a serverless endpoint sized from the model
   */
  readonly sagemaker?: SageMakerCapacityProps;
  /** A candidate version that gets a sampled copy of live inferences, off the caller's path. @default - none */
  readonly shadow?: ShadowCandidateProps;
  /**
   * How a new version takes the model's traffic: CodeDeploy on the `live` alias (lambda, lambda-image), deployment
   * guardrails on the endpoint (sagemaker). @default - Canary10Percent5Minutes
   */
  readonly rollout?: Rollout;
  /** CodeDeploy application of the model's deployment group. @default - one application per stack */
  readonly rolloutApplication?: codedeploy.ILambdaApplication;
}

/** What a backend builds for a served model: the function API Gateway reaches, and the model's target. */
interface BackendParts {
  /** The function behind the `live` alias: the runtime itself, or a forwarder to an endpoint. */
  readonly function: lambda.IFunction;
  readonly alias: lambda.Alias;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly target: ModelTarget;
  readonly rollout?: ModelRollout;
}

/**
 * One served model, end to end on the infrastructure side: its backend (a zip function, a container-image function,
 * or a SageMaker endpoint behind a forwarder) with its `live` alias, its alarms and dashboard row, and the compliance
 * acknowledgements of what it creates. The API and the monitoring see it only as its `target`.
 */
export class ServedModel extends Construct {
  public readonly modelName: string;
  public readonly modelVersion: string;
  /** The backend the model runs on (`auto` resolved). */
  public readonly backend: Backend;
  /** Why that backend, with the numbers (also shown at synth). */
  public readonly backendReason: string;
  /** The function API Gateway reaches through `alias`: the runtime (lambda, lambda-image) or a forwarder. */
  public readonly function: lambda.IFunction;
  /** The `live` alias API Gateway invokes. */
  public readonly alias: lambda.Alias;
  public readonly role: iam.IRole;
  public readonly logGroup: logs.ILogGroup;
  /** The model's alarms (also in `target`). */
  public readonly alarms: readonly cloudwatch.IAlarm[];
  /** What the API routes to and the monitoring watches. */
  public readonly target: ModelTarget;
  /** The candidate, comparator and sampling of shadow testing, when the model has a shadow candidate. */
  public readonly shadow?: ShadowTesting;
  /** The CodeDeploy rollout of the `live` alias (lambda, lambda-image); absent on sagemaker. */
  public readonly rollout?: ModelRollout;

  constructor(scope: Construct, id: string, props: ServedModelProps) {
    super(scope, id);
    const { artifact } = props;
    this.modelName = artifact.name;
    this.modelVersion = artifact.version;
    const decision = chooseBackend(props.backend ?? 'auto', artifact.sizeBytes);
    this.backend = decision.backend;
    this.backendReason = decision.reason;
    Annotations.of(this).addInfo(`model ${artifact.name} version ${artifact.version}: ${decision.reason}`);
    this.refuseOptionsOfAnotherBackend(props);

    const parts = this.buildBackend(props);
    this.function = parts.function;
    this.alias = parts.alias;
    this.role = parts.role;
    this.logGroup = parts.logGroup;
    this.alarms = parts.target.alarms;
    if (parts.rollout !== undefined) this.rollout = parts.rollout;
    this.shadow =
      props.shadow &&
      new ShadowTesting(this, 'Shadow', {
        ...props.shadow,
        served: props,
        backend: this.backend,
        liveFunction: parts.function,
        liveLogGroup: parts.logGroup,
      });
    const widgets = this.shadow?.dashboardWidgets;
    this.target = widgets
      ? { ...parts.target, dashboardWidgets: [...parts.target.dashboardWidgets, ...widgets] }
      : parts.target;
  }

  private buildBackend(props: ServedModelProps): BackendParts {
    const { artifact } = props;
    // Everything but the served model's own props is the function options, passed on as given.
    const {
      artifact: _artifact,
      modelBucket: _modelBucket,
      onnxRuntime: _onnxRuntime,
      backend: _backend,
      artifactUpload: _artifactUpload,
      entry: _entry,
      sagemaker: _sagemaker,
      shadow: _shadow,
      rollout: _rollout,
      rolloutApplication: _rolloutApplication,
      ...options
    } = props;
    const runtime = {
      artifact,
      modelBucket: props.modelBucket,
      onnxRuntime: props.onnxRuntime,
      options,
      ...(props.artifactUpload === undefined ? {} : { artifactUpload: props.artifactUpload }),
      ...(props.entry === undefined ? {} : { entry: props.entry }),
    };
    switch (this.backend) {
      case 'lambda': {
        if (artifact.sizeBytes > ZIP_MAX_MODEL_BYTES) {
          Annotations.of(this).addWarningV2(
            'model-endpoint:zip-init-budget',
            `model ${artifact.name}: downloading and opening it takes about ${Math.round(zipModelInitMs(artifact.sizeBytes) / 1000)} s of a zip function's init, over the budget that keeps cold starts within Lambda's 10 s init limit: use backend lambda-image (or auto)`,
          );
        }
        // 'Default' leaves no trace in logical ids: the function, role, log group and alias keep the ids they had
        // before served models existed, so upgrading replaces none of them.
        const fn = modelRuntimeFunction(this, 'Default', 'lambda', runtime);
        return this.runtimeFunctionParts(
          fn,
          props,
          "S3 access is s3:GetObject on the model's one content-addressed key and its descriptor's key.",
        );
      }
      case 'lambda-image': {
        const fn = modelRuntimeFunction(this, 'Default', 'lambda-image', runtime);
        return this.runtimeFunctionParts(
          fn,
          props,
          'The image function reads no bucket: the model ships in its image.',
        );
      }
      case 'sagemaker': {
        // 'Default', as for the functions: the backend's resources sit directly under the served model's path.
        const sagemaker = new SageMakerBackend(this, 'Default', {
          ...props.sagemaker,
          modelName: artifact.name,
          modelVersion: artifact.version,
          descriptor: artifact.descriptor,
          descriptorBucket: props.modelBucket,
          descriptorKey: artifact.descriptorKey,
          descriptorSha256: artifact.descriptorSha256,
          // An existing endpoint already holds its model: SageMakerBackend refuses a model file beside it.
          ...(props.sagemaker?.existingEndpointName === undefined ? { modelFile: artifact.modelPath } : {}),
          ...(props.entry === undefined ? {} : { handlerEntry: props.entry }),
          ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
          ...(props.serviceName === undefined ? {} : { serviceName: props.serviceName }),
          ...(props.rollout === undefined ? {} : { rollout: props.rollout }),
        });
        if (artifact.golden !== undefined) {
          Annotations.of(this).addInfo(
            `model ${artifact.name} version ${artifact.version}: SageMaker updates an endpoint without a pre-traffic hook, so its golden set is not replayed before traffic shifts; run npm run verify before deploying`,
          );
        }
        // The forwarder reads the descriptor from the bucket at init.
        if (props.artifactUpload !== undefined) sagemaker.node.addDependency(props.artifactUpload);
        // No acknowledgement here: the forwarder and the endpoint acknowledge their own findings.
        const { forwarder } = sagemaker;
        return {
          function: forwarder.function,
          alias: forwarder.alias,
          role: forwarder.role,
          logGroup: forwarder.logGroup,
          target: sagemaker,
        };
      }
    }
  }

  /**
   * Settings of one backend given to a model that runs on another would be ignored without a word; `auto` decides
   * only here, from the size, so this is the one place that can tell.
   */
  private refuseOptionsOfAnotherBackend(props: ServedModelProps): void {
    const chosen = `the model runs on ${this.backend} (${this.backendReason})`;
    if (this.backend === 'sagemaker') {
      const set = FUNCTION_ONLY_OPTIONS.filter((name) => props[name] !== undefined);
      if (set.length > 0) {
        throw propError(
          this,
          `model ${this.modelName}: ${set.join(', ')} tune a Lambda function that runs the model, but ${chosen}: remove ${set.length === 1 ? 'it' : 'them'}, and size the endpoint with the sagemaker settings`,
        );
      }
    } else if (props.sagemaker !== undefined) {
      throw propError(
        this,
        `model ${this.modelName}: sagemaker (${JSON.stringify(props.sagemaker)}) sizes a SageMaker endpoint, but ${chosen}: set backend sagemaker, or remove the sagemaker settings`,
      );
    }
  }

  /** A function that runs the runtime itself (zip or image): its alarms, dashboard row and acknowledgements. */
  private runtimeFunctionParts(
    fn: InferenceFunction | InferenceImageFunction,
    props: ServedModelProps,
    s3Access: string,
  ): BackendParts {
    const monitored = {
      modelName: fn.modelName,
      modelVersion: fn.modelVersion,
      alias: fn.alias,
      logGroup: fn.logGroup,
      provisioned: fn.provisioned,
      serviceName: props.serviceName ?? SERVICE_NAME,
    };
    acknowledge(fn.role, 'AwsSolutions-IAM5[Resource::*]', [
      'The statements on Resource "*" are xray:PutTraceSegments + xray:PutTelemetryRecords, added by tracing:',
      'ACTIVE; X-Ray defines no resource types for these actions, so they cannot be scoped.',
      s3Access,
    ]);
    const rollout = this.createRollout(fn, props);
    return {
      function: fn.function,
      alias: fn.alias,
      role: fn.role,
      logGroup: fn.logGroup,
      rollout,
      target: {
        modelName: fn.modelName,
        modelVersion: fn.modelVersion,
        handler: fn.alias,
        // The rollout's alarms watch the version being deployed, and after a deploy the version that is live: the
        // topic then also tells when a deployment rolled back, and why.
        alarms: [...functionAlarms(new Construct(this, 'Alarms'), monitored), ...rollout.alarms],
        dashboardWidgets: [...functionDashboardRow(monitored, this.backend), rollout.dashboardWidget],
      },
    };
  }

  /**
   * CodeDeploy moves the `live` alias from now on: by the rollout setting, behind the golden-set check when the
   * version has a golden set. Without one the synth says so, with how to record it: never silently unchecked.
   */
  private createRollout(fn: InferenceFunction | InferenceImageFunction, props: ServedModelProps): ModelRollout {
    const { artifact } = props;
    const rollout = new ModelRollout(this, 'Rollout', {
      modelName: artifact.name,
      modelVersion: artifact.version,
      function: fn.function,
      alias: fn.alias,
      logGroup: fn.logGroup,
      ...(props.rollout === undefined ? {} : { rollout: props.rollout }),
      ...(props.rolloutApplication === undefined ? {} : { application: props.rolloutApplication }),
      ...(artifact.golden === undefined ? {} : { goldenSet: artifact.golden, goldenSetBucket: props.modelBucket }),
      ...(props.serviceName === undefined ? {} : { serviceName: props.serviceName }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
    if (artifact.golden === undefined) {
      const folder = path.relative(process.cwd(), path.dirname(artifact.modelPath)) || '.';
      Annotations.of(this).addWarningV2(
        'model-endpoint:no-golden-set',
        `model ${artifact.name} version ${artifact.version} has no golden set: its rollout (${describeRollout(rollout.rollout)}) shifts traffic without checking the new version's answers first, guarded by its alarms only. Record one with \`npm run golden -- ${folder}\` and deploy again`,
      );
    }
    return rollout;
  }
}
