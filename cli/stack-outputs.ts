/**
 * The deployed stack's outputs (ApiUrl, and which auth it uses), read with CloudFormation DescribeStacks, so that
 * `invoke` and `bench` need no URL when AWS credentials are at hand.
 */
export interface StackOutputs {
  readonly apiUrl: string;
  /** Which auth the stack's API takes, from the outputs it has. */
  readonly auth: 'apiKey' | 'cognito' | 'iam';
  readonly region: string;
}

export const DEFAULT_STACK_NAME = 'ModelEndpoint';

export async function readStackOutputs(stackName: string, region?: string): Promise<StackOutputs> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(region === undefined ? {} : { region });
  let outputs: Map<string, string>;
  let resolvedRegion: string;
  try {
    resolvedRegion = await client.config.region();
    const answer = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = new Map((answer.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    const message = (error as Error).message;
    const hint = /credential|region/i.test(message)
      ? 'configure AWS credentials and a region (aws configure, or AWS_PROFILE and AWS_REGION), or pass --url'
      : `deploy it with npx cdk deploy, pass --stack <name> (ModelEndpoint-<stage> for a stage), or pass --url`;
    throw new Error(`cannot read the outputs of stack ${stackName}: ${message}; ${hint}`);
  } finally {
    client.destroy();
  }
  const apiUrl = outputs.get('ApiUrl');
  if (apiUrl === undefined)
    throw new Error(`stack ${stackName} has no ApiUrl output: is it a model-endpoint stack? Pass --url`);
  const auth = outputs.has('ApiKeyId') ? 'apiKey' : outputs.has('UserPoolId') ? 'cognito' : 'iam';
  return { apiUrl, auth, region: resolvedRegion };
}
