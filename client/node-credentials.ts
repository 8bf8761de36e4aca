/**
 * The AWS SDK's default credential chain (environment, shared config and SSO, container and instance roles), for
 * SigV4 in Node.js. Loaded only when a caller asks for IAM auth without credentials, so a browser bundle that passes
 * its own credentials never reaches it.
 */
import type { AwsCredentialIdentity, Provider } from '@smithy/types';

export async function defaultCredentials(): Promise<Provider<AwsCredentialIdentity>> {
  if (typeof process === 'undefined' || process.versions?.node === undefined) {
    throw new Error(
      'IAM auth in a browser needs credentials: pass { iam: { credentials } } (from Cognito identity pools, for example)',
    );
  }
  // A client of the project's own dependency resolves the SDK's default chain exactly as the CLI's other AWS calls
  // do, without depending on the credential-provider package directly.
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({});
  return () => client.config.credentials();
}
