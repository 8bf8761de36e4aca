import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import S3rver from 's3rver';
import { PreTrafficHookEnvironment } from '../../../../contract/environment';
import { GOLDEN_SET_FILE } from '../../../../contract/golden-set';
import { MODEL_FILE } from '../../../../contract/model-repository';
import { createApiGatewayHandler } from '../../../../lambda/api-gateway-handler';
import { sha256Hex } from '../../../../lambda/model/checksum';
import { ModelRegistry } from '../../../../lambda/model/model-registry';
import type { PreTrafficHookClients } from '../../../../lambda/rollout/pre-traffic-hook';
import { lambdaContext } from '../../../support/api-gateway-events';
import { DEMO_MODELS, type DemoModelName } from '../../../support/demo-models';
import { onnxBackendsOf } from '../../../support/model-backends';
import { putObjectAndWait } from '../../../support/s3-put';
import { type CodeDeployServer, startCodeDeployServer } from './codedeploy-server';
import { type FunctionCode, type LambdaInvokeServer, startLambdaInvokeServer } from './lambda-invoke-server';
import { perturbedPenguinsRepository } from './perturbed-penguins';

const BUCKET = 'model-bucket';
// s3rver accepts only its own key pair; the other fake peers accept any.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'eu-west-1';
const functionArn = (name: string, version: number) =>
  `arn:aws:lambda:${REGION}:123456789012:function:${name}:${version}`;

/** Qualified ARNs of the function versions the fake Lambda service runs. */
export const FUNCTIONS = {
  /** The real model handler over the demo models (penguins and mnist), as a new version would serve them. */
  demo: functionArn('model-endpoint-demo', 3),
  /** The real model handler over a wrong penguins model (perturbedPenguinsRepository). */
  perturbed: functionArn('model-endpoint-perturbed', 4),
  /** The real model handler over a penguins model.onnx that is not ONNX: every inference answers 503. */
  unloadable: functionArn('model-endpoint-unloadable', 5),
  /** A version whose runtime crashes: Lambda answers with a function error. */
  crashing: functionArn('model-endpoint-crashing', 6),
  /** A version that takes longer to answer than any hook under test waits. */
  slow: functionArn('model-endpoint-slow', 8),
  /** A version that does not exist. */
  missing: functionArn('model-endpoint-missing', 7),
} as const;

export const SLOW_ANSWER_MS = 5_000;

export const CRASH_MESSAGE = 'Runtime exited with error: signal: killed';

/** What a hook under test needs: S3 holding golden sets, Lambda running the model handler, CodeDeploy recording. */
export interface HookPeers {
  readonly clients: PreTrafficHookClients;
  readonly codeDeploy: CodeDeployServer;
  readonly lambda: LambdaInvokeServer;
  /** Uploads a golden set (its bytes) content-addressed, as the model store does; returns its key and sha256. */
  putGoldenSet(model: string, version: string, bytes: Uint8Array): Promise<{ key: string; sha256: string }>;
  /** The hook's environment for checking `target` with a golden set stored by putGoldenSet. */
  environment(
    target: string,
    model: string,
    version: string,
    golden: { key: string; sha256: string },
  ): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export function demoGoldenSet(name: DemoModelName): Buffer {
  return readFileSync(path.join(DEMO_MODELS, name, '1', GOLDEN_SET_FILE));
}

function handlerOver(folder: string): FunctionCode {
  const handler = createApiGatewayHandler(new ModelRegistry(onnxBackendsOf(folder)));
  return (event) => handler(event as APIGatewayProxyEvent, lambdaContext);
}

function unloadableRepository(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'unloadable-'));
  mkdirSync(path.join(root, 'penguins', '1'), { recursive: true });
  writeFileSync(path.join(root, 'penguins', '1', MODEL_FILE), 'not an ONNX model');
  return root;
}

export async function startHookPeers(): Promise<HookPeers> {
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(tmpdir(), 's3rver-')),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await s3rver.run();
  const lambda = await startLambdaInvokeServer({
    [FUNCTIONS.demo]: handlerOver(DEMO_MODELS),
    [FUNCTIONS.perturbed]: handlerOver(perturbedPenguinsRepository()),
    [FUNCTIONS.unloadable]: handlerOver(unloadableRepository()),
    [FUNCTIONS.slow]: () => new Promise((resolve) => setTimeout(resolve, SLOW_ANSWER_MS).unref()),
    [FUNCTIONS.crashing]: async () => {
      throw new Error(CRASH_MESSAGE);
    },
  });
  const codeDeploy = await startCodeDeployServer();
  const common = { region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  const clients = {
    s3: new S3Client({ ...common, endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true }),
    lambda: new LambdaClient({ ...common, endpoint: lambda.endpoint }),
    codeDeploy: new CodeDeployClient({ ...common, endpoint: codeDeploy.endpoint }),
  };
  // Content-addressed keys are written once, as ModelStore does: rewriting an object s3rver is still serving from an
  // earlier test could let a read see the file mid-rewrite.
  const stored = new Set<string>();
  return {
    clients,
    codeDeploy,
    lambda,
    async putGoldenSet(model, version, bytes) {
      const sha256 = sha256Hex(bytes);
      const key = `models/${model}/${version}/${sha256}.golden.json`;
      if (!stored.has(key)) await putObjectAndWait(clients.s3, BUCKET, key, bytes);
      stored.add(key);
      return { key, sha256 };
    },
    environment: (target, model, version, golden) => ({
      [PreTrafficHookEnvironment.targetFunction]: target,
      [PreTrafficHookEnvironment.modelName]: model,
      [PreTrafficHookEnvironment.modelVersion]: version,
      [PreTrafficHookEnvironment.goldenBucket]: BUCKET,
      [PreTrafficHookEnvironment.goldenKey]: golden.key,
      [PreTrafficHookEnvironment.goldenSha256]: golden.sha256,
    }),
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.all([lambda.close(), codeDeploy.close(), s3rver.close()]);
    },
  };
}
