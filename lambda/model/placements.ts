import type { PlaceModel } from './model-backend';
import { loadOnnxModel } from './onnx-model';
import { loadOnnxModelInWorker } from './worker-model';

/**
 * Where a model runs, for the entry points that serve concurrent requests (the local server, the SageMaker
 * container) and for benchmarks. The Lambda handler does not import this file: it runs on the main thread
 * (loadOnnxModel), so its bundle carries no worker code.
 * - `main`: on the calling thread. Right for Lambda, where an execution environment serves one request at a time,
 *   so nothing waits behind an inference and a thread hop would only add latency.
 * - `worker`: in the process's shared pool of worker threads (worker-pool.ts), so neither a session's creation nor
 *   a long inference ever stalls the event loop, and many models share a few threads. Right for a server.
 */
export const PLACEMENTS = {
  main: loadOnnxModel,
  worker: loadOnnxModelInWorker,
} as const satisfies Record<string, PlaceModel>;

export type ModelExecution = keyof typeof PLACEMENTS;
