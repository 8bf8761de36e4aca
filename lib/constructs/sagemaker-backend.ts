import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';
import { type ModelDescriptor, serializeModelDescriptor, sha256Hex } from '../../contract/model-descriptor';
import { defaultRollout, describeRollout, type Rollout } from '../rollout-setting';
import { validateModelIdentity } from './model-identity';
import type { ModelTarget } from './model-target';
import { propError } from './prop-error';
import { SageMakerContainerImage } from './sagemaker-container-image';
import {
  instanceArchitecture,
  SageMakerEndpoint,
  type SageMakerEndpointProps,
  VARIANT_NAME,
} from './sagemaker-endpoint';
import { SageMakerForwarder } from './sagemaker-forwarder';
import { endpointGuardrails } from './sagemaker-guardrails';

/** The endpoint's capacity settings, as SageMakerEndpoint defines, validates and defaults them. */
type EndpointCapacityProps = Omit<
  SageMakerEndpointProps,
  'modelName' | 'modelVersion' | 'imageUri' | 'imageRepository' | 'environment' | 'modelSizeBytes' | 'logRetention'
>;

const CAPACITY_PROPS = [
  'memorySizeInMB',
  'maxConcurrency',
  'provisionedConcurrency',
  'instanceType',
  'initialInstanceCount',
  'maxInstanceCount',
  'invocationsPerInstanceTarget',
] as const satisfies readonly (keyof EndpointCapacityProps)[];

export interface SageMakerBackendProps extends EndpointCapacityProps {
  /** Model name as served in URLs. */
  readonly modelName: string;
  /** Model version as served in URLs. */
  readonly modelVersion: string;
  /** The model's descriptor as built at synth; its artifact sha256 pins the model inside the image. */
  readonly descriptor: ModelDescriptor;
  /** Bucket holding the uploaded descriptor. */
  readonly descriptorBucket: s3.IBucket;
  /** Content-addressed key of the uploaded descriptor. */
  readonly descriptorKey: string;
  /** Lowercase hex sha256 of the descriptor's canonical bytes. */
  readonly descriptorSha256: string;
  /** The model file baked into the image. Required unless `existingEndpointName` is set. @default - none */
  readonly modelFile?: string;
  /**
   * An endpoint that already serves the model with the same protocol (bring your own container, e.g. Triton's ONNX
   * container): only the forwarder, its alarms and dashboard row are created. @default - a new endpoint
   */
  readonly existingEndpointName?: string;
  /** Production variant of the existing endpoint, for its metrics. @default 'AllTraffic' */
  readonly existingVariantName?: string;
  /** The container's entry point. @default - lambda/sagemaker-server.ts of this project */
  readonly serverEntry?: string;
  /** The forwarder's handler entry. @default - lambda/handler.mts of this project */
  readonly handlerEntry?: string;
  /** Retention of the forwarder's and the endpoint's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: SageMakerEndpointProps['logRetention'];
  /** The runtime's service name (logs' `service`, metrics' `service` dimension). @default 'model-endpoint' */
  readonly serviceName?: string;
  /** Endpoint ModelLatency p99 (ms) that raises the alarm when sustained for 15 minutes. @default 3000 */
  readonly modelLatencyP99ThresholdMs?: number;
  /**
   * How an update of the endpoint moves traffic to the new model: SageMaker's blue/green deployment guardrails
   * (instance endpoints), rolled back by the endpoint's 5xx, the runtime's 5xx and the p99 latency alarms.
   * @default - Canary10Percent5Minutes
   */
  readonly rollout?: Rollout;
}

/**
 * The alarms that roll an endpoint update back: what the container and the runtime answer, and how fast. Both
 * fleets serve under the one variant name, so none of them can tell the new fleet from the old one.
 */
const ROLLBACK_ALARM_IDS: readonly string[] = ['Endpoint5xx', 'InferenceErrors', 'ModelLatencyP99'];

/**
 * What a served model may set about its SageMaker capacity: the endpoint's size and scaling, or an existing
 * endpoint to forward to instead. The rest of SageMakerBackendProps follows from the model itself.
 */
export type SageMakerCapacityProps = EndpointCapacityProps &
  Pick<SageMakerBackendProps, 'existingEndpointName' | 'existingVariantName'>;

/**
 * A model served by SageMaker, as one unit: the container image with the project's runtime and the model, the
 * SageMaker model, endpoint config and endpoint (or an existing endpoint), and the forwarder function that API
 * Gateway invokes. Gives the rest of the stack its ModelTarget: the forwarder's `live` alias, alarms on the
 * forwarder, the runtime's 5xx answers and the endpoint, and a dashboard row.
 */
export class SageMakerBackend extends Construct implements ModelTarget {
  public readonly modelName: string;
  public readonly modelVersion: string;
  public readonly handler: lambda.IFunction;
  public readonly alarms: readonly cloudwatch.IAlarm[];
  public readonly dashboardWidgets: readonly cloudwatch.IWidget[];
  public readonly forwarder: SageMakerForwarder;
  /** Absent with `existingEndpointName`. */
  public readonly image?: SageMakerContainerImage;
  /** Absent with `existingEndpointName`. */
  public readonly endpoint?: SageMakerEndpoint;
  public readonly endpointName: string;
  public readonly variantName: string;

  constructor(scope: Construct, id: string, props: SageMakerBackendProps) {
    super(scope, id);
    validateProps(this, props);
    this.modelName = props.modelName;
    this.modelVersion = props.modelVersion;
    const service = props.serviceName ?? SERVICE_NAME;
    const logRetention = props.logRetention === undefined ? {} : { logRetention: props.logRetention };

    let endpointArn: string;
    if (props.existingEndpointName !== undefined) {
      this.endpointName = props.existingEndpointName;
      this.variantName = props.existingVariantName ?? VARIANT_NAME;
      endpointArn = Stack.of(this).formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        // SageMaker endpoint ARNs hold the name in lowercase.
        resourceName: Token.isUnresolved(this.endpointName) ? this.endpointName : this.endpointName.toLowerCase(),
      });
    } else {
      const modelFile = props.modelFile;
      if (modelFile === undefined) {
        throw propError(
          this,
          'modelFile is missing: pass the model file to bake into the image, or set existingEndpointName',
        );
      }
      const capacity = Object.fromEntries(
        CAPACITY_PROPS.filter((name) => props[name] !== undefined).map((name) => [name, props[name]]),
      ) as EndpointCapacityProps;
      this.image = new SageMakerContainerImage(this, 'Image', {
        modelFile,
        descriptor: props.descriptor,
        // The image's platform follows where it runs: x86_64 for serverless, the instance family's otherwise.
        architecture: instanceArchitecture(props.instanceType),
        ...(props.serverEntry === undefined ? {} : { entry: props.serverEntry }),
      });
      this.endpoint = new SageMakerEndpoint(this, 'Endpoint', {
        ...capacity,
        ...logRetention,
        modelName: props.modelName,
        modelVersion: props.modelVersion,
        imageUri: this.image.asset.imageUri,
        imageRepository: this.image.asset.repository,
        modelSizeBytes: props.descriptor.artifact.sizeBytes,
        environment: {
          [ModelEnvironment.name]: props.modelName,
          [ModelEnvironment.version]: props.modelVersion,
          [ModelEnvironment.sha256]: props.descriptor.artifact.sha256,
          [ModelEnvironment.descriptorSha256]: props.descriptorSha256,
          ...this.image.environment,
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        },
      });
      this.endpointName = this.endpoint.endpointName;
      this.variantName = this.endpoint.variantName;
      endpointArn = this.endpoint.endpointArn;
    }

    this.forwarder = new SageMakerForwarder(this, 'Forwarder', {
      ...logRetention,
      modelName: props.modelName,
      modelVersion: props.modelVersion,
      endpointName: this.endpointName,
      endpointArn,
      descriptorBucket: props.descriptorBucket,
      descriptorKey: props.descriptorKey,
      descriptorSha256: props.descriptorSha256,
      serviceName: service,
      ...(props.handlerEntry === undefined ? {} : { entry: props.handlerEntry }),
    });
    this.handler = this.forwarder.alias;

    this.alarms = this.createAlarms(service, props.modelLatencyP99ThresholdMs ?? 3000);
    this.dashboardWidgets = this.createWidgets(service);
    if (this.endpoint !== undefined) {
      this.guardEndpointUpdates(this.endpoint, props);
    } else {
      Annotations.of(this).addInfo(
        `model ${this.modelName}: endpoint ${this.endpointName} is not this stack's, so its updates follow its own deployment config; the rollout setting does not apply`,
      );
    }
  }

  /**
   * Deployment guardrails on the endpoint this stack owns. A serverless endpoint has no fleet of instances to
   * shift by share, so it keeps SageMaker's default update (blue/green, all at once) and the synth says so.
   */
  private guardEndpointUpdates(endpoint: SageMakerEndpoint, props: SageMakerBackendProps): void {
    const rollout = props.rollout ?? defaultRollout();
    const who = `model ${this.modelName} version ${this.modelVersion}`;
    if (endpoint.serverless) {
      Annotations.of(this).addInfo(
        `${who}: a serverless SageMaker endpoint updates blue/green all at once; the rollout setting (${describeRollout(rollout)}) applies to instance endpoints (set sagemaker.instanceType for traffic shifting with automatic rollback)`,
      );
      return;
    }
    const rollbackAlarms = this.alarms.filter((alarm) => ROLLBACK_ALARM_IDS.includes(alarm.node.id));
    const guardrails = endpointGuardrails(this, rollout, props.initialInstanceCount ?? 1, rollbackAlarms);
    endpoint.endpoint.deploymentConfig = guardrails.deploymentConfig;
    if (guardrails.deviation !== undefined) {
      Annotations.of(this).addWarningV2('model-endpoint:sagemaker-rollout', `${who}: ${guardrails.deviation}`);
    }
  }

  private endpointMetric(metricName: string, statistic: string, namespace = 'AWS/SageMaker'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      statistic,
      period: Duration.minutes(1),
    });
  }

  /** The runtime's metric for this model version: Powertools adds `service`, the runtime `model` and `version`. */
  private runtimeMetric(service: string, metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service, [MODEL_DIMENSION]: this.modelName, [VERSION_DIMENSION]: this.modelVersion },
      statistic,
      period: Duration.minutes(1),
    });
  }

  private createAlarms(service: string, latencyP99Ms: number): cloudwatch.Alarm[] {
    const live = this.forwarder.alias;
    const logs = this.forwarder.logGroup.logGroupName;
    const endpointLogs = `/aws/sagemaker/Endpoints/${this.endpointName}`;
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    const onAnyCount = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const who = `Model ${this.modelName} version ${this.modelVersion} (SageMaker endpoint ${this.endpointName})`;
    return [
      new cloudwatch.Alarm(this, 'Errors', {
        ...onAnyCount,
        metric: live.metricErrors(fiveMinutes),
        alarmDescription:
          `${who}: its forwarder function (live alias) failed (crash, timeout or out of memory) in the last 5 ` +
          `minutes. Check first: the log group ${logs} for "Task timed out" (a cold serverless endpoint can take ` +
          'longer than the function timeout) or "level": "ERROR".',
      }),
      new cloudwatch.Alarm(this, 'Throttles', {
        ...onAnyCount,
        metric: live.metricThrottles(fiveMinutes),
        alarmDescription:
          `${who}: Lambda refused invocations of the forwarder for lack of concurrency in the last 5 minutes. ` +
          "Check first: the account's concurrent executions (Service Quotas) against the forwarder's concurrency.",
      }),
      new cloudwatch.Alarm(this, 'InferenceErrors', {
        ...onAnyCount,
        metric: this.runtimeMetric(service, RuntimeMetric.inferenceErrors, 'Sum').with({ period: Duration.minutes(5) }),
        alarmDescription:
          `${who}: the runtime answered requests with 5xx in the last 5 minutes (503: the endpoint was down or ` +
          `the descriptor could not be read; 500: forwarding failed). Check first: the log group ${logs} for ` +
          '"request failed", then the endpoint\'s status in the SageMaker console.',
      }),
      new cloudwatch.Alarm(this, 'Endpoint5xx', {
        ...onAnyCount,
        metric: this.endpointMetric('Invocation5XXErrors', 'Sum').with({ period: Duration.minutes(5) }),
        alarmDescription:
          `${who}: the endpoint's container answered 5xx in the last 5 minutes. Check first: the log group ` +
          `${endpointLogs} for "model load failed" (a sha256 mismatch means the image does not hold the pinned ` +
          'model: redeploy) or errors, and MemoryUtilization on the dashboard.',
      }),
      new cloudwatch.Alarm(this, 'ModelLatencyP99', {
        // ModelLatency is in microseconds.
        metric: this.endpointMetric('ModelLatency', 'p99').with({ period: Duration.minutes(5) }),
        threshold: latencyP99Ms * 1000,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          `${who}: the container's p99 ModelLatency stayed above ${latencyP99Ms} ms for 15 minutes. Check first: ` +
          'CPU and memory utilisation (more memory or a larger instance type), then invocations per instance ' +
          '(raise maxInstanceCount or maxConcurrency).',
      }),
    ];
  }

  private createWidgets(service: string): cloudwatch.IWidget[] {
    const live = this.forwarder.alias;
    const minute = { period: Duration.minutes(1) };
    const graph = (title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title: `${this.modelName}: ${title}`, left: metrics, width: 6, height: 6 });
    const endpoint = (metricName: string, statistic: string, label: string, namespace?: string): cloudwatch.Metric =>
      this.endpointMetric(metricName, statistic, namespace).with({ label });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({
        markdown: `## Model ${this.modelName} (version ${this.modelVersion}, SageMaker endpoint ${this.endpointName})`,
        width: 24,
        height: 1,
      }),
      graph('forwarder invocations, errors, throttles', [
        live.metricInvocations({ ...minute, label: 'invocations' }),
        live.metricErrors({ ...minute, label: 'errors' }),
        live.metricThrottles({ ...minute, label: 'throttles' }),
        this.runtimeMetric(service, RuntimeMetric.inferenceErrors, 'Sum').with({ label: 'InferenceErrors Sum' }),
      ]),
      graph('forwarder duration (ms)', [
        live.metricDuration({ ...minute, statistic: 'p50', label: 'p50' }),
        live.metricDuration({ ...minute, statistic: 'p99', label: 'p99' }),
      ]),
      graph('endpoint invocations and errors', [
        endpoint('Invocations', 'Sum', 'invocations'),
        endpoint('Invocation4XXErrors', 'Sum', '4xx'),
        endpoint('Invocation5XXErrors', 'Sum', '5xx'),
      ]),
      graph('endpoint latency (µs)', [
        endpoint('ModelLatency', 'p50', 'model p50'),
        endpoint('ModelLatency', 'p99', 'model p99'),
        endpoint('OverheadLatency', 'p99', 'overhead p99'),
      ]),
    ];
    if (this.endpoint?.serverless === true) {
      // Serverless endpoints report their cold starts as ModelSetupTime (µs) and their memory, no CPU.
      widgets.push(
        graph('serverless cold starts and memory', [
          endpoint('ModelSetupTime', 'Maximum', 'model setup time (µs)'),
          endpoint('MemoryUtilization', 'Maximum', 'memory %', '/aws/sagemaker/Endpoints'),
        ]),
      );
    } else {
      widgets.push(
        graph('instances: CPU and memory (%)', [
          endpoint('CPUUtilization', 'Average', 'CPU % (100 per vCPU)', '/aws/sagemaker/Endpoints'),
          endpoint('MemoryUtilization', 'Average', 'memory %', '/aws/sagemaker/Endpoints'),
        ]),
        graph('invocations per instance', [endpoint('InvocationsPerInstance', 'Sum', 'per instance')]),
      );
    }
    return widgets;
  }
}

function validateProps(scope: Construct, props: SageMakerBackendProps): void {
  validateModelIdentity(scope, props);
  const { descriptor } = props;
  if (descriptor.name !== props.modelName || descriptor.version !== props.modelVersion) {
    throw propError(
      scope,
      `descriptor (model ${descriptor.name} version ${descriptor.version}) does not describe model ${props.modelName} version ${props.modelVersion}: pass that version's descriptor`,
    );
  }
  const digest = sha256Hex(serializeModelDescriptor(descriptor));
  if (digest !== props.descriptorSha256) {
    throw propError(
      scope,
      `descriptorSha256 ("${props.descriptorSha256}") is not the sha256 of the descriptor's canonical bytes (${digest}): pass the digest of the uploaded descriptor`,
    );
  }
  const name = props.existingEndpointName;
  if (name !== undefined) {
    if (!Token.isUnresolved(name) && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name)) {
      throw propError(
        scope,
        `existingEndpointName ("${name}") is not a SageMaker endpoint name: letters, digits and "-", at most 63 characters`,
      );
    }
    for (const capacity of [...CAPACITY_PROPS, 'modelFile', 'serverEntry'] as const) {
      if (props[capacity] !== undefined) {
        throw propError(
          scope,
          `${capacity} (${String(props[capacity])}) has no effect with existingEndpointName ("${name}"), whose container and capacity are managed where it was created: remove one of the two`,
        );
      }
    }
  } else if (props.existingVariantName !== undefined) {
    throw propError(
      scope,
      `existingVariantName ("${props.existingVariantName}") needs existingEndpointName: set it, or remove existingVariantName`,
    );
  }
  const latency = props.modelLatencyP99ThresholdMs;
  if (latency !== undefined && !(latency > 0)) {
    throw propError(scope, `modelLatencyP99ThresholdMs (${latency}) must be above 0, e.g. 3000`);
  }
}
