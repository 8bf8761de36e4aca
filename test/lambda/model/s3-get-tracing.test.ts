import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sha256Hex } from '../../../lambda/model/checksum';
import { SignedS3Get } from '../../../lambda/model/signed-s3-get';

// The model's GET, when it runs inside an invocation (a load retried after a failed init), is an X-Ray subsegment
// of the invocation's `## handler` subsegment: the real Powertools tracer, its documents caught on a loopback UDP
// socket standing in for the X-Ray daemon, as Lambda's runtime environment is set up.
const BYTES = Buffer.from('model bytes');
const TRACE_ID = '1-65f0c0de-0123456789abcdef01234567';
const LAMBDA_VARIABLES = [
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'LAMBDA_TASK_ROOT',
  'AWS_XRAY_DAEMON_ADDRESS',
];

let s3: Server;
let daemon: Socket;
const documents: Array<Record<string, unknown>> = [];
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  s3 = createServer((_, response) => response.writeHead(200).end(BYTES));
  await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
  daemon = createSocket('udp4');
  daemon.on('message', (message) => documents.push(JSON.parse(message.toString('utf8').split('\n')[1])));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  for (const name of [...LAMBDA_VARIABLES, 'AWS_XRAY_CONTEXT_MISSING', '_X_AMZN_TRACE_ID']) {
    saved.set(name, process.env[name]);
  }
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'traced-get';
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.LAMBDA_TASK_ROOT = mkdtempSync(path.join(tmpdir(), 'task-root-'));
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
  process.env.AWS_XRAY_CONTEXT_MISSING = 'LOG_ERROR';
});

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  daemon.close();
  await new Promise((resolve) => s3.close(resolve));
});

it('puts the GET of a pinned object in its own subsegment of the invocation', async () => {
  let modules:
    | {
        observability: typeof import('../../../lambda/observability');
        source: typeof import('../../../lambda/model/s3-model-source');
      }
    | undefined;
  jest.isolateModules(() => {
    modules = {
      observability: require('../../../lambda/observability'),
      source: require('../../../lambda/model/s3-model-source'),
    };
  });
  if (modules === undefined) throw new Error('modules not loaded');
  const { observability, source } = modules;
  const reader = new SignedS3Get({
    region: () => 'eu-west-1',
    endpoint: `http://127.0.0.1:${(s3.address() as AddressInfo).port}`,
    credentials: () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
  });
  const object = { bucket: 'model-bucket', key: 'models/m/1/x.onnx', sha256: sha256Hex(BYTES) };

  process.env._X_AMZN_TRACE_ID = `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`;
  const bytes = await observability.tracedInvocation(
    () => source.readPinnedS3Object(reader, object),
    () => false,
  );
  delete process.env._X_AMZN_TRACE_ID;
  expect(Buffer.from(bytes).equals(BYTES)).toBe(true);

  for (let waited = 0; waited < 100 && documents.length < 2; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const handler = documents.find((document) => document.name === '## handler');
  expect(handler).toMatchObject({ trace_id: TRACE_ID, parent_id: '53995c3f42cd8ad8' });
  expect(documents).toContainEqual(
    expect.objectContaining({ name: 'S3 GetObject', trace_id: TRACE_ID, parent_id: handler?.id }),
  );
});
