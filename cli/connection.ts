/** The options every command that calls an API shares: where the API is and how to authorize. */
import type { AuthOptions, RetryOptions } from '../client';
import { ModelEndpointClient } from '../client';
import { DEFAULT_STACK_NAME, readStackOutputs } from './stack-outputs';

export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  stack: { type: 'string', default: DEFAULT_STACK_NAME },
  region: { type: 'string' },
  'api-key': { type: 'string' },
  iam: { type: 'boolean', default: false },
  token: { type: 'string' },
} as const;

export const CONNECTION_USAGE = `  --url <url>         the API's base URL (locally http://127.0.0.1:8080);
                      default: the deployed stack's ApiUrl output, read
                      with your AWS credentials
  --stack <name>      that stack (default ${DEFAULT_STACK_NAME}; ModelEndpoint-<stage>)
  --region <region>   its region (default: your AWS configuration's)
  --api-key <key>     send x-api-key (or set MODEL_ENDPOINT_API_KEY)
  --iam               sign with SigV4, credentials from the AWS default chain
  --token <token>     send a Cognito ID token as Authorization
                      (or set MODEL_ENDPOINT_TOKEN)`;

export interface ConnectionValues {
  readonly url?: string;
  readonly stack: string;
  readonly region?: string;
  readonly 'api-key'?: string;
  readonly iam: boolean;
  readonly token?: string;
}

/** A client for the API the options name, and where it points (for messages). */
export async function connect(
  values: ConnectionValues,
  retry?: RetryOptions,
): Promise<{ client: ModelEndpointClient; url: string; auth?: AuthOptions }> {
  const apiKey = values['api-key'] ?? process.env.MODEL_ENDPOINT_API_KEY;
  const token = values.token ?? process.env.MODEL_ENDPOINT_TOKEN;
  const chosen = [apiKey !== undefined, values.iam, token !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new Error('give one of --api-key, --iam and --token: the API takes one kind of auth');
  let url = values.url;
  let auth: AuthOptions | undefined;
  if (apiKey !== undefined) auth = { apiKey };
  else if (token !== undefined) auth = { token };
  else if (values.iam) auth = { iam: { region: values.region } };
  if (url === undefined) {
    const stack = await readStackOutputs(values.stack, values.region);
    url = stack.apiUrl;
    if (auth === undefined && stack.auth === 'iam') auth = { iam: { region: stack.region } };
    if (auth === undefined) {
      throw new Error(
        stack.auth === 'apiKey'
          ? `stack ${values.stack} takes an API key: pass --api-key (its ApiKeyValueCommand output prints it)`
          : `stack ${values.stack} takes a Cognito token: sign in and pass --token <ID token>`,
      );
    }
  }
  return { client: new ModelEndpointClient({ url, auth, retry }), url, auth };
}
