import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import S3rver from 's3rver';
import { ModelEnvironment } from '../../contract/environment';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { buildStack } from './synth';

// The artifact `cdk deploy` ships, run as Lambda would run it: the bundle esbuild produced at synth, with the
// environment the template gives the function, loading its model from an S3-compatible server on loopback. It
// proves the bundle runs outside this repository and that lib/ and lambda/ agree on every variable.
// One deliberate difference: ONNX Runtime comes from this machine's node_modules, because the synthesized layer
// holds only the linux-arm64 binaries that Lambda runs; its JavaScript is the same package.
const REPOSITORY = path.join(__dirname, '..', '..');
const BUCKET = 'deployed-model-bucket';

let app: App;
let stack: ModelEndpointStack;
let server: S3rver;
let endpoint: string;
let functionEnvironment: Record<string, string>;

beforeAll(async () => {
  ({ app, stack } = buildStack(
    { modelsDir: path.join(REPOSITORY, 'models'), models: { penguins: {} } },
    { bundling: true },
  ));
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
  await client.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: functionEnvironment[ModelEnvironment.key],
      Body: fs.readFileSync(path.join(REPOSITORY, 'models', 'penguins', '1', 'model.onnx')),
    }),
  );
  client.destroy();
}, 120_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(app.outdir, { recursive: true, force: true });
});

function bundleDir(): string {
  const [fn] = stack.functions;
  const asset = fn.function.node.findChild('Code');
  if (!(asset instanceof Asset)) throw new Error('the function has no Code asset');
  return path.resolve(app.outdir, asset.assetPath);
}

/**
 * Invokes the bundled handler in a fresh Node.js process with the function's environment and returns its results.
 * Asynchronous on purpose: the S3 server runs in this process and must keep answering while the child waits.
 */
async function invokeBundle(events: object[]): Promise<Array<{ statusCode: number; body: string }>> {
  const script = `
    const { handler } = require(${JSON.stringify(path.join(bundleDir(), 'index.js'))});
    const context = JSON.parse(process.env.TEST_CONTEXT);
    (async () => {
      const results = [];
      for (const event of JSON.parse(process.env.TEST_EVENTS)) results.push(await handler(event, context));
      process.stdout.write('RESULTS' + JSON.stringify(results));
    })();
  `;
  const child = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: tmpdir(),
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      ...functionEnvironment,
      NODE_PATH: path.join(REPOSITORY, 'node_modules'),
      // What Lambda sets: the runtime then loads the tracer, and X-Ray segments go to the daemon address (loopback
      // UDP, where nothing listens here).
      AWS_LAMBDA_FUNCTION_NAME: 'ModelEndpoint-penguins',
      LAMBDA_TASK_ROOT: bundleDir(),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
      _X_AMZN_TRACE_ID: 'Root=1-65f0c0de-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: endpoint,
      TEST_EVENTS: JSON.stringify(events),
      TEST_CONTEXT: JSON.stringify(lambdaContext),
    },
  });
  const marker = child.stdout.indexOf('RESULTS');
  if (marker < 0) throw new Error(`the bundled handler did not answer:\n${child.stdout}\n${child.stderr}`);
  // X-Ray complains on the console when the tracer cannot find the invocation's segment.
  expect(`${child.stdout}${child.stderr}`).not.toMatch(/Failed to get the current sub\/segment|No active segment/);
  return JSON.parse(child.stdout.slice(marker + 'RESULTS'.length));
}

it('serves the pinned model from S3 with the environment the template sets', async () => {
  const [metadata, inference, wrongVerb] = await invokeBundle([
    apiGatewayEvent({ path: '/v2/models/penguins' }),
    apiGatewayEvent({
      method: 'POST',
      path: '/v2/models/penguins/infer',
      body: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [39.1, 18.7, 181, 3750] }] },
    }),
    apiGatewayEvent({ method: 'DELETE', path: '/v2/models/penguins/infer' }),
  ]);
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
});

it('refuses to serve when the object in S3 is not the artifact the template pinned', async () => {
  const pinned = functionEnvironment[ModelEnvironment.sha256];
  functionEnvironment[ModelEnvironment.sha256] = '0'.repeat(64);
  try {
    const [ready] = await invokeBundle([apiGatewayEvent({ path: '/v2/models/penguins/ready' })]);
    expect(ready.statusCode).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ name: 'penguins', ready: false });
  } finally {
    functionEnvironment[ModelEnvironment.sha256] = pinned;
  }
});
