import { type App, Duration, Errors, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SageMakerForwarder, type SageMakerForwarderProps } from '../../lib/constructs/sagemaker-forwarder';
import { testApp } from './synth';

const DESCRIPTOR_SHA256 = 'b'.repeat(64);
const ENDPOINT_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/penguins';

function forwarderStack(
  props: Partial<SageMakerForwarderProps> = {},
  options: { nag?: boolean } = {},
): { app: App; stack: Stack; forwarder: SageMakerForwarder } {
  const app = testApp();
  const stack = new Stack(app, 'Forwarder');
  const forwarder = new SageMakerForwarder(stack, 'Penguins', {
    modelName: 'penguins',
    modelVersion: '1',
    endpointName: 'penguins',
    endpointArn: ENDPOINT_ARN,
    descriptorBucket: s3.Bucket.fromBucketName(stack, 'Models', 'model-bucket'),
    descriptorKey: `models/penguins/1/${DESCRIPTOR_SHA256}.json`,
    descriptorSha256: DESCRIPTOR_SHA256,
    ...props,
  });
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, forwarder };
}

describe('SageMakerForwarder', () => {
  const { stack } = forwarderStack();
  const template = Template.fromStack(stack);

  it('is a small arm64 function without ONNX Runtime, below the API timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      MemorySize: 512,
      Timeout: 25,
      TracingConfig: { Mode: 'Active' },
      Layers: Match.absent(),
    });
  });

  it('allows sagemaker:InvokeEndpoint on the one endpoint ARN and s3:GetObject on the one descriptor key', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const actions = statements.flatMap((statement) => statement.Action);
    expect(actions.filter((action) => String(action).startsWith('sagemaker:'))).toEqual(['sagemaker:InvokeEndpoint']);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'sagemaker:InvokeEndpoint', Resource: ENDPOINT_ARN }),
    );
    expect(actions.filter((action) => String(action).startsWith('s3:'))).toEqual(['s3:GetObject']);
  });

  it('reports no unacknowledged cdk-nag AwsSolutions finding on its own', () => {
    const { app } = forwarderStack({}, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it.each<[string, Partial<SageMakerForwarderProps>, string]>([
    ['a timeout at the API limit', { timeout: Duration.seconds(29) }, 'timeout (29 s) must be below 29 s'],
    ["memory above Lambda's limit", { memorySizeMiB: 20_000 }, 'memorySizeMiB (20000) must be a whole number from 128'],
    [
      'a descriptor digest that is no sha256',
      { descriptorSha256: 'abc' },
      'descriptorSha256 ("abc") is not a lowercase hex',
    ],
    ['a missing handler file', { entry: '/nowhere/handler.mts' }, 'entry (/nowhere/handler.mts) does not exist'],
  ])('rejects %s with a ValidationError naming the prop', (_what, props, message) => {
    let thrown: unknown;
    try {
      forwarderStack(props);
    } catch (error) {
      thrown = error;
    }
    expect(Errors.isValidationError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(message);
  });
});
