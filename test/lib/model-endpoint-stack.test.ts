import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  RuntimeMetric,
  SERVICE_NAME,
  VERSION_DIMENSION,
} from '../../contract/environment';
import { expandPath, ROUTES } from '../../contract/http-api';
import type { SageMakerBackend } from '../../lib/constructs/sagemaker-backend';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { buildStack, fixtureSha256, synthTemplate, testApp } from './synth';

// Synthesized once for the whole file; each option below gets its own single synth.
let stack: ModelEndpointStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = synthTemplate());
});

const alphaKey = () => `models/alpha/2/${fixtureSha256('alpha', '2')}.onnx`;

describe('model store', () => {
  it('keeps the model bucket logical id stable, since a change would replace the bucket', () => {
    expect(stack.getLogicalId(stack.modelStore.bucket.node.defaultChild as never)).toBe('ModelStoreBucket9405F36E');
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toContain('ModelStoreBucket9405F36E');
  });

  it('makes the model bucket versioned, encrypted, private and access-logged', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^ModelStoreAccessLogs') },
        LogFilePrefix: 'model-bucket/',
      },
    });
  });

  it('retains both buckets and denies non-TLS access to them', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) expect(bucket.DeletionPolicy).toBe('Retain');
    const policies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(2);
  });

  it('uploads content-addressed artifacts without pruning earlier ones', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      Prune: false,
      DestinationBucketName: { Ref: 'ModelStoreBucket9405F36E' },
    });
    expect(stack.modelStore.artifacts.map((artifact) => artifact.key)).toEqual([
      alphaKey(),
      `models/beta/1/${fixtureSha256('beta', '1')}.onnx`,
    ]);
  });
});

describe('inference functions', () => {
  it('creates one Node.js 24 arm64 function per model, traced, with source maps', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x' },
    });
    expect(Object.keys(functions)).toHaveLength(2);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: 1769,
      Timeout: 20,
      TracingConfig: { Mode: 'Active' },
      Layers: [{ Ref: Match.stringLikeRegexp('^OnnxRuntimeLayer') }],
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^ModelsalphaLogs') } },
    });
  });

  it('pins each function to its artifact and sha256 through the contract environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          MODEL_NAME: 'alpha',
          MODEL_VERSION: '2',
          MODEL_BUCKET: { Ref: 'ModelStoreBucket9405F36E' },
          MODEL_KEY: alphaKey(),
          MODEL_SHA256: fixtureSha256('alpha', '2'),
          POWERTOOLS_SERVICE_NAME: 'model-endpoint',
          POWERTOOLS_METRICS_NAMESPACE: 'ModelEndpoint',
        },
      },
    });
  });

  it('lets a function read its own model key and descriptor key and nothing else in the bucket', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^ModelsalphaRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const s3Statements = statements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    const objectArn = (key: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': ['ModelStoreBucket9405F36E', 'Arn'] }, `/${key}`]],
    });
    const alpha = stack.modelStore.artifactOf('alpha', '2');
    expect(alpha.descriptorKey).toMatch(/^models\/alpha\/2\/[0-9a-f]{64}\.json$/);
    expect(s3Statements).toHaveLength(1);
    expect(s3Statements[0]).toMatchObject({ Action: 's3:GetObject', Effect: 'Allow' });
    expect(s3Statements[0]?.Resource).toHaveLength(2);
    expect(s3Statements[0]?.Resource).toEqual(
      expect.arrayContaining([objectArn(alphaKey()), objectArn(alpha.descriptorKey)]),
    );
  });

  it('points a live alias at the current version, without provisioned concurrency by default', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Alias', { Name: 'live' }, 2);
    template.allResourcesProperties('AWS::Lambda::Alias', {
      ProvisionedConcurrencyConfig: Match.absent(),
    });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.allResourcesProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
  });

  it('sets a retention on every log group', () => {
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('ships ONNX Runtime as an arm64 layer for Node.js 24', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      CompatibleRuntimes: ['nodejs24.x'],
      Description: Match.stringLikeRegexp('^onnxruntime-node 1\\.30\\.0 .*linux-arm64 binaries only'),
    });
  });
});

describe('api', () => {
  it('is one regional REST API with a traced, throttled, access-logged stage', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      // Unique per stack, since API Gateway metrics (and so the alarms) are keyed by the API name.
      Name: 'ModelEndpoint-Api',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'ModelEndpoint-Api' }],
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        }),
      ],
    });
  });

  it('requires the API key on every method, health included', () => {
    template.allResourcesProperties('AWS::ApiGateway::Method', { ApiKeyRequired: true, AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: Match.absent(),
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  it('serves every protocol route for every model', () => {
    const pathParts = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (resource) => resource.Properties.PathPart as string,
    );
    for (const part of ['v2', 'health', 'live', 'ready', 'models', 'alpha', 'beta', 'versions', '{version}', 'infer']) {
      expect(pathParts).toContain(part);
    }
    expect(pathParts).toEqual(expect.arrayContaining(['v1', 'alpha:predict', 'beta:predict']));
    // Per model: metadata, ready and infer, with and without /versions/{version}, plus v1 predict and feedback, each
    // with an ANY beside it; plus GET and ANY on /v2 and on /v2/openapi.json, and the two health mocks.
    template.resourceCountIs('AWS::ApiGateway::Method', 2 * 8 * 2 + 2 + 2 + 2);
  });

  it("has a resource and method for each route of the contract's table, expanded per model", () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const pathOf = (id: string): string => {
      const resource = resources[id];
      if (resource === undefined) throw new Error(`the template has no resource ${id}`);
      // The root resource's children name their parent with Fn::GetAtt, every other resource with Ref.
      const { ParentId, PathPart } = resource.Properties as { ParentId: { Ref?: string }; PathPart: string };
      return `${ParentId.Ref === undefined ? '' : pathOf(ParentId.Ref)}/${PathPart}`;
    };
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((method) => {
      const { HttpMethod, ResourceId } = method.Properties as { HttpMethod: string; ResourceId: { Ref: string } };
      return `${HttpMethod} ${pathOf(ResourceId.Ref)}`;
    });
    const expected = ROUTES.flatMap((route) =>
      (route.path.includes('{model}') ? ['alpha', 'beta'] : ['']).flatMap((model) =>
        expandPath(route.path).map((path) => `${route.method} ${path.replace('{model}', model)}`),
      ),
    );
    expect(expected).toHaveLength(2 * 8 + 4);
    expect(methods).toEqual(expect.arrayContaining(expected));
  });

  it('sends undeclared verbs to the runtime, behind the same API key, so it can answer 405', () => {
    const anys = template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'ANY' } });
    expect(Object.keys(anys)).toHaveLength(2 * 8 + 2);
    for (const method of Object.values(anys)) {
      expect(method.Properties).toMatchObject({ ApiKeyRequired: true, Integration: { Type: 'AWS_PROXY' } });
    }
  });

  it("sends each model's routes to that model's live alias", () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      Integration: {
        Type: 'AWS_PROXY',
        Uri: {
          'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^ModelsalphaLive') }])],
        },
      },
    });
  });

  it('validates infer, predict and feedback bodies against a JSON schema, behind the same API key', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({
        required: ['inputs'],
        properties: Match.objectLike({
          inputs: Match.objectLike({ items: Match.objectLike({ required: ['name', 'shape', 'datatype', 'data'] }) }),
        }),
      }),
    });
    const posts = template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } });
    expect(Object.keys(posts)).toHaveLength(8);
    for (const post of Object.values(posts)) {
      expect(post.Properties.ApiKeyRequired).toBe(true);
      expect(post.Properties.RequestValidatorId).toBeDefined();
      expect(post.Properties.RequestModels['application/json']).toBeDefined();
    }
  });

  it('answers /v2/health/* in API Gateway without invoking a function', () => {
    const mocks = template.findResources('AWS::ApiGateway::Method', {
      Properties: { HttpMethod: 'GET', Integration: { Type: 'MOCK' } },
    });
    const bodies = Object.values(mocks).map(
      (method) => method.Properties.Integration.IntegrationResponses[0].ResponseTemplates['application/json'],
    );
    expect(bodies.sort()).toEqual(['{"live":true}', '{"ready":true}']);
  });

  it('lets the runtime answer server metadata at /v2, so its version and extensions cannot drift', () => {
    const v2 = Object.entries(template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'v2' } }));
    expect(v2).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: v2[0]?.[0] },
      Integration: { Type: 'AWS_PROXY' },
    });
  });

  it("serves the OpenAPI document from the first model's function, behind the same API key", () => {
    const [openapi, ...others] = Object.keys(
      template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'openapi.json' } }),
    );
    expect(others).toHaveLength(0);
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: openapi },
      ApiKeyRequired: true,
      Integration: {
        Type: 'AWS_PROXY',
        Uri: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^ModelsalphaLive') }])] },
      },
    });
  });

  it('passes binary tensor data through as bytes', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['application/octet-stream'] });
  });

  it('answers errors as {"error": ...} and unknown routes as 404', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseTemplates: { 'application/json': '{"error":$context.error.messageString}' },
    });
  });

  it('protects the stage with a WAF web ACL: managed common rules and a per-IP rate limit', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({ Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP' } } }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' }),
          },
        }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });
});

describe('monitoring', () => {
  it('alarms on API 5xx rate, API p99 latency and each model’s errors, runtime 5xx and throttles, into one topic', () => {
    // Per model: three on the live alias, three on the version being deployed (the rollout's).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * (3 + 3));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Statistic: 'Average',
      Threshold: 0.05,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', ExtendedStatistic: 'p99' });
    // Errors and InferenceErrors twice per model: on the live alias, and on the version being deployed.
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda' }, 4);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles' }, 2);
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'InferenceErrors' }, 4);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
      OKActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
    });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      // Descriptions naming a log group are Fn::Join; the text around the token is what matters.
      expect(JSON.stringify(alarm.Properties.AlarmDescription)).toContain('Check first: ');
    }
  });

  // A model that fails every request answers 500/503 from a successful invocation: only the runtime's own metric
  // sees it. It is read for the version the live alias serves, with exactly the dimensions the runtime emits.
  it('alarms on the runtime’s 5xx answers of the version each live alias serves', () => {
    for (const [model, version] of [
      ['alpha', '2'],
      ['beta', '1'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: RuntimeMetric.inferenceErrors,
        Dimensions: [
          { Name: MODEL_DIMENSION, Value: model },
          { Name: 'service', Value: SERVICE_NAME },
          { Name: VERSION_DIMENSION, Value: version },
        ],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('scopes each model’s Lambda alarms to its live alias, not every version of the function', () => {
    for (const metricName of ['Errors', 'Throttles']) {
      // The rollout's alarms watch one executed version of the alias (test/lib/model-rollout.test.ts).
      const alarms = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } }),
      ).filter((alarm) => !JSON.stringify(alarm.Properties.Dimensions).includes('ExecutedVersion'));
      expect(alarms).toHaveLength(2);
      for (const alarm of alarms) {
        const dimensions = alarm.Properties.Dimensions as Array<{ Name: string; Value: unknown }>;
        expect(dimensions.map((dimension) => dimension.Name).sort()).toEqual(['FunctionName', 'Resource']);
        const resource = dimensions.find((dimension) => dimension.Name === 'Resource');
        expect(JSON.stringify(resource?.Value)).toContain(':live');
      }
    }
  });

  it('encrypts the alarm topic with a rotated key and refuses plain HTTP, with no subscription by default', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringAlarmTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('graphs the API and every model, including the runtime custom metrics', () => {
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const expected of [
      '4XXError',
      '5XXError',
      'p90',
      'Invocations',
      'Throttles',
      'ConcurrentExecutions',
      'InferenceLatency',
      'ModelLoadTime',
      'initDurationMs',
      'InferenceErrors',
      // Runtime metrics of the version each live alias serves, with the exact dimensions the runtime emits.
      '\\"model\\",\\"alpha\\",\\"service\\",\\"model-endpoint\\",\\"version\\",\\"2\\"',
      '\\"model\\",\\"beta\\",\\"service\\",\\"model-endpoint\\",\\"version\\",\\"1\\"',
      // Lambda graphs on the live alias: its metrics carry the Resource dimension `<function>:live`.
      '\\"Resource\\",\\"',
    ]) {
      expect(dashboard).toContain(expected);
    }
    expect(dashboard).not.toContain('ProvisionedConcurrencyUtilization');
  });
});

describe('outputs', () => {
  it('prints the URL, the API key id and the command that reveals it, the dashboard, the bucket and the rollouts', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      ['ApiKeyId', 'ApiKeyValueCommand', 'ApiUrl', 'DashboardUrl', 'ModelBucketName', 'RolloutApplicationName'].sort(),
    );
    expect(JSON.stringify(outputs.ApiKeyValueCommand)).toContain(
      '--include-value --query value --output text --region ',
    );
    expect(JSON.stringify(outputs.ApiKeyValueCommand)).toContain('aws apigateway get-api-key --api-key ');
    expect(JSON.stringify(outputs.DashboardUrl)).toContain('#dashboards:name=');
  });
});

describe('stages', () => {
  // Properties that name a resource across the account and region (or, for DisplayName, the sender of alarm mails).
  // Names scoped to a parent, such as the `live` alias of each function or a role's inline policy, may repeat.
  const ACCOUNT_WIDE_NAMES = [
    'Name',
    'DisplayName',
    'BucketName',
    'FunctionName',
    'LayerName',
    'LogGroupName',
    'TopicName',
    'DashboardName',
    'AlarmName',
    'RoleName',
    'ManagedPolicyName',
    'UsagePlanName',
    'UserPoolName',
  ];
  const SCOPED_TYPES = ['AWS::Lambda::Alias', 'AWS::ApiGateway::Authorizer'];

  function accountWideNames(template: Template): string[] {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: object }>;
    return Object.values(resources).flatMap(({ Type, Properties }) =>
      SCOPED_TYPES.includes(Type)
        ? []
        : Object.entries(Properties ?? {})
            // A literal: a Ref or GetAtt points at a name CloudFormation generates, unique by construction.
            .filter(([key, value]) => ACCOUNT_WIDE_NAMES.includes(key) && typeof value === 'string')
            .map(([key, value]) => `${Type} ${key} ${JSON.stringify(value)}`),
    );
  }

  it('synthesizes two stages in one app, side by side, with no name or export in common', () => {
    const app = testApp();
    const staging = buildStack({ stage: 'staging', auth: 'cognito' }, { app }).stack;
    const production = buildStack(
      { stage: 'production', auth: 'cognito', alarmEmail: 'ml@example.com' },
      { app },
    ).stack;
    expect(app.synth().stacks.map((artifact) => artifact.stackName)).toEqual(
      expect.arrayContaining(['ModelEndpoint-staging', 'ModelEndpoint-production']),
    );
    const [stagingTemplate, productionTemplate] = [Template.fromStack(staging), Template.fromStack(production)];
    const stagingNames = accountWideNames(stagingTemplate);
    expect(stagingNames).toEqual(
      expect.arrayContaining([
        'AWS::ApiGateway::RestApi Name "ModelEndpoint-staging-Api"',
        'AWS::SNS::Topic DisplayName "ModelEndpoint-staging alarms"',
      ]),
    );
    expect(accountWideNames(productionTemplate).filter((name) => stagingNames.includes(name))).toEqual([]);
    for (const template of [stagingTemplate, productionTemplate]) {
      expect(Object.values(template.findOutputs('*')).filter((output) => 'Export' in output)).toEqual([]);
    }
  });

  it('gives each stage its own service name, so their runtime metrics, dashboards and alarms never share a series', () => {
    for (const stage of ['staging', 'production']) {
      const { stack } = buildStack({ stage });
      const template = Template.fromStack(stack);
      const services = Object.values(template.findResources('AWS::Lambda::Function'))
        .map((fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
        .filter((service) => service !== undefined);
      expect(services).toEqual(stack.models.map(() => `model-endpoint-${stage}`));
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: RuntimeMetric.inferenceErrors,
        Dimensions: Match.arrayWith([{ Name: 'service', Value: `model-endpoint-${stage}` }]),
      });
    }
  });
});

describe('backends', () => {
  it('serves one model from a zip function and one from a container image behind the same API, alarms and dashboard', () => {
    const { stack: mixed } = buildStack({
      models: { alpha: { backend: 'lambda-image' }, beta: { backend: 'lambda' } },
    });
    const mixedTemplate = Template.fromStack(mixed);
    expect(mixed.models.map((model) => [model.modelName, model.backend])).toEqual([
      ['alpha', 'lambda-image'],
      ['beta', 'lambda'],
    ]);
    mixedTemplate.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Environment: { Variables: Match.objectLike({ [ModelEnvironment.name]: 'alpha' }) },
    });
    mixedTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Environment: { Variables: Match.objectLike({ [ModelEnvironment.name]: 'beta' }) },
    });
    for (const name of ['alpha', 'beta']) {
      mixedTemplate.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        Integration: {
          Type: 'AWS_PROXY',
          Uri: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp(`^Models${name}Live`) }])] },
        },
      });
    }
    // The same alarms per model as before, whichever backend serves it.
    mixedTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * (3 + 3));
    const dashboard = JSON.stringify(mixedTemplate.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('## Model alpha (version 2, live alias, backend lambda-image)');
    expect(dashboard).toContain('## Model beta (version 1, live alias, backend lambda)');
  });

  it('keeps the model bucket and the zip functions at their logical ids', () => {
    expect(stack.getLogicalId(stack.modelStore.bucket.node.defaultChild as never)).toBe('ModelStoreBucket9405F36E');
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toEqual(
      expect.arrayContaining(['ModelsalphaFunctionE8DCB723', 'ModelsbetaFunction5D3FC9A3']),
    );
  });

  it('serves one model from a SageMaker endpoint and one from a zip function behind the same API, alarms and dashboard', () => {
    const { stack: mixed } = buildStack({
      models: { alpha: { backend: 'sagemaker', sagemaker: { maxConcurrency: 20 } }, beta: { backend: 'lambda' } },
    });
    const mixedTemplate = Template.fromStack(mixed);
    const [alpha, beta] = mixed.models;
    if (alpha === undefined || beta === undefined) throw new Error('expected the models alpha and beta');
    expect([alpha.backend, beta.backend]).toEqual(['sagemaker', 'lambda']);

    // The endpoint, serverless with the configured concurrency.
    mixedTemplate.resourceCountIs('AWS::SageMaker::Model', 1);
    mixedTemplate.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    mixedTemplate.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: Match.objectLike({ MaxConcurrency: 20 }) })],
    });
    // The forwarder: no ONNX Runtime layer, forwarding to that endpoint.
    const forwarder = mixedTemplate.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: Match.objectLike({ [ModelEnvironment.name]: 'alpha' }) } },
    });
    const forwarderProps = Object.values(forwarder).map((fn) => fn.Properties);
    expect(forwarderProps).toHaveLength(1);
    expect(forwarderProps[0].Layers).toBeUndefined();
    expect(forwarderProps[0].Environment.Variables[ModelEnvironment.sagemakerEndpoint]).toEqual(expect.any(String));
    // It reads the descriptor at init, so it is created after the upload that puts the descriptor in the bucket.
    const upload = Object.keys(mixedTemplate.findResources('Custom::CDKBucketDeployment'));
    expect(upload).toHaveLength(1);
    expect(Object.values(forwarder)[0]?.DependsOn).toEqual(expect.arrayContaining(upload));
    mixedTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^OnnxRuntimeLayer') }],
      Environment: { Variables: Match.objectLike({ [ModelEnvironment.name]: 'beta' }) },
    });

    // Every route of each model goes to that model's live alias: the forwarder's for alpha.
    for (const model of [alpha, beta]) {
      const aliasId = mixed.getLogicalId(model.alias.node.defaultChild as never);
      const methods = mixedTemplate.findResources('AWS::ApiGateway::Method', {
        Properties: {
          Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', Match.arrayWith([{ Ref: aliasId }])] } },
        },
      });
      expect(Object.keys(methods).length).toBeGreaterThan(0);
    }
    expect(alpha.alias).toBe((alpha.target as SageMakerBackend).forwarder.alias);

    // Two API alarms, the endpoint model's five and the zip model's three plus its rollout's three, on one topic.
    mixedTemplate.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 5 + 3 + 3);
    mixedTemplate.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
    });
    mixedTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
    });
    const dashboard = JSON.stringify(mixedTemplate.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('## Model alpha (version 2, SageMaker endpoint ');
    expect(dashboard).toContain('## Model beta (version 1, live alias, backend lambda)');
  });
});
