import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BigModelOptions, type WorkerModel, WorkerPool } from './worker-pool';

export type { TimedRun, WorkerModel } from './worker-pool';

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

const pools = new Map<string, WorkerPool>();

/** The process's pool for a worker script: one per script, created on first use. */
function poolFor(script: string): WorkerPool {
  let pool = pools.get(script);
  if (pool === undefined) {
    pool = new WorkerPool(script);
    pools.set(script, pool);
  }
  return pool;
}

/**
 * Loads a model into the process's shared pool of worker threads (worker-pool.ts) and runs it there, so the event
 * loop keeps answering other requests (health checks, other models) during a session's creation and its runs, and
 * hundreds of models share a few threads. Inputs and outputs cross threads by structured clone: a memory copy, far
 * cheaper than the JSON around them.
 */
export function loadOnnxModelInWorker(
  name: string,
  version: string,
  bytes: Uint8Array,
  options: WorkerLoadOptions = {},
): Promise<WorkerModel> {
  return poolFor(options.script ?? besideThisFile()).load(name, version, bytes, options);
}

export interface WorkerLoadOptions extends BigModelOptions {
  /** The pool's worker code, when the entry point is not beside onnx-worker. */
  readonly script?: string;
}
