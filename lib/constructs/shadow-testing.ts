import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, SubscriptionFilter } from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import type { Backend } from '../../contract/backends';
import { SERVICE_NAME, SHADOW_SAMPLE_MARKER, ShadowEnvironment } from '../../contract/environment';
import { acknowledge } from '../compliance';
import type { InferenceFunction } from './inference-function';
import type { InferenceImageFunction } from './inference-image-function';
import { modelRuntimeFunction } from './model-runtime-function';
import type { ModelArtifact } from './model-store';
import { propError } from './prop-error';
import type { ServedModelProps } from './served-model';
import { ShadowComparatorFunction } from './shadow-comparator-function';
import { shadowDashboardRow } from './shadow-dashboard';

/** A served model's shadow candidate: which artifact, and the share of live inferences it sees a copy of. */
export interface ShadowCandidateProps {
  /** The candidate version's artifact, uploaded by ModelStore like the live one. */
  readonly artifact: ModelArtifact;
  /** Share of successful inference requests sampled, in (0, 1]. */
  readonly sampleRate: number;
}

export interface ShadowTestingProps extends ShadowCandidateProps {
  /** The live model's props: the candidate runs with the same bucket, runtime, entry and function options. */
  readonly served: ServedModelProps;
  /** The live model's backend; the candidate gets the same one. */
  readonly backend: Backend;
  /** The live function: its environment gets the sample rate. */
  readonly liveFunction: lambda.IFunction;
  /** The live function's log group, where the samples land. */
  readonly liveLogGroup: ILogGroup;
}

/**
 * Shadow testing of one served model: the candidate version as its own function (the live model's backend, with no
 * route and no provisioned concurrency), the live function sampling its inferences into its log group, a
 * subscription filter that hands exactly those samples to a comparator, and the comparator that replays them against
 * the candidate and publishes agreement, difference, latency and errors. Nothing of it is on the caller's path but
 * the one log line per sampled request.
 */
export class ShadowTesting extends Construct {
  /** The candidate's function (its `live` alias is what the comparator invokes; the API never routes to it). */
  public readonly candidate: InferenceFunction | InferenceImageFunction;
  public readonly comparator: ShadowComparatorFunction;
  public readonly subscription: SubscriptionFilter;
  /** The shadow row for the model's dashboard. */
  public readonly dashboardWidgets: readonly cloudwatch.IWidget[];

  constructor(scope: Construct, id: string, props: ShadowTestingProps) {
    super(scope, id);
    const { artifact, served, sampleRate } = props;
    const live = served.artifact;
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw propError(this, `sampleRate (${sampleRate}) must be greater than 0 and at most 1, e.g. 0.05`);
    }
    if (artifact.name !== live.name || artifact.version === live.version) {
      throw propError(
        this,
        `the candidate (model ${artifact.name} version ${artifact.version}) must be another version of model ${live.name} than the live ${live.version}`,
      );
    }
    if (!(props.liveFunction instanceof lambda.Function)) {
      throw propError(this, `model ${live.name}: shadow testing needs the live model to run in a Lambda function`);
    }
    this.candidate = this.candidateFunction(props);
    const serviceName = served.serviceName ?? SERVICE_NAME;
    this.comparator = new ShadowComparatorFunction(this, 'Comparator', {
      modelName: artifact.name,
      candidateVersion: artifact.version,
      candidate: this.candidate.alias,
      serviceName,
      ...(served.logRetention === undefined ? {} : { logRetention: served.logRetention }),
    });
    props.liveFunction.addEnvironment(ShadowEnvironment.sampleRate, String(sampleRate));
    this.subscription = new SubscriptionFilter(this, 'Samples', {
      logGroup: props.liveLogGroup,
      destination: new LambdaDestination(this.comparator.function),
      // The marker field only the shadow sample records carry (lambda/shadow/shadow-sample.ts).
      filterPattern: FilterPattern.numberValue(`$.${SHADOW_SAMPLE_MARKER}`, '=', 1),
    });
    this.dashboardWidgets = shadowDashboardRow({
      modelName: artifact.name,
      liveVersion: live.version,
      candidateVersion: artifact.version,
      sampleRate,
      serviceName,
    });
  }

  /**
   * The candidate with the live model's backend construct and options, less what would cost money for no traffic
   * (provisioned concurrency) or take capacity from the live model (reserved concurrency).
   */
  private candidateFunction(props: ShadowTestingProps): InferenceFunction | InferenceImageFunction {
    const { artifact, served } = props;
    if (props.backend === 'sagemaker') {
      throw propError(
        this,
        `model ${artifact.name} runs on sagemaker: shadow testing needs a model that runs in a Lambda function (backend lambda or lambda-image); remove its shadow settings`,
      );
    }
    const fn = modelRuntimeFunction(this, 'Candidate', props.backend, {
      artifact,
      modelBucket: served.modelBucket,
      onnxRuntime: served.onnxRuntime,
      ...(served.artifactUpload === undefined ? {} : { artifactUpload: served.artifactUpload }),
      ...(served.entry === undefined ? {} : { entry: served.entry }),
      options: {
        ...(served.memorySizeMiB === undefined ? {} : { memorySizeMiB: served.memorySizeMiB }),
        ...(served.timeout === undefined ? {} : { timeout: served.timeout }),
        ...(served.logRetention === undefined ? {} : { logRetention: served.logRetention }),
        ...(served.serviceName === undefined ? {} : { serviceName: served.serviceName }),
      },
    });
    acknowledge(fn.role, 'AwsSolutions-IAM5[Resource::*]', [
      'The statements on Resource "*" are xray:PutTraceSegments + xray:PutTelemetryRecords, added by tracing:',
      'ACTIVE; X-Ray defines no resource types for these actions, so they cannot be scoped. S3 access, if any, is',
      "s3:GetObject on the candidate's one content-addressed key and its descriptor's key.",
    ]);
    return fn;
  }
}
