import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { describeRoutes, expandPath, pathParameters, ROUTES } from '../../contract/http-api';
import { type JsonSchema, type JsonSchemaType, SCHEMAS, type SchemaName } from '../../contract/json-schemas';
import { BINARY_MEDIA_TYPE } from '../../contract/limits';
import { MODEL_NAME_PATTERN } from '../../contract/model-repository';
import { AUTH_MODES, type AuthMode } from '../config';

/** A model the API routes to. */
export interface InferenceApiModel {
  readonly modelName: string;
  /** What the model's routes invoke: the model function's `live` alias. */
  readonly handler: lambda.IFunction;
}

export interface InferenceApiProps {
  /** Models to route; each gets its own paths. */
  readonly models: readonly InferenceApiModel[];
  /** How callers authenticate. @default 'apiKey' */
  readonly auth?: AuthMode;
  /** User pool for `auth: 'cognito'`. @default - a new pool with MFA and no self sign-up */
  readonly userPool?: cognito.IUserPool;
  /** Stage-wide steady-state requests per second. @default 100 */
  readonly throttlingRateLimit?: number;
  /** Stage-wide burst of requests. @default 200 */
  readonly throttlingBurstLimit?: number;
  /** Requests per day per API key (apiKey mode only). @default - no quota */
  readonly quotaRequestsPerDay?: number;
  /** Attach a WAF web ACL (AWS managed common rules, known bad inputs, a per-IP rate limit). @default true */
  readonly waf?: boolean;
  /** The WAF rate-based rule's limit per client IP over 5 minutes. @default 3000 */
  readonly wafRequestsPer5MinutesPerIp?: number;
  /** Retention of the access log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Stage name, the first path segment of the URL. @default 'prod' */
  readonly stageName?: string;
}

/**
 * One regional REST API for all models (REST, not HTTP API: only REST has API keys, usage plans, per-client
 * throttling, request validation and WAF). The routes are the contract's table (contract/http-api.ts): each model's
 * routes go to its own function alias, `GET /v2` and `GET /v2/openapi.json` to the first model's; `/v2/health/*` are
 * answered by API Gateway itself (mock integrations), so they cost no Lambda invocation and no cold start, and report
 * the API as up even while a model's function is cold.
 */
export class InferenceApi extends Construct {
  public readonly api: apigw.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  public readonly auth: AuthMode;
  /** The API key callers send in `x-api-key` (apiKey mode). */
  public readonly apiKey?: apigw.IApiKey;
  public readonly usagePlan?: apigw.UsagePlan;
  /** The user pool whose tokens the API accepts (cognito mode). */
  public readonly userPool?: cognito.IUserPool;
  /** An app client for signing users in (cognito mode, when the pool was created here). */
  public readonly userPoolClient?: cognito.UserPoolClient;
  public readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: InferenceApiProps) {
    super(scope, id);
    this.auth = props.auth ?? 'apiKey';
    validateProps(props, this.auth);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    let methodOptions: apigw.MethodOptions;
    if (this.auth === 'cognito') {
      if (props.userPool === undefined) {
        const created = this.createUserPool();
        this.userPool = created.pool;
        this.userPoolClient = created.client;
      } else {
        this.userPool = props.userPool;
      }
      const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
        cognitoUserPools: [this.userPool],
      });
      methodOptions = { authorizationType: apigw.AuthorizationType.COGNITO, authorizer };
    } else if (this.auth === 'iam') {
      methodOptions = { authorizationType: apigw.AuthorizationType.IAM };
    } else {
      methodOptions = { apiKeyRequired: true, authorizationType: apigw.AuthorizationType.NONE };
    }
    this.api = new apigw.RestApi(this, 'Api', {
      // API Gateway metrics are keyed by the API's name, and the default name is the construct id ("Api"): two
      // stacks in one account would share the dashboard's and alarms' series. Names need not be unique, so this is
      // a label, not a physical name that could block a replacement.
      restApiName: `${Stack.of(this).stackName}-${id}`,
      description: 'Open Inference Protocol (KServe v2) endpoint for ONNX models',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Execution logging needs the account-level CloudWatch role; creating it makes a first deploy work.
      cloudWatchRole: true,
      defaultMethodOptions: methodOptions,
      // The binary tensor data extension: such bodies reach the function base64-encoded and binary answers go
      // back as bytes to clients that send `Accept: application/octet-stream` (the runtime refuses binary outputs
      // to any other Accept, and the local server applies the same size limits: see contract/limits.ts).
      binaryMediaTypes: [BINARY_MEDIA_TYPE],
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        // ERROR only: INFO logs every request and, with data tracing, bodies, which may hold personal data.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
      },
    });
    // RestApi always adds an `Endpoint` output; the stack prints its own `ApiUrl`, so one URL output is enough.
    this.api.node.tryRemoveChild('Endpoint');
    this.addGatewayResponses();

    this.addRoutes(props.models);

    if (this.auth === 'apiKey') {
      this.apiKey = this.api.addApiKey('ApiKey', { description: 'Default key for the inference API' });
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        description: 'Throttling and quota for holders of the default API key',
        throttle: { rateLimit: props.throttlingRateLimit ?? 100, burstLimit: props.throttlingBurstLimit ?? 200 },
        ...(props.quotaRequestsPerDay === undefined
          ? {}
          : { quota: { limit: props.quotaRequestsPerDay, period: apigw.Period.DAY } }),
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      this.usagePlan.addApiKey(this.apiKey);
    }

    if (props.waf ?? true) {
      this.webAcl = createWebAcl(this, props.wafRequestsPer5MinutesPerIp ?? 3000);
      // The stage ARN refers to the stage resource (Ref), so CloudFormation creates the stage first without a DependsOn.
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: this.webAcl.attrArn,
      });
    }
  }

  /** The API's invoke URL (ends with the stage name and a slash). */
  public get url(): string {
    return this.api.url;
  }

  /**
   * The contract's route table, per model: a route with `{model}` gets one resource path per model, sent to that
   * model's function alias; one without it is answered by API Gateway itself (`gatewayAnswer`) or by the first
   * model's function, so that answers the runtime computes (server metadata, the OpenAPI document) cannot drift
   * from what it implements.
   */
  private addRoutes(models: readonly InferenceApiModel[]): void {
    const validator = this.api.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      // No route declares required parameters today; on, it enforces any that a later route adds.
      validateRequestParameters: true,
    });
    const requestModels = new Map<SchemaName, apigw.IModel>();
    const validated = (schemaName: SchemaName | undefined): apigw.MethodOptions => {
      if (schemaName === undefined) return {};
      let model = requestModels.get(schemaName);
      if (model === undefined) {
        const schema = SCHEMAS[schemaName];
        model = this.api.addModel(schemaName, {
          contentType: 'application/json',
          description: schema.description,
          schema: { schema: apigw.JsonSchemaVersion.DRAFT4, ...gatewaySchema(schema) },
        });
        requestModels.set(schemaName, model);
      }
      return { requestValidator: validator, requestModels: { 'application/json': model } };
    };

    // One integration per model; permissions are scoped to this API, not to each method, to keep one
    // lambda:InvokeFunction permission per model instead of one per route.
    const targets = models.map((model) => ({
      modelName: model.modelName,
      integration: new apigw.LambdaIntegration(model.handler, { scopePermissionToMethod: false }),
    }));
    for (const route of ROUTES) {
      const served = pathParameters(route.path).includes('model') ? targets : targets.slice(0, 1);
      for (const { modelName, integration } of served) {
        for (const path of expandPath(route.path)) {
          // API Gateway path parts may contain ':', so `/v1/models/{model}:predict` is a literal resource per model.
          const resource = this.api.root.resourceForPath(path.replace('{model}', modelName));
          if (route.gatewayAnswer !== undefined) {
            resource.addMethod(route.method, staticAnswer(route.gatewayAnswer), staticMethod);
            continue;
          }
          resource.addMethod(route.method, integration, validated(route.request));
          // API Gateway answers an undeclared verb with a misleading 404 (403 under IAM); an ANY method beside each
          // declared one lets the runtime answer 405 with an Allow header, as the protocol expects.
          if (resource.node.tryFindChild('ANY') === undefined) resource.addMethod('ANY', integration);
        }
      }
    }
  }

  private createUserPool(): { readonly pool: cognito.UserPool; readonly client: cognito.UserPoolClient } {
    const pool = new cognito.UserPool(this, 'UserPool', {
      // Admins invite callers; an open sign-up would hand out API access to anyone.
      selfSignUpEnabled: false,
      // Essentials, not Plus: threat protection is billed per monthly active user; see the compliance notes.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const client = pool.addClient('Client', { authFlows: { userSrp: true }, generateSecret: false });
    return { pool, client };
  }

  /** Error answers in the protocol's shape (`{"error": "..."}`) instead of API Gateway's `{"message": "..."}`. */
  private addGatewayResponses(): void {
    const errorBody = { 'application/json': '{"error":$context.error.messageString}' };
    this.api.addGatewayResponse('Default4xx', { type: apigw.ResponseType.DEFAULT_4XX, templates: errorBody });
    this.api.addGatewayResponse('Default5xx', { type: apigw.ResponseType.DEFAULT_5XX, templates: errorBody });
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigw.ResponseType.BAD_REQUEST_BODY,
      templates: {
        'application/json':
          '{"error":"the request body does not match the route: /infer expects {\\"inputs\\": [{\\"name\\", \\"shape\\", \\"datatype\\", \\"data\\"}]} with a protocol datatype, :predict expects {\\"instances\\": [...]}; send Content-Type: application/json"}',
      },
    });
    // Without IAM auth, "missing authentication token" only ever means there is no such route or verb: answer 404
    // as the protocol does. With IAM it also means an unsigned request, so it stays 403 there.
    if (this.auth !== 'iam') {
      this.api.addGatewayResponse('NoSuchRoute', {
        type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        statusCode: '404',
        templates: {
          'application/json': JSON.stringify({
            error: `no such route: the API serves ${describeRoutes()} for the deployed models`,
          }),
        },
      });
    }
  }
}

function validateProps(props: InferenceApiProps, auth: string): void {
  if (!(AUTH_MODES as readonly string[]).includes(auth)) {
    throw new Error(`auth ("${auth}") is not a known auth mode: use one of ${AUTH_MODES.join(', ')}`);
  }
  if (props.models.length === 0) {
    throw new Error('models is empty: pass at least one model to route');
  }
  const seen = new Set<string>();
  for (const model of props.models) {
    if (!MODEL_NAME_PATTERN.test(model.modelName)) {
      throw new Error(
        `models[].modelName ("${model.modelName}") is not a valid model name: use lowercase letters, digits, "-", "_"`,
      );
    }
    if (seen.has(model.modelName)) {
      throw new Error(`models lists ${model.modelName} twice: route each model once`);
    }
    seen.add(model.modelName);
  }
  if (props.userPool !== undefined && auth !== 'cognito') {
    throw new Error(`userPool is set but auth is "${auth}": set auth to "cognito" or drop the user pool`);
  }
  if (props.quotaRequestsPerDay !== undefined && auth !== 'apiKey') {
    throw new Error(
      `quotaRequestsPerDay (${props.quotaRequestsPerDay}) needs auth "apiKey" (quotas live on usage plans), but auth is "${auth}": remove the quota or use API keys`,
    );
  }
  for (const [name, value] of [
    ['throttlingRateLimit', props.throttlingRateLimit],
    ['throttlingBurstLimit', props.throttlingBurstLimit],
  ] as const) {
    if (value !== undefined && !(value > 0)) {
      throw new Error(`${name} (${value}) must be above 0: API Gateway would reject every request`);
    }
  }
  const wafLimit = props.wafRequestsPer5MinutesPerIp;
  if (wafLimit !== undefined && (!Number.isInteger(wafLimit) || wafLimit < 10)) {
    throw new Error(`wafRequestsPer5MinutesPerIp (${wafLimit}) must be a whole number of at least 10, WAF's minimum`);
  }
}

const staticMethod: apigw.MethodOptions = { methodResponses: [{ statusCode: '200' }] };

function staticAnswer(body: object): apigw.MockIntegration {
  return new apigw.MockIntegration({
    passthroughBehavior: apigw.PassthroughBehavior.NEVER,
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': JSON.stringify(body) } }],
  });
}

const GATEWAY_TYPES: Readonly<Record<JsonSchemaType, apigw.JsonSchemaType>> = {
  object: apigw.JsonSchemaType.OBJECT,
  array: apigw.JsonSchemaType.ARRAY,
  string: apigw.JsonSchemaType.STRING,
  integer: apigw.JsonSchemaType.INTEGER,
  number: apigw.JsonSchemaType.NUMBER,
  boolean: apigw.JsonSchemaType.BOOLEAN,
};

/** A contract schema as API Gateway's model schema type spells it (its own enum for `type`). */
function gatewaySchema(schema: JsonSchema): apigw.JsonSchema {
  const { type, properties, items, required, enum: values, ...rest } = schema;
  return {
    ...rest,
    ...(type !== undefined && { type: GATEWAY_TYPES[type] }),
    ...(required !== undefined && { required: [...required] }),
    ...(values !== undefined && { enum: [...values] }),
    ...(items !== undefined && { items: gatewaySchema(items) }),
    ...(properties !== undefined && {
      properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, gatewaySchema(value)])),
    }),
  };
}

function accessLogFormat(): apigw.AccessLogFormat {
  const f = apigw.AccessLogField;
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      time: f.contextRequestTime(),
      ip: f.contextIdentitySourceIp(),
      userAgent: f.contextIdentityUserAgent(),
      caller: f.contextIdentityCaller(),
      user: f.contextIdentityUser(),
      apiKeyId: f.contextIdentityApiKeyId(),
      method: f.contextHttpMethod(),
      resourcePath: f.contextResourcePath(),
      path: f.contextPath(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      responseLatency: f.contextResponseLatency(),
      integrationLatency: f.contextIntegrationLatency(),
      integrationStatus: f.contextIntegrationStatus(),
      error: f.contextErrorMessage(),
      errorType: f.contextErrorResponseType(),
      wafStatus: f.contextWafResponseCode(),
      xrayTraceId: f.contextXrayTraceId(),
    }),
  );
}

function createWebAcl(scope: Construct, rateLimit: number): wafv2.CfnWebACL {
  const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  const managed = (priority: number, name: string, excluded: readonly string[]): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(excluded.length === 0
          ? {}
          : { ruleActionOverrides: excluded.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }),
      },
    },
    visibilityConfig: visibility(name),
  });
  return new wafv2.CfnWebACL(scope, 'WebAcl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('InferenceApiWebAcl'),
    rules: [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      // SizeRestrictions_BODY blocks bodies over 8 KB, and a single 28x28 image as JSON is already larger; the API
      // still caps bodies at 10 MB and the function at 6 MB, so that one rule only counts.
      managed(1, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY']),
      managed(2, 'AWSManagedRulesKnownBadInputsRuleSet', []),
    ],
  });
}
