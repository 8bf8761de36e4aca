import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Reads one whole object of a bucket. The model download is the Lambda handler's only S3 call, and the full S3
 * client takes ~140 ms of its init to import (the SDK's signer alone, bundled, ~50 ms), so the runtime signs its
 * GET itself: SigV4 with node:crypto, the same credentials, region and endpoint variables the SDK reads.
 */
export interface S3ObjectReader {
  getObject(bucket: string, key: string): Promise<Uint8Array>;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SignedS3GetOptions {
  /** Read at each request, as the SDK resolves them: a missing variable fails the read, not the construction. */
  readonly region: () => string;
  readonly credentials: () => S3Credentials;
  /** An S3-compatible endpoint (AWS_ENDPOINT_URL_S3): objects are then addressed path-style under it. */
  readonly endpoint?: string;
  /** Attempts in all, the first included; S3 answers 5xx, 429 and SlowDown are retried, as are dropped connections. */
  readonly maxAttempts?: number;
  /** The backoff cap of the first retry in ms, doubled per retry, full jitter (the SDK's standard strategy). */
  readonly baseDelayMs?: number;
  readonly now?: () => Date;
}

/** An S3 error answer, with the status and code S3 gave, and what to do about it in the message. */
export class S3GetError extends Error {
  override readonly name = 'S3GetError';

  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** The credentials the Lambda role hands the function, from the environment Lambda sets. */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): S3Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: the model is read from S3 with the credentials ' +
        "Lambda gives the function's role; run it in Lambda, or set them to read the bucket from elsewhere",
    );
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** A reader configured as the SDK would be in Lambda: region, role credentials and endpoint override from env. */
export function signedS3GetFromEnvironment(env: NodeJS.ProcessEnv = process.env): SignedS3Get {
  return new SignedS3Get({
    region: () => {
      const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
      if (!region) throw new Error('AWS_REGION is not set: Lambda sets it; set it to read the model bucket elsewhere');
      return region;
    },
    credentials: () => credentialsFromEnvironment(env),
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
  });
}

/** Percent-encodes as SigV4 wants: every character but the unreserved ones (encodeURIComponent leaves !'()*). */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a path: each segment encoded, the slashes between them kept (S3 signs keys that way). */
const keyPath = (key: string) => key.split('/').map(uriEncode).join('/');

const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();

export interface SignedRequest {
  readonly url: URL;
  readonly headers: Record<string, string>;
}

/**
 * The GET of one object, signed with AWS Signature Version 4 as the SDK signs GetObject: host, content hash (of the
 * empty body), date and session token signed, virtual-hosted addressing on AWS, path-style under an override.
 */
export function signGetObject(
  options: { readonly region: string; readonly endpoint?: string },
  credentials: S3Credentials,
  bucket: string,
  key: string,
  at: Date,
): SignedRequest {
  const path = `/${keyPath(key)}`;
  const url =
    options.endpoint === undefined
      ? new URL(`https://${bucket}.s3.${options.region}.amazonaws.com${path}`)
      : new URL(`${options.endpoint.replace(/\/+$/, '')}/${uriEncode(bucket)}${path}`);
  const amzDate = at.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': EMPTY_SHA256,
    'x-amz-date': amzDate,
  };
  if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'GET',
    url.pathname,
    '',
    ...names.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders,
    EMPTY_SHA256,
  ].join('\n');
  const scope = `${day}/${options.region}/s3/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), options.region), 's3'),
    'aws4_request',
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { url, headers };
}

/** What the error answer's XML says: `<Code>` and `<Message>`, when S3 sent them. */
function errorDetails(body: string): { code?: string; message?: string } {
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  return { code: field('Code'), message: field('Message') };
}

function describeFailure(location: string, status: number, body: string): S3GetError {
  const { code, message } = errorDetails(body);
  const said = [code, message].filter((part) => part !== undefined).join(': ') || `HTTP ${status}`;
  const retryable = status >= 500 || status === 429 || code === 'SlowDown' || code === 'RequestTimeout';
  if (status === 404) {
    return new S3GetError(
      `${location} does not exist (${said}): the deployment pins an object that is gone from the model bucket; ` +
        'redeploy (cdk deploy) to upload it again',
      status,
      code,
      false,
    );
  }
  if (status === 403) {
    return new S3GetError(
      `${location} cannot be read (${said}): the function's role must be allowed s3:GetObject on the model ` +
        'bucket, and its credentials must be current; redeploy the stack, which grants it',
      status,
      code,
      false,
    );
  }
  return new S3GetError(
    `${location} could not be read: S3 answered ${status} (${said})${retryable ? ' after every retry' : ''}`,
    status,
    code,
    retryable,
  );
}

/** The GET of one object over node's own HTTP client, with retries and backoff on what S3 says to retry. */
export class SignedS3Get implements S3ObjectReader {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly now: () => Date;
  /** Each attempt whose request is not yet handed to the operating system, until it is (or fails). */
  private readonly unwritten = new Set<Promise<void>>();

  constructor(private readonly options: SignedS3GetOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.now = options.now ?? (() => new Date());
  }

  async getObject(bucket: string, key: string): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(bucket, key);
      } catch (error) {
        // A missing region or credentials is not retried: only what S3 or the network may answer differently next time.
        const retryable = error instanceof S3GetError && error.retryable;
        if (!retryable || attempt >= this.maxAttempts) throw error;
        const cap = this.baseDelayMs * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
      }
    }
  }

  /**
   * Resolves once every request started so far is written to its socket (connected, TLS handshake done) or has
   * failed: from then on only the server's answer is awaited, and the event loop is free for other work. Work that
   * blocks the loop before then (a synchronous import) holds the request back, since the connection and the
   * handshake each need the loop to advance.
   */
  requestsWritten(): Promise<void> {
    return Promise.all(this.unwritten).then(() => undefined);
  }

  private async attempt(bucket: string, key: string): Promise<Uint8Array> {
    const location = `s3://${bucket}/${key}`;
    const target = { region: this.options.region(), endpoint: this.options.endpoint };
    const { url, headers } = signGetObject(target, this.options.credentials(), bucket, key, this.now());
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<Uint8Array>((resolve, reject) => {
      const outgoing = send(url, { method: 'GET', headers }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', (error) =>
          reject(new S3GetError(`${location} could not be read: ${error.message}`, undefined, undefined, true)),
        );
        response.once('end', () => {
          const body = Buffer.concat(chunks);
          const status = response.statusCode ?? 0;
          const announced = Number(response.headers['content-length'] ?? body.byteLength);
          // A body cut short is a dropped connection, retried; the pinned sha256 would refuse it anyway.
          if (status === 200 && body.byteLength !== announced) {
            const cut = `${location} could not be read: ${body.byteLength} of ${announced} bytes arrived`;
            return reject(new S3GetError(cut, status, undefined, true));
          }
          if (status === 200) return resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
          reject(describeFailure(location, status, body.toString('utf8')));
        });
      });
      // A connection refused, reset or dropped is retried.
      outgoing.once('error', (error) =>
        reject(new S3GetError(`${location} could not be read: ${error.message}`, undefined, undefined, true)),
      );
      const written = new Promise<void>((settled) => {
        outgoing.once('finish', settled);
        outgoing.once('close', settled);
      });
      this.unwritten.add(written);
      void written.then(() => this.unwritten.delete(written));
      outgoing.end();
    });
  }
}
