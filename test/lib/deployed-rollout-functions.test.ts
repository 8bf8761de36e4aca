import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import S3rver from 's3rver';
import {
  METRICS_NAMESPACE,
  MODEL_DIMENSION,
  ModelEnvironment,
  PreTrafficHookEnvironment,
  SERVICE_NAME,
  ShadowComparatorEnvironment,
  ShadowEnvironment,
  VERSION_DIMENSION,
} from '../../contract/environment';
import type { ModelRegistry } from '../../lambda/model/model-registry';
import { withShadowSampling } from '../../lambda/shadow/shadow-sampling';
import type { ModelEndpointStack } from '../../lib/model-endpoint-stack';
import { type CodeDeployServer, startCodeDeployServer } from '../lambda/rollout/support/codedeploy-server';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../lambda/rollout/support/lambda-invoke-server';
import { perturbedPenguinsRepository } from '../lambda/rollout/support/perturbed-penguins';
import { cloudWatchLogsEvent, shadowRepository, versionHandler } from '../lambda/shadow/shadow-fixtures';
import { apiGatewayEvent, lambdaContext } from '../support/api-gateway-events';
import { DEMO_MODELS } from '../support/demo-models';
import { putObjectAndWait } from '../support/s3-put';
import { bundleDir, deployedEnvironment, externalModules, jsonLines, REGION, runBundle } from './bundle-runtime';
import { buildCheckedStack } from './synth';

// The pre-traffic hook and the shadow comparator as `cdk deploy` ships them: the esbuild bundles of a synth with
// bundling, run in a fresh Node.js process with the environment the template gives each function, their AWS calls
// going to peers on loopback through the SDK's standard service-specific endpoint variables (AWS_ENDPOINT_URL_S3,
// _LAMBDA, _CODEDEPLOY). The function versions they invoke run the real model handler in this process. This proves
// what the unit tests of lambda/rollout and lambda/shadow cannot: that each bundle loads outside this repository's
// TypeScript, that lib/ sets every variable the runtime reads, and that the default clients (no endpoint, region or
// path style in code) reach whatever endpoint the environment names. S3 needs no path-style setting for s3rver: the
// SDK's S3 endpoint rules address the bucket in the path whenever the endpoint's host is an IP address.
// @aws-sdk/* is external in both bundles, since Lambda's Node.js 24 runtime provides it: the child process finds it
// in this repository's node_modules through NODE_PATH, as Lambda finds the runtime's own copy.
const BUCKET = 'deployed-model-bucket';
const functionArn = (name: string, qualifier: string) =>
  `arn:aws:lambda:${REGION}:123456789012:function:${name}:${qualifier}`;
const SYNTH_TIMEOUT_MS = 180_000;

const registries: ModelRegistry[] = [];
afterAll(() => Promise.all(registries.map((registry) => registry.release())));

/** The real model handler over one version of a repository, as that version's function serves it. */
function modelHandlerOf(repository: string, version: string) {
  const { handler, registry } = versionHandler(repository, version);
  registries.push(registry);
  return handler;
}

/** The same handler as a function the loopback Lambda service runs: the event in, the proxy result out. */
function modelHandler(repository: string, version: string) {
  const handler = modelHandlerOf(repository, version);
  return (event: unknown) => handler(event as Parameters<typeof handler>[0], lambdaContext);
}

describe('the pre-traffic hook as deployed', () => {
  const NEW_VERSION = functionArn('ModelEndpoint-PenguinsFunction', '7');
  const PERTURBED_VERSION = functionArn('ModelEndpoint-PenguinsFunction', '8');
  const event = { DeploymentId: 'd-EXAMPLE11', LifecycleEventHookExecutionId: 'hook-execution-1' };
  let app: App;
  let bundle: string;
  let hookEnvironment: Record<string, string>;
  let s3: S3rver;
  let s3Endpoint: string;
  let lambdaService: LambdaInvokeServer;
  let codeDeploy: CodeDeployServer;

  beforeAll(async () => {
    let stack: ModelEndpointStack;
    ({ app, stack } = await buildCheckedStack(
      { modelsDir: DEMO_MODELS, models: { penguins: {} } },
      { bundling: true },
    ));
    app.synth();
    const hook = stack.models[0]?.rollout?.preTrafficHook;
    if (hook === undefined) throw new Error('penguins has a golden set, so its rollout must have a pre-traffic hook');
    bundle = bundleDir(app, hook);
    hookEnvironment = deployedEnvironment(Template.fromStack(stack), hook, {
      [PreTrafficHookEnvironment.targetFunction]: NEW_VERSION,
      [PreTrafficHookEnvironment.goldenBucket]: BUCKET,
    });

    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: fs.mkdtempSync(path.join(tmpdir(), 's3rver-')),
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await s3.run();
    s3Endpoint = `http://127.0.0.1:${port}`;
    const client = new S3Client({
      endpoint: s3Endpoint,
      forcePathStyle: true,
      region: REGION,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    // The golden set as the model store uploads it: these bytes under the key the template pins.
    await putObjectAndWait(
      client,
      BUCKET,
      hookEnvironment[PreTrafficHookEnvironment.goldenKey],
      fs.readFileSync(path.join(DEMO_MODELS, 'penguins', '1', 'golden.json')),
    );
    client.destroy();
    lambdaService = await startLambdaInvokeServer({
      [NEW_VERSION]: modelHandler(DEMO_MODELS, '1'),
      [PERTURBED_VERSION]: modelHandler(perturbedPenguinsRepository(), '1'),
    });
    codeDeploy = await startCodeDeployServer();
  }, SYNTH_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([lambdaService?.close(), codeDeploy?.close(), s3?.close()]);
    if (app !== undefined) fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  async function runHook(target: string) {
    const invokedBefore = lambdaService.invoked.length;
    const reportedBefore = codeDeploy.reported.length;
    const run = await runBundle(
      bundle,
      { ...hookEnvironment, [PreTrafficHookEnvironment.targetFunction]: target },
      { S3: s3Endpoint, LAMBDA: lambdaService.endpoint, CODEDEPLOY: codeDeploy.endpoint },
      [event],
    );
    return {
      ...run,
      invoked: lambdaService.invoked.slice(invokedBefore),
      reported: codeDeploy.reported.slice(reportedBefore),
    };
  }

  it('is an ES module that imports cleanly, with nothing but the AWS SDK from outside the bundle', async () => {
    expect(fs.readdirSync(bundle).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(externalModules(path.join(bundle, 'index.mjs'))).toEqual([
      '@aws-sdk/client-codedeploy',
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-s3',
    ]);
    const run = await runHook(NEW_VERSION);
    expect(run.initOutput).toBe('');
    expect(run.stderr).toBe('');
  });

  it("reports Succeeded after the new version answered each case of penguins' golden set", async () => {
    const run = await runHook(NEW_VERSION);
    const message = 'golden set of penguins version 1: 9 cases passed';
    expect(run.results).toEqual([{ status: 'Succeeded', message }]);
    // One invocation per case, each of exactly the version being deployed.
    expect(run.invoked).toEqual(Array(9).fill(NEW_VERSION));
    expect(run.reported).toEqual([
      {
        deploymentId: event.DeploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status: 'Succeeded',
      },
    ]);
    expect(jsonLines(run.invocationStdout)).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'golden set check passed',
        status: 'Succeeded',
        result: message,
      }),
    );
  });

  it('reports Failed naming the case and the difference when the new version is a perturbed model', async () => {
    const run = await runHook(PERTURBED_VERSION);
    const message =
      'golden set of penguins version 1: case "held-out row 0": output "probabilities" element 0 (index [0, 0]) is ' +
      '0.9466667771339417, expected 0.9866667985916138 (difference 0.04, tolerance 0.0001087)';
    expect(run.results).toEqual([{ status: 'Failed', message }]);
    // The replay stops at the first case that differs.
    expect(run.invoked).toEqual([PERTURBED_VERSION]);
    expect(run.reported).toEqual([
      {
        deploymentId: event.DeploymentId,
        lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
        status: 'Failed',
      },
    ]);
    // The log group is where an operator finds which case failed: CodeDeploy's status call takes no message.
    expect(jsonLines(`${run.invocationStdout}${run.stderr}`)).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'golden set check failed',
        status: 'Failed',
        result: message,
      }),
    );
  });
});

describe('the shadow comparator as deployed', () => {
  const CANDIDATE_ALIAS = functionArn('ModelEndpoint-PenguinsCandidate', 'live');
  let app: App;
  let repository: string;
  let bundle: string;
  let comparatorEnvironment: Record<string, string>;
  let liveSampleRate: string;

  beforeAll(async () => {
    // The demo penguins as version 1 (live, with its golden set, as a deploy needs) and a byte copy as version 2 (the
    // candidate).
    repository = shadowRepository('same');
    fs.copyFileSync(
      path.join(DEMO_MODELS, 'penguins', '1', 'golden.json'),
      path.join(repository, 'penguins', '1', 'golden.json'),
    );
    let stack: ModelEndpointStack;
    ({ app, stack } = await buildCheckedStack(
      { modelsDir: repository, models: { penguins: { version: '1', shadow: { version: '2' } } } },
      { bundling: true },
    ));
    app.synth();
    const [model] = stack.models;
    const comparator = model?.shadow?.comparator.function;
    if (comparator === undefined) throw new Error('penguins has shadow settings, so it must have a comparator');
    bundle = bundleDir(app, comparator);
    const template = Template.fromStack(stack);
    comparatorEnvironment = deployedEnvironment(template, comparator, {
      [ShadowComparatorEnvironment.candidateFunction]: CANDIDATE_ALIAS,
    });
    const [live] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: {
          Environment: { Variables: { [ModelEnvironment.name]: 'penguins', [ModelEnvironment.version]: '1' } },
        },
      }),
    );
    liveSampleRate = live.Properties.Environment.Variables[ShadowEnvironment.sampleRate];
  }, SYNTH_TIMEOUT_MS);

  afterAll(() => {
    if (app !== undefined) fs.rmSync(app.outdir, { recursive: true, force: true });
  });

  /**
   * The live function's shadow sample lines for two inferences, written by the real handler with the sampling the
   * template configures (the draw always under the rate, so both are sampled), as CloudWatch Logs hands them on.
   */
  async function liveSamples() {
    const lines: string[] = [];
    const sampled = withShadowSampling(
      modelHandlerOf(repository, '1'),
      { [ShadowEnvironment.sampleRate]: liveSampleRate },
      { write: (line) => lines.push(line), random: () => 0 },
    );
    const infer = (path: string, data: number[][]) =>
      apiGatewayEvent({
        method: 'POST',
        path,
        body: { inputs: [{ name: 'features', shape: [data.length, 4], datatype: 'FP32', data }] },
      });
    for (const event of [
      infer('/v2/models/penguins/infer', [
        [39.1, 18.7, 181, 3750],
        [46.5, 13.5, 210, 4550],
      ]),
      infer('/v2/models/penguins/versions/1/infer', [[50.0, 15.2, 218, 5700]]),
    ]) {
      expect((await sampled(event, lambdaContext)).statusCode).toBe(200);
    }
    // Sample lines are written once the answer is out, in the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    return cloudWatchLogsEvent(lines);
  }

  /** Runs the bundled comparator on the live samples, the candidate alias answering with `candidate`'s version 2. */
  async function compareWith(candidateRepository: string) {
    const event = await liveSamples();
    const candidate = await startLambdaInvokeServer({ [CANDIDATE_ALIAS]: modelHandler(candidateRepository, '2') });
    try {
      const run = await runBundle(bundle, comparatorEnvironment, { LAMBDA: candidate.endpoint }, [event]);
      const metrics = jsonLines(run.invocationStdout).filter((line) => '_aws' in line);
      return { ...run, metrics, invoked: candidate.invoked };
    } finally {
      await candidate.close();
    }
  }

  function values(records: readonly Record<string, unknown>[], metric: string): number[] {
    return records.flatMap((record) => (record[metric] === undefined ? [] : ([record[metric]].flat() as number[])));
  }

  it('prints one EMF line per sample in the runtime namespace, with exact agreement for a copy of the live model', async () => {
    // esbuild's default format for a NodejsFunction: CommonJS, which Lambda requires (and which finds the SDK through
    // NODE_PATH by itself).
    expect(fs.readdirSync(bundle).sort()).toEqual(['index.js', 'index.js.map']);
    expect(externalModules(path.join(bundle, 'index.js'))).toEqual(['@aws-sdk/client-lambda']);
    const run = await compareWith(repository);
    expect(run.results).toEqual([null]);
    expect(run.initOutput).toBe('');
    expect(run.stderr).toBe('');
    // Each sample went to the candidate alias the template names, never to another function.
    expect(run.invoked).toEqual([CANDIDATE_ALIAS, CANDIDATE_ALIAS]);
    expect(run.metrics).toHaveLength(2);
    for (const record of run.metrics) {
      expect(record).toMatchObject({
        service: SERVICE_NAME,
        [MODEL_DIMENSION]: 'penguins',
        [VERSION_DIMENSION]: '2',
        _aws: {
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: METRICS_NAMESPACE,
              Dimensions: [['service', MODEL_DIMENSION, VERSION_DIMENSION]],
            }),
          ],
        },
      });
    }
    expect(values(run.metrics, 'ShadowExactMatch')).toEqual([1, 1]);
    expect(values(run.metrics, 'ShadowMaxAbsDifference')).toEqual([0, 0]);
    expect(values(run.metrics, 'ShadowErrors')).toEqual([0, 0]);
    expect(values(run.metrics, 'ShadowLatency')).toHaveLength(2);
  });

  it('prints the disagreement when the candidate alias runs another model', async () => {
    const run = await compareWith(shadowRepository('perturbed'));
    expect(run.stderr).toBe('');
    expect(values(run.metrics, 'ShadowExactMatch')).toEqual([0, 0]);
    const differences = values(run.metrics, 'ShadowMaxAbsDifference');
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference).toBeGreaterThan(0.01);
    expect(values(run.metrics, 'ShadowErrors')).toEqual([0, 0]);
  });
});
