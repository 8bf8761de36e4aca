/**
 * The three ways the deployed API authorizes a caller (the stack's `auth` setting): an API key in `x-api-key`, an
 * IAM SigV4 signature, or a Cognito user pool token in `Authorization` (the token as it is, without "Bearer").
 */
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { defaultCredentials } from './node-credentials';
import { type IamAuth, type RequestToSign, signRequest } from './sigv4';

export type AuthOptions =
  | { readonly apiKey: string }
  | { readonly iam: IamAuth }
  /** An ID or access token, or a function returning a fresh one (called for every request, so it can refresh). */
  | { readonly token: string | (() => string | Promise<string>) };

const resolvedDefaults = new WeakMap<IamAuth, Promise<Provider<AwsCredentialIdentity>>>();

/** The headers that authorize this request. */
export async function authHeaders(
  auth: AuthOptions | undefined,
  request: RequestToSign,
): Promise<Record<string, string>> {
  if (auth === undefined) return {};
  if ('apiKey' in auth) return { 'x-api-key': auth.apiKey };
  if ('token' in auth) {
    const token = typeof auth.token === 'string' ? auth.token : await auth.token();
    return { authorization: token };
  }
  let credentials = auth.iam.credentials;
  if (credentials === undefined) {
    // Resolved once per auth object: the chain reads files and may call a metadata service.
    let chain = resolvedDefaults.get(auth.iam);
    if (chain === undefined) {
      chain = defaultCredentials();
      resolvedDefaults.set(auth.iam, chain);
    }
    credentials = await chain;
  }
  return signRequest(request, auth.iam, credentials);
}
