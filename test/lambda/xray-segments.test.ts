import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { tracingEnabled } from '../../lambda/observability';
import { parseDaemonAddress, parseTraceHeader } from '../../lambda/xray-segments';

// The runtime's own X-Ray subsegments, caught as the daemon would receive them: datagrams on a loopback UDP socket
// named by AWS_XRAY_DAEMON_ADDRESS, with Lambda's variables and per-invocation trace header set.
const TRACE_ID = '1-65f0c0de-0123456789abcdef01234567';
const PARENT = '53995c3f42cd8ad8';
const VARIABLES = [
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_XRAY_DAEMON_ADDRESS',
  '_X_AMZN_TRACE_ID',
];

type Observability = typeof import('../../lambda/observability');
type Document = Record<string, unknown> & { id: string; name: string };

let daemon: Socket;
let datagrams: string[] = [];
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => datagrams.push(message.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  for (const name of VARIABLES) saved.set(name, process.env[name]);
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'traced';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
});

afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  daemon.close();
});

beforeEach(() => {
  datagrams = [];
});

/** A fresh runtime, as a new execution environment loads it: its first invocation is the cold one. */
function freshObservability(): Observability {
  let loaded: Observability | undefined;
  jest.isolateModules(() => {
    loaded = require('../../lambda/observability');
  });
  if (loaded === undefined) throw new Error('observability not loaded');
  return loaded;
}

async function received(count: number): Promise<Document[]> {
  for (let waited = 0; waited < 100 && datagrams.length < count; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return datagrams.map((datagram) => {
    const [header, body] = datagram.split('\n');
    expect(JSON.parse(header)).toEqual({ format: 'json', version: 1 });
    return JSON.parse(body) as Document;
  });
}

async function invoke<T>(
  observability: Observability,
  header: string,
  work: () => Promise<T>,
  isFault: (result: T) => boolean = () => false,
): Promise<T> {
  process.env._X_AMZN_TRACE_ID = header;
  try {
    return await observability.tracedInvocation(work, isFault);
  } finally {
    delete process.env._X_AMZN_TRACE_ID;
  }
}

const SAMPLED = `Root=${TRACE_ID};Parent=${PARENT};Sampled=1`;

it('sends a ## handler subsegment with ColdStart and Service, and nested work under it', async () => {
  const observability = freshObservability();
  const answer = await invoke(observability, SAMPLED, async () => {
    observability.annotate('model', 'mnist');
    return observability.traced('## infer mnist', async () => 'answer');
  });
  expect(answer).toBe('answer');
  const documents = await received(2);
  const handler = documents.find((document) => document.name === '## handler');
  const infer = documents.find((document) => document.name === '## infer mnist');
  expect(handler).toMatchObject({
    type: 'subsegment',
    trace_id: TRACE_ID,
    parent_id: PARENT,
    annotations: { ColdStart: true, Service: 'model-endpoint', model: 'mnist' },
  });
  expect(handler?.id).toMatch(/^[0-9a-f]{16}$/);
  expect(handler).not.toHaveProperty('fault');
  expect(infer).toMatchObject({ type: 'subsegment', trace_id: TRACE_ID, parent_id: handler?.id });
  const seconds = (document?: Document) => [Number(document?.start_time), Number(document?.end_time)];
  const [handlerStart, handlerEnd] = seconds(handler);
  const [inferStart, inferEnd] = seconds(infer);
  expect(Math.abs(handlerStart - Date.now() / 1000)).toBeLessThan(60);
  expect(handlerStart).toBeLessThanOrEqual(inferStart);
  expect(inferEnd).toBeLessThanOrEqual(handlerEnd);
});

it('annotates only the first invocation of an on-demand environment as a cold start', async () => {
  const observability = freshObservability();
  await invoke(observability, SAMPLED, async () => 'first');
  await received(1);
  datagrams = [];
  await invoke(observability, SAMPLED, async () => 'second');
  const [second] = await received(1);
  expect(second.annotations).toEqual({ ColdStart: false, Service: 'model-endpoint' });
});

it('marks the invocation as a fault when the answer is a server error', async () => {
  const observability = freshObservability();
  await invoke(
    observability,
    SAMPLED,
    async () => ({ statusCode: 503 }),
    (result) => result.statusCode >= 500,
  );
  const [handler] = await received(1);
  expect(handler).toMatchObject({ name: '## handler', fault: true });
});

it('records a thrown error once, where it was thrown, and points the enclosing subsegments at it', async () => {
  const observability = freshObservability();
  const failing = invoke(observability, SAMPLED, () =>
    observability.traced('S3 GetObject', async () => {
      throw new TypeError('connection reset');
    }),
  );
  await expect(failing).rejects.toThrow('connection reset');
  const documents = await received(2);
  const get = documents.find((document) => document.name === 'S3 GetObject');
  const handler = documents.find((document) => document.name === '## handler');
  expect(get).toMatchObject({
    fault: true,
    cause: {
      working_directory: process.cwd(),
      exceptions: [
        expect.objectContaining({
          message: 'connection reset',
          type: 'TypeError',
          remote: false,
          stack: expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('xray-segments') })]),
        }),
      ],
    },
  });
  expect(handler).toMatchObject({ fault: true, cause: { id: get?.id, exceptions: [] } });
});

it('sends nothing when the trace is not sampled, outside an invocation, or outside Lambda', async () => {
  const observability = freshObservability();
  await invoke(observability, `Root=${TRACE_ID};Parent=${PARENT};Sampled=0`, () =>
    observability.traced('## infer mnist', async () => 'answer'),
  );
  await observability.traced('## load mnist', async () => 'during init');
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  try {
    await invoke(freshObservability(), SAMPLED, async () => 'local');
  } finally {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'traced';
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(datagrams).toEqual([]);
});

it.each([
  [`Root=${TRACE_ID};Parent=${PARENT};Sampled=1`, { root: TRACE_ID, parent: PARENT, sampled: true }],
  [`Root=${TRACE_ID};Parent=${PARENT};Sampled=0;Lineage=a:1`, { root: TRACE_ID, parent: PARENT, sampled: false }],
  [`Root=${TRACE_ID};Parent=${PARENT}`, { root: TRACE_ID, parent: PARENT, sampled: true }],
  [`Root=${TRACE_ID};Sampled=1`, undefined],
  ['', undefined],
  [undefined, undefined],
])('reads the trace header %p', (header, expected) => {
  expect(parseTraceHeader(header)).toEqual(expected);
});

it.each([
  ['169.254.79.129:2000', { host: '169.254.79.129', port: 2000 }],
  ['tcp:127.0.0.1:2000 udp:127.0.0.2:2001', { host: '127.0.0.2', port: 2001 }],
  [undefined, { host: '127.0.0.1', port: 2000 }],
])('reads the daemon address %p', (value, expected) => {
  expect(parseDaemonAddress(value)).toEqual(expected);
});

it('rejects a daemon address without a port', () => {
  expect(() => parseDaemonAddress('localhost')).toThrow('AWS_XRAY_DAEMON_ADDRESS (localhost) is not host:port');
});

it.each([
  [{ AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }, true],
  [{ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_TRACE_ENABLED: 'FALSE' }, false],
  [{ AWS_LAMBDA_FUNCTION_NAME: 'f', POWERTOOLS_TRACE_ENABLED: 'true' }, true],
  [{ AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_SAM_LOCAL: 'true' }, false],
  [{ AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, false],
  [{}, false],
])('traces with %p: %p, the switches Powertools Tracer honoured', (env, expected) => {
  expect(tracingEnabled(env)).toBe(expected);
});
