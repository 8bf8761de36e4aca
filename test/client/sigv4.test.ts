import { createHash, createHmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { ModelEndpointClient, regionOfApiUrl, signRequest } from '../../client';
import { type RecordedRequest, startRecordingServer } from './recording-server';

// The client signs with the SDK's SigV4 over Web Crypto (so it runs in browsers). These tests hold it to AWS's
// documented example, and to the SDK's signer over node:crypto applied to the request exactly as the server
// received it, which catches any header fetch adds or changes after signing.

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** The AWS SDK for JavaScript's Node.js hash (@smithy/hash-node), which is node:crypto's HMAC and SHA-256. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The SDK signer's Authorization for the request as received, signed at its own x-amz-date. */
async function sdkAuthorization(
  received: RecordedRequest,
  region: string,
  credentials: typeof CREDENTIALS & { sessionToken?: string },
) {
  const url = new URL(received.target, `http://${received.headers.host}`);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(received.headers.authorization))?.[1]?.split(';') ?? [];
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(received.headers[name]);
  const date = String(received.headers['x-amz-date']);
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const query: Record<string, string> = Object.fromEntries(url.searchParams);
  const signed = await new SignatureV4({
    service: 'execute-api',
    region,
    credentials,
    sha256: NodeSha256,
    applyChecksum: false,
  }).sign(
    new HttpRequest({
      method: received.method,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      body: received.body,
    }),
    { signingDate },
  );
  return signed.headers.authorization;
}

describe('SigV4 signing', () => {
  it("gives AWS's documented signature for its example request", async () => {
    // docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html: the IAM ListUsers example.
    const headers = await signRequest(
      {
        method: 'GET',
        url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      },
      { region: 'us-east-1', service: 'iam' },
      CREDENTIALS,
      new Date('2015-08-30T12:36:00Z'),
    );
    expect(headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    });
  });

  it("signs what fetch really sends, as the SDK's own signer computes it, for a JSON and a binary inference", async () => {
    const server = await startRecordingServer(() => ({
      status: 200,
      body: JSON.stringify({ model_name: 'm', model_version: '1', outputs: [] }),
    }));
    const credentials = { ...CREDENTIALS, sessionToken: 'session-token-example' };
    try {
      const client = new ModelEndpointClient({
        url: `${server.url}/prod/`,
        auth: { iam: { region: 'eu-west-1', credentials } },
      });
      const input = { name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([1.5, -2]) };
      await client.infer('my-model', { inputs: [input] }, { version: '2' });
      await client.infer('my-model', { inputs: [input] }, { binary: true });
      expect(server.requests.map((r) => `${r.method} ${r.target}`)).toEqual([
        'POST /prod/v2/models/my-model/versions/2/infer',
        'POST /prod/v2/models/my-model/infer',
      ]);
      for (const received of server.requests) {
        expect(received.headers.authorization).toMatch(
          /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
        );
        expect(received.headers.authorization).toMatch(
          /SignedHeaders=[^,]*content-type[^,]*host[^,]*x-amz-security-token/,
        );
        expect(received.headers['x-amz-security-token']).toBe('session-token-example');
        expect(received.headers.authorization).toBe(await sdkAuthorization(received, 'eu-west-1', credentials));
      }
    } finally {
      await server.stop();
    }
  });

  it('takes credentials from the AWS SDK default chain (here the environment) when none are given', async () => {
    const server = await startRecordingServer(() => ({ status: 200, body: '{"live": true}' }));
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENVIRONMENT';
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    try {
      await new ModelEndpointClient({ url: server.url, auth: { iam: { region: 'us-west-2' } } }).live();
      const [received] = server.requests;
      expect(received.headers.authorization).toContain('Credential=AKIDFROMENVIRONMENT/');
      expect(received.headers.authorization).toBe(
        await sdkAuthorization(received, 'us-west-2', { ...CREDENTIALS, accessKeyId: 'AKIDFROMENVIRONMENT' }),
      );
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      await server.stop();
    }
  });

  it('reads the region from an execute-api URL and fails naming the option for any other host', async () => {
    expect(regionOfApiUrl(new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/'))).toBe('eu-west-1');
    expect(regionOfApiUrl(new URL('https://api.example.com/'))).toBeUndefined();
    await expect(
      new ModelEndpointClient({ url: 'http://127.0.0.1:1', auth: { iam: { credentials: CREDENTIALS } } }).live(),
    ).rejects.toThrow(/cannot tell the AWS region of 127\.0\.0\.1:1 for SigV4 signing: pass \{ iam: \{ region/);
  });
});

describe('API key and Cognito token auth', () => {
  it('sends the API key as x-api-key, and a token from a provider called for every request as Authorization', async () => {
    const server = await startRecordingServer(() => ({ status: 200, body: '{"live": true}' }));
    try {
      await new ModelEndpointClient({ url: server.url, auth: { apiKey: 'key-123' } }).live();
      let issued = 0;
      const cognito = new ModelEndpointClient({ url: server.url, auth: { token: async () => `id-token-${++issued}` } });
      await cognito.live();
      await cognito.live();
      expect(server.requests.map((r) => [r.headers['x-api-key'], r.headers.authorization])).toEqual([
        ['key-123', undefined],
        [undefined, 'id-token-1'],
        [undefined, 'id-token-2'],
      ]);
    } finally {
      await server.stop();
    }
  });
});
