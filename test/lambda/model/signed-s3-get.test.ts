import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  S3GetError,
  SignedS3Get,
  signedS3GetFromEnvironment,
  signGetObject,
} from '../../../lambda/model/signed-s3-get';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const AT = new Date('2026-03-04T05:06:07.089Z');

/** The SDK's hash interface over node:crypto, as @smithy/hash-node provides it. */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: Data) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

class Sha256 {
  private readonly hash;
  constructor(secret?: Data) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: Data): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

/** The signature the AWS SDK's own signer gives the same GET, as S3 signs it (paths escaped once, not twice). */
async function sdkAuthorization(url: URL, headers: Record<string, string>, sessionToken?: string): Promise<string> {
  const signer = new SignatureV4({
    service: 's3',
    region: 'eu-west-1',
    credentials: { ...CREDENTIALS, sessionToken },
    sha256: Sha256,
    uriEscapePath: false,
  });
  const unsigned = new HttpRequest({
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: url.pathname,
    headers: { host: url.host, 'x-amz-content-sha256': headers['x-amz-content-sha256'] },
  });
  const signed = await signer.sign(unsigned, { signingDate: AT });
  return String(signed.headers.authorization);
}

describe('the signature', () => {
  it.each([
    ['a plain key on AWS', undefined, 'models/penguins/1/abc.onnx', undefined],
    ['a key that needs escaping, with a session token', undefined, "models/a b+c/1/(x)!'*~.onnx", 'token/+='],
    ['path-style under an endpoint override', 'http://127.0.0.1:4569', 'models/mnist/2/d.onnx', undefined],
  ])('is the one the SDK signer computes: %s', async (_case, endpoint, key, sessionToken) => {
    const { url, headers } = signGetObject(
      { region: 'eu-west-1', endpoint },
      { ...CREDENTIALS, sessionToken },
      'model-bucket',
      key,
      AT,
    );
    expect(headers.authorization).toBe(await sdkAuthorization(url, headers, sessionToken));
    if (sessionToken !== undefined) expect(headers['x-amz-security-token']).toBe(sessionToken);
    expect(url.host).toBe(endpoint === undefined ? 'model-bucket.s3.eu-west-1.amazonaws.com' : '127.0.0.1:4569');
  });
});

describe('the GET against a loopback server', () => {
  let server: Server;
  let answers: Array<(request: IncomingMessage, response: ServerResponse) => void>;
  let seen: IncomingMessage[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      const answer = answers.shift();
      if (answer === undefined) response.writeHead(500).end('no scripted answer left');
      else answer(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    answers = [];
    seen = [];
  });

  const endpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const reader = (maxAttempts = 3) =>
    new SignedS3Get({
      region: () => 'eu-west-1',
      endpoint: endpoint(),
      credentials: () => CREDENTIALS,
      maxAttempts,
      baseDelayMs: 5,
    });
  const s3Error = (status: number, code: string, message: string) => (_: IncomingMessage, response: ServerResponse) =>
    response
      .writeHead(status, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
  const body = (bytes: Buffer) => (_: IncomingMessage, response: ServerResponse) => response.writeHead(200).end(bytes);

  it('retries 5xx, throttling and a body cut short, and returns the bytes of the attempt that succeeds', async () => {
    const bytes = readFileSync(__filename);
    answers = [
      s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
      (_, response) => {
        response.writeHead(200, { 'content-length': String(bytes.byteLength) });
        response.write(bytes.subarray(0, 10));
        response.socket?.destroy();
      },
      body(bytes),
    ];
    const read = await reader().getObject('model-bucket', 'models/a/1/x.onnx');
    expect(Buffer.from(read).equals(bytes)).toBe(true);
    expect(seen).toHaveLength(3);
    expect(seen[0].url).toBe('/model-bucket/models/a/1/x.onnx');
    expect(seen[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\//);
  });

  it('gives up after its attempts, saying what S3 answered', async () => {
    answers = [1, 2, 3].map(() => s3Error(500, 'InternalError', 'We encountered an internal error.'));
    await expect(reader().getObject('model-bucket', 'k')).rejects.toThrow(
      's3://model-bucket/k could not be read: S3 answered 500 (InternalError: We encountered an internal error.) after every retry',
    );
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 403 and says which permission the role needs', async () => {
    answers = [s3Error(403, 'AccessDenied', 'Access Denied')];
    const failure = reader().getObject('model-bucket', 'k');
    await expect(failure).rejects.toBeInstanceOf(S3GetError);
    await expect(failure).rejects.toThrow(
      "s3://model-bucket/k cannot be read (AccessDenied: Access Denied): the function's role must be allowed " +
        's3:GetObject on the model bucket',
    );
    expect(seen).toHaveLength(1);
  });

  it('does not retry a 404 and says to redeploy', async () => {
    answers = [s3Error(404, 'NoSuchKey', 'The specified key does not exist.')];
    await expect(reader().getObject('model-bucket', 'k')).rejects.toThrow(
      's3://model-bucket/k does not exist (NoSuchKey: The specified key does not exist.): the deployment pins an ' +
        'object that is gone from the model bucket; redeploy',
    );
    expect(seen).toHaveLength(1);
  });

  it('takes region, role credentials and the endpoint override from the environment Lambda sets', async () => {
    answers = [body(Buffer.from('ok'))];
    const fromEnvironment = signedS3GetFromEnvironment({
      AWS_REGION: 'us-east-2',
      AWS_ACCESS_KEY_ID: 'ASIAROLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
      AWS_ENDPOINT_URL_S3: endpoint(),
    });
    expect(Buffer.from(await fromEnvironment.getObject('b', 'k')).toString()).toBe('ok');
    expect(seen[0].headers.authorization).toMatch(/Credential=ASIAROLE\/\d{8}\/us-east-2\/s3\/aws4_request/);
    expect(seen[0].headers['x-amz-security-token']).toBe('session');
  });

  it('says when its requests are written, while the answers are still awaited', async () => {
    const held: ServerResponse[] = [];
    answers = [(_, response) => held.push(response), (_, response) => held.push(response)];
    const twoGets = reader();
    const reads = Promise.all([twoGets.getObject('model-bucket', 'a'), twoGets.getObject('model-bucket', 'b')]);
    await twoGets.requestsWritten();
    // Both requests reach the server, yet neither read has an answer: the signal does not wait for one.
    await new Promise<void>((resolve) => {
      const check = () => (seen.length === 2 ? resolve() : setTimeout(check, 1));
      check();
    });
    for (const response of held) response.writeHead(200).end('x');
    expect((await reads).map((bytes) => Buffer.from(bytes).toString())).toEqual(['x', 'x']);
    await expect(twoGets.requestsWritten()).resolves.toBeUndefined();
  });

  it('says its request is settled when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = new SignedS3Get({
      region: () => 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: () => CREDENTIALS,
      maxAttempts: 1,
    });
    const failure = refused.getObject('model-bucket', 'k').catch((error: Error) => error);
    await refused.requestsWritten();
    expect(String(await failure)).toMatch(/s3:\/\/model-bucket\/k could not be read: connect ECONNREFUSED/);
  });

  it('refuses to read without credentials, saying where they come from', async () => {
    await expect(signedS3GetFromEnvironment({ AWS_REGION: 'eu-west-1' }).getObject('b', 'k')).rejects.toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set/,
    );
  });
});
