import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { ModelEnvironment } from '../contract/environment';
import { loadOnnxModel } from '../lambda/model/onnx-model';
import { runtimeEnvironment } from '../lib/constructs/model-function-options';
import { describeModel } from '../lib/model-description';
import { putObjectAndWait } from '../test/support/s3-put';

const BUCKET = 'model-bucket';

/**
 * What Lambda itself sets beside the stack's variables: the runtime then loads its tracer, and X-Ray data goes to
 * the daemon address (nothing listens there in the bench; the UDP datagrams are simply dropped).
 */
export const LAMBDA_VARIABLES: Readonly<Record<string, string>> = {
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
};

export interface S3ModelBucket {
  /**
   * The variables the stack sets on a model's function (its model's and the runtime's own, NODE_OPTIONS included),
   * with loopback credentials and endpoint in Lambda's.
   */
  readonly environment: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The Lambda configuration's model store on loopback: an S3-compatible server holding one model version's pinned
 * artifact and descriptor under their content-addressed keys, as synth uploads them.
 */
export async function startS3ModelBucket(model: string, modelPath: string): Promise<S3ModelBucket> {
  const directory = fs.mkdtempSync(path.join(tmpdir(), 'bench-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const bytes = fs.readFileSync(modelPath);
  const loaded = await loadOnnxModel(model, '1', bytes);
  const described = describeModel({ modelPath, spec: loaded.spec });
  await loaded.release();
  const key = `models/${model}/1/${described.sha256}.onnx`;
  const descriptorKey = `models/${model}/1/${described.descriptorSha256}.json`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await putObjectAndWait(client, BUCKET, key, bytes);
  await putObjectAndWait(client, BUCKET, descriptorKey, described.descriptorJson);
  client.destroy();
  return {
    environment: {
      [ModelEnvironment.name]: model,
      [ModelEnvironment.version]: '1',
      [ModelEnvironment.bucket]: BUCKET,
      [ModelEnvironment.key]: key,
      [ModelEnvironment.sha256]: described.sha256,
      [ModelEnvironment.descriptorKey]: descriptorKey,
      [ModelEnvironment.descriptorSha256]: described.descriptorSha256,
      ...runtimeEnvironment(),
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: endpoint,
    },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
