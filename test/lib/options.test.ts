import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthTemplate } from './synth';

describe('auth: iam', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthTemplate({ auth: 'iam' }));
  });

  it('signs every method with IAM and creates no API key or usage plan', () => {
    template.allResourcesProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'AWS_IAM',
      ApiKeyRequired: Match.absent(),
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    expect(Object.keys(template.findOutputs('*'))).not.toContain('ApiKeyId');
  });

  it('keeps "missing authentication token" a 403, since it also means an unsigned request', () => {
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::GatewayResponse',
      { ResponseType: 'MISSING_AUTHENTICATION_TOKEN' },
      0,
    );
  });
});

describe('auth: cognito', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthTemplate({ auth: 'cognito' }));
  });

  it('authorizes every method with a Cognito user pool authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
    });
    template.allResourcesProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiAuthorizer') },
    });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
  });

  it('creates an invite-only user pool with MFA, and outputs its ids', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12 }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH']),
    });
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining(['UserPoolId', 'UserPoolClientId', 'ApiUrl']),
    );
  });
});

describe('provisioned and reserved concurrency', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthTemplate({
      models: {
        alpha: {
          minProvisionedConcurrency: 2,
          maxProvisionedConcurrency: 6,
          reservedConcurrency: 10,
          memorySizeMiB: 3008,
        },
      },
    }));
  });

  it('deploys only the listed model, with its memory and reserved concurrency', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs24.x' }, 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      MemorySize: 3008,
      ReservedConcurrentExecutions: 10,
      Environment: { Variables: Match.objectLike({ MODEL_NAME: 'alpha', MODEL_VERSION: '2' }) },
    });
  });

  it('keeps the minimum warm on the live alias and scales it on utilisation', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      ScalableDimension: 'lambda:function:ProvisionedConcurrency',
      ServiceNamespace: 'lambda',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 0.7,
        PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
      },
    });
  });

  it('graphs provisioned concurrency utilisation and spillover', () => {
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard).toContain('ProvisionedConcurrencyUtilization');
    expect(dashboard).toContain('ProvisionedConcurrencySpilloverInvocations');
  });
});

describe('waf off, alarm email, quota and limits', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthTemplate({
      waf: false,
      alarmEmail: 'ml-team@example.com',
      quotaRequestsPerDay: 50_000,
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
      logRetentionDays: 365,
      models: { alpha: { version: '1' } },
    }));
  });

  it('creates no web ACL when WAF is off', () => {
    template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  it('subscribes the alarm email to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ml-team@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') },
    });
  });

  it('applies the quota and throttling to the usage plan and the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 50_000, Period: 'DAY' },
      Throttle: { RateLimit: 20, BurstLimit: 40 },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
  });

  it('serves the pinned version and applies the log retention everywhere', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MODEL_NAME: 'alpha', MODEL_VERSION: '1' }) },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });
});
