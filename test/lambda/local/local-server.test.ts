import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MAX_BINARY_BODY_BYTES, MAX_EVENT_BODY_BYTES } from '../../../contract/limits';
import { serveModels } from '../../../lambda/local-server';
import type { ModelRegistry } from '../../../lambda/model/model-registry';
import { FileModelSource, modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { batchTensor, DataType, encodeModel, ONNX_OPSET } from '../../../scripts/train/onnx-graph';
import { failsAtRuntimeModel, writeRepository } from '../../fixtures/test-models';

// The local server in-process, over real HTTP on a loopback port, with real models.

/** A model file whose read waits until the test opens the gate: the load is in flight for as long as needed. */
class GatedSource extends FileModelSource {
  reads = 0;
  private open: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => {
    this.open = resolve;
  });

  override async readBytes(): Promise<Uint8Array> {
    this.reads += 1;
    await this.gate;
    return super.readBytes();
  }

  release(): void {
    this.open();
  }
}

/** FP32 in, the same FP32 out: binary values in, JSON numbers out, an answer about five times the request. */
function identityModel(): Uint8Array {
  return encodeModel({
    name: 'identity',
    docString: 'test fixture: FP32 identity',
    opsets: [ONNX_OPSET],
    nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
    inputs: [batchTensor('x', DataType.FLOAT)],
    outputs: [batchTensor('y', DataType.FLOAT)],
  });
}

const repository = writeRepository({
  'alpha/1': failsAtRuntimeModel(),
  'alpha/2': failsAtRuntimeModel(),
  'beta/1': failsAtRuntimeModel(),
  'identity/1': identityModel(),
});
const modelFile = join(repository, 'beta', '1', 'model.onnx');

interface Running {
  readonly server: Server;
  readonly registry: ModelRegistry;
  readonly url: string;
  readonly lines: string[];
}

async function serve(allVersions = false): Promise<Running> {
  const lines: string[] = [];
  const { server, registry } = await serveModels(
    modelSourcesFromFolder(repository),
    { port: 0, host: '127.0.0.1', allVersions, logRequests: false },
    (line) => lines.push(line),
  );
  return { server, registry, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
}

async function stop({ server, registry }: { server: Server; registry: ModelRegistry }): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await registry.release();
}

/** The fields these tests read from the server's JSON answers. */
interface Answer {
  readonly error?: string;
  readonly versions?: string[];
}

async function call(url: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
  return { status: response.status, json: (await response.json()) as Answer };
}

describe('model versions', () => {
  let running: Running;
  beforeAll(async () => {
    running = await serve();
  });
  afterAll(() => stop(running));

  it('serves only the highest version of each model by default, as a deploy does', async () => {
    expect((await call(running.url, '/v2/models/alpha')).json.versions).toEqual(['2']);
    expect((await call(running.url, '/v2/models/alpha/versions/2/ready')).status).toBe(200);
    expect((await call(running.url, '/v2/models/beta/versions/1')).status).toBe(200);
  });

  it.each(['/v2/models/alpha/versions/1', '/v2/models/alpha/versions/1/ready'])(
    'returns 404 for %s, a version in the folder that a deploy would not serve, saying how to serve it',
    async (path) => {
      const { status, json } = await call(running.url, path);
      expect(status).toBe(404);
      expect(json.error).toMatch(
        /model "alpha" version 1 is in the repository, but a deploy serves only .* 2.*--all-versions/,
      );
    },
  );

  it('returns 404 for an unserved version of a POST to infer as well', async () => {
    const { status, json } = await call(running.url, '/v2/models/alpha/versions/1/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
    });
    expect([status, json.error]).toEqual([404, expect.stringMatching(/--all-versions/)]);
  });

  it('returns the usual 404 for a version that is not in the folder at all', async () => {
    const { status, json } = await call(running.url, '/v2/models/alpha/versions/3');
    expect(status).toBe(404);
    expect(json.error).not.toMatch(/--all-versions/);
  });

  it('prints each loaded model with its version, size and seconds', () => {
    expect(running.lines[0]).toMatch(/^loading 3 model version\(s\), [\d.]+ kB, for http:\/\/127\.0\.0\.1:\d+ \.\.\.$/);
    expect(running.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}loaded alpha version 2 \([\d.]+ kB\) in [\d.]+ s$/),
        expect.stringMatching(/^ {2}loaded beta version 1 \([\d.]+ kB\) in [\d.]+ s$/),
      ]),
    );
  });
});

describe('model versions with allVersions (--all-versions)', () => {
  it('serves every version of each model', async () => {
    const running = await serve(true);
    try {
      expect((await call(running.url, '/v2/models/alpha')).json.versions).toEqual(['1', '2']);
      expect((await call(running.url, '/v2/models/alpha/versions/1')).status).toBe(200);
    } finally {
      await stop(running);
    }
  });
});

describe('starting', () => {
  it('answers readiness with 503 while the models load, then 200', async () => {
    const source = new GatedSource('beta', '1', modelFile);
    let url = '';
    const starting = serveModels([source], { port: 0, host: '127.0.0.1', logRequests: false }, (line) => {
      url ||= /for (http:\/\/\S+) \.\.\./.exec(line)?.[1] ?? '';
    });
    while (source.reads === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await call(url, '/v2/health/ready')).toEqual({ status: 503, json: { ready: false } });
    expect(await call(url, '/v2/health/live')).toEqual({ status: 200, json: { live: true } });
    source.release();
    const running = await starting;
    try {
      expect(await call(url, '/v2/health/ready')).toEqual({ status: 200, json: { ready: true } });
    } finally {
      await stop(running);
    }
  });

  it('fails at once, before loading any model, when the port is in use, naming the port and the fix', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    const source = new GatedSource('beta', '1', modelFile);
    try {
      await expect(serveModels([source], { port, host: '127.0.0.1' }, () => undefined)).rejects.toThrow(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port <n> or PORT=<n>`),
      );
      expect(source.reads).toBe(0);
    } finally {
      source.release();
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe('request size, as API Gateway and Lambda limit it', () => {
  let running: Running;
  beforeAll(async () => {
    running = await serve();
  });
  afterAll(() => stop(running));

  const post = (body: Buffer, contentType: string) =>
    call(running.url, '/v2/models/beta/infer', { method: 'POST', headers: { 'content-type': contentType }, body });

  // Bodies at the limit are not valid requests, so they get the handler's 400: what matters is that they get past
  // the size check, and one byte more does not.
  it.each<[string, number, string, number]>([
    ['a binary body at the base64 limit', MAX_BINARY_BODY_BYTES, 'application/octet-stream', 400],
    ['a binary body one byte over it', MAX_BINARY_BODY_BYTES + 1, 'application/octet-stream', 413],
    ['a JSON body at the event limit', MAX_EVENT_BODY_BYTES, 'application/json', 400],
    ['a JSON body one byte over it', MAX_EVENT_BODY_BYTES + 1, 'application/json', 413],
  ])('answers %s (%d bytes of %s) with %d', async (_case, size, contentType, status) => {
    const response = await post(Buffer.alloc(size, 0x31), contentType);
    expect(response.status).toBe(status);
  });

  it('returns 413 for a binary body that only base64 makes too big, saying the limit and what to do', async () => {
    const { status, json } = await post(Buffer.alloc(5_000_000), 'application/octet-stream');
    expect(status).toBe(413);
    expect(json.error).toBe(
      'the binary request body is 5000000 bytes, which API Gateway base64-encodes to 6666668; a Lambda request ' +
        'holds 6291456 bytes, so binary bodies can be at most 4712448 bytes: send a smaller batch',
    );
  });

  it('counts the escaping of quotes in a JSON body, as the event carries it', async () => {
    const quotes = MAX_EVENT_BODY_BYTES / 2;
    expect((await post(Buffer.alloc(quotes, '"'), 'application/json')).status).toBe(400);
    const over = await post(Buffer.alloc(quotes + 1, '"'), 'application/json');
    expect(over.status).toBe(413);
    expect(over.json.error).toMatch(/6283266 once its quotes are escaped.*send a smaller batch/);
  });
});

describe('answer size, as Lambda limits it', () => {
  let running: Running;
  beforeAll(async () => {
    running = await serve();
  });
  afterAll(() => stop(running));

  /** `count` FP32 values of 0.1 as binary input; each comes back as the 19-character JSON number 0.10000000149011612. */
  const identity = (count: number) => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'x', shape: [count], datatype: 'FP32', parameters: { binary_data_size: count * 4 } }],
      }),
    );
    return call(running.url, '/v2/models/identity/infer', {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.byteLength),
      },
      body: Buffer.concat([header, Buffer.from(new Float32Array(count).fill(0.1).buffer)]),
    });
  };

  it('returns 400 when the answer is over what Lambda can return, saying how to get a smaller one', async () => {
    const { status, json } = await identity(400_000);
    expect(status).toBe(400);
    expect(json.error).toMatch(
      /^the answer is \d+ bytes as a Lambda response, over the 6291556 bytes Lambda can return; send a smaller batch or ask for fewer outputs .*"binary_data_output": true/,
    );
  });

  it('answers an answer that fits as usual', async () => {
    expect((await identity(100_000)).status).toBe(200);
  });
});
