import { type ChildProcess, spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { allDatatypesModel, writeRepository } from '../fixtures/test-models';
import { DEMO_MODELS } from '../support/demo-models';

// Starts the local server exactly as a user does (`npm start`), on a free loopback port, and talks HTTP to it.
const REPOSITORY_ROOT = path.join(__dirname, '..', '..');
const START_TIMEOUT_MS = 30_000;

interface RunningServer {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  output(): string;
}

function npmStart(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  // Its own process group, so the test can signal npm, tsx and node together as a terminal's Ctrl-C would.
  const { PORT: _port, MODELS_DIR: _modelsDir, ...env } = process.env;
  const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: REPOSITORY_ROOT, detached: true, env });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // 'close' waits for every process of the group that holds the output pipes, not just npm itself.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startServer(extraArgs: string[] = []): Promise<RunningServer & { exited: Promise<number | null> }> {
  const started = npmStart(['--port', '0', '--host', '127.0.0.1', ...extraArgs]);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const match = /serving .* on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output());
    if (match) return { ...started, baseUrl: match[1] };
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(-(started.child.pid ?? 0), 'SIGKILL');
  throw new Error(`the local server did not start:\n${started.output()}`);
}

async function request(baseUrl: string, method: string, urlPath: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: JSON.parse(await response.text()) };
}

describe('npm start', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer(['--models', DEMO_MODELS]);
  }, START_TIMEOUT_MS + 5_000);
  afterAll(() => {
    if (server.child.exitCode === null) process.kill(-(server.child.pid ?? 0), 'SIGKILL');
  });

  it('answers health and server metadata', async () => {
    expect(await request(server.baseUrl, 'GET', '/v2/health/live')).toEqual({ status: 200, json: { live: true } });
    expect(await request(server.baseUrl, 'GET', '/v2/health/ready')).toEqual({ status: 200, json: { ready: true } });
    expect((await request(server.baseUrl, 'GET', '/v2')).json.name).toBe('model-endpoint');
  });

  it('describes both demo models', async () => {
    const penguins = await request(server.baseUrl, 'GET', '/v2/models/penguins');
    const mnist = await request(server.baseUrl, 'GET', '/v2/models/mnist/versions/1');
    expect(penguins.json.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
    expect(mnist.json.inputs).toEqual([{ name: 'pixels', datatype: 'FP32', shape: [-1, 784] }]);
  });

  it('predicts a penguin species', async () => {
    const { status, json } = await request(server.baseUrl, 'POST', '/v2/models/penguins/infer', {
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [[39.1, 18.7, 181, 3750]] }],
      outputs: [{ name: 'label' }],
    });
    expect(status).toBe(200);
    expect(json.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [1], data: ['Adelie'] }]);
  });

  it('serves the playground page at /, found beside the bundle npm start runs, and prints where it is', async () => {
    const page = await fetch(`${server.baseUrl}/`, { signal: AbortSignal.timeout(10_000) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>model-endpoint playground</title>');
    expect(server.output()).toContain(`playground: ${server.baseUrl}/ `);
  });

  it('classifies a batch of 8 MNIST digits', async () => {
    const pixels = Array.from({ length: 8 }, (_, row) =>
      Array.from({ length: 784 }, (_, index) => ((row * 31 + index * 17) % 256) / 255),
    );
    const { status, json } = await request(server.baseUrl, 'POST', '/v2/models/mnist/infer', {
      id: 'batch-8',
      inputs: [{ name: 'pixels', shape: [8, 784], datatype: 'FP32', data: pixels }],
    });
    expect(status).toBe(200);
    expect(json.id).toBe('batch-8');
    const label = json.outputs.find((output: { name: string }) => output.name === 'label');
    expect(label).toMatchObject({ datatype: 'INT64', shape: [8] });
    expect(label.data.every((digit: number) => Number.isInteger(digit) && digit >= 0 && digit <= 9)).toBe(true);
  });

  it('answers a binary tensor data request with binary outputs over HTTP', async () => {
    const pixels = Float32Array.from({ length: 2 * 784 }, (_, index) => (index % 256) / 255);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'pixels', shape: [2, 784], datatype: 'FP32', parameters: { binary_data_size: pixels.byteLength } },
        ],
        outputs: [{ name: 'label', parameters: { binary_data: true } }],
      }),
    );
    const response = await fetch(`${server.baseUrl}/v2/models/mnist/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        accept: 'application/octet-stream',
        'inference-header-content-length': String(header.byteLength),
      },
      body: Buffer.concat([header, Buffer.from(pixels.buffer)]),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await response.arrayBuffer());
    const headerLength = Number(response.headers.get('inference-header-content-length'));
    expect(JSON.parse(body.subarray(0, headerLength).toString()).outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    const labels = new BigInt64Array(Uint8Array.from(body.subarray(headerLength)).buffer);
    expect([...labels].every((digit) => digit >= 0n && digit <= 9n)).toBe(true);
  });

  it.each([
    ['malformed JSON', 'POST', '/v2/models/penguins/infer', '{', 400],
    [
      'a wrong datatype',
      'POST',
      '/v2/models/penguins/infer',
      { inputs: [{ name: 'features', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] }] },
      400,
    ],
    [
      'a wrong shape',
      'POST',
      '/v2/models/mnist/infer',
      { inputs: [{ name: 'pixels', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
      400,
    ],
    ['an unknown model', 'GET', '/v2/models/unknown', undefined, 404],
    ['a wrong verb', 'DELETE', '/v2/models/penguins', undefined, 405],
  ])('returns 4xx with an error message for %s', async (_case, method, urlPath, body, status) => {
    const response = await request(server.baseUrl, method, urlPath, body);
    expect(response.status).toBe(status);
    expect(response.json).toEqual({ error: expect.any(String) });
  });

  it('returns 413 for a body over what a Lambda request can carry', async () => {
    const response = await request(server.baseUrl, 'POST', '/v2/models/mnist/infer', 'x'.repeat(6 * 1024 * 1024 + 1));
    expect(response.status).toBe(413);
    expect(response.json.error).toMatch(/6291457 bytes, over the 6283264 bytes a Lambda request can carry/);
  });

  it("answers the hardening issue's curl reproducers: prototype-key query and header, HEAD", async () => {
    expect(await request(server.baseUrl, 'GET', '/v2/health/live?toString=1')).toEqual({
      status: 200,
      json: { live: true },
    });
    const withHeader = await fetch(`${server.baseUrl}/v2/health/live`, { headers: [['__proto__', 'x']] });
    expect(withHeader.status).toBe(200);
    const head = await fetch(`${server.baseUrl}/v2/health/live`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '13', '']);
  });

  it('prints each model as it loads, with its version, size and seconds', () => {
    expect(server.output()).toMatch(/loaded penguins version 1 \([\d.]+ kB\) in [\d.]+ s/);
  });

  it('still serves after bad requests, logging one line per request, and stops cleanly on SIGTERM', async () => {
    const logged = /GET \/v2\/health\/ready 200 [\d.]+ ms/g;
    const loggedLines = () => server.output().match(logged)?.length ?? 0;
    // An earlier readiness probe is logged already: this request's own line is the one to wait for.
    const before = loggedLines();
    expect((await request(server.baseUrl, 'GET', '/v2/health/ready')).status).toBe(200);
    // The request log is written in batches, at most 100 ms apart, in order: once this request's line is out, the
    // lines of every earlier request are too. Wait for it (at most 5 s).
    for (let waited = 0; loggedLines() <= before && waited < 5_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(loggedLines()).toBeGreaterThan(before);
    expect(server.output()).toMatch(/POST \/v2\/models\/penguins\/infer 200 [\d.]+ ms/);
    expect(server.output()).toMatch(/GET \/v2\/models\/unknown 404 [\d.]+ ms/);
    process.kill(-(server.child.pid ?? 0), 'SIGTERM');
    await server.exited;
    expect(server.output()).toMatch(/SIGTERM: shutting down\nstopped\n/);
    await expect(fetch(`${server.baseUrl}/v2/health/live`)).rejects.toThrow();
  });
});

describe('npm start options', () => {
  it('prints the usage and exits 0 for --help', async () => {
    const started = npmStart(['--help']);
    expect(await started.exited).toBe(0);
    expect(started.output()).toMatch(/^Usage: npm start -- \[options\]/);
    expect(started.output()).toMatch(/--all-versions/);
  });

  it('exits non-zero with the problem and the usage for an unknown option', async () => {
    const started = npmStart(['--prot', '8081']);
    expect(await started.exited).not.toBe(0);
    expect(started.output()).toMatch(/unknown option --prot\n\nUsage: npm start/);
  });
});

describe('npm start with a bad model folder', () => {
  it.each([
    ['an unreadable folder', '/nonexistent/models', /cannot read the model repository \/nonexistent\/models/],
    ['a broken model file', writeRepository({ 'broken/1': 'not an onnx model' }), /broken.*not a valid ONNX model/s],
    [
      'a model folder instead of the repository',
      path.join(writeRepository({ 'penguins/1': 'x' }), 'penguins'),
      /penguins holds 1\/model\.onnx, so it is a model folder, not a model repository: point at its parent/,
    ],
  ])('exits non-zero with a clear message for %s', async (_case, folder, message) => {
    const started = npmStart(['--port', '0', '--models', folder]);
    expect(await started.exited).not.toBe(0);
    expect(started.output()).toMatch(/local server cannot start/);
    expect(started.output()).toMatch(message);
  });
});

describe('npm start with a repository of linked folders and stray files', () => {
  it('serves the linked model and prints a warning for each stray file at start', async () => {
    const store = writeRepository({ 'linked/1': allDatatypesModel() });
    const repo = writeRepository({});
    symlinkSync(path.join(store, 'linked'), path.join(repo, 'linked'));
    writeFileSync(path.join(repo, 'notes.txt'), 'not a model');
    const server = await startServer(['--models', repo]);
    const warning = `warning: ${path.join(repo, 'notes.txt')} is ignored: the repository root holds only model folders`;
    try {
      // The warning goes to stderr and "serving" to stdout: two pipes, so it may be read just after the server is up.
      for (let tries = 0; tries < 50 && !server.output().includes(warning); tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(server.output()).toContain(warning);
      expect((await request(server.baseUrl, 'GET', '/v2/models/linked/ready')).json).toEqual({
        name: 'linked',
        ready: true,
      });
    } finally {
      process.kill(-(server.child.pid ?? 0), 'SIGKILL');
      await server.exited;
    }
  });
});
