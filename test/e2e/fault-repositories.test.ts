import { execFile, execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { readModelManifest } from '../../contract/model-repository';
import { startLocalServer } from '../../lambda/local-server';
import { FileDescriptorSource } from '../../lambda/model/descriptor-source';
import type { ModelRegistry } from '../../lambda/model/model-registry';
import { FileModelSource } from '../../lambda/model/model-source';
import { rawConfigFromContext, resolveDeploymentConfig } from '../../lib/config';
import { checkModelsToDeploy } from '../../lib/model-check';
import {
  anyRankModel,
  constantModel,
  prototypeNamesModel,
  prototypeOutputModel,
  scalarModel,
} from '../fixtures/fault-models';
import { writeRepository } from '../fixtures/test-models';
import { identityModelOf } from '../fixtures/unsupported-models';

// Broken model repositories, each started as the local server starts them: either it serves correctly or it refuses
// with a message naming the file and the reason. Bounded: a start that blocks fails the test instead of hanging it.
const REPOSITORY_ROOT = path.join(__dirname, '..', '..');
const START_BOUND_MS = 60_000;

interface Started {
  readonly server: Server;
  readonly registry: ModelRegistry;
  readonly baseUrl: string;
}

async function start(modelsDir: string): Promise<Started> {
  const { server, registry } = await startLocalServer(
    { modelsDir, port: 0, host: '127.0.0.1', logRequests: false },
    () => undefined,
    () => undefined,
  );
  return { server, registry, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(started: Started): Promise<void> {
  started.server.closeAllConnections();
  await new Promise((resolve) => started.server.close(resolve));
  await started.registry.release();
}

/** Starts a repository that must be refused; the message the start fails with. */
async function refusal(modelsDir: string): Promise<string> {
  const started = await start(modelsDir).catch((error: Error) => error);
  if (started instanceof Error) return started.message;
  await stop(started);
  throw new Error(`${modelsDir} started, but it should have been refused`);
}

interface JsonTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
  readonly data?: number[];
}

/** The fields of the answers these tests read: metadata, inference and error bodies. */
interface JsonAnswer {
  readonly inputs: JsonTensor[];
  readonly outputs: JsonTensor[];
  readonly error: string;
}

async function call(
  baseUrl: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; json: JsonAnswer }> {
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, json: (await response.json()) as JsonAnswer };
}

/** What ONNX Runtime itself answers for these FP32 feeds, as the protocol's JSON outputs. */
async function runDirectly(bytes: Uint8Array, feeds: Readonly<Record<string, { shape: number[]; data: number[] }>>) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const tensors: Record<string, ort.Tensor> = Object.create(null);
    for (const [name, { shape, data }] of Object.entries(feeds)) {
      tensors[name] = new ort.Tensor('float32', Float32Array.from(data), shape);
    }
    const results = await session.run(tensors);
    return session.outputNames.map((name) => ({
      name,
      datatype: 'FP32',
      shape: [...(results[name]?.dims ?? [])],
      data: Array.from(results[name]?.data as Float32Array),
    }));
  } finally {
    await session.release();
  }
}

describe('a FIFO in the model repository', () => {
  let root: string;
  const fifos: string[] = [];
  const mkfifo = (relative: string) => {
    const fifo = path.join(root, relative);
    mkdirSync(path.dirname(fifo), { recursive: true });
    execFileSync('mkfifo', [fifo]);
    fifos.push(fifo);
    return fifo;
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fifo-repository-'));
  });
  afterEach(() => {
    // A reader that blocked on a FIFO (the defect) is released by a writer, so that a failing test cannot leave a
    // thread of the test process stuck in open(2).
    for (const fifo of fifos.splice(0)) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: nobody is reading it, which is the fixed behaviour.
      }
    }
  });

  it(
    'fails npm start, naming the file, instead of blocking on a FIFO named model.onnx',
    async () => {
      const fifo = mkfifo('broken/1/model.onnx');
      const outcome = await new Promise<{ code: number | null; killed: boolean; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(REPOSITORY_ROOT, 'scripts', 'start-local-server.js'), '--port', '0', '--models', root],
          { cwd: REPOSITORY_ROOT, timeout: START_BOUND_MS, killSignal: 'SIGKILL' },
          (error, _stdout, stderr) =>
            resolve({ code: error?.code as number | null, killed: error?.killed ?? false, stderr }),
        );
      });
      expect({ killed: outcome.killed, code: outcome.code }).toEqual({ killed: false, code: 1 });
      expect(outcome.stderr).toContain(
        `${fifo} is a FIFO (named pipe), not a regular file: replace it with the file itself or a link to it`,
      );
    },
    START_BOUND_MS + 10_000,
  );

  it('fails the start for a FIFO named model.json', async () => {
    const repository = writeRepository({ 'ok/1': constantModel() });
    const fifo = path.join(repository, 'ok', '1', 'model.json');
    execFileSync('mkfifo', [fifo]);
    fifos.push(fifo);
    expect(await refusal(repository)).toBe(
      `${fifo} is a FIFO (named pipe), not a regular file: replace it with the file itself or a link to it`,
    );
  });

  it('is never read by the Lambda runtime (a model or descriptor in an image), synth or the manifest reader', async () => {
    const fifo = mkfifo('image/model.onnx');
    const refused = `${fifo} is a FIFO (named pipe), not a regular file, and is not read`;
    await expect(new FileModelSource('m', '1', fifo).readBytes()).rejects.toThrow(refused);
    await expect(new FileDescriptorSource(fifo).read()).rejects.toThrow(refused);
    await expect(checkModelsToDeploy([{ name: 'm', version: '1', modelPath: fifo }])).rejects.toThrow(
      `cannot deploy 1 model file(s):\n  ${fifo}: ${refused}`,
    );
    expect(() => readModelManifest(fifo)).toThrow(refused);
  });
});

describe('a model with no inputs', () => {
  it('is served: "inputs": [] answers its constant output, as ONNX Runtime does', async () => {
    const started = await start(writeRepository({ 'constant/1': constantModel() }));
    try {
      const metadata = await call(started.baseUrl, 'GET', '/v2/models/constant');
      expect(metadata.json.inputs).toEqual([]);
      const answer = await call(started.baseUrl, 'POST', '/v2/models/constant/infer', { inputs: [] });
      expect(answer).toEqual({
        status: 200,
        json: { model_name: 'constant', model_version: '1', outputs: await runDirectly(constantModel(), {}) },
      });
      expect(answer.json.outputs[0].data).toEqual([1.5, -2]);
    } finally {
      await stop(started);
    }
  });

  it('returns 4xx for an input it does not have, saying it takes none', async () => {
    const started = await start(writeRepository({ 'constant/1': constantModel() }));
    try {
      const answer = await call(started.baseUrl, 'POST', '/v2/models/constant/infer', {
        inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }],
      });
      expect(answer).toEqual({
        status: 400,
        json: { error: 'unknown input "x": model "constant" expects no inputs (send "inputs": [])' },
      });
    } finally {
      await stop(started);
    }
  });
});

describe('an input of unknown rank (no shape in the graph)', () => {
  let started: Started;
  beforeAll(async () => {
    started = await start(writeRepository({ 'any-rank/1': anyRankModel(), 'scalar/1': scalarModel() }));
  });
  afterAll(() => stop(started));

  it('shows as one dynamic dimension in the metadata, unlike a scalar', async () => {
    expect((await call(started.baseUrl, 'GET', '/v2/models/any-rank')).json.inputs).toEqual([
      { name: 'x', datatype: 'FP32', shape: [-1] },
    ]);
    expect((await call(started.baseUrl, 'GET', '/v2/models/scalar')).json.inputs).toEqual([
      { name: 'x', datatype: 'FP32', shape: [] },
    ]);
  });

  it.each([
    ['rank 0', [], [3]],
    ['rank 1', [3], [1, -2, 3.5]],
    ['rank 2', [2, 2], [1, 2, 3, 4]],
    ['rank 3', [2, 1, 3], [1, 2, 3, 4, 5, 6]],
  ])('accepts %s and answers as ONNX Runtime does', async (_rank, shape, data) => {
    const answer = await call(started.baseUrl, 'POST', '/v2/models/any-rank/infer', {
      inputs: [{ name: 'x', shape, datatype: 'FP32', data }],
    });
    expect(answer).toEqual({
      status: 200,
      json: {
        model_name: 'any-rank',
        model_version: '1',
        outputs: await runDirectly(anyRankModel(), { x: { shape, data } }),
      },
    });
    expect(answer.json.outputs[0].shape).toEqual(shape);
  });

  it('returns 4xx for data that does not fill the shape sent', async () => {
    const answer = await call(started.baseUrl, 'POST', '/v2/models/any-rank/infer', {
      inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }],
    });
    expect(answer.status).toBe(400);
  });

  it('still returns 4xx for a non-scalar sent to a true scalar', async () => {
    const answer = await call(started.baseUrl, 'POST', '/v2/models/scalar/infer', {
      inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1, 2] }],
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/^input "x" has shape \[2\] of rank 1, but the model expects rank 0/);
  });
});

describe('tensor names that are Object.prototype keys', () => {
  it('serves __proto__, toString, constructor and hasOwnProperty as ONNX Runtime does', async () => {
    const started = await start(writeRepository({ 'prototype-names/1': prototypeNamesModel() }));
    try {
      const inputs = [
        { name: '__proto__', shape: [2], datatype: 'FP32', data: [1, 2] },
        { name: 'toString', shape: [2], datatype: 'FP32', data: [10, 20] },
      ];
      // JSON.parse, not an object literal: in a literal, "__proto__" sets the prototype instead of naming a key.
      const feeds = JSON.parse(
        '{"__proto__": {"shape": [2], "data": [1, 2]}, "toString": {"shape": [2], "data": [10, 20]}}',
      );
      const direct = await runDirectly(prototypeNamesModel(), feeds);
      const metadata = await call(started.baseUrl, 'GET', '/v2/models/prototype-names');
      expect(metadata.json.inputs.map((input) => input.name)).toEqual(['__proto__', 'toString']);
      const answer = await call(started.baseUrl, 'POST', '/v2/models/prototype-names/infer', { inputs });
      expect(answer).toEqual({
        status: 200,
        json: { model_name: 'prototype-names', model_version: '1', outputs: direct },
      });
      expect(answer.json.outputs.map((output) => output.data)).toEqual([
        [11, 22],
        [-10, -20],
      ]);
    } finally {
      await stop(started);
    }
  });

  it('fails the start for an output named __proto__, which ONNX Runtime for Node.js cannot return', async () => {
    const root = writeRepository({ 'prototype-output/1': prototypeOutputModel() });
    expect(await refusal(root)).toBe(
      'cannot load 1 model file(s):\n' +
        `  ${path.join(root, 'prototype-output', '1', 'model.onnx')}: model prototype-output version 1 output ` +
        '"__proto__" cannot be returned: ONNX Runtime for Node.js hands outputs back as properties of an object, ' +
        'where "__proto__" is not a property name; rename the output in the graph',
    );
  });
});

describe('an invalid model.json', () => {
  /** Version 2 serves; version 1, which neither npm start nor a deploy serves by default, has the broken manifest. */
  function repositoryWithBrokenManifest(): { root: string; manifest: string } {
    const root = writeRepository({ 'constant/1': constantModel(), 'constant/2': constantModel() });
    const manifest = path.join(root, 'constant', '1', 'model.json');
    writeFileSync(manifest, '{"labels": ["a", "b",]}');
    return { root, manifest };
  }
  const jsonError = (manifest: string) =>
    new RegExp(`^${manifest.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON \\(.+\\); fix or delete it$`);

  it('fails npm start, naming the file and the JSON error, in any version', async () => {
    const { root, manifest } = repositoryWithBrokenManifest();
    expect(await refusal(root)).toMatch(jsonError(manifest));
  });

  it('fails synth with the same message, in any version', () => {
    const { root, manifest } = repositoryWithBrokenManifest();
    expect(() => resolveDeploymentConfig(rawConfigFromContext({ modelsDir: root }), REPOSITORY_ROOT)).toThrow(
      `modelsDir (${root}): ${manifest} is not valid JSON (`,
    );
  });
});

describe('BFLOAT16 inputs and outputs', () => {
  it('fail the start, naming the file, the tensors and the reason', async () => {
    const root = writeRepository({ 'bf16/1': identityModelOf(onnx.TensorProto.DataType.BFLOAT16) });
    expect(await refusal(root)).toMatch(
      new RegExp(
        `^cannot load 1 model file\\(s\\):\\n  ${path.join(root, 'bf16', '1', 'model.onnx')}: model bf16 version 1 has ` +
          'input "x", output "y" of tensor type BFLOAT16, which is not supported: the Open Inference Protocol has no ' +
          'such datatype; re-export the model with inputs and outputs of a supported datatype',
      ),
    );
  });
});
