/**
 * IAM (SigV4) signing for an API whose methods use AWS_IAM authorization: API Gateway checks the signature for
 * service `execute-api` in the API's region. The signer is the AWS SDK's own (@smithy/signature-v4) over Web Crypto,
 * so it runs in browsers as in Node.js.
 */
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Provider } from '@smithy/types';
import { WebCryptoSha256 } from './web-crypto-sha256';

export type AwsCredentials = AwsCredentialIdentity;

export interface IamAuth {
  /** Credentials or a function returning them; in Node.js, the AWS SDK's default chain when absent. @default - the default chain (Node.js only) */
  readonly credentials?: AwsCredentials | Provider<AwsCredentials>;
  /** The API's region. @default - read from an `execute-api.<region>.amazonaws.com` URL */
  readonly region?: string;
  /** The service name in the signature's scope. @default 'execute-api' */
  readonly service?: string;
}

export interface RequestToSign {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** The region of an `execute-api` URL, or undefined for any other host (a custom domain, the local twin). */
export function regionOfApiUrl(url: URL): string | undefined {
  return EXECUTE_API_HOST.exec(url.hostname)?.[1];
}

/**
 * The request's headers with the signature added (`authorization`, `x-amz-date` and, for temporary credentials,
 * `x-amz-security-token`). `now` fixes the signing time, for tests against known signatures.
 */
export async function signRequest(
  request: RequestToSign,
  auth: IamAuth,
  credentials: AwsCredentials | Provider<AwsCredentials>,
  now?: Date,
): Promise<Record<string, string>> {
  const region = auth.region ?? regionOfApiUrl(request.url);
  if (region === undefined) {
    throw new Error(
      `cannot tell the AWS region of ${request.url.host} for SigV4 signing: pass { iam: { region: "eu-west-1" } } ` +
        '(the region the API is deployed in)',
    );
  }
  const signer = new SignatureV4({
    service: auth.service ?? 'execute-api',
    region,
    credentials,
    sha256: WebCryptoSha256,
    // API Gateway does not read x-amz-content-sha256; leaving it out keeps the signed headers to what is sent anyway.
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port === '' ? undefined : Number(request.url.port),
      // The path exactly as it goes on the wire (percent-encoded), which API Gateway's check also starts from.
      path: request.url.pathname,
      query,
      // `host` must be signed, and fetch sends the URL's host (with its port when not the default).
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    }),
    now === undefined ? undefined : { signingDate: now },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    // fetch refuses to set `host` itself and sends the same value.
    if (name.toLowerCase() !== 'host') headers[name.toLowerCase()] = value;
  }
  return headers;
}
