import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import S3rver from 's3rver';
import { buildModelDescriptor, serializeModelDescriptor } from '../../../contract/model-descriptor';
import { sha256Hex } from '../../../lambda/model/checksum';
import { S3DescriptorSource } from '../../../lambda/model/descriptor-source';
import { ModelRegistry, type ModelRegistryOptions } from '../../../lambda/model/model-registry';
import type { ModelSource } from '../../../lambda/model/model-source';
import { OnnxRuntimeBackend, onnxBackends } from '../../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../../lambda/model/onnx-model';
import { S3ModelSource } from '../../../lambda/model/s3-model-source';
import { SageMakerForwarderBackend } from '../../../lambda/model/sagemaker-forwarder';
import { type S3ObjectReader, SignedS3Get } from '../../../lambda/model/signed-s3-get';
import { captureFeatureNames } from '../../../lambda/monitoring/capture-features';
import { logger } from '../../../lambda/observability';
import { ServiceUnavailableError } from '../../../lambda/protocol/errors';
import { demoModelFile } from '../../support/demo-models';
import { putObjectAndWait } from '../../support/s3-put';

/** A registry of ONNX Runtime models on the main thread, as the Lambda handler builds it. */
const registryOf = (sources: ModelSource[], options?: ModelRegistryOptions) =>
  new ModelRegistry(onnxBackends(sources, loadOnnxModel), options);

// A real S3-compatible server on loopback: the runtime's signed GET (s3rver checks its SigV4 signature), its errors and
// the SDK's PUT that stores the objects all run for real.
const BUCKET = 'model-bucket';
const PENGUINS = readFileSync(demoModelFile('penguins'));
const PENGUINS_SHA256 = sha256Hex(PENGUINS);
const KEY = `models/penguins/1/${PENGUINS_SHA256}.onnx`;

let server: S3rver;
let port: number;
const directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));

async function startServer(atPort = 0): Promise<void> {
  server = new S3rver({
    address: '127.0.0.1',
    port: atPort,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  ({ port } = await server.run());
}

const clients: S3Client[] = [];

function client(): S3Client {
  const created = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // One attempt: the registry's retry-on-next-request is what is under test, not the SDK's own retries.
    maxAttempts: 1,
  });
  clients.push(created);
  return created;
}

/** The runtime's own GET, one attempt: the registry's retry-on-next-request is what is under test here. */
function reader(): SignedS3Get {
  return new SignedS3Get({
    region: () => 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }),
    maxAttempts: 1,
  });
}

function source(
  overrides: Partial<{ key: string; sha256: string }> = {},
  s3: S3ObjectReader = reader(),
): S3ModelSource {
  return new S3ModelSource(s3, {
    name: 'penguins',
    version: '1',
    bucket: BUCKET,
    key: overrides.key ?? KEY,
    sha256: overrides.sha256 ?? PENGUINS_SHA256,
  });
}

beforeAll(async () => {
  await startServer();
  await putObjectAndWait(client(), BUCKET, KEY, PENGUINS);
});
afterAll(async () => {
  // Keep-alive sockets would otherwise hold the test worker open after the server is gone.
  for (const created of clients) created.destroy();
  await server.close();
});
beforeEach(() => {
  jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

it('loads a model whose sha256 matches the pinned one and serves its metadata', async () => {
  const registry = registryOf([source()]);
  const model = await registry.get('penguins');
  expect(model.spec.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
  await registry.release();
});

it('rejects an artifact whose sha256 differs from the pinned one, saying to redeploy', async () => {
  const wrong = 'f'.repeat(64);
  await expect(source({ sha256: wrong }).readBytes()).rejects.toThrow(
    new RegExp(`s3://${BUCKET}/${KEY} has sha256 ${PENGUINS_SHA256} but the deployment pinned ${wrong}.*redeploy`),
  );
  await expect(registryOf([source({ sha256: wrong })]).get('penguins')).rejects.toBeInstanceOf(ServiceUnavailableError);
});

it('fails with 503 for a missing object and logs where it looked', async () => {
  const missing = 'models/penguins/1/missing.onnx';
  await expect(source({ key: missing }).readBytes()).rejects.toThrow(/NoSuchKey|does not exist/);
  const registry = registryOf([source({ key: missing })]);
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503 });
  expect(logger.error).toHaveBeenCalledWith(
    'model load failed',
    expect.objectContaining({ model: 'penguins', location: `s3://${BUCKET}/${missing}` }),
  );
});

it('answers 503 while S3 is down and serves on the first request after the backoff once it is back', async () => {
  let now = 0;
  const registry = registryOf([source()], { now: () => now });
  await server.close();
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503 });
  await expect(registry.tryLoad('penguins')).resolves.toBe(false);
  await startServer(port);
  now += 1_000;
  await expect(registry.tryLoad('penguins')).resolves.toBe(true);
  expect((await registry.get('penguins')).spec.name).toBe('penguins');
  await registry.release();
});

it('does not download an artifact with the wrong sha256 again before the backoff has passed', async () => {
  const inner = reader();
  let downloads = 0;
  const s3: S3ObjectReader = {
    getObject: (bucket, key) => {
      downloads += 1;
      return inner.getObject(bucket, key);
    },
  };
  let now = 0;
  const registry = registryOf([source({ sha256: 'f'.repeat(64) }, s3)], { now: () => now });
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
  expect(downloads).toBe(1);
  for (let request = 0; request < 5; request++) {
    now += 100;
    await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
  }
  expect(downloads).toBe(1);
  now += 500;
  await expect(registry.get('penguins')).rejects.toMatchObject({ statusCode: 503, retryAfterSeconds: 2 });
  expect(downloads).toBe(2);
  expect(logger.error).toHaveBeenLastCalledWith(
    'model load failed',
    expect.objectContaining({
      failures: 2,
      retryInSeconds: 2,
      error: expect.objectContaining({ name: 'ChecksumMismatchError' }),
    }),
  );
});

describe('the pinned descriptor in the bucket', () => {
  const descriptor = buildModelDescriptor(
    {
      name: 'penguins',
      version: '1',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
      ],
    },
    { sha256: PENGUINS_SHA256, sizeBytes: PENGUINS.byteLength },
    { features: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'] },
  );
  const text = serializeModelDescriptor(descriptor);
  const DESCRIPTOR_SHA256 = sha256Hex(Buffer.from(text));
  const DESCRIPTOR_KEY = `models/penguins/1/${DESCRIPTOR_SHA256}.json`;
  const descriptorSource = (sha256 = DESCRIPTOR_SHA256) =>
    new S3DescriptorSource(reader(), { bucket: BUCKET, key: DESCRIPTOR_KEY, sha256 });

  beforeAll(async () => {
    await putObjectAndWait(client(), BUCKET, DESCRIPTOR_KEY, text);
  });

  it('serves a model whose session matches the descriptor', async () => {
    const model = await new OnnxRuntimeBackend(source(), loadOnnxModel, descriptorSource()).load();
    expect(model.spec.outputs).toEqual(descriptor.outputs);
    await model.release();
  });

  it('refuses a descriptor whose sha256 is not the pinned one, saying to redeploy', async () => {
    const wrong = '0'.repeat(64);
    await expect(new OnnxRuntimeBackend(source(), loadOnnxModel, descriptorSource(wrong)).load()).rejects.toThrow(
      `s3://${BUCKET}/${DESCRIPTOR_KEY} has sha256 ${DESCRIPTOR_SHA256} but the deployment pinned ${wrong}`,
    );
  });

  /** The real signed GET, counting the reads asked of it. */
  function countingReader(): { reader: S3ObjectReader; reads: () => number } {
    const signed = reader();
    let reads = 0;
    return {
      reader: {
        getObject: (bucket, key) => {
          reads += 1;
          return signed.getObject(bucket, key);
        },
      },
      reads: () => reads,
    };
  }

  it('reads the pinned descriptor once for both the model load and the feature names data capture needs', async () => {
    const counting = countingReader();
    const pinned = new S3DescriptorSource(counting.reader, {
      bucket: BUCKET,
      key: DESCRIPTOR_KEY,
      sha256: DESCRIPTOR_SHA256,
    });
    const backend = new OnnxRuntimeBackend(source(), loadOnnxModel, pinned);
    const model = await backend.load();
    const features = await captureFeatureNames(
      { sampleRate: 1, dropFields: ['features'], hashFields: [], hashSalt: 'salt' },
      backend.descriptor,
    );
    await model.release();
    expect(features).toEqual(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']);
    expect(counting.reads()).toBe(1);
  });

  it('reads a descriptor again after a failed read: a failure is not kept', async () => {
    const counting = countingReader();
    const missing = new S3DescriptorSource(counting.reader, {
      bucket: BUCKET,
      key: 'models/penguins/1/missing.json',
      sha256: DESCRIPTOR_SHA256,
    });
    await expect(missing.read()).rejects.toThrow('missing.json');
    await expect(missing.read()).rejects.toThrow('missing.json');
    expect(counting.reads()).toBe(2);
  });

  it('gives a forwarded model its spec and readiness from the descriptor alone, without a session', async () => {
    // No endpoint is called to load: the SageMaker client points at a closed port.
    const forwarder = new SageMakerForwarderBackend(
      new SageMakerRuntimeClient({
        endpoint: 'http://127.0.0.1:9',
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      }),
      { name: 'penguins', version: '1', endpointName: 'penguins-endpoint', descriptor: descriptorSource() },
    );
    const registry = new ModelRegistry([forwarder]);
    expect(await registry.tryLoad('penguins')).toBe(true);
    expect((await registry.get('penguins')).spec).toEqual({
      name: 'penguins',
      version: '1',
      inputs: descriptor.inputs,
      outputs: descriptor.outputs,
    });
  });
});
