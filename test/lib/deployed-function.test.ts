import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import * as fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import S3rver from 's3rver';
import { CAPTURE_MARKER, CaptureEnvironment, ModelEnvironment } from '../../contract/environment';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS, demoModelFile } from '../support/demo-models';
import { putObjectAndWait } from '../support/s3-put';
import { SDK_FROM_NODE_PATH_HOOK } from './sdk-from-node-path';
import { buildCheckedStack } from './synth';

// The artifact `cdk deploy` ships, run as Lambda runs it: the ES module bundle esbuild produced at synth, with the
// environment the template gives the function, loading its model from an S3-compatible server on loopback and
// sending its trace data to an X-Ray daemon address on loopback. Like Lambda's runtime, the child process first
// imports the module (init: no trace header is set) and then invokes the handler once per event, with a fresh
// trace header each time. It proves the bundle runs outside this repository, that lib/ and lambda/ agree on every
// variable, that the model loads inside init, and that a healthy request logs nothing above INFO.
// One deliberate difference: ONNX Runtime comes from this machine's node_modules (through NODE_PATH, as from the
// layer on Lambda), because the synthesized layer holds only the linux-arm64 binaries that Lambda runs; its
// JavaScript is the same package.
const REPOSITORY = path.join(__dirname, '..', '..');
const BUCKET = 'deployed-model-bucket';

let app: App;
let stack: ModelEndpointStack;
let server: S3rver;
let endpoint: string;
let functionEnvironment: Record<string, string>;
/** A counting pass-through in front of the S3 server: the function's S3 endpoint. */
let s3Proxy: Server;
let s3Endpoint: string;
let s3Requests = 0;
/** A UDP socket where the X-Ray daemon would listen, keeping every document the X-Ray SDK sends. */
let xrayDaemon: Socket;
const traces: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  ({ app, stack } = await buildCheckedStack({ modelsDir: DEMO_MODELS, models: { penguins: {} } }, { bundling: true }));
  app.synth();
  const template = Template.fromStack(stack);
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [ModelEnvironment.name]: 'penguins' } } },
    }),
  );
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
  // The bucket name is a CloudFormation reference until deploy; every other value is a literal in the template.
  functionEnvironment = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : BUCKET]),
  );

  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: fs.mkdtempSync(path.join(tmpdir(), 's3rver-')),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await putObjectAndWait(
    client,
    BUCKET,
    functionEnvironment[ModelEnvironment.key],
    fs.readFileSync(demoModelFile('penguins')),
  );
  // The descriptor beside it, as the upload puts it there.
  const [artifact] = stack.modelStore.artifacts;
  await putObjectAndWait(
    client,
    BUCKET,
    functionEnvironment[ModelEnvironment.descriptorKey],
    artifact?.descriptorJson ?? '',
  );
  client.destroy();

  const upstream = new URL(endpoint);
  s3Proxy = createServer((incoming, outgoing) => {
    s3Requests += 1;
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => s3Proxy.listen(0, '127.0.0.1', resolve));
  s3Endpoint = `http://127.0.0.1:${(s3Proxy.address() as AddressInfo).port}`;

  xrayDaemon = createSocket('udp4');
  xrayDaemon.on('message', (message) => {
    // Each datagram is a header line ({"format":"json","version":1}) and one segment document.
    const [, document] = splitOnce(message.toString('utf8'), '\n');
    traces.push(JSON.parse(document));
  });
  await new Promise<void>((resolve) => xrayDaemon.bind(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  xrayDaemon?.close();
  s3Proxy?.closeAllConnections();
  await new Promise((resolve) => s3Proxy?.close(resolve));
  await server?.close();
  fs.rmSync(app.outdir, { recursive: true, force: true });
});

function bundleDir(): string {
  const [fn] = stack.models;
  const asset = fn.function.node.findChild('Code');
  if (!(asset instanceof Asset)) throw new Error('the function has no Code asset');
  return path.resolve(app.outdir, asset.assetPath);
}

// What Lambda's runtime does, in order: import the handler module (init, no trace header), write a marker once the
// import resolved, then invoke the handler per event with that invocation's trace header, as the runtime sets it.
const RUNTIME_EMULATOR = `
import { register } from 'node:module';
register(process.env.TEST_HOOK_URL);
const { handler } = await import(process.env.TEST_BUNDLE_URL);
process.stdout.write('INIT-DONE\\n');
process.stderr.write('INIT-DONE\\n');
const context = JSON.parse(process.env.TEST_CONTEXT);
const results = [];
for (const [index, event] of JSON.parse(process.env.TEST_EVENTS).entries()) {
  process.env._X_AMZN_TRACE_ID = 'Root=1-65f0c0de-0123456789abcdef0123456' + index + ';Parent=53995c3f42cd8ad8;Sampled=1';
  results.push(await handler(event, { ...context, awsRequestId: 'request-' + index }));
  delete process.env._X_AMZN_TRACE_ID;
  // Lambda's runtime asks for the next event from a setImmediate callback: work deferred the same way runs first.
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write('RESULTS' + JSON.stringify(results) + '\\n');
`;

interface BundleRun {
  readonly results: Array<{ statusCode: number; headers: Record<string, string>; body: string }>;
  /** Everything printed (stdout, then stderr) before the handler module's import resolved, i.e. during init. */
  readonly initOutput: string;
  /** Everything printed after init, without the results line. */
  readonly invocationOutput: string;
  /** All of stderr, init and invocations. */
  readonly stderr: string;
  /** Requests the S3 server received during the whole run. */
  readonly s3Requests: number;
  /** X-Ray documents (segments and subsegments) the daemon address received. */
  readonly traces: Array<Record<string, unknown>>;
}

/**
 * Runs the bundle as Lambda would in a fresh Node.js process and returns what it answered and printed.
 * Asynchronous on purpose: the S3 server and the X-Ray socket run in this process and must keep answering while
 * the child works.
 */
async function runBundle(events: object[]): Promise<BundleRun> {
  const scratch = fs.mkdtempSync(path.join(tmpdir(), 'lambda-runtime-'));
  const hook = path.join(scratch, 'sdk-from-node-path.mjs');
  const emulator = path.join(scratch, 'runtime.mjs');
  fs.writeFileSync(hook, SDK_FROM_NODE_PATH_HOOK);
  fs.writeFileSync(emulator, RUNTIME_EMULATOR);
  s3Requests = 0;
  traces.length = 0;
  try {
    const child = await promisify(execFile)(process.execPath, [emulator], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        ...functionEnvironment,
        NODE_PATH: path.join(REPOSITORY, 'node_modules'),
        // What Lambda sets: the runtime then loads the tracer, and X-Ray data goes to the daemon address.
        AWS_LAMBDA_FUNCTION_NAME: 'ModelEndpoint-penguins',
        LAMBDA_TASK_ROOT: bundleDir(),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(xrayDaemon.address() as AddressInfo).port}`,
        // Lambda sets this with active tracing, so the X-Ray SDK logs (rather than throws) a missing context; without
        // it Powertools would choose IGNORE_ERROR and hide every such complaint from this test.
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_ENDPOINT_URL_S3: s3Endpoint,
        // Lambda runs Node.js 24; this machine may run an older Node.js, which the SDK would warn about.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TEST_HOOK_URL: `file://${hook}`,
        TEST_BUNDLE_URL: `file://${path.join(bundleDir(), 'index.mjs')}`,
        TEST_EVENTS: JSON.stringify(events),
        TEST_CONTEXT: JSON.stringify(lambdaContext),
      },
    });
    // Powertools writes ERROR records to stderr and the rest to stdout: each stream is split at the init marker.
    const [initOut, rest] = splitOnce(child.stdout, 'INIT-DONE\n');
    const [invocationOut, results] = splitOnce(rest, 'RESULTS');
    const [initErr, invocationErr] = splitOnce(child.stderr, 'INIT-DONE\n');
    if (results === '') throw new Error(`the bundled handler did not answer:\n${child.stdout}\n${child.stderr}`);
    // Segments are sent over UDP as each subsegment closes; wait (bounded) until the last invocation's arrived.
    for (
      let waited = 0;
      waited < 100 && !traces.some((doc) => String(doc.trace_id).endsWith(String(events.length - 1)));
      waited++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      results: JSON.parse(results),
      initOutput: `${initOut}${initErr}`,
      invocationOutput: `${invocationOut}${invocationErr}`,
      stderr: `${initErr}${invocationErr}`,
      s3Requests,
      traces: [...traces],
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function splitOnce(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + marker.length)];
}

/** The runtime's JSON log records (Powertools) among the printed lines; EMF metric lines have no level. */
function logRecords(output: string): Array<{ level: string; message: string } & Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record): record is { level: string; message: string } => typeof record.level === 'string');
}

it('loads the model during init and serves it with the environment the template sets', async () => {
  const run = await runBundle([
    apiGatewayEvent({ path: '/v2/models/penguins' }),
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }] },
    }),
    apiGatewayEvent({ method: 'DELETE', path: '/v2/models/penguins/infer' }),
  ]);
  const [metadata, inference, wrongVerb] = run.results;
  expect(metadata.statusCode).toBe(200);
  expect(JSON.parse(metadata.body)).toMatchObject({ name: 'penguins', versions: ['1'] });
  expect(inference.statusCode).toBe(200);
  expect(JSON.parse(inference.body).outputs[0]).toEqual({
    name: 'label',
    datatype: 'BYTES',
    shape: [1],
    data: ['Adelie'],
  });
  expect(wrongVerb.statusCode).toBe(405);

  // Init ended only once the session existed: the load finished before the module's import resolved, and it read
  // the artifact and its descriptor once each (the invocations did not touch S3).
  expect(logRecords(run.initOutput)).toContainEqual(
    expect.objectContaining({ level: 'INFO', message: 'model loaded', model: 'penguins', version: '1' }),
  );
  expect(logRecords(run.invocationOutput).map((record) => record.message)).not.toContain('model loaded');
  expect(run.s3Requests).toBe(2);
});

it('logs nothing above INFO for healthy requests and traces each in an annotated handler subsegment', async () => {
  const run = await runBundle([
    apiGatewayEvent({ path: '/v2/models/penguins' }),
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }] },
    }),
  ]);
  expect(run.results.map((result) => result.statusCode)).toEqual([200, 200]);
  const printed = `${run.initOutput}${run.invocationOutput}`;
  expect(logRecords(printed).filter((record) => record.level !== 'INFO' && record.level !== 'DEBUG')).toEqual([]);
  // The X-Ray SDK complains in plain text ("Missing AWS Lambda trace data", "cannot annotate the main segment").
  expect(`${printed}${run.stderr}`).not.toMatch(/X-Ray|segment|annotat/i);
  expect(run.stderr).toBe('');

  const handlerSegments = run.traces.filter((doc) => doc.name === '## handler');
  expect(handlerSegments).toHaveLength(2);
  expect(handlerSegments[0]).toMatchObject({
    trace_id: '1-65f0c0de-0123456789abcdef01234560',
    parent_id: '53995c3f42cd8ad8',
    annotations: { ColdStart: true, Service: 'model-endpoint' },
  });
  expect(handlerSegments[1]).toMatchObject({
    trace_id: '1-65f0c0de-0123456789abcdef01234561',
    annotations: { ColdStart: false, Service: 'model-endpoint', model: 'penguins', modelVersion: '1' },
  });
  // The inference itself is a subsegment of the handler's, in the same trace.
  expect(run.traces).toContainEqual(
    expect.objectContaining({
      name: '## infer penguins',
      trace_id: '1-65f0c0de-0123456789abcdef01234561',
      parent_id: handlerSegments[1].id,
    }),
  );
});

it('finishes init without the model when the artifact is not the pinned one, and answers 503 with Retry-After', async () => {
  const pinned = functionEnvironment[ModelEnvironment.sha256];
  functionEnvironment[ModelEnvironment.sha256] = '0'.repeat(64);
  try {
    const run = await runBundle([
      apiGatewayEvent({ path: '/v2/models/penguins/ready' }),
      apiGatewayEvent({
        method: 'POST',
        path: '/v2/models/penguins/infer',
        body: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }] },
      }),
    ]);
    const [ready, inference] = run.results;
    expect(ready.statusCode).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ name: 'penguins', ready: false });
    expect(inference.statusCode).toBe(503);
    expect(Number(inference.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(logRecords(run.initOutput)).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'model load failed', model: 'penguins', failures: 1 }),
    );
    // Within the backoff the requests answer from the recorded failure: the descriptor and the artifact were
    // downloaded once each, at init.
    expect(run.s3Requests).toBe(2);
    // Each 5xx is counted per model version, since Lambda sees successful invocations.
    const errorMetrics = run.invocationOutput
      .split('\n')
      .filter((line) => line.includes('"InferenceErrors"'))
      .map((line) => JSON.parse(line));
    expect(errorMetrics).toEqual([
      expect.objectContaining({ InferenceErrors: 1, model: 'penguins', version: '1', service: 'model-endpoint' }),
      expect.objectContaining({ InferenceErrors: 1, model: 'penguins', version: '1', service: 'model-endpoint' }),
    ]);
  } finally {
    functionEnvironment[ModelEnvironment.sha256] = pinned;
  }
});

it('captures inferences and keeps feedback as capture log lines once capture is on, dropping a named feature', async () => {
  const capture = {
    [CaptureEnvironment.sampleRate]: '1',
    [CaptureEnvironment.dropFields]: 'body_mass_g',
    [CaptureEnvironment.hashFields]: 'bill_length_mm',
    [CaptureEnvironment.hashSalt]: 'deployment-salt',
  };
  Object.assign(functionEnvironment, capture);
  try {
    const run = await runBundle([
      apiGatewayEvent({
        method: 'POST',
        path: '/v2/models/penguins/infer',
        body: {
          id: 'order-17',
          inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3757] }],
        },
      }),
      apiGatewayEvent({
        method: 'POST',
        path: '/v2/models/penguins/feedback',
        body: { id: 'order-17', label: 'Adelie' },
      }),
    ]);
    expect(run.results.map((result) => result.statusCode)).toEqual([200, 200]);
    const lines = run.invocationOutput
      .split('\n')
      .filter((line) => line.includes(`"${CAPTURE_MARKER}":1`))
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({ kind: 'inference', id: 'order-17', requestId: 'request-0', version: '1' }),
      expect.objectContaining({ kind: 'feedback', id: 'order-17', model: 'penguins', truth: ['Adelie'] }),
    ]);
    // The feature names come from the pinned descriptor in the bucket: the dropped one is null, the hashed one a hash.
    expect(lines[0].request.json.inputs[0].data).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/), 18.7, 181, null]);
    expect(run.invocationOutput).not.toContain('3757');
    expect(logRecords(run.invocationOutput).filter((record) => record.level !== 'INFO')).toEqual([]);
  } finally {
    for (const name of Object.keys(capture)) delete functionEnvironment[name];
  }
});
