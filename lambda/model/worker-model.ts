import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Tensor } from '../protocol/tensor';
import type { LoadedModel } from './model-backend';
import type { WorkerReply, WorkerRequest, WorkerStart } from './worker-messages';

/**
 * Beside this file: onnx-worker.ts when run from source (tsx, jest), onnx-worker.js once compiled. A TypeScript
 * entry needs tsx's require hook inside the worker too; `--import tsx` in execArgv does not reach workers on Node 20.
 * Worked out on first use, not at import: an ES module bundle has no `__dirname`, and the SageMaker container's
 * single-file bundle passes its own script instead (workerEntry).
 */
function besideThisFile(): string {
  const entry = path.join(__dirname, `onnx-worker${path.extname(__filename)}`);
  return entry.endsWith('.ts')
    ? `require('tsx/cjs/api').register(); require(${JSON.stringify(entry)});`
    : `require(${JSON.stringify(entry)});`;
}

/**
 * The worker code that runs `file`, a bundle whose top level serves a model when it is not the main thread (the
 * SageMaker container's single-file entry point): an ES module is imported, CommonJS required.
 */
export function workerEntry(file: string): string {
  const absolute = path.resolve(file);
  return absolute.endsWith('.mjs')
    ? `import(${JSON.stringify(pathToFileURL(absolute).href)});`
    : `require(${JSON.stringify(absolute)});`;
}

export interface TimedRun {
  readonly outputs: Tensor[];
  /** How long the model itself ran in the worker, in milliseconds. */
  readonly runMs: number;
}

/** A model in a worker thread, which can also say how long each run took there. */
export interface WorkerModel extends LoadedModel {
  runTimed(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<TimedRun>;
}

interface Pending {
  resolve(run: TimedRun): void;
  reject(error: Error): void;
}

/**
 * Loads a model into its own worker thread and runs it there, so the event loop keeps answering other requests
 * (health checks, other models) during a long inference. Requests to one model queue in its worker in order.
 * Inputs and outputs cross threads by structured clone: a memory copy, far cheaper than the JSON around them.
 */
export function loadOnnxModelInWorker(
  name: string,
  version: string,
  bytes: Uint8Array,
  script: string = besideThisFile(),
): Promise<WorkerModel> {
  const worker = new Worker(script, { eval: true, workerData: { name, version, bytes } satisfies WorkerStart });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let exitError: Error | undefined;

  return new Promise((resolveLoad, rejectLoad) => {
    worker.on('message', (reply: WorkerReply) => {
      switch (reply.kind) {
        case 'ready':
          resolveLoad(model(reply.spec));
          return;
        case 'failed':
          rejectLoad(new Error(reply.message));
          void worker.terminate();
          return;
        case 'result':
          pending.get(reply.id)?.resolve({ outputs: reply.outputs, runMs: reply.runMs });
          pending.delete(reply.id);
          return;
        case 'error':
          pending.get(reply.id)?.reject(new Error(reply.message));
          pending.delete(reply.id);
          return;
      }
    });
    worker.on('error', (error) => {
      exitError = error;
    });
    worker.on('exit', (code) => {
      exitError ??= new Error(`the worker thread of model ${name} version ${version} exited with code ${code}`);
      rejectLoad(exitError);
      for (const { reject } of pending.values()) reject(exitError);
      pending.clear();
    });
  });

  function model(spec: LoadedModel['spec']): WorkerModel {
    const runTimed = (inputs: readonly Tensor[], outputNames: readonly string[]): Promise<TimedRun> => {
      if (exitError !== undefined) return Promise.reject(exitError);
      const id = nextId++;
      return new Promise<TimedRun>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, inputs, outputNames } satisfies WorkerRequest);
      });
    };
    return {
      spec,
      get isAlive() {
        return exitError === undefined;
      },
      runTimed,
      run: (inputs, outputNames) => runTimed(inputs, outputNames).then((run) => run.outputs),
      async release() {
        await worker.terminate();
      },
    };
  }
}
