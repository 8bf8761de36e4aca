import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledge } from '../compliance';
import { propError } from './prop-error';

/** SageMaker's allowed serverless memory sizes (ProductionVariantServerlessConfig.MemorySizeInMB). */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

/** SageMaker's bounds of a serverless variant's MaxConcurrency (and ProvisionedConcurrency). */
export const SERVERLESS_MAX_CONCURRENCY = 200;

/** The one production variant every endpoint of this app has (SageMaker's own default name). */
export const VARIANT_NAME = 'AllTraffic';

/** CPU architecture a SageMaker container image must be built for. */
export type ContainerArchitecture = 'x86_64' | 'arm64';

/**
 * The architecture of an ML instance type: Graviton families carry a `g` after the generation (ml.c7g, ml.m6gd,
 * ml.r7g), everything else is x86_64 (GPU families start with `g`, as in ml.g5, and stay x86_64). Serverless
 * endpoints run x86_64 only.
 */
export function instanceArchitecture(instanceType: string | undefined): ContainerArchitecture {
  if (instanceType === undefined) return 'x86_64';
  return /^ml\.[a-z]+\d+g[a-z]*\./.test(instanceType) ? 'arm64' : 'x86_64';
}

export interface SageMakerEndpointProps {
  /** Model name as served in URLs; used in descriptions. */
  readonly modelName: string;
  /** Model version as served in URLs; used in descriptions. */
  readonly modelVersion: string;
  /** URI of the container image (the SageMaker container contract: `serve`, port 8080, /ping, /invocations). */
  readonly imageUri: string;
  /** Repository of that image; the endpoint's execution role may pull from this one repository. */
  readonly imageRepository: ecr.IRepository;
  /** Environment of the container. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Size of the model file, used to size the serverless memory by default and to refuse a model that no
   * serverless size holds. @default 0
   */
  readonly modelSizeBytes?: number;
  /**
   * Serverless memory, one of 1024, 2048, 3072, 4096, 5120, 6144. Only without `instanceType`.
   * @default - 2048, more for models over ~500 MB (about 3x the model file plus 512 MB for Node.js)
   */
  readonly memorySizeInMB?: number;
  /** Serverless concurrent invocations at most, 1 to 200; more are throttled. Only without `instanceType`. @default 10 */
  readonly maxConcurrency?: number;
  /** Serverless concurrency kept warm, 1 to maxConcurrency. Only without `instanceType`. @default - none: on demand */
  readonly provisionedConcurrency?: number;
  /**
   * An ML instance type (e.g. `ml.c7g.xlarge`, Graviton, or `ml.m5.xlarge`) instead of serverless: always-on
   * capacity for steady traffic or models over serverless' 6 GB. @default - serverless
   */
  readonly instanceType?: string;
  /** Instances the endpoint starts with, and the autoscaling minimum. Only with `instanceType`. @default 1 */
  readonly initialInstanceCount?: number;
  /**
   * Upper bound of target-tracking autoscaling on SageMakerVariantInvocationsPerInstance. Only with `instanceType`.
   * @default - initialInstanceCount (no autoscaling)
   */
  readonly maxInstanceCount?: number;
  /**
   * Invocations per instance per minute that autoscaling aims at. Measure it with a load test: the rate one
   * instance serves within your latency goal, times about 0.5 for headroom. Only with `maxInstanceCount`.
   * @default 300
   */
  readonly invocationsPerInstanceTarget?: number;
  /** Retention of the endpoint's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A SageMaker model, endpoint config and endpoint running one container image: serverless by default, or an ML
 * instance type with target-tracking autoscaling on invocations per instance. The execution role may pull the one
 * image repository and write the endpoint's own log group, nothing else: the model is inside the image, so the
 * container needs no S3 access.
 */
export class SageMakerEndpoint extends Construct {
  public readonly model: sagemaker.CfnModel;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpoint: sagemaker.CfnEndpoint;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** The endpoint's name, known at synth (see the constructor for why it is a physical name). */
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly variantName: string;
  /** Whether the endpoint is serverless (no instance type). */
  public readonly serverless: boolean;
  /** The architecture the image must be built for: x86_64 for serverless, the instance family's otherwise. */
  public readonly architecture: ContainerArchitecture;
  /** Present when instances autoscale (maxInstanceCount above initialInstanceCount). */
  public readonly scalableTarget?: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: SageMakerEndpointProps) {
    super(scope, id);
    const variant = validateVariant(this, props);
    this.serverless = props.instanceType === undefined;
    this.architecture = instanceArchitecture(props.instanceType);
    this.variantName = VARIANT_NAME;

    // A physical name, against the usual rule: SageMaker writes the container's logs to
    // /aws/sagemaker/Endpoints/<endpoint name>, so only a name known before the endpoint exists lets this stack own
    // that log group (retention) and scope the role's log writes to it. Lowercase: endpoint ARNs are lowercase, and
    // the forwarder's InvokeEndpoint grant must match the ARN exactly.
    this.endpointName = Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/sagemaker/Endpoints/${this.endpointName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Destroyed with the stack: a retained log group of this fixed name would make the next deploy of the same
      // stack fail with "already exists".
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of model ${props.modelName} version ${props.modelVersion}`,
    });
    props.imageRepository.grantPull(this.role);
    acknowledge(this.role, 'AwsSolutions-IAM5[Resource::*]', [
      'The only statement on Resource "*" is ecr:GetAuthorizationToken, which ECR defines for no resource type;',
      "the image pull itself (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) is scoped to the image's repository,",
      "and log writes to the endpoint's own log group.",
    ]);
    const { policyDependable } = this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // SageMaker creates the log group if missing (it exists: above) and one stream per instance.
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: {
        image: props.imageUri,
        mode: 'SingleModel',
        environment: { ...(props.environment ?? {}) },
      },
      // The model and runtime are inside the image and the container calls no AWS API, so on instances it runs with
      // no network at all. Serverless endpoints do not support network isolation (nor a VPC).
      enableNetworkIsolation: !this.serverless,
    });
    // The image pull and the log writes happen while the endpoint is created: the role's policy must exist first.
    // (The role itself needs no DependsOn: executionRoleArn refers to it.)
    if (policyDependable !== undefined) this.model.node.addDependency(policyDependable);

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: [{ variantName: this.variantName, modelName: this.model.attrModelName, ...variant }],
    });

    const initial = props.initialInstanceCount ?? 1;
    const max = props.maxInstanceCount ?? initial;
    const autoscaled = !this.serverless && max > initial;
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: this.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      // A new model version is a new endpoint config; keep the instance count autoscaling reached instead of falling
      // back to initialInstanceCount under load. (SageMaker refuses an instance type change on an autoscaled
      // variant either way: remove maxInstanceCount for that one deploy.)
      ...(autoscaled ? { retainAllVariantProperties: true } : {}),
    });
    this.endpoint.node.addDependency(this.logGroup);
    this.endpointArn = this.endpoint.attrEndpointArn;

    if (autoscaled) {
      this.scalableTarget = new appscaling.ScalableTarget(this, 'Scaling', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${this.endpointName}/variant/${this.variantName}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: initial,
        maxCapacity: max,
        // The service-linked role Application Auto Scaling uses for SageMaker anyway; without it the construct
        // would create an unused role of its own.
        role: iam.Role.fromRoleArn(
          this,
          'ScalingRole',
          Stack.of(this).formatArn({
            service: 'iam',
            region: '',
            resource: 'role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com',
            resourceName: 'AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
          }),
        ),
      });
      this.scalableTarget.node.addDependency(this.endpoint);
      this.scalableTarget.scaleToTrackMetric('InvocationsPerInstance', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: props.invocationsPerInstanceTarget ?? 300,
        // Adding an instance takes minutes; removing one too early would bring the next one straight back.
        scaleInCooldown: Duration.minutes(5),
        scaleOutCooldown: Duration.minutes(1),
      });
    }
  }
}

type VariantCapacity = Pick<
  sagemaker.CfnEndpointConfig.ProductionVariantProperty,
  'serverlessConfig' | 'instanceType' | 'initialInstanceCount' | 'initialVariantWeight'
>;

/** Checks the capacity props against SageMaker's limits and returns the variant's capacity settings. */
function validateVariant(scope: Construct, props: SageMakerEndpointProps): VariantCapacity {
  const fail = (message: string): never => {
    throw propError(scope, message);
  };
  if (props.instanceType === undefined) {
    for (const instanceOnly of ['initialInstanceCount', 'maxInstanceCount', 'invocationsPerInstanceTarget'] as const) {
      if (props[instanceOnly] !== undefined) {
        fail(
          `${instanceOnly} (${props[instanceOnly]}) needs instanceType: set instanceType, e.g. "ml.c7g.xlarge", or remove ${instanceOnly} to stay serverless`,
        );
      }
    }
    const memory = props.memorySizeInMB ?? defaultServerlessMemory(scope, props.modelSizeBytes ?? 0);
    if (!(SERVERLESS_MEMORY_SIZES_MB as readonly number[]).includes(memory)) {
      fail(
        `memorySizeInMB (${memory}) is not a serverless memory size: use one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}`,
      );
    }
    const maxConcurrency = props.maxConcurrency ?? 10;
    if (!isWholeBetween(maxConcurrency, 1, SERVERLESS_MAX_CONCURRENCY)) {
      fail(
        `maxConcurrency (${maxConcurrency}) must be a whole number from 1 to ${SERVERLESS_MAX_CONCURRENCY}, SageMaker's serverless limit: e.g. 10`,
      );
    }
    const provisioned = props.provisionedConcurrency;
    if (provisioned !== undefined && !isWholeBetween(provisioned, 1, maxConcurrency)) {
      fail(
        `provisionedConcurrency (${provisioned}) must be a whole number from 1 to maxConcurrency (${maxConcurrency}): lower it or raise maxConcurrency`,
      );
    }
    return {
      serverlessConfig: {
        memorySizeInMb: memory,
        maxConcurrency,
        ...(provisioned === undefined ? {} : { provisionedConcurrency: provisioned }),
      },
    };
  }

  const instanceType = props.instanceType;
  if (!Token.isUnresolved(instanceType) && !/^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceType)) {
    fail(`instanceType ("${instanceType}") is not an ML instance type: use e.g. "ml.c7g.xlarge" or "ml.m5.xlarge"`);
  }
  for (const serverlessOnly of ['memorySizeInMB', 'maxConcurrency', 'provisionedConcurrency'] as const) {
    if (props[serverlessOnly] !== undefined) {
      fail(
        `${serverlessOnly} (${props[serverlessOnly]}) applies to serverless endpoints only, but instanceType is "${instanceType}": remove one of the two`,
      );
    }
  }
  const initial = props.initialInstanceCount ?? 1;
  if (!isWholeBetween(initial, 1, Number.MAX_SAFE_INTEGER)) {
    fail(`initialInstanceCount (${initial}) must be a whole number of at least 1`);
  }
  const max = props.maxInstanceCount;
  if (max !== undefined && (!Number.isInteger(max) || max < initial)) {
    fail(
      `maxInstanceCount (${max}) must be a whole number no lower than initialInstanceCount (${initial}): raise it or remove it`,
    );
  }
  const target = props.invocationsPerInstanceTarget;
  if (target !== undefined && (max === undefined || max === initial)) {
    fail(
      `invocationsPerInstanceTarget (${target}) only steers autoscaling: set maxInstanceCount above initialInstanceCount (${initial}), or remove it`,
    );
  }
  if (target !== undefined && !(target > 0)) {
    fail(`invocationsPerInstanceTarget (${target}) must be above 0 invocations per instance per minute, e.g. 300`);
  }
  return { instanceType, initialInstanceCount: initial, initialVariantWeight: 1 };
}

/** The smallest serverless size that holds the model (3x the file for ONNX Runtime) plus 512 MB for Node.js. */
function defaultServerlessMemory(scope: Construct, modelSizeBytes: number): number {
  const neededMb = Math.ceil((3 * modelSizeBytes) / 1024 / 1024) + 512;
  const size = SERVERLESS_MEMORY_SIZES_MB.find((mb) => mb >= Math.max(2048, neededMb));
  if (size === undefined) {
    throw propError(
      scope,
      `modelSizeBytes (${modelSizeBytes}) needs about ${neededMb} MB to serve, over serverless' 6144 MB: set instanceType (e.g. "ml.r7g.xlarge", 32 GB) to serve it from instances`,
    );
  }
  return size;
}

function isWholeBetween(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
