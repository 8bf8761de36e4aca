import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveModels } from '../../../lambda/local-server';
import type { ModelRegistry } from '../../../lambda/model/model-registry';
import { modelSourcesFromFolder } from '../../../lambda/model/model-source';
import { demoModelFile } from '../../support/demo-models';
import { rawExchange } from '../../support/raw-http';

// What a hostile or unusual client sends, byte for byte on a raw socket, to the local server in-process (real
// models, real loopback HTTP). Every answer must be the protocol's: a status and a short {"error"} naming the problem.

const repository = mkdtempSync(join(tmpdir(), 'http-framing-'));
const modelFile = join(repository, 'penguins', '1', 'model.onnx');
const PENGUIN_BODY = JSON.stringify({
  inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }],
});
const MIB = 1024 * 1024;

let server: Server;
let registry: ModelRegistry;
let port: number;
const warnings: string[] = [];
/** Every connection the server accepted, to read how many bytes it took from each. */
const sockets: Socket[] = [];

beforeAll(async () => {
  // A copy of the penguins demo model, which the last test replaces.
  mkdirSync(join(repository, 'penguins', '1'), { recursive: true });
  copyFileSync(demoModelFile('penguins'), modelFile);
  ({ server, registry } = await serveModels(
    modelSourcesFromFolder(repository),
    { port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
    (line) => warnings.push(line),
  ));
  server.on('connection', (socket: Socket) => sockets.push(socket));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await registry.release();
  rmSync(repository, { recursive: true, force: true });
});

const get = (target: string, headers = '') =>
  rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`);

describe('query parameters and headers named like Object prototype keys (defect 1)', () => {
  it.each([
    '/v2/health/live?toString=1',
    '/v2/health/live?__proto__=1',
    '/v2/health/live?constructor=1&hasOwnProperty=2&valueOf=3&toString=4&toString=5',
  ])('answers %s as any other query', async (target) => {
    expect(await get(target)).toMatchObject({ status: 200, json: { live: true } });
  });

  it.each(['__proto__: x\r\n', 'toString: x\r\n', 'constructor: x\r\nconstructor: y\r\n', 'hasOwnProperty: x\r\n'])(
    'answers a request with the header %j as any other',
    async (header) => {
      expect(await get('/v2/health/live', header)).toMatchObject({ status: 200, json: { live: true } });
    },
  );
});

describe('request targets (defect 2)', () => {
  it('returns 400 for a malformed absolute-form target, naming it', async () => {
    const answer = await get('http://[/v2/health/live');
    expect(answer).toMatchObject({
      status: 400,
      headers: { 'content-type': 'application/json' },
      json: { error: expect.stringMatching(/^the request target "http:\/\/\[\/v2\/health\/live" is neither a path/) },
    });
  });

  it.each(['http://localhost:8080/v2/health/live', 'HTTP://example.com/v2/health/live?x=1'])(
    'serves the absolute-form target %s as its path (RFC 9112 §3.2.2)',
    async (target) => {
      expect(await get(target)).toMatchObject({ status: 200, json: { live: true } });
    },
  );

  it('passes the path on as sent, without resolving dot segments, as API Gateway does', async () => {
    // Resolved, /v2/models/.. would be /v2, the server metadata.
    const answer = await get('/v2/models/..');
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: expect.any(String) });
  });
});

describe("what Node's HTTP parser refuses (defect 8)", () => {
  it('returns 400 with a JSON error for a body that ends before its Content-Length', async () => {
    const answer = await rawExchange(
      port,
      'POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"inputs"',
      { halfClose: true },
    );
    expect(answer).toMatchObject({
      status: 400,
      headers: { 'content-type': 'application/json', connection: 'close' },
      json: { error: expect.stringMatching(/^the connection ended before the whole request body arrived/) },
    });
  });

  it.each([
    ['a Content-Length that is not a number', 'Content-Length: abc\r\n', 400, /Content-Length header is not one/],
    [
      'both Content-Length and Transfer-Encoding',
      'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
      400,
      /^the request is not valid HTTP\/1\.1 \(Transfer-Encoding can't be present with Content-Length\)/,
    ],
    ['headers over the size limit', `X-Big: ${'a'.repeat(20_000)}\r\n`, 431, /headers are over \d+ bytes/],
  ])('returns a JSON error for %s', async (_case, headers, status, error) => {
    const answer = await rawExchange(port, `POST /v2/health/live HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`);
    expect(answer).toMatchObject({ status, json: { error: expect.stringMatching(error) } });
  });

  it('returns 400 with a JSON error for a request line that is not HTTP', async () => {
    const answer = await rawExchange(port, 'HELLO THERE\r\n\r\n');
    expect(answer).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^the request is not valid HTTP\/1\.1 \(/) },
    });
  });
});

describe('oversized bodies (defect 9)', () => {
  /** The bytes the server read on the connection of this answer: its last accepted one. */
  const lastConnectionBytesRead = () => sockets[sockets.length - 1]?.bytesRead ?? 0;

  it('refuses a 100 MiB Content-Length with 413 and Connection: close, without reading the body', async () => {
    const answer = await rawExchange(
      port,
      `POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${100 * MIB}\r\n\r\n`,
      { streamBytes: 100 * MIB },
    );
    expect(answer).toMatchObject({
      status: 413,
      headers: { 'content-type': 'application/json', connection: 'close' },
      json: {
        error: `the request body is ${100 * MIB} bytes, over the 6283264 bytes a Lambda request can carry (6291456 for the whole event); send a smaller batch`,
      },
    });
    // The answer goes out before the body is read; at most a short linger's worth of it is read and dropped after.
    expect(lastConnectionBytesRead()).toBeLessThan(8 * MIB);
  });

  it('refuses a chunked body with 413 as soon as its running count passes the limit', async () => {
    const answer = await rawExchange(
      port,
      'POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      { streamBytes: 100 * MIB, chunked: true },
    );
    expect(answer).toMatchObject({
      status: 413,
      headers: { connection: 'close' },
      json: { error: expect.stringMatching(/^the binary request body is over 4712448 bytes/) },
    });
    expect(lastConnectionBytesRead()).toBeLessThan(16 * MIB);
  });

  it('keeps the 413 readable for a client that goes on sending and reads the answer only later', async () => {
    // Closing the connection while the client still sends would reset it, and a reset discards an answer the
    // client has not read yet: the server stops reading instead, until the client reads and closes.
    const answer = await rawExchange(
      port,
      'POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      { streamBytes: 100 * MIB, chunked: true, readDelayMs: 500 },
    );
    expect(answer).toMatchObject({ status: 413, headers: { connection: 'close' } });
    expect(lastConnectionBytesRead()).toBeLessThan(16 * MIB);
  });

  it('refuses an oversized body announced with Expect: 100-continue before the client sends it', async () => {
    const answer = await rawExchange(
      port,
      `POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${100 * MIB}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(answer).toMatchObject({ status: 413, json: { error: expect.stringMatching(/^the request body is/) } });
  });

  it('tells a client that sent Expect: 100-continue with a body that fits to continue, and answers it', async () => {
    const answer = await rawExchange(
      port,
      `POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${PENGUIN_BODY.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${PENGUIN_BODY}`,
    );
    expect(answer).toMatchObject({ status: 200, json: { model_name: 'penguins' } });
  });
});

/** Waits until `done` holds, checking every 20 ms, for at most 10 s. */
async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('clients that go away, and half-closed connections (defect 14)', () => {
  it('logs a client that disconnects mid-body as one line, without a stack trace or a 500', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const before = warnings.length;
    try {
      const client = connect(port, '127.0.0.1');
      server.once('request', () => setImmediate(() => client.destroy()));
      client.write('POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"in');
      await eventually(() => warnings.length > before);
      expect(warnings.slice(before)).toEqual([
        'local server: POST /v2/models/penguins/infer: the client closed the connection after 4 of 100 body bytes',
      ]);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it('answers a client that half-closes its side right after sending the request', async () => {
    const answer = await rawExchange(
      port,
      `POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${PENGUIN_BODY.length}\r\n\r\n${PENGUIN_BODY}`,
      { halfClose: true },
    );
    expect(answer).toMatchObject({ status: 200, json: { model_name: 'penguins', outputs: expect.any(Array) } });
  });
});

describe('HEAD (defect 14)', () => {
  it.each(['/v2/health/live', '/v2', '/v2/models/penguins', '/v2/models/penguins/ready'])(
    'answers HEAD %s as GET, without the body',
    async (path) => {
      const got = await get(path);
      const head = await rawExchange(port, `HEAD ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      expect(head).toMatchObject({ status: 200, body: '', headers: { 'content-type': 'application/json' } });
      expect(head.headers['content-length']).toBe(String(Buffer.byteLength(got.body)));
    },
  );

  it('returns 405 for HEAD on a POST route, allowing POST', async () => {
    const head = await rawExchange(
      port,
      'HEAD /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(head).toMatchObject({ status: 405, headers: { allow: 'POST' } });
  });

  it('allows HEAD wherever it allows GET', async () => {
    const answer = await rawExchange(
      port,
      'POST /v2/health/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
  });
});

// Last: it replaces the served model file.
describe('a served model file replaced on disk (defect 14)', () => {
  it('keeps serving the version it loaded, and says once that a restart picks up the change', async () => {
    const before = warnings.length;
    writeFileSync(modelFile, 'not a model any more');
    await eventually(() => warnings.length > before);
    expect(warnings.slice(before)).toEqual([
      expect.stringMatching(
        /^warning: .*penguins\/1 changed while serving .*; the server keeps serving penguins version 1 as it loaded it at start: restart it/,
      ),
    ]);
    rmSync(modelFile);
    expect(await get('/v2/health/ready')).toMatchObject({ status: 200, json: { ready: true } });
    const answer = await rawExchange(
      port,
      `POST /v2/models/penguins/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${PENGUIN_BODY.length}\r\nConnection: close\r\n\r\n${PENGUIN_BODY}`,
    );
    expect(answer.status).toBe(200);
    // Reported once per version, not once per file system event.
    expect(warnings.length).toBe(before + 1);
  });
});
