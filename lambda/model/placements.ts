import { loadAdaptiveModel } from './adaptive-model';
import type { PlaceModel } from './model-backend';
import { loadOnnxModel } from './onnx-model';
import { loadOnnxModelInWorker } from './worker-model';

/**
 * Where a model runs, for the entry points that serve concurrent requests (the local server, the SageMaker
 * container) and for benchmarks. The Lambda handler does not import this file: it runs on the main thread
 * (loadOnnxModel), so its bundle carries no worker code.
 * - `main`: on the calling thread. Right for Lambda, where an execution environment serves one request at a time,
 *   so nothing waits behind an inference and a thread hop would only add latency.
 * - `worker`: in the model's own worker thread, so a long inference never stalls the event loop.
 * - `adaptive`: in the worker, and on the main thread for request sizes seen to run within a millisecond (see
 *   adaptive-model.ts). Right for a server handling concurrent requests.
 */
export const PLACEMENTS = {
  main: loadOnnxModel,
  worker: loadOnnxModelInWorker,
  adaptive: loadAdaptiveModel,
} as const satisfies Record<string, PlaceModel>;

export type ModelExecution = keyof typeof PLACEMENTS;
